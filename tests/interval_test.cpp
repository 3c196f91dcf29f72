// Interval bound propagation: bounds contain every point computation,
// checked against brute-force sampling inside the intervals.

#include "hnet/interval.h"

#include "hnet/generators/registry.h"
#include "hnet/targets/mlp.h"
#include "support/test_support.h"

namespace hnet {
namespace {

// Uniform samples inside [center - radius, center + radius].
torch::Tensor sample_inside(const Interval& iv) {
  return iv.center + iv.radius * (torch::rand_like(iv.center) * 2 - 1);
}

void expect_contains(const Interval& bound, const torch::Tensor& value, const std::string& what) {
  const double slack = 1e-5;
  EXPECT_TRUE((value >= bound.lower() - slack).all().item<bool>())
      << what << ": below the lower bound";
  EXPECT_TRUE((value <= bound.upper() + slack).all().item<bool>())
      << what << ": above the upper bound";
}

TEST(Interval, LinearWithIntervalWeightsByHand) {
  // x in [1, 3], w in [-1, 1], b in [0.5, 0.5]: x*w in [-3, 3] -> [-2.5, 3.5].
  Interval x{torch::tensor({{2.0f}}), torch::tensor({{1.0f}})};
  Interval w{torch::tensor({{0.0f}}), torch::tensor({{1.0f}})};
  Interval b{torch::tensor({0.5f}), torch::tensor({0.0f})};
  auto y = interval_linear(x, w, b);
  EXPECT_FLOAT_EQ(y.lower().item<float>(), -2.5f);
  EXPECT_FLOAT_EQ(y.upper().item<float>(), 3.5f);
}

TEST(Interval, GeneratorBoundsContainSampledOutputs) {
  for (const auto& g : test::all_generators()) {
    // No interval support: tested in registry_test.cpp.
    if (!generator_supports_interval(g.name)) continue;
    SCOPED_TRACE(g.name);
    test::seed_torch();
    Mlp mlp(MlpOptions({6, 5, 3}));
    auto gen = g.make(mlp->spec(), GeneratorOptions(4).hidden({8, 8}).chunk_size(7));
    torch::NoGradGuard no_grad;
    Interval cond{torch::randn({2, 4}), torch::full({2, 4}, 0.3)};
    auto bound = gen->forward_interval(cond);
    for (int i = 0; i < 200; ++i)
      expect_contains(bound, gen->forward(sample_inside(cond)), "generator");
    // A point interval gives the point forward.
    auto exact = gen->forward_interval(Interval::point(cond.center));
    EXPECT_TRUE(torch::allclose(exact.center, gen->forward(cond.center), 1e-5, 1e-6));
    EXPECT_EQ(exact.radius.abs().max().item<float>(), 0.0f);
  }
}

TEST(Interval, MlpBoundsContainSampledOutputs) {
  test::seed_torch();
  Mlp mlp(MlpOptions({5, 7, 3}));
  const auto& spec = *mlp->spec();
  Interval w{
      spec.init_std(Fan::kIn) * torch::randn({spec.numel()}), torch::full({spec.numel()}, 0.05)};
  auto x = torch::randn({4, 5});
  torch::NoGradGuard no_grad;
  auto bound = mlp->forward_interval(x, w);
  auto lo = torch::full({4, 3}, INFINITY), hi = torch::full({4, 3}, -INFINITY);
  for (int i = 0; i < 500; ++i) {
    auto y = mlp->forward(x, Weights(mlp->spec(), sample_inside(w)));
    lo = torch::min(lo, y);
    hi = torch::max(hi, y);
  }
  expect_contains(bound, lo, "mlp min");
  expect_contains(bound, hi, "mlp max");
  // Not vacuous: the bound is within a few times the sampled spread.
  EXPECT_LT((bound.radius * 2).max().item<float>(), 10 * (hi - lo).max().item<float>() + 1e-3);
}

TEST(Interval, WorstCaseCrossEntropyUsesTheAdverseEnds) {
  Interval logits{torch::tensor({{1.0f, 0.0f}}), torch::tensor({{0.5f, 0.5f}})};
  auto labels = torch::tensor({0}, torch::kLong);
  auto expected = torch::cross_entropy_loss(torch::tensor({{0.5f, 0.5f}}), labels);
  EXPECT_FLOAT_EQ(worst_case_cross_entropy(logits, labels).item<float>(), expected.item<float>());
}

TEST(Interval, RejectsNonMonotoneActivationsAndUnsupportedGenerators) {
  Interval x{torch::zeros({1, 2}), torch::ones({1, 2})};
  EXPECT_THROW_WITH(interval_activation(Activation::kSin, x), "monotone activation; got sin");
  Mlp mlp(MlpOptions({2, 2}));
  auto gen = make_generator("layerwise", mlp->spec(), GeneratorOptions(2));
  EXPECT_THROW_WITH(gen->forward_interval(x), "does not support interval propagation");
}

}  // namespace
}  // namespace hnet
