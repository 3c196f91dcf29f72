#pragma once
/// \file
/// Implicit generator (Yang, Zhou, Wang 2024, "Neural Metamorphosis", ECCV):
/// one small network maps the coordinates of a single weight of an MLP
/// \f$ \mathrm{sizes} = (n_0, w, \dots, w, n_L) \f$ to that weight's value,
/// \f$ \theta_{l,o,i} = s_l\, r_l(w)\, g(\phi(l, o, i, w, \beta)) \f$,
/// with \f$ \phi \f$ Fourier features, \f$ g \f$ an MLP, \f$ s_l \f$ a
/// per-layer output scale and \f$ r_l(w) = \sqrt{w_{\max} / w} \f$ on layers
/// fed by hidden neurons (the fan-in rule: w sampled neurons stand for the
/// \f$ w_{\max} \f$ the function was fitted to). Because neuron j of a
/// width-w layer sits at the centre \f$ (j + 1/2) / w \f$ of its share of
/// [0, 1], one generator yields the MLP of any hidden width w.
///
/// Not a `WeightGenerator`: what it is conditioned on (the width) changes the
/// target's `Spec`, so it has no single `spec()`.

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

#include "hnet/activation.h"
#include "hnet/generators/coordinate_tower.h"

namespace hnet {

/// Columns of a weight coordinate row, all in [0, 1]:
/// layer l / (L - 1) (0 when L = 1); output neuron (o + 1/2) / n_out; input
/// neuron (i + 1/2) / n_in (0 for a bias); width w / max_width; bias flag
/// (1 for a bias, 0 for a weight).
constexpr int64_t kImplicitCoordinateDim = 5;

/// Example: `ImplicitGeneratorOptions(784, 10, 32, 256).hidden({64, 64}).coordinate_noise(0.002)`
struct ImplicitGeneratorOptions {
  ImplicitGeneratorOptions(int64_t inputs, int64_t outputs, int64_t min_width, int64_t max_width)
      : inputs_(inputs), outputs_(outputs), min_width_(min_width), max_width_(max_width) {}
  /// Input and output widths of the generated MLP (fixed); > 0.
  TORCH_ARG(int64_t, inputs);
  TORCH_ARG(int64_t, outputs);
  /// The trained range of hidden widths, 0 < min_width <= max_width.
  /// max_width is also the width the output scales and the Riemann factor
  /// refer to (the reference network's).
  TORCH_ARG(int64_t, min_width);
  TORCH_ARG(int64_t, max_width);
  /// Hidden layers of the generated MLP, all of the same width; >= 1.
  TORCH_ARG(int64_t, hidden_layers) = 2;
  /// Angular frequencies / pi of the Fourier features: each coordinate c
  /// becomes sin(pi f c), cos(pi f c) per f. All > 0, at least one.
  TORCH_ARG(std::vector<double>, frequencies) = std::vector<double>{1,  2,  4,   8,   16,
                                                                    32, 64, 128, 256, 512};
  /// Frequencies of the width coordinate; empty: the same as frequencies().
  /// Widths are far apart in [0, 1] (18 training widths), so high
  /// frequencies there let g treat each trained width on its own and leave
  /// nothing to interpolate at an unseen one.
  TORCH_ARG(std::vector<double>, width_frequencies) = {};
  /// Hidden widths of the coordinate MLP g; at least one, all > 0.
  TORCH_ARG(std::vector<int64_t>, hidden) = std::vector<int64_t>{64, 64};
  TORCH_ARG(Activation, activation) = Activation::kRelu;
  /// In training mode, std of the Gaussian noise added to the coordinates of
  /// hidden neurons (per neuron, so all weights of a neuron move together).
  /// >= 0.
  TORCH_ARG(double, coordinate_noise) = 0.0;
  /// Give every input and output neuron of the MLP (those that exist at
  /// every width) a learned vector, added to its part of g's first product.
  /// Nothing has to generalise between their positions, and per-pixel
  /// detail of the input layer is more than a few Fourier features of a
  /// raster index can hold; hidden neurons stay pure coordinates.
  TORCH_ARG(bool, embed_fixed_neurons) = true;
  /// Subtract from each generated weight row its mean (the bias excepted).
  /// In the bilinear form a learned offset per row, <u(o), m_l> / sqrt(K)
  /// with m_l a zero-initialised [K] vector per layer, is added back: the
  /// mean of an untrained smooth function swamps its rows, but a trained
  /// network's rows have means of their own (with them removed, the
  /// Fashion-MNIST reference falls from 0.88 to 0.55).
  TORCH_ARG(bool, center_rows) = true;
  /// Allow widths outside [min_width, max_width] (extrapolation).
  TORCH_ARG(bool, allow_any_width) = false;
  /// 0: g is one MLP over all features of a weight's coordinates (the
  /// additive form: the output and input parts of its first product add up
  /// before the activation). K > 0: the bilinear form, g(l, o, i, w) =
  /// <u(l, o, w), v(l, i, w, bias)> / sqrt(K), with u and v two MLPs
  /// ("towers") of hidden widths `hidden` ending in K outputs, one over the
  /// output neuron's coordinates and one over the input neuron's. A layer is
  /// then one product [n_out, K] x [K, n_in + 1], and the towers run once per
  /// neuron instead of once per weight: for the 784-256 input layer, 1,041
  /// tower rows instead of 200,960 MLP rows.
  TORCH_ARG(int64_t, rank) = 0;
};

/// The coordinate network and the layer generation built on it.
///
/// Parameters (F = frequencies().size(), Fw = that of the width coordinate):
/// additive form: `net`, a tower over all 3 * 2F + 2Fw + 1 features with one
/// output; bilinear form: `rows_tower` over 2 * 2F + 2Fw and `cols_tower`
/// over 2 * 2F + 2Fw + 1 features, K outputs each. With embed_fixed_neurons
/// also input_embedding [inputs, hidden[0]] and output_embedding
/// [outputs, hidden[0]], added to the first product of the tower that reads
/// that neuron; in the bilinear form with center_rows, row_offsets [L, K].
/// Buffers: `scales` [L, 2] (weight
/// and bias scale per layer, L = hidden_layers + 1).
///
/// Example:
///   ImplicitGenerator gen(ImplicitGeneratorOptions(784, 10, 32, 256));
///   Mlp mlp(MlpOptions(gen->mlp_sizes(48)));
///   auto logits = mlp->forward(x, Weights(mlp->spec(), gen->generate(48)));
class ImplicitGeneratorImpl : public torch::nn::Cloneable<ImplicitGeneratorImpl> {
 public:
  explicit ImplicitGeneratorImpl(ImplicitGeneratorOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;

  /// g on explicit coordinates: coords [M, 5] (see kImplicitCoordinateDim),
  /// same dtype as the parameters, every entry in [0, 1] -> raw values [M]
  /// (no scales, no noise).
  torch::Tensor forward(const torch::Tensor& coords);

  /// The coordinates of every value of layer `layer` (0-based) of the
  /// width-`width` MLP, row o * (n_in + 1) + i for weight (o, i) and
  /// i = n_in for the bias of o: [n_out * (n_in + 1), 5].
  torch::Tensor layer_coordinates(int64_t layer, int64_t width) const;

  /// Raw values of layer `layer` as [n_out, n_in + 1] (bias last), equal to
  /// forward(layer_coordinates(layer, width)) viewed so, but computed in one
  /// batched pass without materialising the coordinates: g's first product is
  /// split into a per-output-neuron and a per-input-neuron part, computed once
  /// each and broadcast-added (additive form), or each tower runs once per
  /// neuron and the layer is one product (bilinear form). `rows` (int64,
  /// optional) keeps only those
  /// output neurons: [rows.numel(), n_in + 1]. Adds coordinate noise in
  /// training mode.
  torch::Tensor raw_layer(int64_t layer, int64_t width, const torch::Tensor& rows = {});

  /// Per-column factor turning raw_layer values into weights:
  /// [1, n_in + 1] = scales[layer] (weights get the fan-in factor r_l(w)).
  torch::Tensor layer_scale(int64_t layer, int64_t width) const;

  /// Weights and bias of layer `layer`: layer_values * layer_scale.
  torch::Tensor generate_layer(int64_t layer, int64_t width);

  /// The values generate_layer scales, [rows.numel() or n_out, n_in + 1]:
  /// raw_layer with each weight row centred (center_rows) and, in the
  /// bilinear form, the learned row offsets added; the input mean folded
  /// into the first layer's bias. What a fit to a reference compares, since
  /// it is what the generated network holds.
  torch::Tensor layer_values(int64_t layer, int64_t width, const torch::Tensor& rows = {});

  /// The flat weights of Mlp(MlpOptions(mlp_sizes(width))) in its `Spec`
  /// order (fc1.weight, fc1.bias, ...): [N], one batched pass per layer.
  torch::Tensor generate(int64_t width);

  /// {inputs, width x hidden_layers, outputs}; checks the width.
  std::vector<int64_t> mlp_sizes(int64_t width) const;

  /// Sets `scales` to the standard deviation of each layer's weights and
  /// biases in `reference`, the flat weights of a width-max_width MLP, so
  /// that raw values of about unit size fit it.
  void calibrate_scales(const torch::Tensor& reference);

  /// Throws unless width > 0 and, without allow_any_width, within the
  /// trained range.
  void check_width(int64_t width) const;

  int64_t layers() const {
    return options.hidden_layers() + 1;
  }

  bool bilinear() const {
    return options.rank() > 0;
  }

  ImplicitGeneratorOptions options;
  /// The additive form's g, one output (empty in the bilinear form).
  CoordinateTower net{nullptr};
  /// The bilinear form's towers u (output neurons) and v (input neurons).
  /// u's first product reads [layer, out, width] features, v's
  /// [layer, in, width, bias flag].
  CoordinateTower rows_tower{nullptr};
  CoordinateTower cols_tower{nullptr};
  /// [L, K] learned row offsets m_l (bilinear form with center_rows), or
  /// undefined.
  torch::Tensor row_offsets;
  torch::Tensor input_embedding;   ///< [inputs, hidden[0]] or undefined
  torch::Tensor output_embedding;  ///< [outputs, hidden[0]] or undefined
  torch::Tensor scales;            ///< [L, 2] buffer
  /// [inputs] buffer, zeros until set: the mean input. The first layer is
  /// generated for inputs with this mean removed, and the mean is folded
  /// into its bias (b - W mean), so the network still reads raw inputs.
  /// With non-negative inputs (pixels) a weight component along the mean
  /// image otherwise shifts every pre-activation alike, and one such step
  /// kills all of the first layer's ReLUs.
  torch::Tensor input_mean;
  torch::Tensor frequencies;        ///< [F] buffer, pi * frequencies()
  torch::Tensor width_frequencies;  ///< [Fw] buffer, pi * the width coordinate's

 private:
  /// [n] values of coordinate column `column` -> [n, 2F] (2Fw for the
  /// width) Fourier features.
  torch::Tensor features(const torch::Tensor& c, int64_t column) const;
  /// A parameter whose dtype and device every tensor made here follows.
  const torch::Tensor& any_weight() const;
  /// Rows of `table` [n, H] for coordinates c = (j + 1/2) / n, [m, H].
  torch::Tensor lookup(const torch::Tensor& table, const torch::Tensor& c) const;
  /// raw_layer (centred = false) or layer_values before the input mean is
  /// folded in (centred = true).
  torch::Tensor layer_pass(int64_t layer, int64_t width, const torch::Tensor& rows, bool centred);
};
TORCH_MODULE(ImplicitGenerator);

}  // namespace hnet
