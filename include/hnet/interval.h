#pragma once
/// \file
/// Interval arithmetic (interval bound propagation) in centre-radius form,
/// for HyperInterval (Krukowski et al. 2024, "HyperInterval: Hypernetwork
/// approach to training weight interval regions in continual learning"): an
/// interval of task embeddings is pushed through a generator to an interval
/// of target weights, and that through the target to an interval of logits.
///
/// Every function returns an interval that contains the value of the point
/// computation for every point of its input intervals (sound, not tight).

#include <torch/types.h>

#include "hnet/activation.h"

namespace hnet {

/// [center - radius, center + radius] element-wise; radius >= 0.
struct Interval {
  torch::Tensor center;
  torch::Tensor radius;

  torch::Tensor lower() const {
    return center - radius;
  }
  torch::Tensor upper() const {
    return center + radius;
  }
  /// A degenerate interval (radius 0) around `point`.
  static Interval point(const torch::Tensor& point);
};

/// x W^T + b for point weights: center' = W c + b, radius' = |W| r.
/// x: [M, in]; w: [out, in]; b: [out] or undefined.
Interval interval_linear(const Interval& x, const torch::Tensor& w, const torch::Tensor& b);

/// x W^T + b with interval weights and bias (unbatched):
/// center' = Wc xc + bc, radius' = |Wc| xr + Wr |xc| + Wr xr + br.
Interval interval_linear(const Interval& x, const Interval& w, const Interval& b);

/// A monotone activation applied to both ends. Throws for activations that
/// are not monotone (sin, gelu), naming them.
Interval interval_activation(Activation a, const Interval& x);

/// Worst-case cross-entropy inside logit intervals [N, C]: the true class at
/// its lower end and every other class at its upper end (mean over N).
torch::Tensor worst_case_cross_entropy(const Interval& logits, const torch::Tensor& labels);

}  // namespace hnet
