#pragma once
// A convolution optionally followed by batch normalisation, as used by the
// convolutional targets: registers its spec entries and statistics buffers
// and runs them. Internal to the targets.

#include <torch/nn/module.h>

#include <string>

#include "hnet/spec.h"
#include "hnet/targets/norm.h"
#include "hnet/targets/plain_network.h"
#include "hnet/weights.h"

namespace hnet::detail {

struct ConvUnitShape {
  int64_t in = 0;
  int64_t out = 0;
  int64_t kernel = 3;
  int64_t stride = 1;
  int64_t padding = 1;
  // 0: a dense kernel "<name>.weight"; n >= 1: PHM factors "<name>.phm_a",
  // "<name>.phm_f" (see phm.h). The owner checks n against the channels.
  int64_t phm = 0;
};

class ConvUnit {
 public:
  ConvUnit() = default;
  // Adds "<name>.weight" (or its PHM factors) and either "<name>.bias" (no norm) or
  // "<bn_name>.scale"/"<bn_name>.shift" plus a BatchNormStats submodule named
  // bn_name (dots replaced) of `owner`.
  ConvUnit(
      Spec& spec, torch::nn::Module& owner, const std::string& name, const std::string& bn_name,
      ConvUnitShape shape, Norm norm, double gain, int64_t slots);

  torch::Tensor forward(const torch::Tensor& x, const Weights& w, int64_t slot) const;
  // Appends the unit to `net`: a `conv2d` op on "<name>.weight" (a PHM kernel
  // composed, marked composed_from_phm) and "<name>.bias", or, with batch
  // norm, a bias-free `conv2d` and a `batch_norm` op on "<bn_name>.scale",
  // ".shift" and the running statistics of `slot` as
  // "<bn_name>.running_mean", ".running_var". Unbatched w.
  void add_to(PlainNetwork& net, const Weights& w, int64_t slot) const;

 private:
  torch::Tensor kernel(const Weights& w) const;

  std::string name_;
  std::string bn_name_;
  size_t weight_ = 0;
  size_t bias_or_scale_ = 0;
  size_t shift_ = 0;
  ConvUnitShape shape_;
  BatchNormStats stats_{nullptr};
};

}  // namespace hnet::detail
