#pragma once
// Decoding one UTF-8 sequence (private to src/io/): the strict reading the
// safetensors format requires, and what `printable` escapes by.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace hnet::io::detail {

/// The code point of the well-formed UTF-8 sequence of two to four bytes at
/// text[i] and its length, or length 0 when the bytes there are not one (an
/// ASCII byte included; no overlong forms, surrogates or code points past
/// U+10FFFF).
inline std::pair<uint32_t, size_t> decode_utf8(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  size_t len = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07;
  } else {
    return {0, 0};
  }
  if (i + len > text.size()) return {0, 0};
  for (size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(text[i + k]);
    if ((cc & 0xC0) != 0x80) return {0, 0};
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return {0, 0};
  return {cp, len};
}

}  // namespace hnet::io::detail
