#pragma once
/// \file
/// The common part of the methods in which one generator emits every task's
/// network from a learned per-task condition (hypercl, finetune, interval):
/// the generator, the output heads, the per-task table and the output
/// regulariser's snapshot of earlier tasks.

#include <memory>

#include "hnet/generators/generator.h"
#include "hnet/learn/continual_method.h"
#include "hnet/learn/task_heads.h"

namespace hnet {

class GeneratorMethod : public ContinualMethod {
 public:
  /// The generator's parameters, then the per-task table ("embeddings").
  std::vector<NamedParameter> begin_task(int64_t t) override;
  torch::Tensor task_weights(int64_t t) override;
  io::NamedTensors state() override;
  void load_state(const io::TensorFile& file) override;
  int64_t generator_params() const override;
  int64_t condition_params() const override {
    return table().numel();
  }

  WeightGenerator& generator() {
    return *generator_;
  }
  const TaskHeads& heads() const {
    return heads_;
  }
  /// The generator's conditions of tasks [first, first + count),
  /// differentiable with respect to the per-task table.
  virtual torch::Tensor conditions(int64_t first, int64_t count) const = 0;
  /// The learned per-task table (a leaf), saved as "embeddings".
  virtual torch::Tensor table() const = 0;

 protected:
  /// requires: generator's spec is heads.generated_spec().
  GeneratorMethod(std::shared_ptr<WeightGenerator> generator, TaskHeads heads);

  /// Cross-entropy of `target` on (x, y) with the weights generated for task t.
  torch::Tensor generated_loss(
      Target& target, int64_t t, const torch::Tensor& x, const torch::Tensor& y);
  /// `beta / |rows|` times the squared distance of each regularised task's own
  /// network (its head, not the others') in `center` (and `radius`, when
  /// defined) to the snapshot's.
  torch::Tensor snapshot_penalty(
      const torch::Tensor& rows, const torch::Tensor& center, const torch::Tensor& radius,
      double beta) const;
  /// The snapshot's rows `rows` (the snapshot itself when they are all of it,
  /// in order).
  static torch::Tensor snapshot_rows(const torch::Tensor& snapshot, const torch::Tensor& rows);

  std::shared_ptr<WeightGenerator> generator_;
  TaskHeads heads_;
  torch::Tensor snapshot_center_;  // [t, N]: earlier tasks' outputs before task t
  torch::Tensor snapshot_radius_;  // interval: their radii
};

/// Checks an output regulariser's settings (beta >= 0 and finite, subset
/// >= 0); throws naming `who` otherwise.
void check_regularizer_options(double beta, int64_t subset, const char* who);

/// The earlier tasks (int64 rows of [0, t)) regularised in one step: all of
/// them when `subset` is 0 or >= t, else `subset` of them drawn from `rng`.
torch::Tensor regularised_tasks(int64_t t, int64_t subset, at::Generator& rng);

}  // namespace hnet
