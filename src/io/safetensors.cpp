#include "hnet/io/safetensors.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/spec.h"

namespace hnet::io {
namespace {

using nlohmann::json;

// Tensor bytes are copied as they are in memory; the format is little-endian.
static_assert(
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
    "hnet safetensors support assumes a little-endian host");

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // as in the reference implementation
// A valid header nests 3 levels ({"a": {"shape": [..]}}); the limit leaves room
// for readable errors about wrong values while keeping the recursive parts of
// nlohmann::json (dump, used in messages) far from the end of the stack.
constexpr int kMaxHeaderDepth = 64;
constexpr size_t kMaxFileBytes = size_t{64} << 30;
constexpr const char* kSupported = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  int64_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {"F64", torch::kFloat64, 8},   {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

const DtypeInfo* dtype_by_name(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

const DtypeInfo* dtype_by_type(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (type == d.type) return &d;
  return nullptr;
}

// Offset of the first byte that does not start a well-formed UTF-8 sequence
// (no overlong forms, surrogates or code points past U+10FFFF), or npos.
size_t first_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::string_view::npos;
}

// A JSON value for a message, cut short so a huge header cannot flood it.
std::string brief(const json& value) {
  std::string s = value.dump();
  return s.size() <= 60 ? s : s.substr(0, 57) + "...";
}

bool is_index(const json& v) {
  return v.is_number_unsigned() &&
         v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// nlohmann::json keeps the last of two equal keys; safetensors forbids them,
// so keys are tracked per open object while parsing.
json parse_header(std::string_view header, const std::string& where) {
  struct Open {
    std::set<std::string> keys;
    std::string last_key;
  };
  std::vector<Open> open;
  std::string duplicate;
  auto track = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
      // `depth` counts the containers already open.
      HNET_CHECK_INPUT(
          depth < kMaxHeaderDepth, where, "header nests objects and lists deeper than ",
          kMaxHeaderDepth, " levels");
    }
    if (event == json::parse_event_t::object_start) {
      open.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      open.pop_back();
    } else if (event == json::parse_event_t::key) {
      auto key = parsed.get<std::string>();
      if (!open.back().keys.insert(key).second && duplicate.empty()) {
        duplicate = "'" + key + "'";
        if (open.size() >= 2) duplicate += " inside '" + open[open.size() - 2].last_key + "'";
      }
      open.back().last_key = std::move(key);
    }
    return true;
  };
  json j;
  try {
    j = json::parse(header.begin(), header.end(), track);
  } catch (const json::parse_error& e) {
    HNET_CHECK_INPUT(false, where, "header is not valid JSON: ", e.what());
  }
  HNET_CHECK_INPUT(duplicate.empty(), where, "header has duplicate key ", duplicate);
  return j;
}

std::map<std::string, std::string> parse_metadata(const json& v, const std::string& where) {
  HNET_CHECK_INPUT(
      v.is_object(), where, "__metadata__ must be an object of strings, got ", v.type_name(), " ",
      brief(v));
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v.items()) {
    HNET_CHECK_INPUT(
        value.is_string(), where, "__metadata__ value of key '", key, "' must be a string, got ",
        brief(value));
    out[key] = value.get<std::string>();
  }
  return out;
}

Entry parse_entry(
    const std::string& name, const json& v, uint64_t buffer_size, const std::string& where) {
  HNET_CHECK_INPUT(!name.empty(), where, "tensor name is empty");
  const std::string entry = "entry '" + name + "'";
  HNET_CHECK_INPUT(v.is_object(), where, entry, " is not an object, got ", v.type_name());
  for (const auto& field : v.items()) {
    const std::string& f = field.key();
    HNET_CHECK_INPUT(
        f == "dtype" || f == "shape" || f == "data_offsets", where, entry,
        " has unexpected field '", f, "' (allowed: dtype, shape, data_offsets)");
  }
  for (const char* f : {"dtype", "shape", "data_offsets"})
    HNET_CHECK_INPUT(v.contains(f), where, entry, " is missing field '", f, "'");

  Entry e;
  e.name = name;
  const json& dtype = v["dtype"];
  HNET_CHECK_INPUT(dtype.is_string(), where, entry, ": dtype must be a string, got ", brief(dtype));
  e.dtype = dtype_by_name(dtype.get<std::string>());
  HNET_CHECK_INPUT(
      e.dtype, where, entry, " has unsupported dtype ", brief(dtype), " (supported: ", kSupported,
      ")");

  const json& shape = v["shape"];
  bool shape_ok = shape.is_array() && std::all_of(shape.begin(), shape.end(), is_index);
  HNET_CHECK_INPUT(
      shape_ok, where, entry, ": shape must be a list of non-negative integers, got ",
      brief(shape));
  int64_t nbytes = e.dtype->size;
  bool overflow = false;
  for (const auto& d : shape) {
    e.shape.push_back(d.get<int64_t>());
    overflow = overflow || __builtin_mul_overflow(nbytes, e.shape.back(), &nbytes);
  }
  HNET_CHECK_INPUT(
      !overflow, where, entry, ": shape ", shape_str(e.shape), " of ", e.dtype->name,
      " is too large: its byte size overflows int64");

  const json& offsets = v["data_offsets"];
  HNET_CHECK_INPUT(
      offsets.is_array() && offsets.size() == 2 && is_index(offsets[0]) && is_index(offsets[1]),
      where, entry, ": data_offsets must be two non-negative integers [begin, end], got ",
      brief(offsets));
  e.begin = offsets[0].get<uint64_t>();
  e.end = offsets[1].get<uint64_t>();
  HNET_CHECK_INPUT(
      e.begin <= e.end, where, entry, ": data_offsets [", e.begin, ", ", e.end,
      "] must have begin <= end");
  HNET_CHECK_INPUT(
      e.end - e.begin == static_cast<uint64_t>(nbytes), where, entry, ": data_offsets [", e.begin,
      ", ", e.end, "] span ", e.end - e.begin, " bytes but shape ", shape_str(e.shape), " of ",
      e.dtype->name, " needs ", nbytes);
  HNET_CHECK_INPUT(
      e.end <= buffer_size, where, entry, ": data_offsets [", e.begin, ", ", e.end,
      "] reach past the end of the data buffer (", buffer_size, " bytes)");
  return e;
}

// Sorts `entries` by offset and checks that they tile [0, buffer_size) exactly.
void check_tiling(std::vector<Entry>& entries, uint64_t buffer_size, const std::string& where) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const auto& e : entries) {
    HNET_CHECK_INPUT(
        e.begin >= covered, where, "entries '", previous->name, "' [", previous->begin, ", ",
        previous->end, "] and '", e.name, "' [", e.begin, ", ", e.end, "] overlap");
    HNET_CHECK_INPUT(
        e.begin == covered, where, "gap in the data buffer: bytes [", covered, ", ", e.begin,
        ") belong to no tensor");
    covered = e.end;
    previous = &e;
  }
  HNET_CHECK_INPUT(
      covered == buffer_size, where, "data buffer has ", buffer_size,
      " bytes but the tensors cover only ", covered, " (", buffer_size - covered,
      " trailing bytes)");
}

