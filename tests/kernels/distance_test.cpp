// The fused squared distance against (a - b).pow(2).sum(), value and gradient.

#include "hnet/kernels/distance.h"

#include "support/test_support.h"

namespace hnet {
namespace {

TEST(KernelsSquaredDistance, MatchesComposedOperatorsWithGradient) {
  test::seed_torch();
  auto a = torch::randn({3, 1001}, torch::requires_grad());
  auto target = torch::randn({3, 1001});
  auto d = kernels::squared_distance(a, target);
  EXPECT_EQ(d.dim(), 0);
  (d * 0.7).backward();
  auto a2 = a.detach().requires_grad_();
  auto expected = (a2 - target).pow(2).sum();
  (expected * 0.7).backward();
  EXPECT_NEAR(d.item<double>(), expected.item<double>(), 1e-6 * expected.item<double>());
  EXPECT_TRUE(torch::allclose(a.grad(), a2.grad(), 1e-5, 1e-6));
  // A hand-checked case: |(1, 2) - (0, 4)|^2 = 1 + 4.
  EXPECT_FLOAT_EQ(
      kernels::squared_distance(torch::tensor({1.0f, 2.0f}), torch::tensor({0.0f, 4.0f}))
          .item<float>(),
      5.0f);
}

TEST(KernelsSquaredDistance, RejectsMismatchedShapesAndLearnedTargets) {
  EXPECT_THROW_WITH(
      kernels::squared_distance(torch::zeros({2, 3}), torch::zeros({3, 2})), "shapes differ");
  auto learned = torch::zeros({2}, torch::requires_grad());
  EXPECT_THROW_WITH(kernels::squared_distance(torch::zeros({2}), learned), "must be a constant");
}

}  // namespace
}  // namespace hnet
