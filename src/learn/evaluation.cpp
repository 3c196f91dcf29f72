#include "hnet/learn/evaluation.h"

namespace hnet {

torch::Tensor reshape_inputs(const torch::Tensor& inputs, const std::vector<int64_t>& shape) {
  if (shape.empty()) return inputs;
  std::vector<int64_t> sizes{inputs.size(0)};
  sizes.insert(sizes.end(), shape.begin(), shape.end());
  return inputs.reshape(sizes);
}

double accuracy(
    Target& target, const Weights& w, const data::TaskData& data, int64_t batch_size,
    const std::vector<int64_t>& input_shape) {
  TORCH_CHECK(batch_size > 0, "accuracy: batch_size must be > 0, got ", batch_size);
  torch::NoGradGuard no_grad;
  auto& module = target.as_module();
  const bool was_training = module.is_training();
  module.eval();
  int64_t correct = 0;
  const int64_t n = data.size();
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t len = std::min(batch_size, n - start);
    auto logits = target.forward(reshape_inputs(data.inputs(start, len), input_shape), w);
    correct += logits.argmax(1).eq(data.labels.narrow(0, start, len)).sum().item<int64_t>();
  }
  module.train(was_training);
  return n ? static_cast<double>(correct) / n : 0.0;
}

double accuracy(Target& target, const Weights& w, const data::Dataset& data, int64_t batch_size) {
  data::TaskData plain;
  plain.images = data.images;
  plain.labels = data.labels;
  return accuracy(target, w, plain, batch_size);
}

}  // namespace hnet
