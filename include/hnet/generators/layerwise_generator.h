#pragma once
/// \file
/// Layer-wise generator (the static hypernetwork of Ha, Dai, Le 2017,
/// "HyperNetworks", section 3.1): one learned embedding per `Spec` entry; a
/// shared trunk maps (condition, entry embedding) to a hidden vector, and one
/// head per *shape group* (entries with equal shapes) maps it to the entry's
/// values. Deep targets with many equal-shaped layers (ResNets) share heads.

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <map>
#include <vector>

#include "hnet/generators/generator.h"
#include "hnet/generators/trunk.h"

namespace hnet {

/// Reads: condition_dim, hidden, activation, output, condition_second_moment,
/// embedding_dim.
/// Parameters: layer_embeddings [entries, embedding_dim] (N(0, 1)), trunk,
/// heads[g] Linear(hidden.back(), numel of group g), output.
/// forward: the trunk runs once over all (condition, entry) pairs; each head
/// runs once over all entries of its group and all conditions.
class LayerwiseGeneratorImpl : public torch::nn::Cloneable<LayerwiseGeneratorImpl>,
                               public WeightGenerator {
 public:
  LayerwiseGeneratorImpl(std::shared_ptr<const Spec> spec, GeneratorOptions options);
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
  /// The head's raw outputs before the output parametrization, [B, N].
  torch::Tensor raw(const torch::Tensor& cond);

  size_t groups() const {
    return group_entries_.size();
  }

  GeneratorOptions options;
  torch::Tensor layer_embeddings;
  Trunk trunk{nullptr};
  std::vector<torch::nn::Linear> heads;
  OutputParametrization output{nullptr};

 private:
  std::shared_ptr<const Spec> spec_;
  std::vector<std::vector<int64_t>> group_entries_;    // entry indices per group
  std::vector<std::pair<size_t, int64_t>> placement_;  // per entry: (group, row in group)
};
TORCH_MODULE(LayerwiseGenerator);

}  // namespace hnet
