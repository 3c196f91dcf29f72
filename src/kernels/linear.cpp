#include "hnet/kernels/linear.h"

#include <ATen/ATen.h>
#include <oneapi/dnnl/dnnl.h>
#include <torch/autograd.h>

#include <cstdlib>
#include <cstring>

#include "sgemm.h"

namespace hnet::kernels {
namespace detail {

void sgemm(
    bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const auto status = dnnl_sgemm(
      trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  TORCH_CHECK(status == dnnl_success, "dnnl_sgemm failed with status ", static_cast<int>(status));
}

void sgemm(
    bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, const float* b,
    float* c, bool accumulate) {
  sgemm(
      trans_a, trans_b, m, n, k, 1.0f, a, trans_a ? m : k, b, trans_b ? k : n,
      accumulate ? 1.0f : 0.0f, c, n);
}

bool eligible(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous();
}

}  // namespace detail

namespace {

using detail::eligible;
using detail::sgemm;

// y = x w^T on oneDNN, forward and backward. The bias is added outside:
// custom autograd functions do not take undefined tensors.
struct SgemmProduct : torch::autograd::Function<SgemmProduct> {
  static torch::Tensor forward(
      torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w) {
    ctx->save_for_backward({x, w});
    const int64_t m = x.size(0), k = x.size(1), n = w.size(0);
    auto y = at::empty({m, n}, x.options());
    sgemm(
        false, true, m, n, k, x.data_ptr<float>(), w.data_ptr<float>(), y.data_ptr<float>(), false);
    return y;
  }

  static torch::autograd::tensor_list backward(
      torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& w = saved[1];
    auto gy = grads[0].contiguous();
    const int64_t m = x.size(0), k = x.size(1), n = w.size(0);
    torch::Tensor gx, gw;
    if (ctx->needs_input_grad(0)) {
      gx = at::empty({m, k}, x.options());
      sgemm(
          false, false, m, k, n, gy.data_ptr<float>(), w.data_ptr<float>(), gx.data_ptr<float>(),
          false);
    }
    if (ctx->needs_input_grad(1)) {
      gw = at::empty({n, k}, w.options());
      sgemm(
          true, false, n, k, m, gy.data_ptr<float>(), x.data_ptr<float>(), gw.data_ptr<float>(),
          false);
    }
    return {gx, gw};
  }
};

}  // namespace

bool sgemm_enabled() {
  static const bool enabled = [] {
    const char* choice = std::getenv("HNET_SGEMM");
    return !(choice && std::strcmp(choice, "torch") == 0);
  }();
  return enabled;
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  if (!sgemm_enabled() || x.dim() != 2 || w.dim() != 2 || !eligible(x) || !eligible(w) ||
      (b.defined() && !eligible(b)) || x.size(1) != w.size(1) || x.numel() == 0) {
    return at::linear(x, w, b);
  }
  const bool tracked = torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() ||
                                                         (b.defined() && b.requires_grad()));
  if (!tracked) {
    // Inference: no autograd node; the bias is the product's initial value.
    // New memory: for one row, expand().contiguous() would be a view of b.
    auto y = at::empty({x.size(0), w.size(0)}, x.options());
    if (b.defined()) y.copy_(b.expand({x.size(0), w.size(0)}));
    sgemm(
        false, true, x.size(0), w.size(0), x.size(1), x.data_ptr<float>(), w.data_ptr<float>(),
        y.data_ptr<float>(), b.defined());
    return y;
  }
  auto y = SgemmProduct::apply(x, w);
  return b.defined() ? y + b : y;
}

}  // namespace hnet::kernels
