#pragma once
/// \file
/// Reordering the hidden neurons of an MLP so that neighbouring indices hold
/// similar neurons, without changing the function it computes: the
/// preparation of a reference network for an implicit generator (Yang, Zhou,
/// Wang 2024, "Neural Metamorphosis", section 3.3), whose coordinate
/// function is then smooth along the neuron axis.

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace hnet {

/// A greedy approximation of the shortest Hamiltonian path through the rows
/// of `points` [n, d] (floating point, n >= 1), by Euclidean distance: from
/// each start row in turn, step to the nearest unvisited row (ties: lowest
/// index) until all are visited; the shortest of these n paths wins (ties:
/// lowest start).
///
/// ensures: a permutation of 0..n-1; order[k] is the row visited k-th.
///
/// Example: points {0, 10, 1, 11, 2} (one column) -> {0, 2, 4, 1, 3}.
std::vector<int64_t> greedy_path_order(const torch::Tensor& points);

/// Example: `NeuronOrderOptions().outgoing(false)`
struct NeuronOrderOptions {
  /// Describe a neuron by its outgoing weights (a column of the next layer)
  /// as well as its incoming weights and bias.
  TORCH_ARG(bool, outgoing) = true;
};

/// The new order of every hidden layer, and the reordered weights.
struct NeuronOrder {
  /// orders[l][k]: the old index of neuron k of hidden layer l (0-based).
  std::vector<std::vector<int64_t>> orders;
  /// The permuted flat weights, same layout as the input.
  torch::Tensor flat;
};

/// Orders the hidden layers of the MLP `sizes` (input first, as
/// `MlpOptions::sizes`) whose weights `flat` [N] are laid out as `Mlp`'s
/// Spec (fc1.weight [out, in], fc1.bias [out], ...), layer by layer from the
/// input: each layer's neurons by greedy_path_order of their incoming weight
/// rows (the previous layer's order already applied) and biases, plus the
/// outgoing columns with options.outgoing().
///
/// requires: sizes has >= 2 entries, all > 0; flat is 1-D with the MLP's
///           parameter count; otherwise throws naming both.
/// ensures:  Mlp(sizes) computes the same function with result.flat as with
///           flat (up to rounding of the summation order).
NeuronOrder order_mlp_neurons(
    const std::vector<int64_t>& sizes, const torch::Tensor& flat,
    const NeuronOrderOptions& options = {});

/// Applies `orders` (one permutation per hidden layer, as NeuronOrder::orders)
/// to flat MLP weights: rows and bias of layer l and the columns of layer
/// l + 1 that read it. Throws naming the layer if an order is not a
/// permutation of its width.
torch::Tensor permute_mlp_neurons(
    const std::vector<int64_t>& sizes, const torch::Tensor& flat,
    const std::vector<std::vector<int64_t>>& orders);

}  // namespace hnet
