#include "hnet/targets/phm.h"

#include <ATen/ATen.h>

#include "hnet/targets/functional.h"

namespace hnet {

void check_phm(
    const char* who, const std::string& layer, const std::vector<int64_t>& shape, int64_t n) {
  TORCH_INTERNAL_ASSERT(shape.size() >= 2, who, ": PHM layer ", layer, " needs [out, in, ...]");
  TORCH_CHECK(n >= 1, who, ": phm n must be >= 1, got n=", n);
  TORCH_CHECK(
      shape[0] % n == 0 && shape[1] % n == 0, who,
      ": phm n must divide the output and input sizes of layer ", layer, " ", shape_str(shape),
      ", got n=", n);
}

void add_phm_weight(
    Spec& spec, const char* who, const std::string& layer, const std::vector<int64_t>& shape,
    int64_t n, double gain) {
  check_phm(who, layer, shape, n);
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  SpecEntry a;
  a.name = layer + ".phm_a";
  a.shape = {n, n, n};
  a.fan_in = a.fan_out = n;  // variance 1/n: the n Kronecker terms add up to variance Var(F)
  a.gain = 1.0;
  spec.add(std::move(a));
  SpecEntry f;
  f.name = layer + ".phm_f";
  f.shape = {n, shape[0] / n, shape[1] / n};
  f.shape.insert(f.shape.end(), shape.begin() + 2, shape.end());
  f.fan_in = shape[1] * receptive;  // the dense layer's fans, so Var(W) follows its rule
  f.fan_out = shape[0] * receptive;
  f.gain = gain;
  spec.add(std::move(f));
}

}  // namespace hnet

namespace hnet::functional {

torch::Tensor phm_weight(const torch::Tensor& a, const torch::Tensor& f) {
  TORCH_CHECK(
      (a.dim() == 3 || a.dim() == 4) && a.size(-1) == a.size(-2) && a.size(-1) == a.size(-3),
      "phm_weight: rules a must be [n, n, n] or [B, n, n, n], got ", shape_str(a.sizes()));
  const bool batched = a.dim() == 4;
  const int64_t n = a.size(-1), lead = batched ? 1 : 0;
  TORCH_CHECK(
      f.dim() >= 3 + lead && f.size(lead) == n && (!batched || f.size(0) == a.size(0)),
      "phm_weight: filters f must be ", batched ? "[B, n, P, Q, ...]" : "[n, P, Q, ...]",
      " with n=", n, batched ? " and B=" + std::to_string(a.size(0)) : std::string(), ", got ",
      shape_str(f.sizes()));
  const int64_t sets = batched ? a.size(0) : 1;
  const int64_t p = f.size(lead + 1), q = f.size(lead + 2);
  int64_t rest = 1;  // kernel elements (1 for linear)
  for (int64_t d = lead + 3; d < f.dim(); ++d) rest *= f.size(d);
  // [B, (a, b), i] x [B, i, (p, q, k)] -> [B, a, b, p, q, k] -> [B, a, p, b, q, k]:
  // the Kronecker layout, row a*P + p and column b*Q + q.
  auto rules = a.reshape({sets, n, n * n}).transpose(1, 2);
  auto prod = at::bmm(rules, f.reshape({sets, n, p * q * rest}));
  auto w = prod.view({sets, n, n, p, q, rest}).permute({0, 1, 3, 2, 4, 5});
  std::vector<int64_t> shape{sets, n * p, n * q};
  for (int64_t d = lead + 3; d < f.dim(); ++d) shape.push_back(f.size(d));
  auto out = w.reshape(shape);
  return batched ? out : out.squeeze(0);
}

torch::Tensor phm_linear(
    const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& f,
    const torch::Tensor& bias) {
  TORCH_CHECK(
      f.dim() == a.dim(), "phm_linear: filters f must be [n, P, Q] or [B, n, P, Q], got ",
      shape_str(f.sizes()));
  return linear(x, phm_weight(a, f), bias);
}

torch::Tensor phm_conv2d(
    const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& f,
    const torch::Tensor& bias, torch::IntArrayRef stride, torch::IntArrayRef padding,
    torch::IntArrayRef dilation) {
  TORCH_CHECK(
      f.dim() == a.dim() + 2,
      "phm_conv2d: filters f must be [n, P, Q, kh, kw] or [B, n, P, Q, kh, kw], got ",
      shape_str(f.sizes()));
  return conv2d(x, phm_weight(a, f), bias, stride, padding, dilation);
}

}  // namespace hnet::functional
