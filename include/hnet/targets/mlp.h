#pragma once
/// \file
/// Multi-layer perceptron target: y = f_L(... act(W_1 x + b_1) ...).

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "hnet/activation.h"
#include "hnet/interval.h"
#include "hnet/targets/target.h"

namespace hnet {

/// Example: `MlpOptions({784, 400, 400, 10}).activation(Activation::kTanh).phm(4)`
struct MlpOptions {
  /* implicit */ MlpOptions(std::vector<int64_t> sizes) : sizes_(std::move(sizes)) {}
  /// Layer widths, input first and output last; at least 2, all > 0.
  TORCH_ARG(std::vector<int64_t>, sizes);
  /// Activation after every layer but the last.
  TORCH_ARG(Activation, activation) = Activation::kRelu;
  /// 0: dense layers. n >= 1: every layer but the last (which emits the
  /// classes) is a PHM layer with n Kronecker terms (see phm.h), about 1/n of
  /// its dense size; n must divide every size but the last, and there must
  /// be at least one hidden layer.
  TORCH_ARG(int64_t, phm) = 0;
};

/// MLP whose weights come from `Weights` laid out by `spec()`.
///
/// Spec entries: "fc{i}.weight" [out, in] (gain of the activation, 1 for the
/// last layer) and "fc{i}.bias" [out], i = 1..L; with phm n, "fc{i}.weight"
/// of the PHM layers is replaced by "fc{i}.phm_a" [n, n, n] and "fc{i}.phm_f"
/// [n, out/n, in/n].
/// forward: x [N, sizes[0]] (or any [N, ...] with that many features) ->
/// [N, sizes.back()].
class MlpImpl : public torch::nn::Cloneable<MlpImpl>, public Target {
 public:
  explicit MlpImpl(MlpOptions options);
  ~MlpImpl() override;
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  const std::shared_ptr<const Spec>& spec() const override {
    return spec_;
  }
  torch::nn::Module& as_module() override {
    return *this;
  }
  torch::Tensor forward(const torch::Tensor& x, const Weights& w) override;
  /// Interval of outputs for point inputs x [N, in] and an interval of
  /// (unbatched) flat weights laid out by spec(); needs a monotone activation
  /// and dense layers (phm 0).
  Interval forward_interval(const torch::Tensor& x, const Interval& flat) override;
  /// flatten, then per layer `linear` (PHM weights composed) and the
  /// activation, none after the last: fc{i}.weight [out, in], fc{i}.bias.
  PlainNetwork plain_network(const Weights& w) override;

  MlpOptions options;

 private:
  struct Layer;  // a dense or PHM layer, defined in mlp.cpp
  std::shared_ptr<const Spec> spec_;
  std::vector<Layer> layers_;
};
TORCH_MODULE(Mlp);

}  // namespace hnet
