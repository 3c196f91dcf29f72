// Per-task, Hyperformer and Polyhistor bottleneck adapters (bottleneck_adapters.h).

#include "hnet/adapters/bottleneck_adapters.h"

#include <algorithm>
#include <cmath>

#include "hnet/errors.h"

namespace hnet::adapters {
namespace {

void check_rank(const std::vector<ConvLayerShape>& layers, int64_t rank) {
  HNET_CHECK_INPUT(rank >= 1, "adapter rank must be >= 1, got ", rank);
  for (size_t l = 0; l < layers.size(); ++l) {
    HNET_CHECK_INPUT(
        rank <= layers[l].out, "adapter rank ", rank, " exceeds the ", layers[l].out,
        " channels of conv layer ", l);
  }
}

// Rows of normal values at 1/sqrt(columns): a unit-scale embedding table.
torch::Tensor embedding_table(int64_t rows, int64_t size) {
  return torch::randn({rows, size}) / std::sqrt(static_cast<double>(size));
}

}  // namespace

BottleneckAdapters::BottleneckAdapters(
    const std::vector<ConvLayerShape>& layers, int64_t tasks, int64_t rank) {
  check_rank(layers, rank);
  parts_.resize(tasks);
  for (int64_t t = 0; t < tasks; ++t) {
    for (size_t l = 0; l < layers.size(); ++l) {
      const int64_t c = layers[l].out;
      parts_[t].push_back(
          {register_parameter(
               parameter_name("down", t, l),
               torch::randn({rank, c}) / std::sqrt(static_cast<double>(c))),
           register_parameter(parameter_name("down_bias", t, l), torch::zeros({rank})),
           register_parameter(parameter_name("up", t, l), torch::zeros({c, rank})),
           register_parameter(parameter_name("up_bias", t, l), torch::zeros({c}))});
    }
  }
}

torch::Tensor BottleneckAdapters::adapt_features(
    int64_t task, int64_t layer, const torch::Tensor& h) {
  const auto& p = parts_[task][layer];
  return bottleneck(h, p[0], p[1], p[2], p[3]);
}

HyperformerAdapters::HyperformerAdapters(
    const std::vector<ConvLayerShape>& layers, int64_t tasks, const AdapterHypernetworkOptions& o)
    : layers_(layers), rank_(o.rank) {
  check_rank(layers, o.rank);
  widest_ = 0;
  for (const auto& l : layers) widest_ = std::max(widest_, l.out);
  task_embedding_ = register_parameter("task_embedding", embedding_table(tasks, o.embedding));
  layer_embedding_ = register_parameter(
      "layer_embedding", embedding_table(static_cast<int64_t>(layers.size()), o.embedding));
  trunk_ = register_module("trunk", torch::nn::Linear(2 * o.embedding, o.hidden));
  // Down weight [r, widest] and bias [r]; up weight [widest, r] and bias [widest].
  down_head_ = register_module("down_head", torch::nn::Linear(o.hidden, rank_ * widest_ + rank_));
  up_head_ = register_module("up_head", torch::nn::Linear(o.hidden, widest_ * rank_ + widest_));
  torch::NoGradGuard no_grad;
  up_head_->weight.zero_();
  up_head_->bias.zero_();
}

torch::Tensor HyperformerAdapters::adapt_features(
    int64_t task, int64_t layer, const torch::Tensor& h) {
  const int64_t c = layers_[layer].out;
  const auto z = torch::relu(trunk_(torch::cat({task_embedding_[task], layer_embedding_[layer]})));
  const auto d = down_head_(z);
  const auto u = up_head_(z);
  const auto down = d.narrow(0, 0, rank_ * widest_).view({rank_, widest_}).narrow(1, 0, c);
  const auto down_b = d.narrow(0, rank_ * widest_, rank_);
  const auto up = u.narrow(0, 0, widest_ * rank_).view({widest_, rank_}).narrow(0, 0, c);
  const auto up_b = u.narrow(0, widest_ * rank_, c);
  return bottleneck(h, down, down_b, up, up_b);
}

PolyhistorAdapters::PolyhistorAdapters(
    const std::vector<ConvLayerShape>& layers, int64_t tasks, const AdapterHypernetworkOptions& o)
    : layers_(layers), rank_(o.rank), factor_rank_(o.factor_rank), lite_(o.lite) {
  check_rank(layers, o.rank);
  HNET_CHECK_INPUT(
      o.factor_rank >= 1 && o.factor_rank <= o.rank, "Polyhistor factor rank must lie in [1, ",
      o.rank, "] (the adapter rank), got ", o.factor_rank);
  // Polyhistor emits factors for the widest layer (sliced per layer, as
  // Hyperformer does); Lite emits a template of the narrowest layer's width.
  template_width_ = layers.front().out;
  for (const auto& l : layers) {
    template_width_ = lite_ ? std::min(template_width_, l.out) : std::max(template_width_, l.out);
  }
  for (size_t l = 0; lite_ && l < layers.size(); ++l) {
    HNET_CHECK_INPUT(
        layers[l].out % template_width_ == 0, "Polyhistor-Lite: the ", layers[l].out,
        " channels of conv layer ", l, " are not a multiple of the narrowest layer's ",
        template_width_, " (the template width)");
  }
  task_embedding_ = register_parameter("task_embedding", embedding_table(tasks, o.embedding));
  layer_embedding_ = register_parameter(
      "layer_embedding", embedding_table(static_cast<int64_t>(layers.size()), o.embedding));
  const int64_t ct = template_width_, k = factor_rank_;
  left_trunk_ = register_module("left_trunk", torch::nn::Linear(2 * o.embedding, o.hidden));
  left_head_ = register_module("left_head", torch::nn::Linear(o.hidden, 2 * ct * k));
  right_trunk_ = register_module("right_trunk", torch::nn::Linear(2 * o.embedding, o.hidden));
  // Down's right factor [r, k], up's right factor [r, k], down bias [r].
  right_head_ = register_module("right_head", torch::nn::Linear(o.hidden, 2 * rank_ * k + rank_));
  {
    // The up template's right factor starts at zero: identity adapters.
    torch::NoGradGuard no_grad;
    right_head_->weight.narrow(0, rank_ * k, rank_ * k).zero_();
    right_head_->bias.narrow(0, rank_ * k, rank_ * k).zero_();
  }
  for (size_t l = 0; lite_ && l < layers.size(); ++l) {
    const int64_t s = layers[l].out / ct;
    down_kernels_.push_back(
        register_parameter(parameter_name("down_kernel", 0, l), torch::ones({s})));
    up_kernels_.push_back(register_parameter(parameter_name("up_kernel", 0, l), torch::ones({s})));
  }
}

torch::Tensor PolyhistorAdapters::adapt_features(
    int64_t task, int64_t layer, const torch::Tensor& h) {
  const int64_t ct = template_width_, k = factor_rank_;
  const auto e = torch::cat({task_embedding_[task], layer_embedding_[layer]});
  const auto left = left_head_(torch::relu(left_trunk_(e)));
  const auto right = right_head_(torch::relu(right_trunk_(e)));
  // [c_t, r]: left [c_t, k] times right [r, k] transposed.
  auto down = left.narrow(0, 0, ct * k)
                  .view({ct, k})
                  .mm(right.narrow(0, 0, rank_ * k).view({rank_, k}).t());
  auto up = left.narrow(0, ct * k, ct * k)
                .view({ct, k})
                .mm(right.narrow(0, rank_ * k, rank_ * k).view({rank_, k}).t());
  const auto down_b = right.narrow(0, 2 * rank_ * k, rank_);
  const int64_t c = layers_[layer].out;
  if (lite_) {
    // kron(kernel [s, 1], template [c_t, r]) = [s c_t, r]: scaled copies of the template.
    down = torch::kron(down_kernels_[layer].unsqueeze(1), down);
    up = torch::kron(up_kernels_[layer].unsqueeze(1), up);
  } else {
    down = down.narrow(0, 0, c);
    up = up.narrow(0, 0, c);
  }
  return bottleneck(h, down.t(), down_b, up, torch::Tensor());
}

}  // namespace hnet::adapters
