#pragma once
/// \file
/// LeNet-like convolutional target for small images (LeCun et al. 1998):
/// conv5x5 -> act -> maxpool2 -> conv5x5 -> act -> maxpool2 -> fc -> act -> fc.

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include <vector>

#include "hnet/activation.h"
#include "hnet/targets/norm.h"
#include "hnet/targets/target.h"

namespace hnet {

/// Example: `ConvNetOptions().channels({20, 50}).hidden(500).norm(Norm::kBatch)`
struct ConvNetOptions {
  TORCH_ARG(int64_t, in_channels) = 1;
  /// Input height = width; 28 for Fashion-MNIST. Must leave a positive size
  /// after two (5x5 valid convolution, 2x2 pooling) stages: >= 16.
  TORCH_ARG(int64_t, image_size) = 28;
  /// Output channels of the two convolutions.
  TORCH_ARG(std::vector<int64_t>, channels) = std::vector<int64_t>{20, 50};
  TORCH_ARG(int64_t, hidden) = 500;
  TORCH_ARG(int64_t, classes) = 10;
  TORCH_ARG(Activation, activation) = Activation::kRelu;
  /// kBatch: batch norm after each convolution (see norm.h).
  TORCH_ARG(Norm, norm) = Norm::kNone;
  /// Running-statistics slots when norm is kBatch.
  TORCH_ARG(int64_t, stats_slots) = 1;
  /// 0: dense layers. n >= 1: conv2 and fc1 (almost all the parameters) are
  /// PHM layers with n Kronecker terms (see phm.h), about 1/n of their dense
  /// size; conv1 (it reads the image channels, 1 for grey images) and fc2
  /// (it emits the classes) stay dense. n must divide channels[0],
  /// channels[1] and hidden.
  TORCH_ARG(int64_t, phm) = 0;
};

/// Spec entries: conv1.weight, conv1.bias | bn1.scale, bn1.shift, conv2.*,
/// bn2.*, fc1.weight, fc1.bias, fc2.weight, fc2.bias; with phm n, conv2.weight
/// and fc1.weight are replaced by their factors "<layer>.phm_a" [n, n, n] and
/// "<layer>.phm_f" [n, out/n, in/n, k...].
/// forward: x [N, in_channels, image_size, image_size] -> logits [N, classes].
class ConvNetImpl : public torch::nn::Cloneable<ConvNetImpl>, public Target {
 public:
  explicit ConvNetImpl(ConvNetOptions options = {});
  ~ConvNetImpl() override;
  void reset() override;
  void pretty_print(std::ostream& stream) const override;
  const std::shared_ptr<const Spec>& spec() const override {
    return spec_;
  }
  torch::nn::Module& as_module() override {
    return *this;
  }
  torch::Tensor forward(const torch::Tensor& x, const Weights& w) override;

  /// Running statistics used and updated by later forwards (norm kBatch).
  void set_stats_slot(int64_t slot) override;
  /// Per convolution `conv2d` (then `batch_norm` with the current slot's
  /// statistics), the activation, `max_pool2d` 2; then `flatten`, fc1, the
  /// activation, fc2. PHM kernels and weights are composed.
  PlainNetwork plain_network(const Weights& w) override;

  ConvNetOptions options;

 private:
  struct Conv;  // a convolution (and batch norm), defined in conv_net.cpp
  struct Fc;    // a dense or PHM fully connected layer, likewise
  std::shared_ptr<const Spec> spec_;
  std::vector<Conv> convs_;
  std::vector<Fc> fcs_;
  int64_t stats_slot_ = 0;
};
TORCH_MODULE(ConvNet);

}  // namespace hnet
