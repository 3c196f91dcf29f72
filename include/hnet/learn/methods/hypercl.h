#pragma once
/// \file
/// Continual learning with a hypernetwork (von Oswald, Henning, Sacramento,
/// Grewe 2020, "Continual learning with hypernetworks"): one generator, one
/// learned embedding per task; while task t is learned, the generator's
/// outputs for the embeddings of earlier tasks are held at a snapshot taken
/// before task t by the output regulariser
/// \f$ \frac{\beta}{|S|} \sum_{t' \in S} \| h(e_{t'}) - h^*(e_{t'}) \|^2 \f$
/// over the regularised earlier tasks S.

#include <torch/arg.h>

#include "hnet/conditions/task_embedding.h"
#include "hnet/learn/methods/generator_method.h"

namespace hnet {

/// Example: `HyperclOptions().beta(0.01).reg_subset(2)`
struct HyperclOptions {
  /// Regulariser strength beta (>= 0; 0: no regulariser).
  TORCH_ARG(double, beta) = 0.01;
  /// Earlier tasks regularised per step, drawn at random (0: all of them).
  TORCH_ARG(int64_t, reg_subset) = 0;
};

class HyperclMethod : public GeneratorMethod {
 public:
  /// requires: the generator's spec is heads.generated_spec() and its
  /// condition_dim is the embeddings' dim.
  HyperclMethod(
      std::shared_ptr<WeightGenerator> generator, TaskEmbedding embeddings, TaskHeads heads,
      HyperclOptions options = {});

  std::string name() const override {
    return "hypercl";
  }
  std::vector<NamedParameter> begin_task(int64_t t) override;
  torch::Tensor task_loss(
      Target& target, int64_t t, const torch::Tensor& x, const torch::Tensor& y,
      double progress) override;
  torch::Tensor regularizer(int64_t t, at::Generator& rng) override;
  torch::Tensor conditions(int64_t first, int64_t count) const override;
  torch::Tensor table() const override;

  /// Takes the snapshot of tasks [0, t)'s generator outputs (begin_task does
  /// it for the tasks it regularises).
  void take_snapshot(int64_t t);
  /// The regulariser of task t over the earlier tasks `rows` against the
  /// snapshot.
  torch::Tensor regularizer(int64_t t, const torch::Tensor& rows);

  const HyperclOptions& options() const {
    return options_;
  }

 private:
  bool regularises(int64_t t) const {
    return t > 0 && options_.beta() > 0;
  }

  TaskEmbedding embeddings_;
  HyperclOptions options_;
};

}  // namespace hnet
