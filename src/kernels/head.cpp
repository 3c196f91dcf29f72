#include "hnet/kernels/head.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <vector>

#include "head_plan.h"
#include "hnet/kernels/distance.h"
#include "sgemm.h"

namespace hnet::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

using detail::Block;

// The head bias rides along as an extra input column of ones when the head
// is narrow (chunked generators; copying them is cheap); for a wide head
// (full generators) it goes into the output's initial value instead.
bool bias_as_column(const torch::Tensor& w) {
  return w.numel() <= (int64_t{1} << 22);
}

torch::Tensor with_ones_column(const torch::Tensor& x) {
  return at::cat({x, at::ones({x.size(0), 1}, x.options())}, 1);
}

// The composed operators, for anything the fast path does not take.
torch::Tensor composed(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
    const torch::Tensor& scale, const torch::Tensor& base, int64_t batch) {
  const int64_t grid = x.size(0) / batch * w.size(0);
  auto raw = at::linear(x, w, bias).view({batch, grid}).narrow(1, 0, scale.numel());
  return at::addcmul(base, scale, raw);
}

// `batch` copies of `v` [N] as new memory [batch, N]. Not expand().contiguous(),
// which for batch 1 returns a view of `v` that the products would write into.
torch::Tensor rows_of(const torch::Tensor& v, int64_t batch) {
  auto out = at::empty({batch, v.size(0)}, v.options());
  out.copy_(v.expand({batch, v.size(0)}));
  return out;
}

// The head's bias tiled over the chunk grid and cut to [N].
torch::Tensor tiled(const torch::Tensor& bias, int64_t chunks, int64_t n) {
  return bias.repeat({chunks}).narrow(0, 0, n);
}

// The block plan travels to backward in saved_data, as lists.
void save_plan(AutogradContext* ctx, const std::vector<Block>& plan) {
  std::vector<int64_t> ints;
  std::vector<double> values;
  for (const Block& b : plan) {
    ints.insert(ints.end(), {b.row_block ? 1 : 0, b.k0, b.k1, b.j0, b.j1});
    values.insert(values.end(), {b.scale, b.base});
  }
  ctx->saved_data["plan_ints"] = ints;
  ctx->saved_data["plan_values"] = values;
}

std::vector<Block> load_plan(AutogradContext* ctx) {
  const auto ints = ctx->saved_data["plan_ints"].toIntVector();
  const auto values = ctx->saved_data["plan_values"].toDoubleVector();
  std::vector<Block> plan;
  for (size_t i = 0; i < values.size() / 2; ++i) {
    const int64_t* p = ints.data() + 5 * i;
    plan.push_back(
        {p[0] == 1, p[1], p[2], p[3], p[4], static_cast<float>(values[2 * i]),
         static_cast<float>(values[2 * i + 1])});
  }
  return plan;
}

// The operands of the products: the head with its bias as an extra column
// (narrow heads) or as part of the output's initial value (wide heads).
struct Operands {
  torch::Tensor xa, wa;  // [R, H'] and [C, H']
  bool column;
  int64_t hidden;  // H
};

Operands operands(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias) {
  const bool column = bias_as_column(w);
  return {
      column ? with_ones_column(x) : x, column ? at::cat({w, bias.unsqueeze(1)}, 1) : w, column,
      x.size(1)};
}

