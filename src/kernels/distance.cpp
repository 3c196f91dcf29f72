#include "hnet/kernels/distance.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

namespace hnet::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct SquaredDistance : torch::autograd::Function<SquaredDistance> {
  static torch::Tensor forward(
      AutogradContext* ctx, const torch::Tensor& a, const torch::Tensor& target) {
    auto d = at::sub(a, target);
    ctx->save_for_backward({d});
    return at::linalg_vector_norm(d, 2).square();
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    return {saved[0] * (grads[0] * 2), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor squared_distance(const torch::Tensor& a, const torch::Tensor& target) {
  TORCH_CHECK(
      a.sizes() == target.sizes(), "squared_distance: shapes differ: ", a.sizes(), " and ",
      target.sizes());
  TORCH_CHECK(
      !target.requires_grad(), "squared_distance: the target must be a constant (no gradient)");
  return SquaredDistance::apply(a, target);
}

}  // namespace hnet::kernels
