#pragma once
/// \file
/// How a continual learner produces and holds each task's weights: the
/// strategy `ContinualLearner` runs. One implementation per method, one file
/// each, in learn/methods/ (hypercl, finetune, interval, separate); a new
/// method is a new file, the training loop stays as it is.

#include <ATen/core/Generator.h>
#include <c10/util/Optional.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hnet/io/safetensors.h"
#include "hnet/targets/target.h"

namespace hnet {

/// A tensor a method trains, under the name its state() gives it (used in
/// messages about non-finite gradients).
struct NamedParameter {
  std::string name;
  torch::Tensor tensor;
};

class ContinualMethod {
 public:
  virtual ~ContinualMethod() = default;

  /// The method's name, e.g. "hypercl".
  virtual std::string name() const = 0;

  /// Prepares task `t` (0-based; tasks come in order, each once per run or
  /// resumed run) and returns the tensors its steps train, in optimiser order.
  virtual std::vector<NamedParameter> begin_task(int64_t t) = 0;

  /// The loss of one batch (x, y) of task t on `target`; `progress` in (0, 1]
  /// is the fraction of the task's steps done, counting this one.
  virtual torch::Tensor task_loss(
      Target& target, int64_t t, const torch::Tensor& x, const torch::Tensor& y,
      double progress) = 0;

  /// The penalty (already weighted) that holds earlier tasks while task t is
  /// learned, or an undefined tensor when there is none. Random choices (a
  /// subset of earlier tasks) draw from `rng`.
  virtual torch::Tensor regularizer(int64_t t, at::Generator& rng);

  /// Flat weights [N] of the network task t reads (no gradient).
  virtual torch::Tensor task_weights(int64_t t) = 0;

  /// One network for tasks [0, last_task], when the method has one
  /// (HyperInterval's universal embedding): element t is the flat network
  /// task t reads. nullopt otherwise (the default).
  virtual c10::optional<std::vector<torch::Tensor>> universal_weights(int64_t last_task);

  /// Everything trained, as named tensors (parameters and buffers).
  virtual io::NamedTensors state() = 0;
  /// Restores `state()`; throws c10::ValueError naming a missing or
  /// mis-shaped tensor of `file`.
  virtual void load_state(const io::TensorFile& file) = 0;

  /// Trained values shared by all tasks (a generator's parameters).
  virtual int64_t generator_params() const {
    return 0;
  }
  /// Trained values kept per task to condition a generator (its task
  /// embeddings or intervals).
  virtual int64_t condition_params() const {
    return 0;
  }
  /// How many target networks the method stores outright (separate
  /// networks: one per task; a generator: none, its networks are generated).
  virtual int64_t stored_networks() const {
    return 0;
  }
};

}  // namespace hnet
