// Entropy-based task inference and the three scenarios, on two hand-made
// linear networks whose predictions and entropies can be read off.

#include "hnet/learn/task_inference.h"

#include <gtest/gtest.h>

#include "hnet/targets/mlp.h"

namespace hnet {
namespace {

// Task t's network is the fixed flat weight vector weights[t].
class FixedNetworks : public ContinualMethod {
 public:
  explicit FixedNetworks(std::vector<torch::Tensor> weights) : weights_(std::move(weights)) {}
  std::string name() const override {
    return "fixed";
  }
  std::vector<NamedParameter> begin_task(int64_t) override {
    return {};
  }
  torch::Tensor task_loss(
      Target&, int64_t, const torch::Tensor&, const torch::Tensor&, double) override {
    return {};
  }
  torch::Tensor task_weights(int64_t t) override {
    return weights_.at(t);
  }
  io::NamedTensors state() override {
    return {};
  }
  void load_state(const io::TensorFile&) override {}

 private:
  std::vector<torch::Tensor> weights_;
};

// A 2 -> 2 linear layer, flat as [w00, w01, w10, w11, b0, b1]. Task 1's
// network reads only x0 (class 0 when x0 > 0), task 2's only x1 (class 0 when
// x1 > 0): each is confident on its own task's inputs and undecided (uniform,
// the highest entropy) on the other's.
ContinualLearner two_axis_learner() {
  auto target = std::make_shared<MlpImpl>(MlpOptions({2, 2}));
  auto method = std::make_shared<FixedNetworks>(std::vector<torch::Tensor>{
      torch::tensor({4.f, 0.f, -4.f, 0.f, 0.f, 0.f}),
      torch::tensor({0.f, 4.f, 0.f, -4.f, 0.f, 0.f})});
  return ContinualLearner(target, method, 2, ContinualOptions().eval_batch_size(3));
}

data::TaskData examples(std::vector<float> xy, std::vector<int64_t> labels) {
  data::TaskData d;
  d.images = torch::tensor(xy).reshape({-1, 2});
  d.labels = torch::tensor(labels);
  return d;
}

TEST(TaskInference, HandMadeNetworksGiveHandCountedScenarioAccuracies) {
  auto learner = two_axis_learner();
  // Task 2's examples: two clear ones (right task, right class), one that
  // task 1's network is surer of (wrong task, but its class is right: the
  // domain scenario counts it, the class scenario does not), and one clear
  // one with the other label (right task, wrong class).
  const auto task2 = examples({0, 2, 0, -2, 3, 0.1f, 0, 2}, {0, 1, 0, 1});
  const auto a = inferred_accuracy(learner, 1, 2, task2);
  EXPECT_DOUBLE_EQ(a.task_inference, 0.75);
  EXPECT_DOUBLE_EQ(a.domain, 0.75);
  EXPECT_DOUBLE_EQ(a.cls, 0.5);
  EXPECT_DOUBLE_EQ(scenario_accuracy(learner, Scenario::kDomain, 1, 2, task2), 0.75);
  EXPECT_DOUBLE_EQ(scenario_accuracy(learner, Scenario::kClass, 1, 2, task2), 0.5);
  // Task id given: task 2's network on the confusing example (3, 0.1) still
  // says class 0, right; the last example stays wrong.
  EXPECT_DOUBLE_EQ(scenario_accuracy(learner, Scenario::kTask, 1, 2, task2), 0.75);
}

TEST(TaskInference, OneCandidateIsTheTaskScenario) {
  auto learner = two_axis_learner();
  // With only task 1 learned every example is given to task 1's network.
  const auto task1 = examples({2, 0, -2, 0, 0, 3}, {0, 1, 1});
  const auto a = inferred_accuracy(learner, 0, 1, task1);
  EXPECT_DOUBLE_EQ(a.task_inference, 1.0);
  EXPECT_DOUBLE_EQ(a.cls, a.domain);
  EXPECT_DOUBLE_EQ(a.domain, learner.task_accuracy(0, task1));
}

TEST(TaskInference, RejectsATrueTaskOutsideTheCandidates) {
  auto learner = two_axis_learner();
  const auto d = examples({1, 0}, {0});
  EXPECT_THROW(inferred_accuracy(learner, 1, 1, d), c10::Error);
  EXPECT_THROW(inferred_accuracy(learner, 0, 3, d), c10::Error);
}

TEST(TaskInference, EmptyDataIsZero) {
  auto learner = two_axis_learner();
  const auto a = inferred_accuracy(learner, 0, 2, examples({}, {}));
  EXPECT_EQ(a.domain, 0);
  EXPECT_EQ(a.task_inference, 0);
}

}  // namespace
}  // namespace hnet
