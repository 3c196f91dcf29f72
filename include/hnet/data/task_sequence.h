#pragma once
/// \file
/// Task sequences for continual learning built from one classification data
/// set (van de Ven & Tolias 2019, "Three scenarios for continual learning"):
///
/// - *split*: task k holds classes 2k and 2k+1 relabelled 0 / 1
///   (task-incremental: each task has its own two outputs);
/// - *permuted*: every task holds all classes, task k's pixels shuffled by a
///   fixed permutation drawn from the seed (task 1: the identity).
///
/// Each task's training part is split once, with the seed, into a training
/// and a held-out validation part (for model selection); the test part is
/// only for reported numbers.

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hnet/data/fashion_mnist.h"

namespace hnet::data {

/// Examples of one task. Permuted tasks share the base images and apply
/// their permutation per batch, so ten permuted copies of Fashion-MNIST cost
/// no memory.
struct TaskData {
  torch::Tensor images;       ///< float32 [N, D] (flattened), shared between permuted tasks
  torch::Tensor labels;       ///< int64 [N], task-local classes
  torch::Tensor permutation;  ///< int64 [D], or undefined for none

  int64_t size() const {
    return labels.defined() ? labels.size(0) : 0;
  }
  /// Inputs of rows `index` (int64 [B]), permuted: [B, D].
  torch::Tensor inputs(const torch::Tensor& index) const;
  /// Inputs of rows [start, start + length): [length, D].
  torch::Tensor inputs(int64_t start, int64_t length) const;
};

struct Task {
  std::string name;  ///< "classes 0/1" or "permutation 3"
  int64_t classes = 0;
  /// The data set's class of each task-local label: split task k holds
  /// {2k, 2k+1} (labels 0 / 1), a permuted task every class, unchanged.
  std::vector<int64_t> source_classes;
  /// The shape of one example before flattening, e.g. {1, 28, 28}.
  std::vector<int64_t> image_shape;
  TaskData train;
  TaskData val;
  TaskData test;
};

enum class SequenceKind { kSplit, kPermuted };

/// Parses "split" / "permuted"; throws naming the value otherwise.
SequenceKind parse_sequence_kind(const std::string& name);

/// Example: `TaskSequenceOptions(SequenceKind::kSplit, 5).val_fraction(0.1)`
struct TaskSequenceOptions {
  TaskSequenceOptions(SequenceKind kind, int64_t tasks) : kind_(kind), tasks_(tasks) {}
  TORCH_ARG(SequenceKind, kind);
  /// split: 1..classes/2; permuted: >= 1.
  TORCH_ARG(int64_t, tasks);
  /// Fraction of each task's training examples held out for validation, in [0, 0.5].
  TORCH_ARG(double, val_fraction) = 0.1;
  /// Use only the first n training / test examples of the base set (0: all);
  /// for quick runs and tests, never for reported numbers.
  TORCH_ARG(int64_t, train_limit) = 0;
  TORCH_ARG(int64_t, test_limit) = 0;
  TORCH_ARG(uint64_t, seed) = 0;
};

/// Builds the task sequence from `train` and `test` ([N, ...] images, labels
/// 0..C-1). Throws naming the option and value when it cannot be built.
std::vector<Task> make_task_sequence(
    const Dataset& train, const Dataset& test, const TaskSequenceOptions& options);

}  // namespace hnet::data
