// Finite-difference gradient checks (float64) of every generator x target
// pair: gradients reach the generator's parameters and the condition
// through the generated weights.

#include "hnet/testing/gradcheck.h"
#include "support/test_support.h"

namespace hnet {
namespace {

using Pair = std::tuple<test::GeneratorCase, test::TargetCase>;

class GeneratorGradient : public ::testing::TestWithParam<Pair> {};

TEST_P(GeneratorGradient, MatchesFiniteDifferences) {
  const auto& [gen_case, target_case] = GetParam();
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed));
  auto target = target_case.make();
  target->as_module().to(torch::kDouble);
  auto gen = gen_case.make(
      target->spec(), GeneratorOptions(3)
                          .hidden({5})
                          .chunk_size(11)
                          .embedding_dim(2)
                          .activation(Activation::kTanh)
                          .output(OutputOptions().mode(OutputMode::kMip).mip_delta_scale(0.5)));
  gen->as_module().to(torch::kDouble);
  auto cond = torch::randn({2, 3}, torch::dtype(torch::kDouble).requires_grad(true));
  auto x = target_case.input(4).to(torch::kDouble);
  auto fn = [&] { return target->forward(x, Weights(target->spec(), gen->forward(cond))); };
  auto result = test::gradcheck_generator(fn, cond, *gen);
  EXPECT_TRUE(result.ok) << result.report;
  EXPECT_GT(result.checked, 8);
}

INSTANTIATE_TEST_SUITE_P(
    AllPairs, GeneratorGradient,
    ::testing::Combine(
        ::testing::ValuesIn(test::all_generators()), ::testing::ValuesIn(test::small_targets())),
    [](const auto& info) {
      return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name;
    });

}  // namespace
}  // namespace hnet
