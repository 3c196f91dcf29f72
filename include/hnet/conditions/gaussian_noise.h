#pragma once
/// \file
/// Noise condition: the generator is conditioned on z ~ N(0, std^2 I), so it
/// models a distribution over target weights (e.g. Krueger et al. 2017,
/// "Bayesian Hypernetworks"; Ratzlaff & Fuxin 2019, "HyperGAN").

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace hnet {

/// forward(batch) -> [batch, dim] fresh samples from the global torch
/// generator (seeded by torch::manual_seed), on this module's device.
class GaussianNoiseImpl : public torch::nn::Cloneable<GaussianNoiseImpl> {
 public:
  explicit GaussianNoiseImpl(int64_t dim, double std = 1.0);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(int64_t batch);

  int64_t output_dim() const {
    return dim;
  }
  double second_moment() const {
    return std * std;
  }

  int64_t dim;
  double std;
  torch::Tensor device_anchor;  // empty buffer that follows .to(device)
};
TORCH_MODULE(GaussianNoise);

}  // namespace hnet
