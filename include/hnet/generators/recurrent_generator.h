#pragma once
/// \file
/// Recurrent generator (the dependency-preserving hypernetwork of Chandra,
/// Gupta, Vashishtha, Bhattacharya 2022, "Dependency-preserving
/// hypernetworks"): an LSTM runs over the target's chunks in their order in
/// the flat vector (layer by layer, input side first), reading the condition
/// and a learned chunk embedding at every step; a shared head maps each
/// hidden state to its chunk. Chunk k therefore depends on the condition and
/// on everything generated before it, where a chunked generator
/// (chunked_generator.h) makes every chunk independently of the others.
///
/// Cost: K sequential LSTM steps per forward (the input products of all steps
/// are one product; the recurrent ones cannot be batched over time), then the
/// same single head product as the chunked generator.

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>
#include <torch/nn/pimpl.h>

#include "hnet/generators/generator.h"

namespace hnet {

/// Reads: condition_dim, hidden (the LSTM: one layer per entry, all of the
/// same width), output, condition_second_moment, chunk_size, embedding_dim.
/// Parameters: chunk_embeddings [K, embedding_dim] (N(0, 1)), lstm (input
/// condition_dim + embedding_dim), head Linear(hidden[0], chunk_size),
/// output. K = ceil(N / chunk_size); the last chunk's surplus is dropped.
/// forward: cond [B, condition_dim] -> [B, N]; one LSTM pass over the K
/// steps for all B conditions, then one head product ([B * K, h] x [h, chunk]).
/// Interval propagation is not supported (throws).
///
/// Example:
///   RecurrentGenerator gen(mlp->spec(), GeneratorOptions(32).hidden({64}).chunk_size(750));
///   auto flat = gen->forward(torch::randn({1, 32}));  // [1, N]
class RecurrentGeneratorImpl : public torch::nn::Cloneable<RecurrentGeneratorImpl>,
                               public WeightGenerator {
 public:
  RecurrentGeneratorImpl(std::shared_ptr<const Spec> spec, GeneratorOptions options);
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
  /// Throws: no bounds are propagated through the LSTM.
  Interval forward_interval(const Interval& cond) override;

  int64_t chunks() const {
    return chunk_embeddings.size(0);
  }

  GeneratorOptions options;
  torch::Tensor chunk_embeddings;
  torch::nn::LSTM lstm{nullptr};
  torch::nn::Linear head{nullptr};
  OutputParametrization output{nullptr};

 private:
  /// The LSTM's hidden state at every chunk for `cond` (checked):
  /// [B * chunks, hidden], row b * K + k.
  torch::Tensor head_input(const torch::Tensor& cond);
  std::shared_ptr<const Spec> spec_;
};
TORCH_MODULE(RecurrentGenerator);

}  // namespace hnet
