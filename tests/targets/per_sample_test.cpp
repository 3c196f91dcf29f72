// Every target with per-sample (batched) weights equals a loop over the
// weight sets, to 1e-5.

#include "support/test_support.h"

namespace hnet {
namespace {

class PerSample : public ::testing::TestWithParam<test::TargetCase> {};

TEST_P(PerSample, BatchedEqualsLoop) {
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed) + ", target " + GetParam().name);
  auto target = GetParam().make();
  const auto& spec = target->spec();
  const int64_t sets = 3, group = 2;
  Weights w(
      spec, spec->init_mean() + spec->init_std(Fan::kIn) * torch::randn({sets, spec->numel()}));
  auto x = GetParam().input(sets * group);
  for (bool training : {true, false}) {
    target->as_module().train(training);
    auto batched = target->forward(x, w);
    for (int64_t b = 0; b < sets; ++b) {
      auto single = target->forward(x.narrow(0, b * group, group), w.select(b));
      EXPECT_TRUE(torch::allclose(batched.narrow(0, b * group, group), single, 1e-5, 1e-5))
          << "set " << b << (training ? " (training)" : " (eval)") << "\n"
          << batched.narrow(0, b * group, group) << "\n"
          << single;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllTargets, PerSample, ::testing::ValuesIn(test::small_targets()),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace hnet