// forward: base + scale * (x w^T + bias) on the chunk grid, cut to [B, N].
torch::Tensor head_forward(
    const Operands& o, const torch::Tensor& bias, const torch::Tensor& scale,
    const torch::Tensor& base, int64_t batch, const std::vector<Block>& plan) {
  const int64_t rows = o.xa.size(0), c = o.wa.size(0), n = scale.numel(), k = rows / batch;
  const int64_t h = o.xa.size(1);
  const bool learned_base = base.requires_grad();
  torch::Tensor out;
  if (!o.column) {
    out = rows_of(at::addcmul(base, scale, tiled(bias, k, n)), batch);
  } else if (learned_base) {
    out = rows_of(base, batch);
  } else {
    out = at::empty({batch, n}, o.xa.options());
  }
  const bool prefilled = !o.column || learned_base;
  const float *xp = o.xa.data_ptr<float>(), *wp = o.wa.data_ptr<float>();
  float* op = out.data_ptr<float>();
  for (const Block& blk : plan) {
    const int64_t j0 = blk.j0, width = blk.j1 - blk.j0;
    float beta = prefilled ? 1.0f : 0.0f;
    if (!prefilled && blk.base != 0.0f) {
      beta = 1.0f;
      if (blk.row_block) {
        out.narrow(1, blk.k0 * c, (blk.k1 - blk.k0) * c).fill_(blk.base);
      } else {
        out.narrow(1, blk.k0 * c + j0, width).fill_(blk.base);
      }
    }
    if (blk.row_block) {
      for (int64_t b = 0; b < batch; ++b) {
        detail::sgemm(
            false, true, blk.k1 - blk.k0, c, h, blk.scale, xp + (b * k + blk.k0) * h, h, wp, h,
            beta, op + b * n + blk.k0 * c, c);
      }
    } else {
      detail::sgemm(
          false, true, batch, width, h, blk.scale, xp + blk.k0 * h, k * h, wp + j0 * h, h, beta,
          op + blk.k0 * c + j0, n);
    }
  }
  return out;
}

struct Gradients {
  torch::Tensor x, w, bias, base;
};

// backward for an output gradient `g` [B, N] times the constant `factor`
// (folded into the products' alpha, so no pass over g scales it).
Gradients head_backward(
    const Operands& o, const torch::Tensor& scale, const torch::Tensor& g, double factor,
    int64_t batch, const std::vector<Block>& plan, bool want_base) {
  const int64_t rows = o.xa.size(0), h = o.xa.size(1), c = o.wa.size(0), n = g.size(1);
  const int64_t k = rows / batch;
  auto gxa = at::zeros({rows, h}, o.xa.options());
  auto gwa = at::zeros({c, h}, o.wa.options());
  const float *xp = o.xa.data_ptr<float>(), *wp = o.wa.data_ptr<float>();
  const float* gp = g.data_ptr<float>();
  float *gxp = gxa.data_ptr<float>(), *gwp = gwa.data_ptr<float>();
  for (const Block& blk : plan) {
    const float s = static_cast<float>(blk.scale * factor);
    if (blk.row_block) {
      const int64_t m = blk.k1 - blk.k0;
      for (int64_t b = 0; b < batch; ++b) {
        const float* gb = gp + b * n + blk.k0 * c;
        const int64_t row = b * k + blk.k0;
        detail::sgemm(false, false, m, h, c, s, gb, c, wp, h, 1.0f, gxp + row * h, h);
        detail::sgemm(true, false, c, h, m, s, gb, c, xp + row * h, h, 1.0f, gwp, h);
      }
      continue;
    }
    const int64_t width = blk.j1 - blk.j0;
    const float* gb = gp + blk.k0 * c + blk.j0;
    detail::sgemm(
        false, false, batch, h, width, s, gb, n, wp + blk.j0 * h, h, 1.0f, gxp + blk.k0 * h, k * h);
    detail::sgemm(
        true, false, width, h, batch, s, gb, n, xp + blk.k0 * h, k * h, 1.0f, gwp + blk.j0 * h, h);
  }
  Gradients out;
  if (o.column) {
    out.bias = gwa.select(1, o.hidden);
    if (want_base) out.base = g.sum(0) * factor;
  } else {
    auto colsum = g.sum(0) * factor;
    if (want_base) out.base = colsum;
    out.bias = at::constant_pad_nd(colsum * scale, {0, k * c - n}).view({k, c}).sum(0);
  }
  out.x = o.column ? gxa.narrow(1, 0, o.hidden) : gxa;
  out.w = o.column ? gwa.narrow(1, 0, o.hidden) : gwa;
  return out;
}

