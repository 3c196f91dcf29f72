#include "hnet/learn/task_heads.h"

#include "hnet/targets/mlp.h"
#include "support/test_support.h"

namespace hnet {
namespace {

TEST(TaskHeads, PerTaskHeadsWidenOnlyTheOutputLayer) {
  Mlp mlp(MlpOptions({6, 8, 2}));
  TaskHeads heads(mlp->spec(), 3);
  const auto& g = *heads.generated_spec();
  ASSERT_EQ(g.size(), 4u);
  EXPECT_EQ(g[0].shape, (std::vector<int64_t>{8, 6}));
  EXPECT_EQ(g[2].shape, (std::vector<int64_t>{6, 8}));
  EXPECT_EQ(g[3].shape, (std::vector<int64_t>{6}));
  EXPECT_EQ(g.numel(), mlp->spec()->numel() + 2 * (2 * 8 + 2));
  // A shared head is the task's own spec.
  EXPECT_EQ(TaskHeads(mlp->spec(), 1).generated_spec(), mlp->spec());
}

TEST(TaskHeads, EachTaskReadsItsOwnRowsOfTheOutputLayer) {
  Mlp mlp(MlpOptions({3, 4, 2}));
  TaskHeads heads(mlp->spec(), 3);
  const int64_t hidden = 4 * 3 + 4;  // fc1 weight and bias
  auto flat = torch::arange(heads.generated_spec()->numel(), torch::kFloat);
  auto rows = torch::stack({flat, -flat});
  auto picked = heads.select(rows, torch::tensor({2, 0}, torch::kLong));
  ASSERT_EQ(picked.sizes(), (std::vector<int64_t>{2, mlp->spec()->numel()}));
  // Task 2's two output rows of 4 weights, then its two biases.
  auto expected = torch::cat(
      {torch::arange(hidden, torch::kFloat),
       torch::arange(hidden + 2 * 2 * 4, hidden + 3 * 2 * 4, torch::kFloat),
       torch::arange(hidden + 24 + 4, hidden + 24 + 6, torch::kFloat)});
  EXPECT_TRUE(torch::equal(picked[0], expected));
  auto task0 = torch::cat(
      {torch::arange(hidden, torch::kFloat), torch::arange(hidden, hidden + 8, torch::kFloat),
       torch::arange(hidden + 24, hidden + 26, torch::kFloat)});
  EXPECT_TRUE(torch::equal(picked[1], -task0));
  EXPECT_TRUE(torch::equal(heads.select(flat, 2), expected));
  // Gradients flow back to the selected rows only.
  auto leaf = flat.clone().requires_grad_();
  heads.select(leaf, 1).sum().backward();
  EXPECT_EQ(leaf.grad().sum().item<float>(), mlp->spec()->numel());
  EXPECT_EQ(leaf.grad().narrow(0, hidden, 8).sum().item<float>(), 0);
}

TEST(TaskHeads, RejectsOutOfRangeTasksAndBadCounts) {
  Mlp mlp(MlpOptions({3, 4, 2}));
  TaskHeads heads(mlp->spec(), 2);
  auto flat = torch::zeros({heads.generated_spec()->numel()});
  EXPECT_THROW_WITH(heads.select(flat, 2), "TaskHeads: tasks must be in [0, 2)");
  EXPECT_THROW_WITH(TaskHeads(mlp->spec(), 0), "TaskHeads: heads must be >= 1, got 0");
  EXPECT_THROW_WITH(heads.select(torch::zeros({5}), 0), "TaskHeads: flat must be [B, ");
}

}  // namespace
}  // namespace hnet
