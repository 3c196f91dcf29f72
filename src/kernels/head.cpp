#include "hnet/kernels/head.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include "hnet/kernels/linear.h"
#include "sgemm.h"

namespace hnet::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// The head bias repeats every C columns; folded into the per-column offset
// (base + scale * bias) it costs O(N), not a pass over [B, N].
torch::Tensor offset(
    const torch::Tensor& bias, const torch::Tensor& scale, const torch::Tensor& base,
    int64_t heads_per_set) {
  return at::addcmul(base, scale, bias.repeat({heads_per_set}).narrow(0, 0, scale.size(0)));
}

struct AffineHead : torch::autograd::Function<AffineHead> {
  static torch::Tensor forward(
      AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
      const torch::Tensor& bias, const torch::Tensor& scale, const torch::Tensor& base,
      int64_t batch) {
    const int64_t rows = x.size(0), c = w.size(0), n = scale.size(0), k = rows / batch;
    auto raw = at::empty({rows, c}, x.options());
    detail::sgemm(
        false, true, rows, c, x.size(1), x.data_ptr<float>(), w.data_ptr<float>(),
        raw.data_ptr<float>(), false);
    ctx->save_for_backward({x, w, scale});
    ctx->saved_data["batch"] = batch;
    return at::addcmul(offset(bias, scale, base, k), scale, raw.view({batch, k * c}).narrow(1, 0, n));
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &scale = saved[2];
    const auto& g = grads[0];
    const int64_t batch = ctx->saved_data["batch"].toInt();
    const int64_t rows = x.size(0), h = x.size(1), c = w.size(0), n = g.size(1);
    const int64_t k = rows / batch;
    // d raw = g * scale on the chunk grid, zero past the target's end.
    auto graw = at::empty({batch, k * c}, g.options());
    auto graw_cut = graw.narrow(1, 0, n);
    at::mul_out(graw_cut, g, scale);
    if (k * c > n) graw.narrow(1, n, k * c - n).zero_();
    auto g2 = graw.view({rows, c});
    torch::Tensor gx, gw, gbias, gbase;
    if (ctx->needs_input_grad(0)) {
      gx = at::empty({rows, h}, x.options());
      detail::sgemm(
          false, false, rows, h, c, g2.data_ptr<float>(), w.data_ptr<float>(),
          gx.data_ptr<float>(), false);
    }
    if (ctx->needs_input_grad(1)) {
      gw = at::empty({c, h}, w.options());
      detail::sgemm(
          true, false, c, h, rows, g2.data_ptr<float>(), x.data_ptr<float>(),
          gw.data_ptr<float>(), false);
    }
    if (ctx->needs_input_grad(2)) gbias = g2.sum(0);
    if (ctx->needs_input_grad(4)) gbase = g.sum(0);
    return {gx, gw, gbias, torch::Tensor(), gbase, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor affine_head(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
    const torch::Tensor& scale, const torch::Tensor& base, int64_t batch) {
  TORCH_CHECK(
      x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(1) && bias.dim() == 1 &&
          bias.size(0) == w.size(0),
      "affine_head: needs x [R, H], w [C, H], bias [C]; got ", x.sizes(), ", ", w.sizes(), ", ",
      bias.sizes());
  TORCH_CHECK(
      batch > 0 && x.size(0) % batch == 0, "affine_head: ", x.size(0),
      " head rows are not a multiple of the batch ", batch);
  const int64_t n = scale.numel(), grid = x.size(0) / batch * w.size(0);
  TORCH_CHECK(
      scale.dim() == 1 && base.sizes() == scale.sizes() && n <= grid, "affine_head: scale ",
      scale.sizes(), " and base ", base.sizes(), " must be [N] with N <= ", grid);
  const bool fast = sgemm_enabled() && x.numel() > 0 && detail::eligible(x) &&
                    detail::eligible(w) && detail::eligible(bias) && detail::eligible(scale) &&
                    detail::eligible(base);
  if (fast) return AffineHead::apply(x, w, bias, scale, base, batch);
  auto raw = at::linear(x, w, bias).view({batch, grid}).narrow(1, 0, n);
  return at::addcmul(base, scale, raw);
}

}  // namespace hnet::kernels