void save(
    AutogradContext* ctx, const Operands& o, const torch::Tensor& scale, int64_t batch,
    const std::vector<Block>& plan, const torch::Tensor& extra) {
  ctx->save_for_backward({o.xa, o.wa, scale, extra});
  ctx->saved_data["batch"] = batch;
  ctx->saved_data["column"] = o.column;
  ctx->saved_data["hidden"] = o.hidden;
  save_plan(ctx, plan);
}

struct Saved {
  Operands operands;
  torch::Tensor scale, extra;
  int64_t batch;
  std::vector<Block> plan;
};

Saved restore(AutogradContext* ctx) {
  const auto t = ctx->get_saved_variables();
  return {
      {t[0], t[1], ctx->saved_data["column"].toBool(), ctx->saved_data["hidden"].toInt()},
      t[2],
      t[3],
      ctx->saved_data["batch"].toInt(),
      load_plan(ctx)};
}

struct AffineHead : torch::autograd::Function<AffineHead> {
  static torch::Tensor forward(
      AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
      const torch::Tensor& bias, const torch::Tensor& scale, const torch::Tensor& base,
      int64_t batch, const std::vector<Block>& plan) {
    const auto o = operands(x, w, bias);
    save(ctx, o, scale, batch, plan, torch::Tensor());
    return head_forward(o, bias, scale, base, batch, plan);
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto s = restore(ctx);
    const auto g = head_backward(
        s.operands, s.scale, grads[0].contiguous(), 1.0, s.batch, s.plan, ctx->needs_input_grad(4));
    return {g.x, g.w, g.bias, torch::Tensor(), g.base, torch::Tensor(), torch::Tensor()};
  }
};

// sum((head output - target)^2): the difference d is formed in place of the
// output and kept; backward feeds 2 d times the incoming gradient to the
// products through their alpha.
struct HeadSquaredDistance : torch::autograd::Function<HeadSquaredDistance> {
  static torch::Tensor forward(
      AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
      const torch::Tensor& bias, const torch::Tensor& scale, const torch::Tensor& base,
      int64_t batch, const std::vector<Block>& plan, const torch::Tensor& target) {
    const auto o = operands(x, w, bias);
    auto d = head_forward(o, bias, scale, base, batch, plan);
    d.sub_(target);
    save(ctx, o, scale, batch, plan, d);
    return at::linalg_vector_norm(d, 2).square();
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto s = restore(ctx);
    const auto g = head_backward(
        s.operands, s.scale, s.extra, 2 * grads[0].item<double>(), s.batch, s.plan,
        ctx->needs_input_grad(4));
    return {g.x,
            g.w,
            g.bias,
            torch::Tensor(),
            g.base,
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor affine_head(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
    const torch::Tensor& scale, const torch::Tensor& base, int64_t batch) {
  const auto plan = detail::fast_plan(x, w, bias, scale, base, batch);
  if (plan.empty()) return composed(x, w, bias, scale, base, batch);
  return AffineHead::apply(x, w, bias, scale, base, batch, plan);
}

torch::Tensor affine_head_squared_distance(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
    const torch::Tensor& scale, const torch::Tensor& base, int64_t batch,
    const torch::Tensor& target) {
  TORCH_CHECK(
      target.dim() == 2 && target.size(0) == batch && target.size(1) == scale.numel(),
      "affine_head_squared_distance: target must be [", batch, ", ", scale.numel(), "], got ",
      target.sizes());
  TORCH_CHECK(
      !target.requires_grad(),
      "affine_head_squared_distance: the target must be a constant (no gradient)");
  const auto plan = detail::fast_plan(x, w, bias, scale, base, batch);
  if (plan.empty() || !detail::eligible(target)) {
    return squared_distance(composed(x, w, bias, scale, base, batch), target);
  }
  return HeadSquaredDistance::apply(x, w, bias, scale, base, batch, plan, target);
}

}  // namespace hnet::kernels
