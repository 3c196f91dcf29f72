#include "hnet/data/task_sequence.h"

#include "support/test_support.h"

namespace hnet::data {
namespace {

// 10 classes, 20 examples each; image value = example index.
Dataset toy(int64_t per_class) {
  auto labels = torch::arange(10, torch::kLong).repeat({per_class});
  auto images = torch::arange(labels.size(0), torch::kFloat)
                    .view({-1, 1, 1, 1})
                    .expand({-1, 1, 2, 2})
                    .contiguous();
  return {images, labels};
}

TEST(TaskSequence, SplitRelabelsClassPairs) {
  auto tasks = make_task_sequence(
      toy(20), toy(5), TaskSequenceOptions(SequenceKind::kSplit, 5).val_fraction(0.2).seed(3));
  ASSERT_EQ(tasks.size(), 5u);
  for (int64_t k = 0; k < 5; ++k) {
    const auto& t = tasks[k];
    EXPECT_EQ(t.classes, 2);
    EXPECT_EQ(t.test.size(), 10);
    EXPECT_EQ(t.train.size() + t.val.size(), 40);
    EXPECT_LE(t.train.labels.max().item<int64_t>(), 1);
    // The original class of each example is recoverable from its index.
    auto original = t.test.images.select(1, 0).to(torch::kLong) % 10;
    EXPECT_TRUE(torch::equal(original, t.test.labels + 2 * k));
    // ... and from the task's class table.
    ASSERT_EQ(t.source_classes, (std::vector<int64_t>{2 * k, 2 * k + 1}));
    EXPECT_TRUE(
        torch::equal(original, torch::tensor(t.source_classes).index_select(0, t.test.labels)));
  }
  EXPECT_EQ(tasks[2].name, "classes 4/5");
}

TEST(TaskSequence, PermutedSharesImagesAndPermutesPixels) {
  auto tasks =
      make_task_sequence(toy(20), toy(5), TaskSequenceOptions(SequenceKind::kPermuted, 3).seed(1));
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_FALSE(tasks[0].train.permutation.defined());  // task 1: identity
  ASSERT_TRUE(tasks[1].train.permutation.defined());
  EXPECT_TRUE(tasks[1].train.images.is_same(tasks[2].train.images));  // no copies per task
  auto x = torch::arange(4, torch::kFloat).view({1, 4});
  TaskData d{x, torch::zeros({1}, torch::kLong), tasks[1].train.permutation};
  EXPECT_TRUE(torch::equal(d.inputs(0, 1)[0], x[0].index_select(0, tasks[1].train.permutation)));
  EXPECT_EQ(tasks[0].classes, 10);
  EXPECT_EQ(tasks[2].source_classes, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(TaskSequence, SameSeedSameSplit) {
  auto a =
      make_task_sequence(toy(20), toy(5), TaskSequenceOptions(SequenceKind::kPermuted, 2).seed(7));
  auto b =
      make_task_sequence(toy(20), toy(5), TaskSequenceOptions(SequenceKind::kPermuted, 2).seed(7));
  EXPECT_TRUE(torch::equal(a[1].train.permutation, b[1].train.permutation));
  EXPECT_TRUE(torch::equal(a[0].val.labels, b[0].val.labels));
}

TEST(TaskSequence, RejectsBadOptions) {
  EXPECT_THROW_WITH(
      make_task_sequence(toy(2), toy(1), TaskSequenceOptions(SequenceKind::kSplit, 6)),
      "split: tasks must be <= 5 (10 classes, 2 per task), got 6");
  EXPECT_THROW_WITH(
      make_task_sequence(
          toy(2), toy(1), TaskSequenceOptions(SequenceKind::kSplit, 2).val_fraction(0.7)),
      "val_fraction must be in [0, 0.5], got 0.7");
  EXPECT_THROW_WITH(
      parse_sequence_kind("rotated"), "must be one of split, permuted; got 'rotated'");
}

}  // namespace
}  // namespace hnet::data
