#pragma once
/// \file
/// How a generator's raw outputs become target weights, and how its output
/// layer is initialised.
///
/// Every generator ends in a linear head producing raw values `r` with unit
/// variance at initialisation (hyperfan rule below), then this module maps
/// them element-wise to weights:
///
/// - kDirect: \f$ \theta = \mu + \sigma \odot r \f$, where \f$\mu\f$ is the
///   entry's initial mean (1 for norm scales, else 0) and \f$\sigma\f$ its
///   initial standard deviation by the fan rule: \f$\sigma^2 = gain / fan\f$,
///   fan-in (hyperfan-in) or fan-out (hyperfan-out). At initialisation the
///   generated weights therefore have the variance a directly initialised
///   target would have (Chang, Sacramento, Grewe 2020, "Principled weight
///   initialization for hypernetworks"). The per-element \f$\sigma\f$ is a
///   fixed buffer rather than folded into the head's weights, so a head shared
///   by several layers (chunked generators) still gives each layer its own
///   variance.
/// - kMip: \f$ \theta = \theta_0 + \sigma \odot r \f$ with \f$\theta_0\f$ a
///   learned vector initialised like a direct target, and the head
///   initialised `mip_delta_scale` times smaller so the residual starts near
///   zero (Ortiz, Guttag, Dalca 2023, "Magnitude Invariant Parametrizations
///   Improve Hypernetwork Learning", additive output formulation).
///
/// Calibration: the hyperfan rule holds in expectation over the generator's
/// random embeddings; with a few fixed chunk / layer embeddings one entry's
/// raw variance can be off by 30-50%. `calibrate` measures each entry's raw
/// second moment on sample conditions and rescales that entry's $\sigma$
/// so the rule holds for the embeddings actually drawn (a data-free,
/// LSUV-like correction done once at initialisation).

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>

#include "hnet/interval.h"
#include "hnet/spec.h"

namespace hnet {

enum class OutputMode { kDirect, kMip };

/// Parses "direct" / "mip"; throws c10::ValueError naming the value otherwise.
OutputMode parse_output_mode(const std::string& name);
/// Parses "in" / "out" (the hyperfan rule); throws c10::ValueError otherwise.
Fan parse_fan(const std::string& name);

/// Example: `OutputOptions().mode(OutputMode::kMip).fan(Fan::kIn)`
struct OutputOptions {
  TORCH_ARG(OutputMode, mode) = OutputMode::kDirect;
  /// hyperfan-in (kIn) or hyperfan-out (kOut).
  TORCH_ARG(Fan, fan) = Fan::kIn;
  /// kMip only: the residual's initial scale relative to the weights.
  TORCH_ARG(double, mip_delta_scale) = 1e-2;
};

/// Buffers `mean`, `scale` (the per-element \f$\sigma\f$) [N]; parameter
/// `theta0` [N] in kMip mode.
/// forward: raw [B, N] -> weights [B, N].
class OutputParametrizationImpl : public torch::nn::Cloneable<OutputParametrizationImpl> {
 public:
  OutputParametrizationImpl(std::shared_ptr<const Spec> spec, OutputOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  torch::Tensor forward(const torch::Tensor& raw);
  /// The vector the scaled raw outputs are added to: theta0 (kMip) or mean.
  /// forward(raw) = base() + scale * raw, which generators may compute fused
  /// with their head (kernels::affine_head).
  const torch::Tensor& base() const {
    return theta0.defined() ? theta0 : mean;
  }
  /// The same map on an interval of raw outputs (scale >= 0, so exact).
  Interval forward_interval(const Interval& raw);

  /// Variance the head's raw outputs should have at initialisation: 1
  /// (kDirect) or mip_delta_scale^2 (kMip).
  double head_variance() const;

  /// Mean of raw^2 per spec entry over a batch of raw outputs [B, N] -> [entries].
  torch::Tensor entry_second_moments(const torch::Tensor& raw) const;
  /// Rescales each entry's scale so raw outputs with per-entry second
  /// moments `moments` [entries] give the variance the fan rule asks for.
  void calibrate(const torch::Tensor& moments);

  std::shared_ptr<const Spec> spec;
  OutputOptions options;
  torch::Tensor mean;
  torch::Tensor scale;
  torch::Tensor theta0;
};
TORCH_MODULE(OutputParametrization);

/// Hyperfan standard deviation of a head's weights: with `fan_in` inputs of
/// second moment `input_second_moment`, N(0, std^2) weights give outputs of
/// variance `output_variance`.
double hyperfan_head_std(int64_t fan_in, double input_second_moment, double output_variance);

}  // namespace hnet
