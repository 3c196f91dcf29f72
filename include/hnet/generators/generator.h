#pragma once
/// \file
/// The interface of every hypernetwork, and the options they share.

#include <torch/arg.h>
#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <vector>

#include "hnet/activation.h"
#include "hnet/interval.h"
#include "hnet/parametrizations/output_parametrization.h"
#include "hnet/spec.h"

namespace hnet {

/// Options shared by the generators (as `torch::nn::RNNOptions` is shared by
/// the recurrent layers); each generator documents the fields it reads.
///
/// Example: `GeneratorOptions(32).hidden({100, 100}).chunk_size(750)`
struct GeneratorOptions {
  /* implicit */ GeneratorOptions(int64_t condition_dim) : condition_dim_(condition_dim) {}
  /// Width of the condition vectors fed to forward().
  TORCH_ARG(int64_t, condition_dim);
  /// Hidden widths of the trunk MLP (may be empty: the head reads its input).
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{100, 100};
  TORCH_ARG(Activation, activation) = Activation::kRelu;
  /// How raw outputs become weights (direct / MIP, hyperfan-in / -out).
  TORCH_ARG(OutputOptions, output) = {};
  /// E[c^2] of the condition entries (the encoder's `second_moment()`); the
  /// hyperfan initialisation assumes it.
  TORCH_ARG(double, condition_second_moment) = 1.0;
  /// Chunked: values emitted per chunk.
  TORCH_ARG(int64_t, chunk_size) = 750;
  /// Chunked / layer-wise: width of the learned chunk / layer embeddings.
  TORCH_ARG(int64_t, embedding_dim) = 32;
};

/// A hypernetwork: condition vectors -> flat weight vectors for `spec()`.
///
/// forward: cond [B, condition_dim] -> flat [B, spec()->numel()], contiguous,
/// differentiable with respect to the generator's parameters and `cond`;
/// wrap it with `Weights(spec(), flat)` (batched) or `flat[0]` (one set).
class WeightGenerator {
 public:
  virtual ~WeightGenerator() = default;
  virtual const std::shared_ptr<const Spec>& spec() const = 0;
  virtual torch::Tensor forward(const torch::Tensor& cond) = 0;
  /// The generator as a module (parameters for the optimiser, device moves).
  virtual torch::nn::Module& as_module() = 0;
  /// Interval bound propagation (see interval.h): an interval of conditions
  /// [B, condition_dim] -> an interval of flat weights [B, N] containing
  /// forward(c) for every c in it. Generators that do not support it throw
  /// (which kinds do: generator_supports_interval in registry.h).
  virtual Interval forward_interval(const Interval& cond);
  /// sum((forward(cond) - target)^2), differentiable with respect to the
  /// generator's parameters: the output regulariser of continual learning.
  /// target: [B, N], a constant (no gradient). Generators may fuse it with
  /// their output layer; the default composes forward and the distance.
  virtual torch::Tensor squared_distance(const torch::Tensor& cond, const torch::Tensor& target);
};

}  // namespace hnet
