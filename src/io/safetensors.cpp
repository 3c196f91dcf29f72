#include "hnet/io/safetensors.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "hnet/errors.h"
#include "hnet/io/atomic_file.h"
#include "hnet/io/file_safety.h"
#include "hnet/io/input_file.h"
#include "hnet/spec.h"
#include "safetensors_header.h"

namespace hnet::io {
namespace {

using detail::Entry;
using detail::Layout;
using nlohmann::json;

// Tensor bytes are copied as they are in memory; the format is little-endian.
static_assert(
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
    "hnet safetensors support assumes a little-endian host");

constexpr size_t kMaxFileBytes = size_t{64} << 30;

void check_utf8(const std::string& s, const char* what) {
  HNET_CHECK_INPUT(
      detail::first_invalid_utf8(s) == std::string_view::npos, "encode_safetensors: ", what, " ",
      clipped(json(s).dump(-1, ' ', false, json::error_handler_t::replace)), " is not valid UTF-8");
}

// The header of the file at `path`, read and checked without reading the
// data; `file` stays open for reading it.
Layout read_layout(const InputFile& file, const std::string& where, uint64_t* header_bytes) {
  HNET_CHECK_INPUT(
      file.size() <= kMaxFileBytes, where, "file is ", file.size(),
      " bytes, more than the limit of ", kMaxFileBytes, " bytes (64 GiB)");
  char prefix[8] = {};
  file.read_at(0, prefix, std::min<uint64_t>(8, file.size()));
  const uint64_t n = detail::header_length(prefix, file.size(), where);
  std::string header(static_cast<size_t>(n), '\0');
  file.read_at(8, header.data(), header.size());
  *header_bytes = n;
  return detail::parse_layout(header, file.size() - 8 - n, where);
}

// The tensors of `layout`, each filled by `fill(entry, bytes)` with exactly
// its byte span (checked against the real buffer before this runs). Memory
// a file holds more than the machine has is c10::Error from the allocator
// (a run failure, naming the size).
template <typename Fill>
TensorFile read_tensors(Layout layout, const std::string& where, Fill fill) {
  TensorFile out;
  out.metadata = std::move(layout.metadata);
  for (const auto& e : layout.entries) {
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype->type));
    char* data = static_cast<char*>(t.data_ptr());
    const size_t size = e.end - e.begin;
    if (size > 0) fill(e, data);
    if (e.dtype->type == torch::kBool) {
      const char* bad_bool =
          std::find_if(data, data + size, [](char c) { return c != 0 && c != 1; });
      HNET_CHECK_INPUT(
          bad_bool == data + size, where, "entry '", clipped(e.name), "' of BOOL holds byte ",
          static_cast<int>(static_cast<unsigned char>(*bad_bool)), " at element ", bad_bool - data,
          "; only 0 and 1 are allowed");
    }
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace

const torch::Tensor& TensorFile::get(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return t;
  }
  std::vector<std::string> names;
  for (const auto& entry : tensors) names.push_back(entry.first);
  HNET_CHECK_INPUT(
      false, "safetensors: no tensor named '", clipped(name), "'",
      names.empty() ? std::string(" (the file holds no tensors)")
                    : "; the closest name present is '" + clipped(closest_name(name, names)) + "'");
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
    const detail::DtypeInfo* dtype = detail::dtype_by_type(tensor.scalar_type());
    TORCH_CHECK(
        dtype, "encode_safetensors: tensor '", name, "' has unsupported dtype ",
        tensor.scalar_type(), " (supported: ", detail::kSupportedDtypes, ")");
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
  const std::string where = "safetensors: " + clipped(source) + ": ";
  const uint64_t n = detail::header_length(bytes.data(), bytes.size(), where);
  Layout layout =
      detail::parse_layout(std::string_view(bytes.data() + 8, n), bytes.size() - 8 - n, where);
  const char* buffer = bytes.data() + 8 + n;
  return read_tensors(std::move(layout), where, [&](const Entry& e, char* out) {
    std::memcpy(out, buffer + e.begin, e.end - e.begin);
  });
}

void save_safetensors(
    const std::string& path, const NamedTensors& tensors,
    const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, encode_safetensors(tensors, metadata));
}

TensorFile load_safetensors(const std::string& path) {
  // The header first: no size it claims is trusted (or allocated) before it
  // has been checked against the real file.
  const InputFile file(path);
  const std::string where = "safetensors: " + clipped(path) + ": ";
  uint64_t n = 0;
  Layout layout = read_layout(file, where, &n);
  return read_tensors(std::move(layout), where, [&](const Entry& e, char* out) {
    file.read_at(8 + n + e.begin, out, e.end - e.begin);
  });
}

TensorFileHeader load_safetensors_header(const std::string& path) {
  const InputFile file(path);
  uint64_t n = 0;
  Layout layout = read_layout(file, "safetensors: " + clipped(path) + ": ", &n);
  TensorFileHeader out;
  out.metadata = std::move(layout.metadata);
  for (auto& e : layout.entries)
    out.tensors.push_back({std::move(e.name), e.dtype->type, std::move(e.shape)});
  return out;
}

}  // namespace hnet::io
