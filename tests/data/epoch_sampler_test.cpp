#include "hnet/data/epoch_sampler.h"

#include "support/test_support.h"

namespace hnet::data {
namespace {

TEST(EpochSampler, EachEpochVisitsDistinctIndicesAndDropsTheTail) {
  EpochSampler batches(10, 4, 3);
  // Two full batches per epoch of 10; the tail of 2 is dropped.
  for (int epoch = 0; epoch < 3; ++epoch) {
    auto a = batches.next(), b = batches.next();
    ASSERT_EQ(a.numel(), 4);
    ASSERT_EQ(b.numel(), 4);
    auto both = std::get<0>(torch::cat({a, b}).sort());
    EXPECT_EQ(std::get<0>(torch::_unique(both)).numel(), 8);
    EXPECT_GE(both.min().item<int64_t>(), 0);
    EXPECT_LT(both.max().item<int64_t>(), 10);
  }
}

TEST(EpochSampler, TheSeedFixesTheSequence) {
  EpochSampler a(50, 8, 7), b(50, 8, 7), c(50, 8, 8);
  bool differs = false;
  for (int i = 0; i < 20; ++i) {
    auto x = a.next(), y = b.next(), z = c.next();
    EXPECT_TRUE(torch::equal(x, y));
    differs = differs || !torch::equal(x, z);
  }
  EXPECT_TRUE(differs);
}

TEST(EpochSampler, ABatchLargerThanTheDataIsTheWholeDataInEachStep) {
  EpochSampler batches(5, 32, 1);
  EXPECT_EQ(batches.batch_size(), 5);
  auto idx = std::get<0>(batches.next().sort());
  EXPECT_TRUE(torch::equal(idx, torch::arange(5)));
}

TEST(EpochSampler, RejectsAnEmptySetAndANonPositiveBatch) {
  EXPECT_THROW_WITH(EpochSampler(0, 4, 1), "EpochSampler: the data set must not be empty");
  EXPECT_THROW_WITH(EpochSampler(10, 0, 1), "EpochSampler: batch size must be > 0, got 0");
}

}  // namespace
}  // namespace hnet::data
