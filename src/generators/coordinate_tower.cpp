#include "hnet/generators/coordinate_tower.h"

#include <cmath>

#include "hnet/kernels/linear.h"

namespace hnet {

CoordinateTowerImpl::CoordinateTowerImpl(
    int64_t in_dim, std::vector<int64_t> hidden, int64_t out_dim, Activation activation)
    : in_dim(in_dim), out_dim(out_dim), hidden(std::move(hidden)), activation(activation) {
  reset();
}

void CoordinateTowerImpl::reset() {
  first = register_module("first", torch::nn::Linear(in_dim, hidden.front()));
  trunk = register_module(
      "trunk",
      Trunk(hidden.front(), std::vector<int64_t>(hidden.begin() + 1, hidden.end()), activation));
  head = register_module("head", torch::nn::Linear(hidden.back(), out_dim));
  reset_parameters();
}

void CoordinateTowerImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  first->weight.normal_(0.0, std::sqrt(activation_gain(activation) / in_dim));
  first->bias.zero_();
  trunk->reset_parameters();
  head->weight.normal_(0.0, std::sqrt(1.0 / head->weight.size(1)));
  head->bias.zero_();
}

torch::Tensor CoordinateTowerImpl::first_product(
    const std::vector<torch::Tensor>& parts, const torch::Tensor& extra) const {
  torch::Tensor pre = first->bias;
  int64_t column = 0;
  for (const auto& x : parts) {
    pre = pre + first_part(x, column);
    column += x.size(1);
  }
  return extra.defined() ? pre + extra : pre;
}

torch::Tensor CoordinateTowerImpl::first_part(const torch::Tensor& x, int64_t column) const {
  return kernels::linear(x, first->weight.narrow(1, column, x.size(1)).contiguous(), {});
}

torch::Tensor CoordinateTowerImpl::finish(const torch::Tensor& pre) {
  return kernels::linear(
      trunk->forward(apply_activation(activation, pre)), head->weight, head->bias);
}

}  // namespace hnet
