#pragma once
/// \file
/// Continual learning with a hypernetwork (von Oswald, Henning, Sacramento,
/// Grewe 2020, "Continual learning with hypernetworks"): one generator, one
/// learned embedding per task; while task t is learned, the generator's
/// outputs for the embeddings of earlier tasks are held at a snapshot taken
/// before task t by the output regulariser
/// \f$ \frac{\beta}{t-1} \sum_{t' < t} \| h(e_{t'}) - h^*(e_{t'}) \|^2 \f$.
///
/// Methods:
/// - kHypercl: the above;
/// - kFinetune: the same without the regulariser (shows forgetting);
/// - kInterval: HyperInterval (Krukowski et al. 2024): each embedding is an
///   interval [e - r, e + r], r = eps / dim per coordinate (eps is the
///   interval's L1 budget, as in the paper), propagated with interval arithmetic through
///   the generator and the target; the loss mixes the centre's cross-entropy
///   and the worst case in the interval, the regulariser holds both the
///   centre and the radius of earlier tasks' weight intervals. Embeddings are
///   kept (by projection after each step) where all task intervals share a
///   common box, whose centre is the *universal* embedding: one network for
///   all tasks;
/// - kSeparate: an independent target network per task (an upper bound).

#include <torch/arg.h>
#include <torch/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hnet/data/task_sequence.h"
#include "hnet/generators/generator.h"
#include "hnet/io/safetensors.h"
#include "hnet/learn/task_heads.h"
#include "hnet/targets/mlp.h"

namespace hnet {

enum class ContinualMethod { kHypercl, kInterval, kFinetune, kSeparate };

/// Parses "hypercl", "interval", "finetune", "separate"; throws naming the value.
ContinualMethod parse_continual_method(const std::string& name);
std::string continual_method_name(ContinualMethod m);

/// Example: `ContinualOptions().steps(1000).beta(0.01).reg_subset(2)`
struct ContinualOptions {
  TORCH_ARG(ContinualMethod, method) = ContinualMethod::kHypercl;
  /// Training steps per task.
  TORCH_ARG(int64_t, steps) = 1000;
  TORCH_ARG(int64_t, batch_size) = 32;
  /// Adam learning rate (a fresh Adam per task).
  TORCH_ARG(double, lr) = 1e-3;
  /// Cosine decay of the learning rate to zero over each task's steps
  /// (Loshchilov & Hutter 2017); false: constant.
  TORCH_ARG(bool, cosine_lr) = false;
  /// Regulariser strength beta.
  TORCH_ARG(double, beta) = 0.01;
  /// Earlier tasks regularised per step, drawn at random (0: all of them).
  TORCH_ARG(int64_t, reg_subset) = 0;
  /// Gradient-norm clipping threshold (0: none).
  TORCH_ARG(double, grad_clip) = 0;
  /// kInterval: L1 radius budget of every embedding interval (eps / dim per
  /// coordinate).
  TORCH_ARG(double, interval_eps) = 0.5;
  /// kInterval: weight of the centre's loss; 1 - kappa goes to the worst case.
  TORCH_ARG(double, interval_kappa) = 0.5;
  /// Output heads: 1 (shared by all tasks) or the number of tasks (task t
  /// reads head t; see task_heads.h).
  TORCH_ARG(int64_t, heads) = 1;
  TORCH_ARG(int64_t, eval_batch_size) = 1000;
  TORCH_ARG(uint64_t, seed) = 0;
};

/// Learning rate of step `step` (1-based) of a task under `o`'s schedule.
double scheduled_lr(const ContinualOptions& o, int64_t step);

/// What one training step reports.
struct StepReport {
  int64_t task = 0;  ///< 0-based
  int64_t step = 0;  ///< 1-based within the task
  double loss = 0;   ///< task loss
  double reg = 0;    ///< regulariser (already multiplied by beta)
};

/// The learner: owns the embeddings (or the separate networks) and trains a
/// target / generator pair task after task.
class ContinualLearner {
 public:
  /// `generator` may be null only for kSeparate. `target` is the network one
  /// task sees. requires: the generator's spec is
  /// TaskHeads(target spec, options.heads()).generated_spec(); condition_dim
  /// = `embedding_dim`.
  ContinualLearner(
      Mlp target, std::shared_ptr<WeightGenerator> generator, int64_t tasks, int64_t embedding_dim,
      ContinualOptions options);

  /// Learns task `t` (0-based, in order) from `data`; `on_step` (may be
  /// empty) is called after every step. Throws when a loss or gradient is
  /// not finite, naming the task, the step and the tensor.
  void train_task(
      int64_t t, const data::TaskData& data, const std::function<void(const StepReport&)>& on_step);

  /// Flat target weights [N] of task t (no gradient).
  torch::Tensor task_weights(int64_t t);
  /// kInterval: the flat weights of tasks 0..last_task at the universal
  /// embedding (the centre of the intersection of their intervals), one
  /// generator call; element t is the network task t reads.
  std::vector<torch::Tensor> universal_weights(int64_t last_task);
  /// Accuracy in [0, 1] of weights `flat` on `data`.
  double accuracy(const torch::Tensor& flat, const data::TaskData& data);

  /// Everything needed to continue or evaluate: embeddings, generator
  /// parameters and buffers, separate networks, as named tensors.
  io::NamedTensors state();
  /// Restores `state()` output; throws naming a missing or mis-shaped tensor.
  void load_state(const io::TensorFile& file);

  const ContinualOptions& options() const {
    return options_;
  }
  int64_t generator_params() const;
  Mlp& target() {
    return target_;
  }
  /// The task embeddings [tasks, dim] (a leaf; undefined for kSeparate).
  const torch::Tensor& embeddings() const {
    return embeddings_;
  }

  /// The generator's conditions for raw embedding rows: the rows themselves,
  /// or for kInterval the interval centres (r / 2) cos(raw).
  torch::Tensor conditions(const torch::Tensor& raw) const;

  /// Regulariser value for task t against the current snapshot (exposed for tests).
  torch::Tensor regularizer(int64_t t, const torch::Tensor& rows);
  /// Takes the snapshot of earlier tasks' generator outputs before task t.
  void take_snapshot(int64_t t);

 private:
  /// conditions() of the first `count` tasks' embeddings.
  torch::Tensor embedding_rows(int64_t count);
  torch::Tensor embedding_radius(const torch::Tensor& e, double scale) const;
  /// kInterval: beta / |rows| * sum of squared distances of the centres and
  /// radii of the generator's output intervals for the embeddings `rows` to
  /// the snapshot (kHypercl goes through WeightGenerator::squared_distance).
  torch::Tensor penalty(
      const torch::Tensor& rows, const torch::Tensor& center, const torch::Tensor& radius);
  /// progress: fraction of the task's steps done (ramps the interval in).
  torch::Tensor task_loss(
      int64_t t, const torch::Tensor& x, const torch::Tensor& y, double progress);

  Mlp target_;
  TaskHeads heads_;
  std::shared_ptr<WeightGenerator> generator_;
  int64_t tasks_;
  ContinualOptions options_;
  torch::Tensor embeddings_;             // [tasks, dim], kHypercl / kInterval / kFinetune
  std::vector<torch::Tensor> separate_;  // kSeparate: flat weights per task
  torch::Tensor snapshot_center_;        // [t, N] before task t
  torch::Tensor snapshot_radius_;        // kInterval
};

}  // namespace hnet
