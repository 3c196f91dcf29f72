#include "hnet/learn/task_inference.h"

#include <torch/nn/functional/activation.h>

#include <vector>

namespace hnet {

InferredAccuracy inferred_accuracy(
    ContinualLearner& learner, int64_t true_task, int64_t candidates, const data::TaskData& data) {
  TORCH_CHECK(
      true_task >= 0 && true_task < candidates && candidates <= learner.tasks(),
      "inferred_accuracy: need 0 <= true_task < candidates <= ", learner.tasks(),
      ", got true_task ", true_task, ", candidates ", candidates);
  const int64_t n = data.size();
  if (n == 0) return {};
  torch::NoGradGuard no_grad;
  auto& module = learner.target().as_module();
  const bool was_training = module.is_training();
  module.eval();
  std::vector<torch::Tensor> weights;
  for (int64_t j = 0; j < candidates; ++j) weights.push_back(learner.task_weights(j));
  const int64_t batch = learner.options().eval_batch_size();
  int64_t domain = 0, cls = 0, inferred = 0;
  for (int64_t start = 0; start < n; start += batch) {
    const int64_t len = std::min(batch, n - start);
    const auto x = data.inputs(start, len);
    std::vector<torch::Tensor> entropies, predictions;
    for (int64_t j = 0; j < candidates; ++j) {
      const auto logits = learner.logits(weights[j], x, j);
      const auto log_p = torch::log_softmax(logits, 1);
      entropies.push_back(-(log_p.exp() * log_p).sum(1));
      predictions.push_back(logits.argmax(1));
    }
    // [candidates, len] -> the lowest-entropy network per example, and its class.
    const auto chosen = torch::stack(entropies).argmin(0);
    const auto predicted = torch::stack(predictions).gather(0, chosen.unsqueeze(0)).squeeze(0);
    const auto right_task = chosen.eq(true_task);
    const auto right_class = predicted.eq(data.labels.narrow(0, start, len));
    inferred += right_task.sum().item<int64_t>();
    domain += right_class.sum().item<int64_t>();
    cls += right_task.logical_and(right_class).sum().item<int64_t>();
  }
  module.train(was_training);
  const double total = static_cast<double>(n);
  return {domain / total, cls / total, inferred / total};
}

double scenario_accuracy(
    ContinualLearner& learner, Scenario scenario, int64_t true_task, int64_t candidates,
    const data::TaskData& data) {
  if (scenario == Scenario::kTask) return learner.task_accuracy(true_task, data);
  const auto a = inferred_accuracy(learner, true_task, candidates, data);
  return scenario == Scenario::kDomain ? a.domain : a.cls;
}

}  // namespace hnet
