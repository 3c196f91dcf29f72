#include "safetensors_header.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "hnet/errors.h"
#include "hnet/io/file_safety.h"
#include "hnet/spec.h"
#include "utf8.h"

namespace hnet::io::detail {
namespace {

using nlohmann::json;

constexpr DtypeInfo kDtypes[] = {
    {"F64", torch::kFloat64, 8},   {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // as in the reference implementation
// A valid header nests 3 levels ({"a": {"shape": [..]}}); the limit leaves room
// for readable errors about wrong values while keeping the recursive parts of
// nlohmann::json (dump, used in messages) far from the end of the stack.
constexpr int kMaxHeaderDepth = 64;

// A JSON value for a message, cut short so a huge header cannot flood it.
std::string brief(const json& value) {
  std::string s = value.dump();
  return s.size() <= 60 ? s : s.substr(0, 57) + "...";
}

bool is_index(const json& v) {
  return v.is_number_unsigned() &&
         v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

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
        duplicate = "'" + clipped(key) + "'";
        if (open.size() >= 2)
          duplicate += " inside '" + clipped(open[open.size() - 2].last_key) + "'";
      }
      open.back().last_key = std::move(key);
    }
    return true;
  };
  json j;
  try {
    j = json::parse(header.begin(), header.end(), track);
  } catch (const json::exception& e) {
    // parse_error, and out_of_range for a number such as 1e400.
    HNET_CHECK_INPUT(false, where, "header is not valid JSON: ", clipped(e.what(), 200));
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
        value.is_string(), where, "__metadata__ value of key '", clipped(key),
        "' must be a string, got ", brief(value));
    out[key] = value.get<std::string>();
  }
  return out;
}

Entry parse_entry(
    const std::string& name, const json& v, uint64_t buffer_size, const std::string& where) {
  HNET_CHECK_INPUT(!name.empty(), where, "tensor name is empty");
  const std::string entry = "entry '" + clipped(name) + "'";
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
      e.dtype, where, entry, " has unsupported dtype ", brief(dtype),
      " (supported: ", kSupportedDtypes, ")");

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
        e.begin >= covered, where, "entries '", clipped(previous->name), "' [", previous->begin,
        ", ", previous->end, "] and '", clipped(e.name), "' [", e.begin, ", ", e.end, "] overlap");
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

}  // namespace

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

size_t first_invalid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = decode_utf8(s, i).second;
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

uint64_t header_length(const char* prefix, uint64_t size, const std::string& where) {
  HNET_CHECK_INPUT(
      size >= 8, where, "file is ", size, " bytes, shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(prefix[i]);
  HNET_CHECK_INPUT(n > 0, where, "header length is 0");
  HNET_CHECK_INPUT(
      n <= kMaxHeaderBytes, where, "header length ", n, " is over the limit of ", kMaxHeaderBytes,
      " bytes (100 MB)");
  HNET_CHECK_INPUT(
      n <= size - 8, where, "header length ", n, " is larger than the rest of the file (", size - 8,
      " bytes)");
  return n;
}

Layout parse_layout(std::string_view header, uint64_t buffer_size, const std::string& where) {
  size_t bad = first_invalid_utf8(header);
  HNET_CHECK_INPUT(
      bad == std::string_view::npos, where, "header is not valid UTF-8 (bad byte 0x", std::hex,
      static_cast<int>(static_cast<unsigned char>(header[std::min(bad, header.size() - 1)])),
      std::dec, " at header offset ", bad, ")");
  json j = parse_header(header, where);
  HNET_CHECK_INPUT(j.is_object(), where, "header is not a JSON object, got ", j.type_name());
  Layout out;
  for (const auto& [key, value] : j.items()) {
    if (key == "__metadata__")
      out.metadata = parse_metadata(value, where);
    else
      out.entries.push_back(parse_entry(key, value, buffer_size, where));
  }
  check_tiling(out.entries, buffer_size, where);
  return out;
}

// The tensors of `layout`, each filled by `fill(entry, bytes)` with exactly
// its byte span (all checked against the real buffer before this runs).
}  // namespace hnet::io::detail
