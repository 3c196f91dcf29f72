#include "hnet/activation.h"

#include <ATen/ATen.h>

#include <utility>
#include <vector>

#include "hnet/spec.h"

namespace hnet {
namespace {

const std::vector<std::pair<std::string, Activation>>& activation_names() {
  static const std::vector<std::pair<std::string, Activation>> names{
      {"relu", Activation::kRelu}, {"leaky_relu", Activation::kLeakyRelu},
      {"tanh", Activation::kTanh}, {"sigmoid", Activation::kSigmoid},
      {"elu", Activation::kElu},   {"gelu", Activation::kGelu},
      {"sin", Activation::kSin},   {"identity", Activation::kIdentity}};
  return names;
}

}  // namespace

Activation parse_activation(const std::string& name) {
  std::vector<std::string> known;
  for (const auto& [known_name, a] : activation_names()) {
    if (known_name == name) return a;
    known.push_back(known_name);
  }
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  TORCH_CHECK(
      false, "activation must be one of ", list, "; got '", name, "' (did you mean '",
      closest_name(name, known), "'?)");
}

std::string activation_name(Activation a) {
  for (const auto& [name, known] : activation_names()) {
    if (known == a) return name;
  }
  TORCH_INTERNAL_ASSERT(false, "unnamed activation");
}

torch::Tensor apply_activation(Activation a, const torch::Tensor& x) {
  switch (a) {
    case Activation::kRelu:
      return at::relu(x);
    case Activation::kLeakyRelu:
      return at::leaky_relu(x, kLeakyReluSlope);
    case Activation::kTanh:
      return at::tanh(x);
    case Activation::kSigmoid:
      return at::sigmoid(x);
    case Activation::kElu:
      return at::elu(x, kEluAlpha);
    case Activation::kGelu:
      return at::gelu(x);
    case Activation::kSin:
      return at::sin(x);
    case Activation::kIdentity:
      return x;
  }
  TORCH_INTERNAL_ASSERT(false, "unknown activation");
}

double activation_gain(Activation a) {
  switch (a) {
    case Activation::kRelu:
      return 2.0;
    case Activation::kLeakyRelu:
      return 2.0 / (1.0 + kLeakyReluSlope * kLeakyReluSlope);
    default:
      return 1.0;
  }
}

}  // namespace hnet
