#include "hnet/interval.h"

#include <ATen/ATen.h>

namespace hnet {

Interval Interval::point(const torch::Tensor& point) {
  return {point, torch::zeros_like(point)};
}

Interval interval_linear(const Interval& x, const torch::Tensor& w, const torch::Tensor& b) {
  return {at::linear(x.center, w, b), at::linear(x.radius, w.abs())};
}

Interval interval_linear(const Interval& x, const Interval& w, const Interval& b) {
  auto center = at::linear(x.center, w.center, b.center);
  auto radius = at::linear(x.radius, w.center.abs()) + at::linear(x.center.abs(), w.radius) +
                at::linear(x.radius, w.radius, b.radius);
  return {center, radius};
}

Interval interval_activation(Activation a, const Interval& x) {
  TORCH_CHECK(
      a != Activation::kSin && a != Activation::kGelu, "interval arithmetic needs a monotone ",
      "activation; got ", activation_name(a));
  auto lo = apply_activation(a, x.lower());
  auto hi = apply_activation(a, x.upper());
  return {(hi + lo) * 0.5, (hi - lo) * 0.5};
}

torch::Tensor worst_case_cross_entropy(const Interval& logits, const torch::Tensor& labels) {
  auto is_true = at::one_hot(labels, logits.center.size(1)).to(logits.center.scalar_type());
  auto worst = logits.center + logits.radius * (1 - 2 * is_true);
  return at::cross_entropy_loss(worst, labels);
}

}  // namespace hnet
