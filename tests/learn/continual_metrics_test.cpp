#include "hnet/learn/continual_metrics.h"

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <cmath>

namespace hnet {
namespace {

const double kNaN = std::nan("");

// By hand, three tasks: task 0 peaks at 0.93 after task 1 (not right after
// it was learned), task 1 drops from 0.95 to 0.70.
//   forgetting = ((0.93 - 0.85) + (0.95 - 0.70)) / 2 = (0.08 + 0.25) / 2 = 0.165
//   bwt        = ((0.85 - 0.90) + (0.70 - 0.95)) / 2 = (-0.05 - 0.25) / 2 = -0.15
// The last task (0.99) counts in neither.
TEST(ForgettingMetrics, HandComputedMatrix) {
  const std::vector<std::vector<double>> acc{
      {0.90, kNaN, kNaN}, {0.93, 0.95, kNaN}, {0.85, 0.70, 0.99}};
  const auto m = forgetting_metrics(acc);
  EXPECT_NEAR(m.forgetting, 0.165, 1e-12);
  EXPECT_NEAR(m.bwt, -0.15, 1e-12);
  // After two tasks only: task 0 went from 0.90 to 0.93.
  const auto two = forgetting_metrics(acc, 2);
  EXPECT_NEAR(two.forgetting, -0.03, 1e-12);
  EXPECT_NEAR(two.bwt, 0.03, 1e-12);
}

TEST(ForgettingMetrics, ImprovementAfterTheBestEarlierPointIsNegativeForgetting) {
  // Task 0: 0.5, then 0.6 after task 1, final 0.8 after task 2.
  const std::vector<std::vector<double>> acc{{0.5}, {0.6, 0.9}, {0.8, 0.9, 0.7}};
  const auto m = forgetting_metrics(acc);
  EXPECT_NEAR(m.forgetting, ((0.6 - 0.8) + (0.9 - 0.9)) / 2, 1e-12);
  EXPECT_NEAR(m.bwt, ((0.8 - 0.5) + (0.9 - 0.9)) / 2, 1e-12);
}

TEST(ForgettingMetrics, NoEarlierTaskIsZero) {
  EXPECT_EQ(forgetting_metrics({}).forgetting, 0);
  const auto one = forgetting_metrics({{0.7}});
  EXPECT_EQ(one.forgetting, 0);
  EXPECT_EQ(one.bwt, 0);
}

TEST(ForgettingMetrics, RejectsMatricesThatAreNotLowerTriangular) {
  EXPECT_THROW(forgetting_metrics({{0.7}, {0.5}}), c10::Error);
  EXPECT_THROW(forgetting_metrics({{0.7}}, 2), c10::Error);
}

}  // namespace
}  // namespace hnet
