#pragma once
/// \file
/// Parameter and size counts that saturate instead of overflowing: a count
/// made from values a file states (widths, depths, chunk sizes) is compared
/// with a limit, and int64 overflow would wrap it below the limit.

#include <cstdint>
#include <limits>

namespace hnet {

constexpr int64_t kCountMax = std::numeric_limits<int64_t>::max();

/// a * b for a, b >= 0, or kCountMax when it does not fit.
inline int64_t count_mul(int64_t a, int64_t b) {
  int64_t out = 0;
  return __builtin_mul_overflow(a, b, &out) ? kCountMax : out;
}

/// a + b for a, b >= 0, or kCountMax when it does not fit.
inline int64_t count_add(int64_t a, int64_t b) {
  int64_t out = 0;
  return __builtin_add_overflow(a, b, &out) ? kCountMax : out;
}

/// The parameters of a dense layer with `in` inputs, `out` outputs and a
/// bias, (in + 1) * out, saturating.
inline int64_t count_linear(int64_t in, int64_t out) {
  return count_mul(count_add(in, 1), out);
}

}  // namespace hnet
