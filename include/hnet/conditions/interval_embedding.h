#pragma once
/// \file
/// Interval task embeddings (Krukowski et al. 2024, "HyperInterval: Hypernetwork
/// approach to training weight interval regions in continual learning"): task t
/// is conditioned on the box [c_t - r, c_t + r] with r = eps / dim per
/// coordinate (eps is the interval's L1 budget, so the same eps means the
/// same perturbation size for any width). The centres are kept in the nested
/// form c_t = (r / 2) cos(e_t) of a free table e, so |c_t| <= r / 2 and every
/// task's box contains [-r / 2, r / 2]: the boxes always share a common part,
/// whose centre is the *universal* embedding, one network for all tasks.

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "hnet/interval.h"

namespace hnet {

/// Example: `IntervalEmbeddingOptions(5, 32).eps(0.5)`
struct IntervalEmbeddingOptions {
  IntervalEmbeddingOptions(int64_t tasks, int64_t dim) : tasks_(tasks), dim_(dim) {}
  /// Radius per coordinate: eps / dim.
  double radius() const {
    return eps() / static_cast<double>(dim());
  }
  /// E[c^2] of a centre entry at initialisation: (r / 2)^2 E[cos^2 e] with
  /// e ~ N(0, 1), and E[cos^2 e] = (1 + exp(-2)) / 2.
  double second_moment() const;

  TORCH_ARG(int64_t, tasks);
  TORCH_ARG(int64_t, dim);
  /// L1 radius budget of every interval (> 0).
  TORCH_ARG(double, eps) = 0.5;
};

/// Parameter `weight` [tasks, dim] (the free table e, N(0, 1) at start).
class IntervalEmbeddingImpl : public torch::nn::Cloneable<IntervalEmbeddingImpl> {
 public:
  explicit IntervalEmbeddingImpl(IntervalEmbeddingOptions options);
  void reset() override;
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;

  /// Centres of tasks [first, first + count): [count, dim].
  torch::Tensor rows(int64_t first, int64_t count) const;
  /// The intervals of `centres` ([B, dim], from rows()) with the radius
  /// scaled by `scale` (in [0, 1]; training ramps it in).
  Interval intervals(const torch::Tensor& centres, double scale) const;
  /// The centre of the intersection of tasks [0, count)'s intervals: [1, dim].
  torch::Tensor universal(int64_t count) const;

  int64_t output_dim() const {
    return options.dim();
  }
  double second_moment() const {
    return options.second_moment();
  }

  IntervalEmbeddingOptions options;
  torch::Tensor weight;
};
TORCH_MODULE(IntervalEmbedding);

}  // namespace hnet
