#pragma once
/// \file
/// Training for Neural Metamorphosis (Yang, Zhou, Wang 2024, ECCV): plain
/// MLPs (the reference network and the independent baselines), and the
/// implicit generator, trained with the paper's two losses,
/// \f$ \mathcal{L} = \frac{1}{K} \sum_{k=1}^{K} \mathrm{CE}(f_{w_k}(x), y)
///   + \lambda \, \| g(\text{coords}_{w_{\max}}) - \theta^{\mathrm{ref}} \|^2 \f$:
/// the task loss of the MLPs of K widths drawn each step from the training
/// widths, and the fit of the full-width network to the (reordered)
/// reference, both through the generator.

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "hnet/data/fashion_mnist.h"
#include "hnet/generators/implicit_generator.h"

namespace hnet {

/// Example: `MlpTrainingOptions().steps(3000).batch_size(128).lr(1e-3)`
struct MlpTrainingOptions {
  TORCH_ARG(int64_t, steps) = 3000;
  TORCH_ARG(int64_t, batch_size) = 128;
  /// Adam learning rate; decayed to 0 by a cosine when `cosine`.
  TORCH_ARG(double, lr) = 1e-3;
  TORCH_ARG(bool, cosine) = true;
  /// Seed of the initial weights and of the batch order.
  TORCH_ARG(uint64_t, seed) = 0;
};

/// Called after every step with the step (1-based) and its loss.
using StepCallback = std::function<void(int64_t step, double loss)>;

/// Trains the weights of a ReLU `Mlp(sizes)` directly with Adam and
/// cross-entropy on `train`, from its Spec's initialisation.
/// Returns the flat weights [N] (no gradient).
torch::Tensor train_mlp(
    const std::vector<int64_t>& sizes, const data::Dataset& train,
    const MlpTrainingOptions& options, const StepCallback& on_step = {});

/// When a plain MLP's training stops: validation accuracy is measured every
/// `eval_every` steps, and training ends after `patience` measurements in a
/// row without a new best, or after `max_steps`.
/// Example: `EarlyStopping().max_steps(30000).eval_every(500).patience(6)`
struct EarlyStopping {
  TORCH_ARG(int64_t, max_steps) = 30000;
  TORCH_ARG(int64_t, eval_every) = 500;
  TORCH_ARG(int64_t, patience) = 6;
  TORCH_ARG(int64_t, eval_batch_size) = 1000;
};

/// A plain MLP trained until its validation accuracy stopped rising.
struct EarlyStoppedMlp {
  torch::Tensor flat;  ///< the weights of the best validation measurement
  double val_acc = 0;  ///< that measurement
  int64_t best_step = 0;
  int64_t steps_run = 0;  ///< steps trained before stopping
};

/// train_mlp with `stop` (options.steps is replaced by stop.max_steps; the
/// learning-rate schedule, cosine or constant, spans max_steps), returning
/// the weights at the best validation accuracy on `val` (non-empty).
EarlyStoppedMlp train_mlp_early_stopped(
    const std::vector<int64_t>& sizes, const data::Dataset& train, const data::Dataset& val,
    MlpTrainingOptions options, const EarlyStopping& stop, const StepCallback& on_step = {});

/// Example: `ImplicitTrainingOptions({32, 64, 128, 256}).steps(2000).widths_per_step(2)`
struct ImplicitTrainingOptions {
  /* implicit */ ImplicitTrainingOptions(std::vector<int64_t> widths)
      : widths_(std::move(widths)) {}
  /// The training widths the task loss samples from; each within the
  /// generator's trained range, at least one.
  TORCH_ARG(std::vector<int64_t>, widths);
  /// Joint steps (task + fit), after the warm-up.
  TORCH_ARG(int64_t, steps) = 2000;
  /// Steps of the fit alone, first, at the constant rate lr (starting from
  /// the reference, as the paper does). >= 0.
  TORCH_ARG(int64_t, warmup_steps) = 0;
  TORCH_ARG(int64_t, batch_size) = 128;
  TORCH_ARG(double, lr) = 1e-3;
  /// Cosine decay of lr over the joint steps.
  TORCH_ARG(bool, cosine) = true;
  /// K: distinct widths drawn per step (all of them when larger).
  TORCH_ARG(int64_t, widths_per_step) = 2;
  /// Draw a width with probability proportional to the width itself rather
  /// than uniformly: a wide network has more weights to learn from the same
  /// function, and uniform draws leave the widest behind its baseline while
  /// the narrow ones pass theirs.
  TORCH_ARG(bool, proportional_widths) = false;
  /// lambda, the weight of the fit to the reference (0: task loss only).
  TORCH_ARG(double, fit_weight) = 1.0;
  /// Output neurons per layer drawn each step for the fit (all when larger),
  /// which keeps its cost at that of a small network.
  TORCH_ARG(int64_t, fit_rows) = 32;
  TORCH_ARG(uint64_t, seed) = 0;
};

/// What one step of train_implicit reports.
struct ImplicitStep {
  int64_t step = 0;             ///< 1-based, warm-up steps first
  double task = 0;              ///< mean cross-entropy over the step's widths (0 in warm-up)
  double fit = 0;               ///< fit loss, unweighted: over layers, the mean of the weights'
                                ///< plus the biases' mean squared error (raw units)
  std::vector<int64_t> widths;  ///< the widths the task loss drew (none in warm-up)
};

/// Trains `generator` (its parameters, with Adam) on `train`. `reference` is
/// the flat weights of the width-max_width MLP the fit loss pulls the
/// full-width generated network towards (reordered by order_mlp_neurons,
/// so the coordinate function is smooth), in raw units: the difference is
/// divided by the layer's scale, so every layer counts alike.
///
/// requires: options valid (steps, batch_size > 0, lr > 0, fit_weight >= 0,
///           widths_per_step, fit_rows > 0, widths in the trained range);
///           reference has the MLP's parameter count; train is not empty.
/// The generator is left in training mode.
void train_implicit(
    ImplicitGenerator& generator, const torch::Tensor& reference, const data::Dataset& train,
    const ImplicitTrainingOptions& options,
    const std::function<void(const ImplicitStep&)>& on_step = {});

/// Data-dependent rescaling of the generator's layer scales (as LSUV
/// initialisation rescales layers): layer by layer from the input, both
/// scales of layer l are multiplied so that the full-width generated
/// network's pre-activations on `x` have the standard deviation of
/// `reference`'s. Needed because generated weights are correlated: at equal
/// weight spread, a smooth weight function gives far larger activations
/// than the reference's, and training from there kills the ReLUs.
/// x: a batch of inputs [n, ...]; reference: flat width-max_width weights.
void match_layer_scales(
    ImplicitGenerator& generator, const torch::Tensor& reference, const torch::Tensor& x);

/// The flat weights [N] (no gradient) of the width-`width` MLP the
/// generator yields, a ReLU `Mlp(generator->mlp_sizes(width))`: generated
/// in evaluation mode (no coordinate noise; the mode is restored).
torch::Tensor generated_mlp_weights(ImplicitGenerator& generator, int64_t width);

/// Test accuracy of the width-`width` MLP the generator yields
/// (generated_mlp_weights).
double implicit_accuracy(
    ImplicitGenerator& generator, int64_t width, const data::Dataset& data, int64_t batch_size);

/// Accuracy of a ReLU Mlp(sizes) with flat weights [N] on `data`.
double mlp_accuracy(
    const std::vector<int64_t>& sizes, const torch::Tensor& flat, const data::Dataset& data,
    int64_t batch_size);

}  // namespace hnet
