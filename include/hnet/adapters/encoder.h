#pragma once
/// \file
/// The frozen backbone of multi-task adaptation and the hook every
/// adaptation method plugs into.
///
/// `Encoder` is a hierarchical conv encoder for 28x28 images: stages of
/// doubling width (16/32/64/128 by default), each of `convs_per_stage` 3x3
/// convolutions with ReLU, the first of every stage after the first with
/// stride 2 (28 -> 14 -> 7 -> 4 pixels). Its forward returns the feature map
/// at the end of every stage, so that dense decoders can use all scales.
///
/// An `Adaptation` changes the encoder per task without touching its
/// weights: an additive update of a conv layer's weight (LoRA, FLoRA,
/// Maestro) and/or a module applied to a layer's output after its ReLU
/// (bottleneck adapters, and adapters emitted by hypernetworks: Hyperformer,
/// Polyhistor). Conv layers are numbered from 0 in forward order.

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hnet::adapters {

/// The shape of one conv layer of the encoder: weight [out, in, kernel, kernel], bias [out].
struct ConvLayerShape {
  int64_t in = 0, out = 0, kernel = 0, stride = 1;
};

/// Per-task changes of a frozen `Encoder` (see the file comment). The
/// defaults change nothing.
class Adaptation : public torch::nn::Module {
 public:
  /// An additive update of conv layer `layer`'s weight for task `task`, of
  /// the weight's shape; an undefined tensor for none.
  virtual torch::Tensor weight_delta(int64_t task, int64_t layer);
  /// Layer `layer`'s output `h` [N, C, H, W] (after its ReLU) for task `task`.
  virtual torch::Tensor adapt_features(int64_t task, int64_t layer, const torch::Tensor& h);
  /// Called once before every training step (Maestro samples its ranks).
  virtual void begin_step(torch::Generator& /*generator*/) {}
  /// Called once when training ends (Maestro goes back to its full rank).
  virtual void finish_training() {}
  /// A term added to the training loss (Maestro's group lasso); undefined for none.
  virtual torch::Tensor penalty() {
    return {};
  }
};

struct EncoderOptions {
  std::vector<int64_t> widths{16, 32, 64, 128};
  int64_t convs_per_stage = 2;
  int64_t kernel = 3;
  int64_t in_channels = 1;
};

/// The conv layers of an encoder with `options`, in forward order.
/// c10::ValueError naming the field when a width, count or kernel is < 1 or
/// the kernel is even.
std::vector<ConvLayerShape> encoder_layers(const EncoderOptions& options);

class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(EncoderOptions options);

  /// The feature map at the end of every stage of `x` [N, in, H, W], with
  /// task `task`'s changes from `adaptation` (null: none).
  std::vector<torch::Tensor> forward(
      const torch::Tensor& x, Adaptation* adaptation = nullptr, int64_t task = 0);

  const std::vector<ConvLayerShape>& layers() const {
    return layers_;
  }
  const EncoderOptions& options() const {
    return options_;
  }
  /// Channels of each stage's feature map.
  const std::vector<int64_t>& stage_widths() const {
    return options_.widths;
  }

  std::vector<torch::Tensor> weights, biases;

 private:
  EncoderOptions options_;
  std::vector<ConvLayerShape> layers_;
};
TORCH_MODULE(Encoder);

/// The name of an adaptation's parameter of kind `kind` for task `task` and
/// conv layer `layer`: "<kind>_t<task>_l<layer>".
std::string parameter_name(const char* kind, size_t task, size_t layer);

/// A bottleneck adapter on `h` [N, C, H, W]: h + up(relu(down(h) + down_b)) (+ up_b),
/// with down [r, C], down_b [r], up [C, r], up_b [C] (undefined: no bias).
/// Shared by the per-task adapters and the ones hypernetworks emit.
torch::Tensor bottleneck(
    const torch::Tensor& h, const torch::Tensor& down, const torch::Tensor& down_b,
    const torch::Tensor& up, const torch::Tensor& up_b);

}  // namespace hnet::adapters
