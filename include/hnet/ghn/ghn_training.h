#pragma once
/// \file
/// Training a graph hypernetwork on a stream of sampled architectures, and
/// measuring the networks it predicts (GHN-2: Knyazev et al. 2021). Each
/// step draws a meta-batch of architectures, predicts all their parameters,
/// runs every predicted network on the same image batch, and descends the
/// mean cross-entropy with Adam (GHN-2's defaults: lr 1e-3, weight decay
/// 1e-5, gradients clipped to norm 5, meta-batch 8).
///
/// Batch norms of predicted networks always use the statistics of the batch
/// they see (GHN-2's evaluation): running statistics are not predicted.

#include <torch/arg.h>
#include <torch/optim/adam.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "hnet/data/fashion_mnist.h"
#include "hnet/distributed/communicator.h"
#include "hnet/ghn/architecture.h"
#include "hnet/ghn/architecture_space.h"
#include "hnet/ghn/ghn.h"

namespace hnet {

/// Example: `GhnTrainingOptions().steps(2000).meta_batch(4)`
struct GhnTrainingOptions {
  TORCH_ARG(int64_t, steps) = 1000;
  TORCH_ARG(int64_t, meta_batch) = 8;
  TORCH_ARG(int64_t, batch_size) = 64;
  TORCH_ARG(double, lr) = 1e-3;
  TORCH_ARG(double, weight_decay) = 1e-5;
  /// Gradient norm bound; 0 = none.
  TORCH_ARG(double, grad_clip) = 5.0;
  /// Seed of the architectures and image batches of every step.
  TORCH_ARG(uint64_t, seed) = 1;
};

/// What one step reports.
struct GhnStep {
  int64_t step = 0;
  double loss = 0;  ///< mean cross-entropy over the meta-batch
};

/// A GHN's training, one step at a time. Step k's architectures and images
/// depend on (seed, k) alone, so a run resumed at step k repeats exactly
/// the steps it lost (with the optimizer's state restored).
///
/// Data-parallel across the ranks of `comm`: every rank draws the whole
/// meta-batch, predicts and runs only its contiguous share of it, and the
/// gradients are summed over ranks before clipping, so W ranks take the
/// step one rank takes (up to float summation order). The GHN's parameters
/// are copied from rank 0 when the trainer is built.
class GhnTrainer {
 public:
  /// Architectures come from `space` outside `held_out` (architecture_key
  /// texts). Throws c10::ValueError naming the option when one is out of
  /// range or the meta-batch does not split evenly over the ranks
  /// (options.steps() is not read). `comm` (null: one process) must
  /// outlive the trainer.
  GhnTrainer(
      GhnImpl& ghn, ArchSpaceOptions space, std::set<std::string> held_out,
      const data::Dataset& train, GhnTrainingOptions options,
      const distributed::Communicator* comm = nullptr);

  /// Runs step `k` (>= 1) and returns its mean cross-entropy.
  double step(int64_t k);

  /// The Adam optimizer (its state goes into checkpoints).
  torch::optim::Adam& optimizer() {
    return adam_;
  }

 private:
  GhnImpl& ghn_;
  ArchSpaceOptions space_;
  std::set<std::string> held_out_;
  const data::Dataset& train_;
  GhnTrainingOptions options_;
  const distributed::Communicator* comm_;
  torch::optim::Adam adam_;
};

/// Trains `ghn` for steps 1 .. options.steps() (GhnTrainer).
void train_ghn(
    GhnImpl& ghn, const ArchSpaceOptions& space, const std::set<std::string>& held_out,
    const data::Dataset& train, const GhnTrainingOptions& options,
    const std::function<void(const GhnStep&)>& on_step = {});

/// `images` [N, 1, 28, 28] in the architecture's input shape ([N, F] for a
/// flat input).
torch::Tensor architecture_input(const Architecture& arch, const torch::Tensor& images);

/// Accuracy of `net` on `test`, batch norms on batch statistics (batches
/// of `batch` images, > 1), without gradient.
double network_accuracy(ArchNet& net, const data::Dataset& test, int64_t batch = 1000);

/// Accuracy on `test` of the network of `arch` with the parameters `ghn`
/// predicts (zero-shot), in batches of `batch` images.
double predicted_accuracy(
    GhnImpl& ghn, const Architecture& arch, const data::Dataset& test, int64_t batch = 1000);

/// `net` with the parameters `ghn` predicts for it (predict_parameters),
/// on the GHN's device.
void predict_into(GhnImpl& ghn, ArchNet& net);

}  // namespace hnet