void check_utf8(const std::string& s, const char* what) {
  HNET_CHECK_INPUT(
      first_invalid_utf8(s) == std::string_view::npos, "encode_safetensors: ", what, " ",
      json(s).dump(-1, ' ', false, json::error_handler_t::replace), " is not valid UTF-8");
}

}  // namespace

const torch::Tensor& TensorFile::get(const std::string& name) const {
  std::vector<std::string> names;
  for (const auto& [n, t] : tensors) {
    if (n == name) return t;
    names.push_back(n);
  }
  HNET_CHECK_INPUT(
      false, "safetensors: no tensor named '", name, "'",
      names.empty() ? std::string(" (the file holds no tensors)")
                    : "; the closest name present is '" + closest_name(name, names) + "'");
}

std::string encode_safetensors(
    const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  std::set<std::string> seen;
  std::vector<torch::Tensor> data;
  std::string header = "{";
  int64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    TORCH_CHECK(!name.empty(), "encode_safetensors: tensor names must be non-empty");
    TORCH_CHECK(
        name != "__metadata__",
        "encode_safetensors: '__metadata__' is reserved and cannot name a tensor");
    check_utf8(name, "tensor name");
    TORCH_CHECK(seen.insert(name).second, "encode_safetensors: duplicate tensor name '", name, "'");
    TORCH_CHECK(tensor.defined(), "encode_safetensors: tensor '", name, "' is undefined");
    TORCH_CHECK(
        tensor.layout() == torch::kStrided, "encode_safetensors: tensor '", name, "' has layout ",
        tensor.layout(), "; only dense (strided) tensors can be saved");
    const DtypeInfo* dtype = dtype_by_type(tensor.scalar_type());
    TORCH_CHECK(
        dtype, "encode_safetensors: tensor '", name, "' has unsupported dtype ",
        tensor.scalar_type(), " (supported: ", kSupported, ")");
    data.push_back(tensor.detach().to(torch::kCPU).contiguous());
    int64_t nbytes = data.back().numel() * dtype->size;
    header += (header.size() > 1 ? "," : "") + json(name).dump() + ":{\"dtype\":\"" + dtype->name +
              "\",\"shape\":[";
    for (int64_t i = 0; i < tensor.dim(); ++i)
      header += (i ? "," : "") + std::to_string(tensor.size(i));
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + nbytes) + "]}";
    offset += nbytes;
  }
  if (!metadata.empty()) {
    for (const auto& [key, value] : metadata) {
      check_utf8(key, "metadata key");
      check_utf8(value, "metadata value");
    }
    header +=
        std::string(header.size() > 1 ? "," : "") + "\"__metadata__\":" + json(metadata).dump();
  }
  header += "}";
  // Spaces keep the data buffer 8-byte aligned within the file.
  header.resize((header.size() + 7) / 8 * 8, ' ');

  std::string out;
  out.reserve(8 + header.size() + static_cast<size_t>(offset));
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xFF));
  out += header;
  for (const auto& t : data)
    if (t.numel() > 0) out.append(static_cast<const char*>(t.data_ptr()), t.nbytes());
  return out;
}

