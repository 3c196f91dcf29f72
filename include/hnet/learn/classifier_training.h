#pragma once
/// \file
/// Training a hypernetwork-generated classifier on one task: the generator
/// and a learned condition vector are optimised so that
/// target(x, generator(e)) fits the data. What the example program
/// examples/fmnist_classifier.cpp runs; the continual learner (continual.h)
/// has its own training loop. Accuracy is measured with evaluation.h.

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <ostream>

#include "hnet/data/fashion_mnist.h"
#include "hnet/generators/generator.h"
#include "hnet/learn/evaluation.h"
#include "hnet/targets/target.h"

namespace hnet {

/// Example: `ClassifierTrainingOptions().steps(3000).batch_size(128).lr(1e-3)`
struct ClassifierTrainingOptions {
  TORCH_ARG(int64_t, steps) = 2000;
  TORCH_ARG(int64_t, batch_size) = 128;
  /// Adam learning rate.
  TORCH_ARG(double, lr) = 1e-3;
  TORCH_ARG(int64_t, eval_batch_size) = 1000;
  /// Progress line every this many steps (0: none).
  TORCH_ARG(int64_t, log_every) = 500;
  /// Seed of the batch order.
  TORCH_ARG(uint64_t, seed) = 0;
};

struct ClassifierTrainingResult {
  double test_accuracy = 0;  ///< fraction in [0, 1]
  /// Mean training loss of the last logging window (0 when log_every is 0).
  double final_loss = 0;
  int64_t steps = 0;
  double seconds = 0;
};

/// Trains `generator` and `condition` ([1, condition_dim], requires_grad) with
/// Adam and cross-entropy on `train`, then measures accuracy on `test`.
/// Progress lines go to `log` when it is not null.
ClassifierTrainingResult train_hyper_classifier(
    Target& target, WeightGenerator& generator, const torch::Tensor& condition,
    const data::Dataset& train, const data::Dataset& test, const ClassifierTrainingOptions& options,
    std::ostream* log);

}  // namespace hnet
