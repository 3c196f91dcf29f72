#pragma once
/// \file
/// Small residual network target in the style of ResNet-20 for 32x32 CIFAR
/// images (He et al. 2016, "Deep Residual Learning for Image Recognition",
/// section 4.2): a 3x3 stem, three stages of n basic blocks with widths
/// w, 2w, 4w (stride 2 between stages), global average pooling, one linear
/// layer. depth = 6n + 2 (20 -> n = 3). Shortcuts that change shape use a
/// 1x1 projection (option B).

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>

#include "hnet/targets/norm.h"
#include "hnet/targets/target.h"

namespace hnet {

/// Example: `ResNetOptions().depth(20).in_channels(1).norm(Norm::kBatch)`
struct ResNetOptions {
  /// 6n + 2 with n >= 1 (8, 14, 20, 32, ...).
  TORCH_ARG(int64_t, depth) = 20;
  TORCH_ARG(int64_t, in_channels) = 1;
  /// Width of the first stage; the others are 2x and 4x.
  TORCH_ARG(int64_t, width) = 16;
  TORCH_ARG(int64_t, classes) = 10;
  /// kBatch: batch norm after every convolution (see norm.h).
  TORCH_ARG(Norm, norm) = Norm::kBatch;
  TORCH_ARG(int64_t, stats_slots) = 1;
};

/// Spec entries: stem.conv.weight, stem.bn.{scale,shift} (or stem.conv.bias
/// without norm), per block s{stage}b{block}.conv{1,2}.weight,
/// s{stage}b{block}.bn{1,2}.*, and where the shape changes
/// s{stage}b{block}.proj.weight, s{stage}b{block}.proj_bn.*; fc.weight, fc.bias.
/// forward: x [N, in_channels, H, W] (any H, W >= 4) -> logits [N, classes].
class ResNetImpl : public torch::nn::Cloneable<ResNetImpl>, public Target {
 public:
  explicit ResNetImpl(ResNetOptions options = {});
  ~ResNetImpl() override;
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

  ResNetOptions options;

 private:
  struct Unit;  // a convolution and its batch norm, defined in res_net.cpp
  struct Block;
  std::shared_ptr<const Spec> spec_;
  std::vector<Unit> units_;  // stem, then per block conv1, conv2[, proj]
  std::vector<Block> blocks_;
  size_t fc_ = 0;
  int64_t stats_slot_ = 0;
};
TORCH_MODULE(ResNet);

}  // namespace hnet
