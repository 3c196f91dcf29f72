#pragma once
/// \file
/// Hypernetizes an existing `torch::nn::Module`: its parameters come from a
/// generator, without rewriting the module.

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <functional>
#include <string>
#include <vector>

#include "hnet/targets/target.h"

namespace hnet {

/// Wraps a user's module (anything with `Tensor forward(Tensor)`, typically a
/// `torch::nn::Sequential`) as a `Target`.
///
/// The spec lists the module's parameters under their own names
/// (`named_parameters()`, e.g. "0.weight"), with initial variances equal to
/// the module's default initialisation (PyTorch's kaiming-uniform(a = sqrt 5),
/// i.e. 1 / (3 fan_in)); normalisation weights / biases become `kScale` /
/// `kShift` entries. Supported parameterised layers: Linear, Conv1d/2d/3d,
/// BatchNorm1d/2d/3d, LayerNorm, GroupNorm; any layer without
/// parameters is fine. Construction fails naming the first unsupported layer.
///
/// forward(x, w): for the duration of the call, each layer's weight members
/// are rebound to views of `w`, so the module's own forward runs and
/// gradients reach the generator; the module's own parameters are restored
/// afterwards (and never used). Running statistics of batch-norm layers stay
/// the module's buffers.
///
/// Per-sample (batched) weights: a Sequential (possibly nested) of Linear,
/// Conv2d (groups 1, numeric padding), BatchNorm1d/2d and parameterless
/// layers runs with batched products; any other module falls back to one
/// forward per weight set (`batched_natively()` tells which).
///
/// Example:
///   auto net = torch::nn::Sequential(torch::nn::Linear(784, 100),
///                                    torch::nn::ReLU(), torch::nn::Linear(100, 10));
///   ModuleAdapter target(net);
///   FullGenerator gen(target->spec(), GeneratorOptions(8));
///   auto logits = target->forward(x, Weights(target->spec(), gen->forward(z)[0]));
class ModuleAdapterImpl : public torch::nn::Cloneable<ModuleAdapterImpl>, public Target {
 public:
  /// `module`: a module holder (e.g. `torch::nn::Sequential`) whose
  /// `forward` takes and returns one tensor.
  template <typename ModuleHolder>
  explicit ModuleAdapterImpl(ModuleHolder module)
      : root_(module.ptr()),
        forward_fn_([module](const torch::Tensor& x) mutable { return module->forward(x); }) {
    reset();
  }
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  const std::shared_ptr<const Spec>& spec() const override {
    return spec_;
  }
  torch::nn::Module& as_module() override {
    return *this;
  }
  torch::Tensor forward(const torch::Tensor& x, const Weights& w) override;
  /// For a Sequential of Linear (tensors "<index>.weight", "<index>.bias"),
  /// ReLU, Tanh, Sigmoid and Flatten (start_dim 1) layers; any other module
  /// is a c10::ValueError naming the first layer it cannot write down.
  PlainNetwork plain_network(const Weights& w) override;

  /// True when batched weights run as batched products rather than a loop.
  bool batched_natively() const {
    return batched_natively_;
  }

  /// Binding of one parameter: where the module keeps it.
  struct Slot {
    size_t entry;           ///< index into spec()
    torch::Tensor* member;  ///< the layer's member (e.g. LinearImpl::weight)
  };

 private:
  torch::Tensor forward_bound(const torch::Tensor& x, const Weights& w);
  torch::Tensor forward_batched(
      const std::shared_ptr<torch::nn::Module>& module, const std::string& prefix, torch::Tensor x,
      const Weights& w);

  std::shared_ptr<torch::nn::Module> root_;
  std::function<torch::Tensor(const torch::Tensor&)> forward_fn_;
  std::shared_ptr<const Spec> spec_;
  std::vector<Slot> slots_;
  bool batched_natively_ = false;
};
TORCH_MODULE(ModuleAdapter);

}  // namespace hnet
