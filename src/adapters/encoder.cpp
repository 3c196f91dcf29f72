// The hierarchical conv encoder of multi-task adaptation and the identity
// adaptation (encoder.h).

#include "hnet/adapters/encoder.h"

#include <torch/nn/functional/conv.h>
#include <torch/nn/init.h>

#include "hnet/errors.h"

namespace hnet::adapters {

namespace F = torch::nn::functional;

torch::Tensor Adaptation::weight_delta(int64_t /*task*/, int64_t /*layer*/) {
  return {};
}

torch::Tensor Adaptation::adapt_features(
    int64_t /*task*/, int64_t /*layer*/, const torch::Tensor& h) {
  return h;
}

std::vector<ConvLayerShape> encoder_layers(const EncoderOptions& o) {
  HNET_CHECK_INPUT(!o.widths.empty(), "encoder widths: at least one stage expected, got none");
  for (int64_t w : o.widths) {
    HNET_CHECK_INPUT(w >= 1, "encoder widths: each must be >= 1, got ", w);
  }
  HNET_CHECK_INPUT(
      o.convs_per_stage >= 1, "encoder convs_per_stage must be >= 1, got ", o.convs_per_stage);
  HNET_CHECK_INPUT(
      o.kernel >= 1 && o.kernel % 2 == 1, "encoder kernel must be odd and >= 1, got ", o.kernel);
  HNET_CHECK_INPUT(o.in_channels >= 1, "encoder in_channels must be >= 1, got ", o.in_channels);
  std::vector<ConvLayerShape> layers;
  int64_t in = o.in_channels;
  for (size_t s = 0; s < o.widths.size(); ++s) {
    for (int64_t c = 0; c < o.convs_per_stage; ++c) {
      layers.push_back({in, o.widths[s], o.kernel, s > 0 && c == 0 ? 2 : 1});
      in = o.widths[s];
    }
  }
  return layers;
}

EncoderImpl::EncoderImpl(EncoderOptions options)
    : options_(std::move(options)), layers_(encoder_layers(options_)) {
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto& s = layers_[l];
    auto w = torch::empty({s.out, s.in, s.kernel, s.kernel});
    torch::nn::init::kaiming_normal_(w, 0, torch::kFanIn, torch::kReLU);
    weights.push_back(register_parameter("conv" + std::to_string(l) + "_weight", w));
    biases.push_back(
        register_parameter("conv" + std::to_string(l) + "_bias", torch::zeros({s.out})));
  }
}

std::vector<torch::Tensor> EncoderImpl::forward(
    const torch::Tensor& x, Adaptation* adaptation, int64_t task) {
  std::vector<torch::Tensor> stages;
  torch::Tensor h = x;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto& s = layers_[l];
    const auto layer = static_cast<int64_t>(l);
    torch::Tensor w = weights[l];
    if (adaptation != nullptr) {
      const auto delta = adaptation->weight_delta(task, layer);
      if (delta.defined()) w = w + delta;
    }
    h = torch::relu(F::conv2d(
        h, w, F::Conv2dFuncOptions().bias(biases[l]).stride(s.stride).padding(s.kernel / 2)));
    if (adaptation != nullptr) h = adaptation->adapt_features(task, layer, h);
    if ((l + 1) % static_cast<size_t>(options_.convs_per_stage) == 0) stages.push_back(h);
  }
  return stages;
}

std::string parameter_name(const char* kind, size_t task, size_t layer) {
  return std::string(kind) + "_t" + std::to_string(task) + "_l" + std::to_string(layer);
}

torch::Tensor bottleneck(
    const torch::Tensor& h, const torch::Tensor& down, const torch::Tensor& down_b,
    const torch::Tensor& up, const torch::Tensor& up_b) {
  // 1x1 convolutions as channel contractions: [N, C, H, W] -> [N, r, H, W] -> [N, C, H, W].
  auto z = torch::einsum("nchw,rc->nrhw", {h, down});
  if (down_b.defined()) z = z + down_b.view({1, -1, 1, 1});
  auto y = torch::einsum("nrhw,cr->nchw", {torch::relu(z), up});
  if (up_b.defined()) y = y + up_b.view({1, -1, 1, 1});
  return h + y;
}

}  // namespace hnet::adapters
