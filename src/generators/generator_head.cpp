#include "generator_head.h"

#include "hnet/kernels/head.h"
#include "hnet/kernels/linear.h"

namespace hnet::detail {

torch::Tensor GeneratorHead::forward(const torch::Tensor& x, int64_t batch) const {
  return kernels::affine_head(x, head_.weight, head_.bias, output_.scale, output_.base(), batch);
}

torch::Tensor GeneratorHead::squared_distance(
    const torch::Tensor& x, int64_t batch, const torch::Tensor& target) const {
  return kernels::affine_head_squared_distance(
      x, head_.weight, head_.bias, output_.scale, output_.base(), batch, target);
}

torch::Tensor GeneratorHead::raw(const torch::Tensor& x, int64_t batch) const {
  return cut(kernels::linear(x, head_.weight, head_.bias), batch);
}

Interval GeneratorHead::forward_interval(const Interval& x, int64_t batch) const {
  const auto raw = interval_linear(x, head_.weight, head_.bias);
  return output_.forward_interval({cut(raw.center, batch), cut(raw.radius, batch)});
}

torch::Tensor GeneratorHead::cut(const torch::Tensor& rows, int64_t batch) const {
  const int64_t n = output_.scale.numel();
  // The grid width K * C; with no conditions there are no rows to read it from.
  const int64_t width = batch > 0 ? rows.numel() / batch : n;
  return rows.view({batch, width}).narrow(1, 0, n);
}

}  // namespace hnet::detail
