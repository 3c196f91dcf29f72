#include "conv_unit.h"

#include <algorithm>

#include "hnet/targets/functional.h"
#include "hnet/targets/phm.h"

namespace hnet::detail {

ConvUnit::ConvUnit(
    Spec& spec, torch::nn::Module& owner, const std::string& name, const std::string& bn_name,
    ConvUnitShape shape, Norm norm, double gain, int64_t slots)
    : name_(name), bn_name_(bn_name), shape_(shape) {
  weight_ = spec.size();
  const std::vector<int64_t> dense{shape.out, shape.in, shape.kernel, shape.kernel};
  if (shape.phm > 0) {
    add_phm_weight(spec, "ConvUnit", name, dense, shape.phm, gain);
  } else {
    spec.add_weight(name + ".weight", dense, gain);
  }
  bias_or_scale_ = spec.size();
  if (norm == Norm::kNone) {
    spec.add_bias(name + ".bias", shape.out, shape.in * shape.kernel * shape.kernel);
    return;
  }
  spec.add_norm(bn_name + ".scale", shape.out, Role::kScale);
  shift_ = spec.size();
  spec.add_norm(bn_name + ".shift", shape.out, Role::kShift);
  std::string module_name = bn_name;
  std::replace(module_name.begin(), module_name.end(), '.', '_');
  stats_ = owner.register_module(module_name, BatchNormStats(shape.out, slots));
}

torch::Tensor ConvUnit::kernel(const Weights& w) const {
  // PHM: the kernel is composed once per forward (one batched product), then
  // the convolution is the dense one.
  return shape_.phm > 0 ? functional::phm_weight(w[weight_], w[weight_ + 1]) : w[weight_];
}

torch::Tensor ConvUnit::forward(const torch::Tensor& x, const Weights& w, int64_t slot) const {
  if (!stats_) {
    return functional::conv2d(x, kernel(w), w[bias_or_scale_], shape_.stride, shape_.padding);
  }
  auto y = functional::conv2d(x, kernel(w), {}, shape_.stride, shape_.padding);
  return stats_.ptr()->forward(y, w[bias_or_scale_], w[shift_], slot);
}

void ConvUnit::add_to(PlainNetwork& net, const Weights& w, int64_t slot) const {
  net.add("conv2d").tensor("weight", name_ + ".weight", kernel(w));
  if (shape_.phm > 0) net.value("composed_from_phm", shape_.phm);
  if (!stats_) net.tensor("bias", name_ + ".bias", w[bias_or_scale_]);
  net.value("stride", shape_.stride).value("padding", shape_.padding);
  if (!stats_) return;
  const auto& stats = *stats_;
  TORCH_CHECK(
      slot >= 0 && slot < stats.slots, "ConvUnit: stats slot must be in [0, ", stats.slots,
      "), got ", slot);
  net.add("batch_norm")
      .tensor("weight", bn_name_ + ".scale", w[bias_or_scale_])
      .tensor("bias", bn_name_ + ".shift", w[shift_])
      .tensor("running_mean", bn_name_ + ".running_mean", stats.running_mean[slot])
      .tensor("running_var", bn_name_ + ".running_var", stats.running_var[slot])
      .value("eps", stats.eps);
}

}  // namespace hnet::detail
