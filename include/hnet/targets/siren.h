#pragma once
/// \file
/// SIREN target: an MLP with sine activations for coordinate inputs
/// (Sitzmann et al. 2020, "Implicit Neural Representations with Periodic
/// Activation Functions").

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "hnet/targets/target.h"

namespace hnet {

/// Example: `SirenOptions({2, 256, 256, 1}).first_omega(30)`
struct SirenOptions {
  /* implicit */ SirenOptions(std::vector<int64_t> sizes) : sizes_(std::move(sizes)) {}
  /// Widths, coordinate dimension first, output last; at least 2, all > 0.
  TORCH_ARG(std::vector<int64_t>, sizes);
  /// Frequency of the first layer: h = sin(first_omega * (W x + b)).
  TORCH_ARG(double, first_omega) = 30.0;
  /// Frequency of the hidden layers.
  TORCH_ARG(double, hidden_omega) = 30.0;
};

/// Spec entries "fc{i}.weight" / "fc{i}.bias". Initial variances follow the
/// SIREN scheme: first layer U(-1/in, 1/in), later layers
/// U(-sqrt(6/in)/omega, sqrt(6/in)/omega).
/// forward: x [N, sizes[0]] -> [N, sizes.back()]; the last layer is linear.
class SirenImpl : public torch::nn::Cloneable<SirenImpl>, public Target {
 public:
  explicit SirenImpl(SirenOptions options);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  const std::shared_ptr<const Spec>& spec() const override {
    return spec_;
  }
  torch::nn::Module& as_module() override {
    return *this;
  }
  torch::Tensor forward(const torch::Tensor& x, const Weights& w) override;

  SirenOptions options;

 private:
  std::shared_ptr<const Spec> spec_;
};
TORCH_MODULE(Siren);

}  // namespace hnet
