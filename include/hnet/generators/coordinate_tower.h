#pragma once
/// \file
/// The MLP of the implicit generator (implicit_generator.h) over Fourier
/// features of weight coordinates: a first product its caller may split into
/// parts (and add learned embeddings to), then activation, trunk and head.
/// The additive form's g (one output) and each tower of the bilinear form
/// (K outputs).

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "hnet/activation.h"
#include "hnet/generators/trunk.h"

namespace hnet {

/// Submodules: first Linear(in_dim, hidden[0]) (He-initialised for
/// `activation`, zero bias), trunk over hidden[1..], head
/// Linear(hidden.back(), out_dim) (variance 1 / fan-in, zero bias).
///
/// Example:
///   CoordinateTower tower(41, {64, 64}, 1, Activation::kRelu);
///   auto g = tower->finish(tower->first_product({a, b}));  // a [M, 20], b [M, 21]
class CoordinateTowerImpl : public torch::nn::Cloneable<CoordinateTowerImpl> {
 public:
  CoordinateTowerImpl(
      int64_t in_dim, std::vector<int64_t> hidden, int64_t out_dim, Activation activation);
  void reset() override;
  void reset_parameters();

  /// first(cat(parts, 1)) + extra without the concatenation: `parts` are
  /// feature blocks in the order of first's input columns, each [M, c] or
  /// [1, c] (shared by every row, broadcast); `extra` [M, hidden[0]] or
  /// undefined (nothing added). -> [M, hidden[0]]. The products are added to
  /// the bias one part after the other.
  torch::Tensor first_product(
      const std::vector<torch::Tensor>& parts, const torch::Tensor& extra = {}) const;
  /// One part of the first product without the bias: x [M, c] times first's
  /// weight columns [column, column + c) -> [M, hidden[0]].
  torch::Tensor first_part(const torch::Tensor& x, int64_t column) const;
  /// pre [M, hidden[0]] (the first product plus anything added to it) ->
  /// [M, out_dim].
  torch::Tensor finish(const torch::Tensor& pre);

  int64_t in_dim, out_dim;
  std::vector<int64_t> hidden;
  Activation activation;
  torch::nn::Linear first{nullptr};
  Trunk trunk{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(CoordinateTower);

}  // namespace hnet
