#pragma once
/// \file
/// Reading and writing the safetensors format
/// (https://huggingface.co/docs/safetensors).
///
/// Layout of a file:
///
///   [8 bytes]  N, the header length, little-endian u64
///   [N bytes]  UTF-8 JSON object, padded with spaces:
///              {"fc1.weight": {"dtype": "F32", "shape": [400, 784],
///                              "data_offsets": [0, 1254400]},
///               ...,
///               "__metadata__": {"step": "1000"}}
///   [rest]     the data buffer; `data_offsets` are [begin, end) byte offsets
///              into it, and the tensors tile it exactly.
///
/// Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.
/// Tensor data is stored little-endian and row-major (C order).

#include <torch/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hnet::io {

/// Named tensors in a chosen order (the order of the data in a file).
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

/// The decoded contents of one safetensors file.
struct TensorFile {
  /// In file order (ascending data offset). Each tensor is a contiguous CPU
  /// tensor that owns its memory, so it outlives the bytes it was read from.
  NamedTensors tensors;
  /// The optional "__metadata__" map of strings (empty when absent).
  std::map<std::string, std::string> metadata;

  /// The tensor called `name`.
  ///
  /// ensures: throws a `c10::Error` naming `name` and the closest name present
  ///          when there is no such tensor.
  const torch::Tensor& get(const std::string& name) const;
};

/// Serialises `tensors` (in the given order) and `metadata` to safetensors
/// bytes.
///
/// Tensors are detached, moved to the CPU and made contiguous first. The
/// header is padded with spaces so the data buffer starts at a multiple of 8.
///
/// requires: names are non-empty, unique, valid UTF-8 and not "__metadata__";
///           dtypes are among the supported ones; tensors are strided (dense);
///           metadata keys and values are valid UTF-8.
/// ensures:  `decode_safetensors(encode_safetensors(t, m), s)` gives back `t`
///           (same names, order, dtypes, shapes and values) and `m`.
///
/// Example:
///   std::string bytes = encode_safetensors({{"w", torch::ones({2, 3})}},
///   {{"step", "7"}});
std::string encode_safetensors(
    const NamedTensors& tensors, const std::map<std::string, std::string>& metadata = {});

/// Parses and strictly validates safetensors `bytes`; `source` (usually the
/// file name) starts every error message.
///
/// Rejected, each with its own message: fewer than 8 bytes; header length 0,
/// over 100 MB, or past the end of the input; header not UTF-8, not JSON
/// (or nested deeper than 64 levels), not an object, or with duplicate keys
/// (at any depth); entries that are not
/// objects, lack or add fields, have an unsupported dtype, a shape that is not
/// a list of non-negative integers or whose byte size overflows int64,
/// data_offsets that are not two integers with begin <= end, whose length
/// disagrees with the shape, that leave the buffer, overlap, or leave gaps or
/// trailing bytes in it; BOOL bytes other than 0 and 1; "__metadata__" that is
/// not an object of strings. Nothing is allocated from a claimed size before
/// that size is checked against the real byte count.
///
/// Example:
///   TensorFile f = decode_safetensors(bytes, "model.safetensors");
///   torch::Tensor w = f.get("fc1.weight");
TensorFile decode_safetensors(const std::string& bytes, const std::string& source);

/// Writes `encode_safetensors(tensors, metadata)` to `path` atomically (see
/// `write_file_atomic`): on failure the old file, if any, is left intact.
///
/// Example:
///   save_safetensors("/tmp/run/weights.safetensors", {{"w", w}, {"b", b}});
void save_safetensors(
    const std::string& path, const NamedTensors& tensors,
    const std::map<std::string, std::string>& metadata = {});

/// Reads and decodes the file at `path` (at most 64 GiB); errors name `path`.
///
/// The header is read and checked first (its length against the file size,
/// then every entry against the real data size), and each tensor is read
/// straight into its own memory afterwards: a file cannot make hnet
/// allocate more than it holds, and a tensor too large for this machine's
/// memory is a c10::Error (run failure) naming it, not a std::bad_alloc.
///
/// Example:
///   auto w = load_safetensors("/tmp/run/weights.safetensors").get("w");
TensorFile load_safetensors(const std::string& path);

/// What a safetensors file's header says about one tensor.
struct TensorInfo {
  std::string name;
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
};

/// A safetensors file's header: its tensors (in file order) and metadata.
struct TensorFileHeader {
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
};

/// The header of the file at `path`, checked as load_safetensors checks it
/// (every entry against the real data size), without reading the tensor
/// data: what `hnet inspect` shows, at the cost of the header alone.
TensorFileHeader load_safetensors_header(const std::string& path);

}  // namespace hnet::io
