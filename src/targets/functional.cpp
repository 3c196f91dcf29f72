#include "hnet/targets/functional.h"

#include <ATen/ATen.h>

#include "hnet/kernels/linear.h"
#include "hnet/spec.h"

namespace hnet::functional {

int64_t group_size(int64_t n, int64_t b, const char* who) {
  TORCH_CHECK(b > 0, who, ": number of weight sets must be > 0, got ", b);
  TORCH_CHECK(
      n % b == 0, who, ": input has ", n, " rows, which is not a multiple of the ", b,
      " weight sets");
  return n / b;
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias) {
  TORCH_CHECK(x.dim() == 2, "linear: input must be [N, in], got ", shape_str(x.sizes()));
  TORCH_CHECK(
      x.size(1) == w.size(-1), "linear: input has ", x.size(1), " features but the weight ",
      shape_str(w.sizes()), " expects ", w.size(-1));
  if (w.dim() == 2) return kernels::linear(x, w, bias);
  TORCH_CHECK(
      w.dim() == 3, "linear: weight must be [out, in] or [B, out, in], got ", shape_str(w.sizes()));
  const int64_t sets = w.size(0);
  const int64_t g = group_size(x.size(0), sets, "linear");
  auto xg = x.view({sets, g, x.size(1)});
  auto y = bias.defined() ? at::baddbmm(bias.unsqueeze(1), xg, w.transpose(1, 2))
                          : at::bmm(xg, w.transpose(1, 2));
  return y.view({x.size(0), w.size(1)});
}

torch::Tensor conv2d(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
    torch::IntArrayRef stride, torch::IntArrayRef padding, torch::IntArrayRef dilation) {
  TORCH_CHECK(x.dim() == 4, "conv2d: input must be [N, C, H, W], got ", shape_str(x.sizes()));
  TORCH_CHECK(
      x.size(1) == w.size(-3), "conv2d: input has ", x.size(1), " channels but the weight ",
      shape_str(w.sizes()), " expects ", w.size(-3));
  if (w.dim() == 4) return at::conv2d(x, w, bias, stride, padding, dilation);
  TORCH_CHECK(
      w.dim() == 5, "conv2d: weight must be [O, C, k, k] or [B, O, C, k, k], got ",
      shape_str(w.sizes()));
  const int64_t sets = w.size(0), out = w.size(1), c = x.size(1);
  const int64_t g = group_size(x.size(0), sets, "conv2d");
  // One grouped convolution: the B weight sets become B groups, and the G
  // samples of each set become the convolution's batch.
  auto xg = x.view({sets, g, c, x.size(2), x.size(3)})
                .transpose(0, 1)
                .reshape({g, sets * c, x.size(2), x.size(3)});
  auto wg = w.reshape({sets * out, c, w.size(3), w.size(4)});
  auto bg = bias.defined() ? bias.reshape({sets * out}) : bias;
  auto y = at::conv2d(xg, wg, bg, stride, padding, dilation, /*groups=*/sets);
  return y.view({g, sets, out, y.size(2), y.size(3)})
      .transpose(0, 1)
      .reshape({x.size(0), out, y.size(2), y.size(3)});
}

torch::Tensor batch_norm(
    const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& shift,
    const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training,
    double momentum, double eps) {
  TORCH_CHECK(x.dim() >= 2, "batch_norm: input must be [N, C, ...], got ", shape_str(x.sizes()));
  const int64_t c = x.size(1);
  TORCH_CHECK(
      scale.size(-1) == c && shift.size(-1) == c, "batch_norm: input has ", c,
      " channels but scale is ", shape_str(scale.sizes()), " and shift ", shape_str(shift.sizes()));
  if (scale.dim() == 1) {
    return at::batch_norm(
        x, scale, shift, running_mean, running_var, training, momentum, eps,
        /*cudnn_enabled=*/true);
  }
  const int64_t sets = scale.size(0);
  const int64_t g = group_size(x.size(0), sets, "batch_norm");
  // [B, G, C, rest]: statistics per (weight set, channel).
  auto xg = x.reshape({sets, g, c, -1});
  torch::Tensor mean, var;
  if (training) {
    var = xg.var({1, 3}, /*unbiased=*/false, /*keepdim=*/true);
    mean = xg.mean({1, 3}, /*keepdim=*/true);
    if (running_mean.defined()) {
      at::NoGradGuard no_grad;
      const int64_t count = g * xg.size(3);
      auto unbiased = var.squeeze(3).squeeze(1) * (count / std::max<double>(count - 1, 1));
      running_mean.mul_(1 - momentum).add_(mean.squeeze(3).squeeze(1).mean(0), momentum);
      running_var.mul_(1 - momentum).add_(unbiased.mean(0), momentum);
    }
  } else {
    TORCH_CHECK(running_mean.defined(), "batch_norm: evaluation needs running statistics");
    mean = running_mean.view({1, 1, c, 1});
    var = running_var.view({1, 1, c, 1});
  }
  auto y = (xg - mean) * at::rsqrt(var + eps) * scale.view({sets, 1, c, 1}) +
           shift.view({sets, 1, c, 1});
  return y.view(x.sizes());
}

}  // namespace hnet::functional
