#pragma once
/// \file
/// Output heads of a continual learner. With a *shared* head every task reads
/// the same outputs (permuted tasks: the same 10 classes). With *per-task*
/// heads (task-incremental split tasks, "each task has its own outputs") the
/// generated network's last layer holds one block of k outputs per task and
/// task t reads block t; every task still sees a plain k-output network, so
/// evaluation and `hnet generate` work on the task network unchanged.
///
/// One network for all tasks (HyperInterval's universal embedding) needs
/// per-task heads: with a shared head it would have to give every task's
/// classes the same k labels.

#include <torch/types.h>

#include <cstdint>
#include <memory>

#include "hnet/spec.h"

namespace hnet {

class TaskHeads {
 public:
  /// `task` is the spec of the network a task sees; its last two entries must
  /// be the output layer's weight [k, in] and bias [k] when heads > 1.
  /// heads >= 1 (1: shared).
  TaskHeads(std::shared_ptr<const Spec> task, int64_t heads);

  /// The spec the generator emits: `task` with heads * k output rows.
  const std::shared_ptr<const Spec>& generated_spec() const {
    return generated_;
  }
  /// The spec of the network one task sees.
  const std::shared_ptr<const Spec>& task_spec() const {
    return task_;
  }
  int64_t heads() const {
    return heads_;
  }

  /// Row b of `flat` [B, generated numel] as the network task tasks[b] sees:
  /// [B, task numel] (`flat` itself, no copy, with a shared head). tasks:
  /// int64 [B], each in [0, heads).
  torch::Tensor select(const torch::Tensor& flat, const torch::Tensor& tasks) const;
  /// The same for one task and one flat vector [generated numel] -> [task numel].
  torch::Tensor select(const torch::Tensor& flat, int64_t task) const;

 private:
  std::shared_ptr<const Spec> task_;
  std::shared_ptr<const Spec> generated_;
  int64_t heads_;
  int64_t shared_numel_ = 0;  // values before the output weight
  int64_t outputs_ = 0;       // k
  int64_t inputs_ = 0;        // the output layer's fan-in
};

}  // namespace hnet
