#pragma once
// Building IDX files (the Fashion-MNIST format) in tests: the bytes, and
// gzip files written through zlib.

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace hnet::test {

/// IDX bytes of element type `type` (0x08: unsigned byte) with big-endian
/// `dims`, then `data`.
inline std::string idx_bytes(
    const std::vector<uint32_t>& dims, const std::string& data, unsigned char type = 0x08) {
  std::string out = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(d >> shift));
  return out + data;
}

struct GzCloser {
  void operator()(gzFile f) const {
    gzclose(f);
  }
};
/// A gzip file open for writing, closed (and so finished) on destruction.
using GzFile = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

}  // namespace hnet::test
