#pragma once
/// \file
/// The continual learner: trains one target network task after task, with a
/// method (a `ContinualMethod`: hypercl, finetune, interval, separate, ...)
/// deciding how each task's weights are produced and held. The learner owns
/// the training loop: seeding, batches, Adam with its schedule, the
/// finiteness checks, gradient clipping and evaluation.

#include <torch/arg.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <vector>

#include "hnet/data/task_sequence.h"
#include "hnet/distributed/communicator.h"
#include "hnet/learn/continual_method.h"
#include "hnet/learn/step_hooks.h"
#include "hnet/targets/target.h"

namespace hnet {

/// Example: `ContinualOptions().steps(1000).batch_size(32).lr(1e-3)`
struct ContinualOptions {
  /// Training steps per task.
  TORCH_ARG(int64_t, steps) = 1000;
  TORCH_ARG(int64_t, batch_size) = 32;
  /// Adam learning rate (a fresh Adam per task).
  TORCH_ARG(double, lr) = 1e-3;
  /// Cosine decay of the learning rate to zero over each task's steps
  /// (Loshchilov & Hutter 2017); false: constant.
  TORCH_ARG(bool, cosine_lr) = false;
  /// Gradient-norm clipping threshold (0: none).
  TORCH_ARG(double, grad_clip) = 0;
  TORCH_ARG(int64_t, eval_batch_size) = 1000;
  /// The shape of one example as the target reads it, e.g. {1, 28, 28} for a
  /// convolutional target; empty: as the data hold it (flat).
  TORCH_ARG(std::vector<int64_t>, input_shape) = {};
  TORCH_ARG(uint64_t, seed) = 0;
};

/// What one training step reports.
struct StepReport {
  int64_t task = 0;  ///< 0-based
  int64_t step = 0;  ///< 1-based within the task
  double loss = 0;   ///< task loss
  double reg = 0;    ///< regulariser (already weighted)
};

/// Throws c10::ValueError naming optimizer.batch_size when a batch of
/// `batch_size` cannot give each of `ranks` ranks at least one example.
void check_batch_fits_ranks(int64_t batch_size, int64_t ranks);

class ContinualLearner {
 public:
  /// `target` is the network one task sees; `method` produces its weights.
  ContinualLearner(
      std::shared_ptr<Target> target, std::shared_ptr<ContinualMethod> method, int64_t tasks,
      ContinualOptions options);

  /// Learns task `t` (0-based, in order) from `data`; `on_step` (may be
  /// empty) is called after every step. Throws when a loss or gradient is
  /// not finite, naming the task, the step and the tensor.
  void train_task(
      int64_t t, const data::TaskData& data, const std::function<void(const StepReport&)>& on_step);

  /// Flat target weights [N] of task t (no gradient).
  torch::Tensor task_weights(int64_t t);
  /// Accuracy in [0, 1] of task t's network on `data`.
  double task_accuracy(int64_t t, const data::TaskData& data);
  /// Accuracy of the flat weights `flat` on `data`, with task t's running
  /// statistics (for targets that keep them).
  double accuracy(const torch::Tensor& flat, const data::TaskData& data, int64_t t);
  /// Logits of the flat weights `flat` on flat inputs [B, D], with task t's
  /// running statistics; the caller sets evaluation mode and no-grad.
  torch::Tensor logits(const torch::Tensor& flat, const torch::Tensor& inputs, int64_t t);

  /// Everything needed to continue or evaluate: the method's state and the
  /// target's buffers ("target.<name>"), as named tensors.
  io::NamedTensors state();
  /// Restores `state()` output; throws c10::ValueError naming a missing or
  /// mis-shaped tensor.
  void load_state(const io::TensorFile& file);

  /// Data-parallel training over the ranks of `comm` (null: one process;
  /// it must outlive its use). Each rank trains on its contiguous share of
  /// every batch; the gradients of the task loss, weighted by share, and of
  /// the regulariser, counted once, are summed over the ranks, so W ranks
  /// take the step one process takes on the whole batch (up to float
  /// summation order, and to batch statistics of targets with batch norm).
  /// Throws c10::ValueError when the batch is smaller than the rank count.
  void set_communicator(const distributed::Communicator* comm);

  /// Observers of every step (may be null: none).
  void set_hooks(std::shared_ptr<StepHooks> hooks) {
    hooks_ = std::move(hooks);
  }

  const ContinualOptions& options() const {
    return options_;
  }
  ContinualMethod& method() {
    return *method_;
  }
  Target& target() {
    return *target_;
  }
  int64_t tasks() const {
    return tasks_;
  }

 private:
  torch::Tensor as_target_input(const torch::Tensor& flat_inputs) const;
  /// This rank's {first, count} of each batch; empty in one process.
  std::vector<int64_t> batch_share() const;

  std::shared_ptr<Target> target_;
  std::shared_ptr<ContinualMethod> method_;
  int64_t tasks_;
  ContinualOptions options_;
  std::shared_ptr<StepHooks> hooks_;
  const distributed::Communicator* comm_ = nullptr;
};

}  // namespace hnet
