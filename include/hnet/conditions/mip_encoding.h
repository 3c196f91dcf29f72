#pragma once
/// \file
/// Magnitude-invariant input encoding (Ortiz, Guttag, Dalca 2023, "Magnitude
/// Invariant Parametrizations Improve Hypernetwork Learning"): each input
/// x in [0, 1] becomes [cos(pi x / 2), sin(pi x / 2)], so the encoding's norm
/// is the same for every input and the generator's output scale no longer
/// depends on the input's magnitude.

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

namespace hnet {

/// forward: x [B, in_dim] with every value in [0, 1] -> [B, 2 in_dim]
/// laid out as [cos(pi x/2) | sin(pi x/2)]. Values outside [0, 1] (or NaN)
/// throw naming the first offending value and its position.
class MipEncodingImpl : public torch::nn::Cloneable<MipEncodingImpl> {
 public:
  explicit MipEncodingImpl(int64_t in_dim);
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& x);

  int64_t output_dim() const {
    return 2 * in_dim;
  }
  /// E[x^2] of an encoding entry: cos^2 + sin^2 = 1 spread over 2 entries.
  double second_moment() const {
    return 0.5;
  }

  int64_t in_dim;
};
TORCH_MODULE(MipEncoding);

}  // namespace hnet
