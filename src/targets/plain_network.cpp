#include "hnet/targets/plain_network.h"

#include <algorithm>

namespace hnet {

PlainNetwork& PlainNetwork::add(std::string op) {
  ops_.push_back({std::move(op), {}, {}});
  return *this;
}

PlainNetwork& PlainNetwork::tensor(
    const std::string& role, const std::string& name, const torch::Tensor& value) {
  TORCH_INTERNAL_ASSERT(!ops_.empty(), "PlainNetwork: tensor '", name, "' before any operation");
  const bool taken =
      std::any_of(tensors_.begin(), tensors_.end(), [&](const auto& t) { return t.first == name; });
  TORCH_INTERNAL_ASSERT(!taken, "PlainNetwork: tensor '", name, "' added twice");
  ops_.back().tensors.emplace_back(role, name);
  tensors_.emplace_back(name, value.detach().contiguous().clone());
  return *this;
}

PlainNetwork& PlainNetwork::value(const std::string& key, const c10::Scalar& v) {
  TORCH_INTERNAL_ASSERT(!ops_.empty(), "PlainNetwork: value '", key, "' before any operation");
  ops_.back().values.emplace_back(key, v);
  return *this;
}

PlainNetwork& PlainNetwork::activation(Activation a) {
  // The parameters apply_activation uses, stated so that a reader need not
  // know PyTorch's defaults.
  switch (a) {
    case Activation::kIdentity:
      return *this;
    case Activation::kLeakyRelu:
      return add("leaky_relu").value("negative_slope", kLeakyReluSlope);
    case Activation::kElu:
      return add("elu").value("alpha", kEluAlpha);
    default:
      return add(activation_name(a));
  }
}

}  // namespace hnet
