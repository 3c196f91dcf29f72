#pragma once
/// \file
/// Reading the IDX format of MNIST and Fashion-MNIST
/// (http://yann.lecun.com/exdb/mnist/), raw or gzip-compressed.
///
/// Layout: a 4-byte magic {0, 0, type code, number of dims}, then each dim as
/// a big-endian u32, then the elements in row-major order. Only type code
/// 0x08 (unsigned byte) is supported, which is what both data sets use.

#include <torch/types.h>

#include <string>

namespace hnet::data {

/// Parses uncompressed IDX `bytes`; `source` (usually the file name) starts
/// every error message.
///
/// requires: magic bytes 0 and 1 are zero; type code 0x08; 1 to 4 dims, each
///           > 0, whose product fits in int64; exactly that many data bytes
///           follow the header (fewer: "truncated"; more: "trailing bytes").
/// ensures:  returns a contiguous CPU uint8 tensor of shape [dim0, ..., dimK]
///           that owns its memory.
///
/// Example:
///   torch::Tensor labels = decode_idx(bytes, "train-labels-idx1-ubyte");  //
///   [60000]
torch::Tensor decode_idx(const std::string& bytes, const std::string& source);

/// Reads the IDX file at `path`, gunzipping it first when it starts with the
/// gzip magic 1f 8b (several concatenated gzip members are accepted).
///
/// requires: the file (and its decompressed contents) is at most 256 MB; a
///           gzip stream is complete, uncorrupted and followed by nothing else.
/// ensures:  returns `decode_idx(contents, path)`; every error names `path`.
///
/// Example:
///   torch::Tensor images = read_idx("train-images-idx3-ubyte.gz");  // [60000,
///   28, 28]
torch::Tensor read_idx(const std::string& path);

}  // namespace hnet::data
