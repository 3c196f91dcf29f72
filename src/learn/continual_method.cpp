#include "hnet/learn/continual_method.h"

namespace hnet {

torch::Tensor ContinualMethod::regularizer(int64_t, at::Generator&) {
  return {};
}

c10::optional<std::vector<torch::Tensor>> ContinualMethod::universal_weights(int64_t) {
  return c10::nullopt;
}

}  // namespace hnet