TensorFile decode_safetensors(const std::string& bytes, const std::string& source) {
  const std::string where = "safetensors: " + source + ": ";
  HNET_CHECK_INPUT(
      bytes.size() >= 8, where, "file is ", bytes.size(),
      " bytes, shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  HNET_CHECK_INPUT(n > 0, where, "header length is 0");
  HNET_CHECK_INPUT(
      n <= kMaxHeaderBytes, where, "header length ", n, " is over the limit of ", kMaxHeaderBytes,
      " bytes (100 MB)");
  HNET_CHECK_INPUT(
      n <= bytes.size() - 8, where, "header length ", n, " is larger than the rest of the file (",
      bytes.size() - 8, " bytes)");
  std::string_view header(bytes.data() + 8, n);
  size_t bad = first_invalid_utf8(header);
  HNET_CHECK_INPUT(
      bad == std::string_view::npos, where, "header is not valid UTF-8 (bad byte 0x", std::hex,
      static_cast<int>(static_cast<unsigned char>(header[std::min(bad, header.size() - 1)])),
      std::dec, " at header offset ", bad, ")");
  json j = parse_header(header, where);
  HNET_CHECK_INPUT(j.is_object(), where, "header is not a JSON object, got ", j.type_name());

  const uint64_t buffer_size = bytes.size() - 8 - n;
  TensorFile out;
  std::vector<Entry> entries;
  for (const auto& [key, value] : j.items()) {
    if (key == "__metadata__")
      out.metadata = parse_metadata(value, where);
    else
      entries.push_back(parse_entry(key, value, buffer_size, where));
  }
  check_tiling(entries, buffer_size, where);

  // Every size below has been checked against the real buffer.
  const char* buffer = bytes.data() + 8 + n;
  for (const auto& e : entries) {
    const char* begin = buffer + e.begin;
    size_t size = e.end - e.begin;
    if (e.dtype->type == torch::kBool) {
      const char* bad_bool =
          std::find_if(begin, begin + size, [](char c) { return c != 0 && c != 1; });
      HNET_CHECK_INPUT(
          bad_bool == begin + size, where, "entry '", e.name, "' of BOOL holds byte ",
          static_cast<int>(static_cast<unsigned char>(*bad_bool)), " at element ", bad_bool - begin,
          "; only 0 and 1 are allowed");
    }
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->type));
    if (size > 0) std::memcpy(t.data_ptr(), begin, size);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

void save_safetensors(
    const std::string& path, const NamedTensors& tensors,
    const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, encode_safetensors(tensors, metadata));
}

TensorFile load_safetensors(const std::string& path) {
  return decode_safetensors(read_file(path, kMaxFileBytes), path);
}

}  // namespace hnet::io
