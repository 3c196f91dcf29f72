#pragma once
// The header of a safetensors file (private to src/io/): its length prefix,
// and its JSON parsed and checked against the size of the data buffer it
// describes. Shared by decoding bytes in memory and loading a file header
// first (safetensors.cpp).

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hnet::io::detail {

/// Every dtype name the format and hnet share, for messages.
constexpr const char* kSupportedDtypes = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  int64_t size;
};

/// The entry of `name` ("F32"...), or nullptr.
const DtypeInfo* dtype_by_name(const std::string& name);
/// The entry of `type`, or nullptr for a dtype the format lacks.
const DtypeInfo* dtype_by_type(torch::ScalarType type);

/// Offset of the first byte that does not start a well-formed UTF-8 sequence
/// (no overlong forms, surrogates or code points past U+10FFFF), or npos.
size_t first_invalid_utf8(std::string_view s);

/// One tensor of a header, its span checked against the buffer.
struct Entry {
  std::string name;
  const DtypeInfo* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// What a header says: the entries (sorted by offset, tiling the buffer) and
// the metadata.
struct Layout {
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
};

/// The header length N of a file of `size` bytes whose first bytes are
/// `prefix` (8 of them when size >= 8), checked (> 0, at most 100 MB, within
/// the file); errors start with `where`.
uint64_t header_length(const char* prefix, uint64_t size, const std::string& where);

/// The header text parsed and checked strictly (see decode_safetensors in
/// safetensors.h) against a data buffer of `buffer_size` bytes.
Layout parse_layout(std::string_view header, uint64_t buffer_size, const std::string& where);

}  // namespace hnet::io::detail
