#pragma once
/// \file
/// The MLP body shared by the generators: Linear + activation per hidden
/// layer, He-initialised so the second moment of its activations stays close
/// to that of its input.

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "hnet/activation.h"
#include "hnet/interval.h"

namespace hnet {

class TrunkImpl : public torch::nn::Cloneable<TrunkImpl> {
 public:
  TrunkImpl(int64_t in_dim, std::vector<int64_t> hidden, Activation activation);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;

  /// x [M, in_dim] -> [M, output_dim()].
  torch::Tensor forward(const torch::Tensor& x);
  /// Every pairing of a condition and an embedding, without materialising
  /// the concatenated inputs: the first layer's product is split into a
  /// condition part and an embedding part computed once each.
  /// cond [B, c], emb [K, e] with c + e = in_dim -> [B * K, output_dim()],
  /// row b * K + k for (cond b, emb k).
  torch::Tensor forward_pairs(const torch::Tensor& cond, const torch::Tensor& emb);

  /// Interval versions of forward / forward_pairs (embeddings are points).
  Interval forward_interval(const Interval& x);
  Interval forward_pairs_interval(const Interval& cond, const torch::Tensor& emb);

  int64_t output_dim() const {
    return hidden.empty() ? in_dim : hidden.back();
  }
  /// E[h^2] of the output for inputs distributed like `sample` [M, in_dim]
  /// (used to initialise the head by the hyperfan rule).
  double output_second_moment(const torch::Tensor& sample);

  int64_t in_dim;
  std::vector<int64_t> hidden;
  Activation activation;
  std::vector<torch::nn::Linear> layers;
};
TORCH_MODULE(Trunk);

}  // namespace hnet
