// The oneDNN product against at::linear, values and gradients.

#include "hnet/kernels/linear.h"

#include "hnet/testing/gradcheck.h"
#include "support/test_support.h"

namespace hnet {
namespace {

TEST(KernelsLinear, MatchesAtLinearWithGradients) {
  test::seed_torch();
  EXPECT_TRUE(kernels::sgemm_enabled());  // HNET_SGEMM is not set in tests
  for (bool bias : {true, false}) {
    auto x = torch::randn({37, 53}, torch::requires_grad());
    auto w = torch::randn({29, 53}, torch::requires_grad());
    auto b = bias ? torch::randn({29}, torch::requires_grad()) : torch::Tensor();
    auto y = kernels::linear(x, w, b);
    auto r = torch::randn({37, 29});
    (y * r).sum().backward();
    auto x2 = x.detach().requires_grad_(), w2 = w.detach().requires_grad_();
    auto b2 = bias ? b.detach().requires_grad_() : torch::Tensor();
    auto expected = torch::linear(x2, w2, b2);
    (expected * r).sum().backward();
    // float32 sums of 53 terms: 1e-4 relative.
    EXPECT_TRUE(torch::allclose(y, expected, 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(x.grad(), x2.grad(), 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(w.grad(), w2.grad(), 1e-4, 1e-5));
    if (bias) {
      EXPECT_TRUE(torch::allclose(b.grad(), b2.grad(), 1e-4, 1e-5));
    }
  }
}

TEST(KernelsLinear, InferencePathMatchesAtLinear) {
  test::seed_torch();
  auto x = torch::randn({5, 17}), w = torch::randn({9, 17}), b = torch::randn({9});
  for (bool no_grad : {true, false}) {
    // Without gradients tracked (no_grad, or no input needing one) no autograd node is made.
    c10::optional<torch::NoGradGuard> guard;
    if (no_grad) guard.emplace();
    auto y = kernels::linear(x, w, b);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(torch::allclose(y, torch::linear(x, w, b), 1e-5, 1e-5));
    EXPECT_TRUE(torch::allclose(kernels::linear(x, w, {}), torch::linear(x, w), 1e-5, 1e-5));
  }
  // One row: the bias is the product's initial value, copied, never written.
  torch::NoGradGuard no_grad;
  const auto bias_before = b.clone();
  auto one = kernels::linear(x.narrow(0, 0, 1), w, b);
  EXPECT_TRUE(torch::equal(b, bias_before));
  EXPECT_TRUE(torch::allclose(one, torch::linear(x.narrow(0, 0, 1), w, b), 1e-5, 1e-5));
}

TEST(KernelsLinear, FallsBackForOtherDtypesAndLayouts) {
  auto x = torch::randn({4, 3}, torch::kDouble);
  auto w = torch::randn({2, 3}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(kernels::linear(x, w, {}), torch::linear(x, w)));
  auto wt = torch::randn({3, 2}).t();  // not contiguous
  auto xf = torch::randn({4, 3});
  EXPECT_TRUE(torch::allclose(kernels::linear(xf, wt, {}), torch::linear(xf, wt), 1e-5, 1e-6));
  EXPECT_EQ(
      kernels::linear(torch::zeros({0, 3}), torch::zeros({2, 3}), {}).sizes(),
      torch::IntArrayRef({0, 2}));
}

}  // namespace
}  // namespace hnet
