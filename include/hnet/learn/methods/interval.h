#pragma once
/// \file
/// HyperInterval (Krukowski et al. 2024, "HyperInterval: Hypernetwork approach
/// to training weight interval regions in continual learning"): each task is
/// conditioned on an interval of embeddings (see interval_embedding.h),
/// propagated with interval arithmetic through the generator and the target;
/// the loss mixes the centre's cross-entropy and the worst case in the
/// interval, and the regulariser holds both the centre and the radius of
/// earlier tasks' weight intervals. The common part of all tasks' intervals
/// gives one network for every task (the universal embedding).

#include <torch/arg.h>

#include "hnet/conditions/interval_embedding.h"
#include "hnet/learn/methods/generator_method.h"

namespace hnet {

/// Example: `IntervalOptions().beta(0.01).kappa(0.5)`
struct IntervalOptions {
  /// Regulariser strength beta (>= 0).
  TORCH_ARG(double, beta) = 0.01;
  /// Earlier tasks regularised per step, drawn at random (0: all of them).
  TORCH_ARG(int64_t, reg_subset) = 0;
  /// Weight of the centre's loss in [0, 1]; 1 - kappa goes to the worst case.
  TORCH_ARG(double, kappa) = 0.5;
};

class IntervalMethod : public GeneratorMethod {
 public:
  /// requires: the generator supports interval propagation, its spec is
  /// heads.generated_spec() and its condition_dim is the embeddings' dim;
  /// the target supports interval propagation.
  IntervalMethod(
      std::shared_ptr<WeightGenerator> generator, IntervalEmbedding embeddings, TaskHeads heads,
      IntervalOptions options = {});

  std::string name() const override {
    return "interval";
  }
  /// As a generator method's, and (as in HyperInterval) task t starts from
  /// task t-1's embedding.
  std::vector<NamedParameter> begin_task(int64_t t) override;
  torch::Tensor task_loss(
      Target& target, int64_t t, const torch::Tensor& x, const torch::Tensor& y,
      double progress) override;
  torch::Tensor regularizer(int64_t t, at::Generator& rng) override;
  c10::optional<std::vector<torch::Tensor>> universal_weights(int64_t last_task) override;
  torch::Tensor conditions(int64_t first, int64_t count) const override;
  torch::Tensor table() const override;

  void take_snapshot(int64_t t);

 private:
  bool regularises(int64_t t) const {
    return t > 0 && options_.beta() > 0;
  }

  IntervalEmbedding embeddings_;
  IntervalOptions options_;
};

}  // namespace hnet
