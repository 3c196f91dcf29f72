#pragma once
/// \file
/// The interface every target network implements: a `Spec` of the parameters
/// it needs and a forward pass that takes them explicitly.

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>

#include "hnet/interval.h"
#include "hnet/spec.h"
#include "hnet/targets/plain_network.h"
#include "hnet/weights.h"

namespace hnet {

/// A network whose parameters come from outside (a generator).
///
/// Contract of `forward(x, w)`:
/// - `w` must be laid out by `spec()` (same names and shapes);
/// - unbatched `w`: every row of `x` uses the one weight set;
/// - batched `w` with B sets: `x.size(0)` = B * G and rows [b*G, (b+1)*G)
///   use set b; computed with batched products, equal to a loop over sets.
/// Targets hold no trainable parameters; a target with normalisation layers
/// holds running statistics as buffers (see `Norm`).
class Target {
 public:
  virtual ~Target() = default;
  virtual const std::shared_ptr<const Spec>& spec() const = 0;
  virtual torch::Tensor forward(const torch::Tensor& x, const Weights& w) = 0;
  /// The target as a module (buffers, train/eval mode, device moves).
  virtual torch::nn::Module& as_module() = 0;
  /// Interval bound propagation (see interval.h): logits bounds for every
  /// weight set in the interval `w` of unbatched flat weights. Targets that
  /// do not support it throw (the default).
  virtual Interval forward_interval(const torch::Tensor& x, const Interval& w);
  /// Selects the running statistics later forwards use and update (one slot
  /// per task, see norm.h). Targets without normalisation statistics ignore
  /// it (the default).
  virtual void set_stats_slot(int64_t slot);
  /// The network with the unbatched weights `w` (laid out by spec()) as plain
  /// operations (plain_network.h), for use without hnet: the same outputs
  /// as forward(x, w) in evaluation mode. PHM weights are composed into
  /// dense ones; normalisation layers read the running statistics of the
  /// slot chosen by set_stats_slot.
  /// Mlp, ConvNet and ModuleAdapter (of a plain Sequential) describe
  /// themselves. ResNet and Siren cannot yet: the default throws
  /// c10::ValueError naming the target (its pretty_print).
  virtual PlainNetwork plain_network(const Weights& w);
};

/// Checks that `w` was laid out by `spec` (names and shapes, in order);
/// throws naming `who` and the first mismatching entry.
void check_weights_match(const Spec& spec, const Weights& w, const char* who);

}  // namespace hnet
