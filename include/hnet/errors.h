#pragma once
/// \file
/// hnet's two kinds of error, which the command line maps to its exit codes.
///
/// - *Bad input*: a file, a configuration value, an option or an argument the
///   caller gave is wrong. Thrown as `c10::ValueError` (`HNET_CHECK_INPUT`),
///   with a message naming the file, key or field, the bad value and what was
///   expected. `hnet` exits with status 2.
/// - *A failure of the run itself*: a loss that diverged, a disk that filled
///   up, a broken invariant. Thrown as any other `c10::Error` (`TORCH_CHECK`)
///   or `std::exception`. `hnet` exits with status 1.
///
/// Example:
///   HNET_CHECK_INPUT(rank > 0, "config key 'generator.rank' must be > 0, got ", rank);

#include <c10/util/Exception.h>

#include <exception>
#include <stdexcept>

/// Throws `c10::ValueError` (bad input) built from the message parts when
/// `cond` is false.
#define HNET_CHECK_INPUT(cond, ...) TORCH_CHECK_VALUE(cond, __VA_ARGS__)

namespace hnet {

/// True for the errors that mean bad input: `c10::ValueError`, and
/// `std::invalid_argument` from the standard library's parsers.
inline bool is_input_error(const std::exception& e) {
  return dynamic_cast<const c10::ValueError*>(&e) != nullptr ||
         dynamic_cast<const std::invalid_argument*>(&e) != nullptr;
}

}  // namespace hnet
