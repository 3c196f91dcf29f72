#pragma once
// The output layer the full, chunked and recurrent generators share: a
// Linear head over K head rows per condition (K = 1 for a full head, the
// chunks otherwise), its [B * K, C] outputs read as [B, K * C] and cut to the
// target's N values, then the output parametrization. Internal to
// src/generators/.

#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include "hnet/interval.h"
#include "hnet/parametrizations/output_parametrization.h"

namespace hnet::detail {

// Holds references to a generator's registered `head` and `output`; make one
// per call (a copy would outlive a clone's modules).
class GeneratorHead {
 public:
  GeneratorHead(torch::nn::LinearImpl& head, OutputParametrizationImpl& output)
      : head_(head), output_(output) {}

  // x [B * K, H] -> weights [B, N]: output(raw(x, batch)), fused
  // (kernels::affine_head).
  torch::Tensor forward(const torch::Tensor& x, int64_t batch) const;
  // sum((forward(x, batch) - target)^2), fused
  // (kernels::affine_head_squared_distance); target [B, N], a constant.
  torch::Tensor squared_distance(
      const torch::Tensor& x, int64_t batch, const torch::Tensor& target) const;
  // The head's raw outputs before the output parametrization, [B, N].
  torch::Tensor raw(const torch::Tensor& x, int64_t batch) const;
  // An interval of head inputs [B * K, H] -> an interval of weights [B, N].
  Interval forward_interval(const Interval& x, int64_t batch) const;

 private:
  // [B * K, C] read as [B, K * C] and cut to [B, N].
  torch::Tensor cut(const torch::Tensor& rows, int64_t batch) const;
  torch::nn::LinearImpl& head_;
  OutputParametrizationImpl& output_;
};

}  // namespace hnet::detail
