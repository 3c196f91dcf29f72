#pragma once
/// \file
/// Chunked generator (von Oswald et al. 2020, "Continual learning with
/// hypernetworks", section 3): the flat weight vector is cut into K chunks of
/// `chunk_size`; one shared network maps (condition, chunk embedding k) to
/// chunk k. Parameters scale with chunk_size, not with the target's size.

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "hnet/generators/generator.h"
#include "hnet/generators/trunk.h"

namespace hnet {

/// Reads: condition_dim, hidden, activation, output, condition_second_moment,
/// chunk_size, embedding_dim.
/// Parameters: chunk_embeddings [K, embedding_dim] (N(0, 1)), trunk (input
/// condition_dim + embedding_dim), head Linear(hidden.back(), chunk_size),
/// output. K = ceil(N / chunk_size); the last chunk's surplus is dropped.
/// forward computes all chunks of all conditions in one head product
/// ([B * K, h] x [h, chunk_size]).
class ChunkedGeneratorImpl : public torch::nn::Cloneable<ChunkedGeneratorImpl>,
                             public WeightGenerator {
 public:
  ChunkedGeneratorImpl(std::shared_ptr<const Spec> spec, GeneratorOptions options);
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

  int64_t chunks() const {
    return chunk_embeddings.size(0);
  }

  GeneratorOptions options;
  torch::Tensor chunk_embeddings;
  Trunk trunk{nullptr};
  torch::nn::Linear head{nullptr};
  OutputParametrization output{nullptr};

 private:
  /// The head's input rows for `cond` (checked): [B * chunks, hidden] or [B, hidden].
  torch::Tensor head_input(const torch::Tensor& cond);
  std::shared_ptr<const Spec> spec_;
};
TORCH_MODULE(ChunkedGenerator);

}  // namespace hnet
