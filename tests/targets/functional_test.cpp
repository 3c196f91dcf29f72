#include "hnet/targets/functional.h"

#include "support/test_support.h"

namespace hnet {
namespace {

namespace F = functional;

// Tolerance 1e-5 (float32) against one call per weight set.
TEST(Functional, BatchedLinearEqualsLoop) {
  test::seed_torch();
  const int64_t sets = 3, g = 2;
  auto x = torch::randn({sets * g, 5});
  auto w = torch::randn({sets, 4, 5});
  auto b = torch::randn({sets, 4});
  auto y = F::linear(x, w, b);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({sets * g, 4}));
  for (int64_t s = 0; s < sets; ++s) {
    auto expected = torch::linear(x.narrow(0, s * g, g), w[s], b[s]);
    EXPECT_TRUE(torch::allclose(y.narrow(0, s * g, g), expected, 1e-5, 1e-5)) << "set " << s;
  }
  EXPECT_TRUE(torch::allclose(F::linear(x, w, {}), F::linear(x, w, torch::zeros({sets, 4}))));
}

TEST(Functional, BatchedConvEqualsLoop) {
  test::seed_torch();
  const int64_t sets = 3, g = 2;
  auto x = torch::randn({sets * g, 2, 7, 7});
  auto w = torch::randn({sets, 4, 2, 3, 3});
  auto b = torch::randn({sets, 4});
  auto y = F::conv2d(x, w, b, 2, 1);
  for (int64_t s = 0; s < sets; ++s) {
    auto expected = torch::conv2d(x.narrow(0, s * g, g), w[s], b[s], 2, 1);
    EXPECT_TRUE(torch::allclose(y.narrow(0, s * g, g), expected, 1e-5, 1e-5)) << "set " << s;
  }
}

TEST(Functional, BatchedBatchNormUsesStatisticsPerSet) {
  test::seed_torch();
  const int64_t sets = 2, g = 4;
  auto x = torch::randn({sets * g, 3, 2, 2});
  x.narrow(0, 0, g).add_(10);  // set 0 has a very different mean
  auto scale = torch::rand({sets, 3}) + 0.5;
  auto shift = torch::randn({sets, 3});
  auto rm = torch::zeros({3}), rv = torch::ones({3});
  auto y = F::batch_norm(x, scale, shift, rm, rv, /*training=*/true, 0.1, 1e-5);
  auto expected_rm = torch::zeros({3});
  for (int64_t s = 0; s < sets; ++s) {
    auto m = torch::zeros({3}), v = torch::ones({3});
    auto expected =
        torch::batch_norm(x.narrow(0, s * g, g), scale[s], shift[s], m, v, true, 0.1, 1e-5, false);
    EXPECT_TRUE(torch::allclose(y.narrow(0, s * g, g), expected, 1e-5, 1e-5)) << "set " << s;
    expected_rm += m / sets;
  }
  EXPECT_TRUE(torch::allclose(rm, expected_rm, 1e-5, 1e-5));
  // Evaluation normalises with the running statistics.
  auto y_eval = F::batch_norm(x, scale, shift, rm, rv, false, 0.1, 1e-5);
  auto expected0 =
      torch::batch_norm(x.narrow(0, 0, g), scale[0], shift[0], rm, rv, false, 0.1, 1e-5, false);
  EXPECT_TRUE(torch::allclose(y_eval.narrow(0, 0, g), expected0, 1e-5, 1e-5));
}

TEST(Functional, RejectsBadShapes) {
  EXPECT_THROW_WITH(
      F::linear(torch::zeros({5, 3}), torch::zeros({2, 4, 3}), {}),
      "input has 5 rows, which is not a multiple of the 2 weight sets");
  EXPECT_THROW_WITH(
      F::linear(torch::zeros({5, 3}), torch::zeros({4, 2}), {}),
      "input has 3 features but the weight [4, 2] expects 2");
  EXPECT_THROW_WITH(
      F::linear(torch::zeros({5}), torch::zeros({4, 5}), {}), "input must be [N, in], got [5]");
  EXPECT_THROW_WITH(
      F::conv2d(torch::zeros({2, 3, 5, 5}), torch::zeros({4, 2, 3, 3}), {}, 1, 0),
      "input has 3 channels but the weight [4, 2, 3, 3] expects 2");
  EXPECT_THROW_WITH(
      F::batch_norm(
          torch::zeros({2, 3}), torch::ones({4}), torch::zeros({4}), {}, {}, true, 0.1, 1e-5),
      "input has 3 channels but scale is [4]");
}

}  // namespace
}  // namespace hnet
