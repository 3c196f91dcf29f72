#include "hnet/generators/trunk.h"

#include <cmath>

#include "hnet/kernels/linear.h"
#include "hnet/spec.h"

namespace hnet {

TrunkImpl::TrunkImpl(int64_t in_dim, std::vector<int64_t> hidden, Activation activation)
    : in_dim(in_dim), hidden(std::move(hidden)), activation(activation) {
  reset();
}

void TrunkImpl::reset() {
  TORCH_CHECK(in_dim > 0, "Trunk: input width must be > 0, got ", in_dim);
  for (int64_t h : hidden) {
    TORCH_CHECK(h > 0, "Trunk: hidden widths must be > 0, got ", shape_str(hidden));
  }
  layers.clear();
  int64_t in = in_dim;
  for (size_t i = 0; i < hidden.size(); ++i) {
    layers.push_back(
        register_module("fc" + std::to_string(i + 1), torch::nn::Linear(in, hidden[i])));
    in = hidden[i];
  }
  reset_parameters();
}

void TrunkImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  for (auto& layer : layers) {
    const double std = std::sqrt(activation_gain(activation) / layer->weight.size(1));
    layer->weight.normal_(0.0, std);
    layer->bias.zero_();
  }
}

void TrunkImpl::pretty_print(std::ostream& stream) const {
  stream << "hnet::Trunk(in=" << in_dim << ", hidden=" << shape_str(hidden)
         << ", activation=" << activation_name(activation) << ")";
}

torch::Tensor TrunkImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = x;
  for (auto& layer : layers) {
    h = apply_activation(activation, kernels::linear(h, layer->weight, layer->bias));
  }
  return h;
}

torch::Tensor TrunkImpl::forward_pairs(const torch::Tensor& cond, const torch::Tensor& emb) {
  const int64_t c = cond.size(1), e = emb.size(1), b = cond.size(0), k = emb.size(0);
  TORCH_INTERNAL_ASSERT(c + e == in_dim, "Trunk: pair widths ", c, " + ", e, " != ", in_dim);
  if (layers.empty()) {
    return torch::cat({cond.unsqueeze(1).expand({b, k, c}), emb.unsqueeze(0).expand({b, k, e})}, 2)
        .view({b * k, in_dim});
  }
  const auto& w = layers[0]->weight;
  auto from_cond =
      kernels::linear(cond, w.narrow(1, 0, c).contiguous(), layers[0]->bias);  // [B, h]
  auto from_emb = kernels::linear(emb, w.narrow(1, c, e).contiguous(), {});    // [K, h]
  auto h = apply_activation(activation, from_cond.unsqueeze(1) + from_emb.unsqueeze(0))
               .view({b * k, w.size(0)});
  for (size_t i = 1; i < layers.size(); ++i) {
    h = apply_activation(activation, kernels::linear(h, layers[i]->weight, layers[i]->bias));
  }
  return h;
}

Interval TrunkImpl::forward_interval(const Interval& x) {
  Interval h = x;
  for (auto& layer : layers) {
    h = interval_activation(activation, interval_linear(h, layer->weight, layer->bias));
  }
  return h;
}

Interval TrunkImpl::forward_pairs_interval(const Interval& cond, const torch::Tensor& emb) {
  const int64_t b = cond.center.size(0), k = emb.size(0);
  if (layers.empty()) {
    return {forward_pairs(cond.center, emb), forward_pairs(cond.radius, torch::zeros_like(emb))};
  }
  // First layer: the condition part carries the radius, the embedding part
  // is exact.
  const auto& w = layers[0]->weight;
  const int64_t c = cond.center.size(1), e = emb.size(1);
  auto from_cond = interval_linear(cond, w.narrow(1, 0, c), layers[0]->bias);  // [B, h]
  auto from_emb = torch::mm(emb, w.narrow(1, c, e).t());                       // [K, h]
  Interval pre{
      (from_cond.center.unsqueeze(1) + from_emb.unsqueeze(0)).view({b * k, w.size(0)}),
      from_cond.radius.unsqueeze(1).expand({b, k, w.size(0)}).reshape({b * k, w.size(0)})};
  Interval h = interval_activation(activation, pre);
  for (size_t i = 1; i < layers.size(); ++i) {
    h = interval_activation(activation, interval_linear(h, layers[i]->weight, layers[i]->bias));
  }
  return h;
}

double TrunkImpl::output_second_moment(const torch::Tensor& sample) {
  torch::NoGradGuard no_grad;
  return forward(sample).pow(2).mean().item<double>();
}

}  // namespace hnet
