#pragma once
/// \file
/// Architectures a graph hypernetwork predicts parameters for: a directed
/// acyclic graph of layers, checked (shapes, windows, cycles) and built as a
/// `torch::nn::Module` that `ModuleAdapter` hypernetizes. Architecture sets
/// are JSON (`architecture_to_json`, `architecture_from_json`).
///
/// JSON form of one architecture:
///   {"input": [1, 28, 28], "classes": 10,
///    "layers": [{"name": "c1", "op": "conv", "out": 16, "kernel": 3},
///               {"name": "r1", "op": "relu"},
///               {"name": "s", "op": "sum", "inputs": ["r1", "c1"]}, ...]}
/// A layer reads the layer before it unless "inputs" names others ("input"
/// is the network's input); the last layer is the output and must give
/// [classes]. Fields per op:
/// - conv: out, kernel, stride (1), bias (true), padding (kernel / 2);
/// - linear: out, bias (true); its input must be flat;
/// - batch_norm; relu, tanh, gelu, sigmoid;
/// - max_pool, avg_pool: kernel, stride (= kernel);
/// - global_avg_pool ([C, H, W] -> [C]); flatten;
/// - sum (two or more inputs of one shape); concat (channels, or features).

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace hnet {

/// One layer: its op (the list above), its fields and the layers it reads.
struct ArchLayer {
  std::string name;
  std::string op;
  int64_t out = 0;
  int64_t kernel = 0;
  int64_t stride = 0;    ///< 0: the op's default
  int64_t padding = -1;  ///< conv only; -1: kernel / 2 ("same" at stride 1)
  bool bias = true;
  std::vector<std::string> inputs;  ///< empty: the layer before
};

/// A network for inputs of shape `input` ([C, H, W] or [F]) that classifies
/// into `classes`.
struct Architecture {
  std::vector<int64_t> input = {1, 28, 28};
  int64_t classes = 10;
  std::vector<ArchLayer> layers;
};

/// The output shape of every layer, in the order of `arch.layers`.
/// Throws c10::ValueError naming `where`, the layer and the field when an
/// op is unknown, a width, kernel or stride is not positive, a window is
/// larger than its input, inputs are missing, repeated or form a cycle,
/// connected shapes do not fit, or the output is not [classes].
std::vector<std::vector<int64_t>> check_architecture(
    const Architecture& arch, const std::string& where);

/// The network of an architecture (checked on construction): forward takes
/// [N, input...] and returns logits [N, classes]. Conv, Linear and
/// BatchNorm layers are registered under the layers' names, so a
/// `ModuleAdapter` of it names its parameters "<layer>.weight",
/// "<layer>.bias"; they start at PyTorch's default initialisation.
///
/// Example:
///   ArchNet net(architecture_from_json(j, "arch.json"));
///   ModuleAdapter target(net);   // parameters from a generator or a GHN
class ArchNetImpl : public torch::nn::Module {
 public:
  explicit ArchNetImpl(Architecture arch);
  torch::Tensor forward(const torch::Tensor& x);
  const Architecture& architecture() const {
    return arch_;
  }

 private:
  Architecture arch_;
  std::vector<size_t> order_;                                // layers, each after its inputs
  std::vector<std::vector<int64_t>> reads_;                  // per layer: input layers, -1 = input
  std::vector<std::shared_ptr<torch::nn::Module>> modules_;  // per layer, or null
};
TORCH_MODULE(ArchNet);

/// Number of parameters of `arch` (checked first).
int64_t architecture_params(const Architecture& arch);

nlohmann::json architecture_to_json(const Architecture& arch);
/// Throws c10::ValueError naming `where` and the field on a missing or
/// mistyped field, then checks the architecture.
Architecture architecture_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace hnet
