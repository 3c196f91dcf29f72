#include "head_plan.h"

#include <ATen/ATen.h>

#include <vector>

#include "hnet/kernels/linear.h"
#include "sgemm.h"

namespace hnet::kernels::detail {
namespace {

struct Run {
  int64_t begin, end;  // output columns [begin, end)
  float scale, base;
};

constexpr size_t kMaxRuns = 4096;  // more: a per-element scale, use the composed operators

// Runs of constant (scale, base) or, with a varying base, of constant scale;
// empty when there are more than kMaxRuns. Cached: the scale and a constant
// base change only when a checkpoint is loaded or the generator is
// re-initialised. The cache holds weak references, so a cached tensor's
// address cannot be reused by another tensor while it is compared against.
const std::vector<Run>& constant_runs(
    const torch::Tensor& scale, const torch::Tensor& base, bool base_varies) {
  using Weak = c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;
  struct Cache {
    Weak scale{c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>()};
    Weak base{c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>()};
    int64_t scale_version = -1, base_version = -1;
    const void *scale_data = nullptr, *base_data = nullptr;
    bool base_varies = false;
    std::vector<Run> runs;
  };
  thread_local Cache cache;
  auto same = [](const Weak& weak, const torch::Tensor& t) {
    return !weak.expired() && weak._unsafe_get_target() == t.unsafeGetTensorImpl();
  };
  if (same(cache.scale, scale) && same(cache.base, base) &&
      cache.scale_version == scale._version() && cache.base_version == base._version() &&
      cache.scale_data == scale.data_ptr() && cache.base_data == base.data_ptr() &&
      cache.base_varies == base_varies) {
    return cache.runs;
  }
  cache.scale = Weak(scale.getIntrusivePtr());
  cache.base = Weak(base.getIntrusivePtr());
  cache.scale_version = scale._version();
  cache.base_version = base._version();
  cache.scale_data = scale.data_ptr();
  cache.base_data = base.data_ptr();
  cache.base_varies = base_varies;
  cache.runs.clear();
  const int64_t n = scale.numel();
  const float* s = scale.data_ptr<float>();
  const float* m = base.data_ptr<float>();
  int64_t begin = 0;
  for (int64_t i = 1; i <= n; ++i) {
    if (i < n && s[i] == s[begin] && (base_varies || m[i] == m[begin])) continue;
    cache.runs.push_back({begin, i, s[begin], base_varies ? 0.0f : m[begin]});
    if (cache.runs.size() > kMaxRuns) {
      cache.runs.clear();
      break;
    }
    begin = i;
  }
  return cache.runs;
}

std::vector<Block> blocks(const std::vector<Run>& runs, int64_t c) {
  std::vector<Block> out;
  auto column_blocks = [&](int64_t begin, int64_t end, const Run& r) {
    for (int64_t n = begin; n < end;) {
      const int64_t k = n / c, stop = std::min(end, (k + 1) * c);
      out.push_back({false, k, k + 1, n - k * c, stop - k * c, r.scale, r.base});
      n = stop;
    }
  };
  for (const Run& r : runs) {
    const int64_t k0 = (r.begin + c - 1) / c, k1 = r.end / c;  // whole chunks inside
    if (k0 >= k1) {
      column_blocks(r.begin, r.end, r);
      continue;
    }
    column_blocks(r.begin, k0 * c, r);
    out.push_back({true, k0, k1, 0, c, r.scale, r.base});
    column_blocks(k1 * c, r.end, r);
  }
  return out;
}

}  // namespace

std::vector<Block> fast_plan(
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
  const bool eligible = sgemm_enabled() && x.numel() > 0 && n > 0 && detail::eligible(x) &&
                        detail::eligible(w) && detail::eligible(bias) && detail::eligible(scale) &&
                        detail::eligible(base) && !scale.requires_grad();
  if (!eligible) return {};
  return blocks(constant_runs(scale, base, base.requires_grad()), w.size(0));
}

}  // namespace hnet::kernels::detail
