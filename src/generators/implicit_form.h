#pragma once
// The two forms of the implicit generator's coordinate function g (see
// ImplicitGeneratorOptions::rank): the additive form, one tower over all
// features of a weight's coordinates, and the bilinear form, the product of
// an output-neuron tower and an input-neuron tower. Each evaluates g at
// explicit coordinates and on a layer's grid. Internal to src/generators/.

#include <torch/types.h>

#include <memory>

#include "hnet/generators/coordinate_tower.h"

namespace hnet::detail {

// The Fourier features of the coordinates of a set of weights, by part, and
// the learned neuron embeddings added to the first products that read those
// neurons. At explicit coordinates every tensor has one row per weight. On a
// layer's grid `out` has one row per output neuron, `in` and `flag` one per
// input column (the bias last: input coordinate 0 with the flag set), and
// `layer` and `width` one row shared by all.
struct WeightFeatures {
  torch::Tensor layer, out, in, width;  // [rows, 2F] ([rows, 2Fw] for width)
  torch::Tensor flag;                   // [rows, 1]: 1 for a bias, 0 for a weight
  torch::Tensor out_embedding;          // [rows of out, hidden[0]] or undefined
  torch::Tensor in_embedding;           // [rows of in, hidden[0]] or undefined
};

class ImplicitForm {
 public:
  virtual ~ImplicitForm() = default;
  // g at explicit coordinates -> [rows].
  virtual torch::Tensor at_points(const WeightFeatures& f) const = 0;
  // g on the grid output neurons x input columns -> [m, n_in + 1]; with
  // `centred`, every row's weights (not the bias) minus their mean, and in
  // the bilinear form the learned offsets of layer `layer` added back.
  virtual torch::Tensor on_grid(const WeightFeatures& f, bool centred, int64_t layer) const = 0;
  // Initialisation: makes raw values of mean `mean` and spread `std`
  // standard, by rescaling the head (the bilinear form's products have mean
  // zero, so only their spread is fixed).
  virtual void standardise(double mean, double std) = 0;
};

// The forms over a generator's registered towers; make one per call (a copy
// would outlive a clone's modules). `row_offsets` [L, K] or undefined.
std::unique_ptr<ImplicitForm> additive_form(CoordinateTowerImpl& net);
std::unique_ptr<ImplicitForm> bilinear_form(
    CoordinateTowerImpl& rows, CoordinateTowerImpl& cols, const torch::Tensor& row_offsets);

}  // namespace hnet::detail
