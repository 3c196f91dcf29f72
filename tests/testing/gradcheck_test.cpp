#include "hnet/testing/gradcheck.h"

#include <torch/autograd.h>

#include "support/test_support.h"

namespace hnet {
namespace {

// x^3 with a deliberately wrong derivative (2x^2 instead of 3x^2).
struct WrongCube : torch::autograd::Function<WrongCube> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x) {
    ctx->save_for_backward({x});
    return x.pow(3);
  }
  static torch::autograd::tensor_list backward(
      torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grad) {
    auto x = ctx->get_saved_variables()[0];
    return {grad[0] * 2 * x.pow(2)};
  }
};

TEST(Gradcheck, PassesForCorrectGradients) {
  test::seed_torch();
  auto a = torch::randn({3, 4}, torch::dtype(torch::kDouble).requires_grad(true));
  auto b = torch::randn({4, 2}, torch::dtype(torch::kDouble).requires_grad(true));
  auto result = testing::gradcheck([&] { return torch::tanh(a.mm(b)); }, {a, b});
  EXPECT_TRUE(result.ok) << result.report;
  EXPECT_EQ(result.checked, 12 + 8);
}

TEST(Gradcheck, ReportsWrongGradients) {
  auto x = torch::tensor({1.0, 2.0}, torch::dtype(torch::kDouble).requires_grad(true));
  auto result = testing::gradcheck([&] { return WrongCube::apply(x); }, {x}, {}, {"x"});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.report, ::testing::HasSubstr("input 0 (x) [0]"));
  EXPECT_THAT(result.report, ::testing::HasSubstr("[1]"));
}

// ReLU with a slope of 2 instead of 1.
struct WrongRelu : torch::autograd::Function<WrongRelu> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x) {
    ctx->save_for_backward({x});
    return torch::relu(x);
  }
  static torch::autograd::tensor_list backward(
      torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grad) {
    auto x = ctx->get_saved_variables()[0];
    return {grad[0] * 2 * (x > 0).to(x.scalar_type())};
  }
};

// A point 3e-7 right of ReLU's kink: the central difference over +-1e-6 is
// 0.65, autograd's slope 1, which the right-sided difference confirms; a
// wrong slope there still fails.
TEST(Gradcheck, AcceptsAOneSidedSlopeNextToAKink) {
  auto x = torch::tensor({3e-7, 1.0}, torch::dtype(torch::kDouble).requires_grad(true));
  auto ok = testing::gradcheck([&] { return torch::relu(x); }, {x});
  EXPECT_TRUE(ok.ok) << ok.report;
  auto bad = testing::gradcheck([&] { return WrongRelu::apply(x); }, {x});
  EXPECT_FALSE(bad.ok);
  EXPECT_THAT(bad.report, ::testing::HasSubstr("[0]"));
}

TEST(Gradcheck, CapsTheElementsChecked) {
  auto x = torch::randn({100}, torch::dtype(torch::kDouble).requires_grad(true));
  auto result =
      testing::gradcheck([&] { return x * x; }, {x}, testing::GradcheckOptions().max_elements(5));
  EXPECT_TRUE(result.ok) << result.report;
  EXPECT_EQ(result.checked, 5);
}

TEST(Gradcheck, RejectsFloat32Inputs) {
  auto x = torch::randn({2}, torch::requires_grad());
  EXPECT_THROW_WITH(
      testing::gradcheck([&] { return x; }, {x}), "input 0 must be float64, got Float");
}

}  // namespace
}  // namespace hnet
