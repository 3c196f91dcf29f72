#pragma once
/// \file
/// Full generator: one MLP emitting every target weight at once (Ha, Dai,
/// Le 2017, "HyperNetworks"; the "full hypernetwork" of von Oswald et al.
/// 2020): \f$ \theta = P(H\, \mathrm{trunk}(c) + b) \f$ with P the output
/// parametrization.

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "hnet/generators/generator.h"
#include "hnet/generators/trunk.h"

namespace hnet {

/// Reads: condition_dim, hidden, activation, output, condition_second_moment.
/// Submodules: trunk, head (Linear(hidden.back(), N)), output.
/// Parameters: about hidden.back() * N for the head — large; the chunked
/// and layer-wise generators trade this for shared heads.
///
/// Example:
///   FullGenerator gen(mlp->spec(), GeneratorOptions(8).hidden({64}));
///   auto flat = gen->forward(torch::randn({4, 8}));  // [4, N]
class FullGeneratorImpl : public torch::nn::Cloneable<FullGeneratorImpl>, public WeightGenerator {
 public:
  FullGeneratorImpl(std::shared_ptr<const Spec> spec, GeneratorOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  const std::shared_ptr<const Spec>& spec() const override {
    return spec_;
  }
  torch::nn::Module& as_module() override {
    return *this;
  }
  torch::Tensor forward(const torch::Tensor& cond) override;
  /// Fused with the head (kernels::affine_head_squared_distance).
  torch::Tensor squared_distance(const torch::Tensor& cond, const torch::Tensor& target) override;
  /// The head's raw outputs before the output parametrization, [B, N].
  torch::Tensor raw(const torch::Tensor& cond);
  Interval forward_interval(const Interval& cond) override;

  GeneratorOptions options;
  Trunk trunk{nullptr};
  torch::nn::Linear head{nullptr};
  OutputParametrization output{nullptr};

 private:
  /// The head's input rows for `cond` (checked): [B * chunks, hidden] or [B, hidden].
  torch::Tensor head_input(const torch::Tensor& cond);
  std::shared_ptr<const Spec> spec_;
};
TORCH_MODULE(FullGenerator);

}  // namespace hnet
