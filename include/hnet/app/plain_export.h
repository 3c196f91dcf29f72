#pragma once
/// \file
/// Plain exports: one network's weights in a safetensors file whose metadata
/// says everything needed to use them with PyTorch alone (no hnet code),
/// written by `hnet generate`, `hnet neumeta export` and `hnet demo --save`.
/// docs/export.md describes the format for its readers;
/// tests/tools/rebuild_export.py is a reader.
///
/// Metadata (safetensors metadata is text; the JSON values are JSON text):
///
///   format        "hnet-target"
///   architecture  JSON list of the operations, in order (plain_network.h),
///                 e.g. [{"op": "flatten"}, {"op": "linear", "weight":
///                 "fc1.weight", "bias": "fc1.bias"}, {"op": "relu"}, ...]
///   input         JSON object: how an image becomes the first operation's
///                 input (the steps of `PlainInput`, in order):
///                 {"dataset": "fashion-mnist", "image_shape": [1, 28, 28],
///                  "divide_by": 255, "flatten": "row-major",
///                  "permutation": "input_permutation" or null,
///                  "permutation_rule": "...", "shape": [784]}
///   labels        JSON object {"classes": [2, 3], "rule": "..."}: output j
///                 stands for the data set's class classes[j]
///   output        "logits" (the class is their argmax)
///
/// plus what the caller adds (the task, the target's hnet options).

#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "hnet/targets/plain_network.h"

namespace hnet {

/// Where a plain network's inputs come from and what its outputs mean. An
/// image x of the data set (its raw bytes, `image_shape`) becomes the input:
///   1. x / kPixelDivisor (as the data code scales it);
///   2. flattened row-major over image_shape (C, H, W) to [N, D];
///   3. with a permutation: x_flat[:, i] = x_flat_before[:, permutation[i]],
///      i.e. `x_flat.index_select(1, permutation)`;
///   4. reshaped to [N, shape...] (shape empty: left flat).
struct PlainInput {
  std::vector<int64_t> image_shape;
  /// int64 [D], or undefined for none; stored as "input_permutation".
  torch::Tensor permutation;
  std::vector<int64_t> shape;
  /// The data set's class of each output (split task k: {2k, 2k+1}).
  std::vector<int64_t> classes;
};

/// Writes `net` with `input` as a plain export to `path` (atomically): the
/// tensors of `net`, "input_permutation" when there is one, and the metadata
/// above merged with `extra` (whose keys must not be the ones above).
/// requires: `input.permutation`, when defined, is int64 [D] with D the
///           product of image_shape.
void save_plain_export(
    const std::string& path, const PlainNetwork& net, const PlainInput& input,
    const std::map<std::string, std::string>& extra);

/// The "architecture" text of `net`: its operations as a JSON list.
std::string plain_architecture_json(const PlainNetwork& net);

}  // namespace hnet
