// At initialisation, generated weights have the variance the target layer's
// fan rule asks for (hyperfan-in / -out, Chang et al. 2020), within 25%, for
// every generator and output parametrization.

#include "hnet/generators/generator.h"
#include "hnet/targets/conv_net.h"
#include "hnet/targets/mlp.h"
#include "support/test_support.h"

namespace hnet {
namespace {

struct VarianceCase {
  std::string name;
  OutputOptions output;
};

class GeneratorVariance
    : public ::testing::TestWithParam<std::tuple<test::GeneratorCase, VarianceCase>> {};

TEST_P(GeneratorVariance, MatchesTheTargetFanRule) {
  const auto& [gen_case, var_case] = GetParam();
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<std::shared_ptr<Target>> targets{
      Mlp(MlpOptions({784, 300, 100, 10})).ptr(),
      ConvNet(ConvNetOptions().channels({20, 50}).hidden(200)).ptr()};
  for (const auto& target : targets) {
    const Spec& spec = *target->spec();
    auto gen = gen_case.make(
        target->spec(),
        GeneratorOptions(16).hidden({100, 100}).chunk_size(1000).output(var_case.output));
    torch::NoGradGuard no_grad;
    auto flat = gen->forward(torch::randn({128, 16}));
    Weights w(target->spec(), flat);
    for (size_t i = 0; i < spec.size(); ++i) {
      const auto& e = spec[i];
      if (e.role != Role::kWeight) continue;
      const double expected = e.init_variance(var_case.output.fan());
      const double measured = w[i].var().item<double>();
      EXPECT_NEAR(measured / expected, 1.0, 0.25)
          << e.name << ": variance " << measured << ", fan rule " << expected;
      EXPECT_NEAR(w[i].mean().item<double>(), 0.0, 0.25 * std::sqrt(expected)) << e.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllGenerators, GeneratorVariance,
    ::testing::Combine(
        ::testing::ValuesIn(test::all_generators()),
        ::testing::Values(
            VarianceCase{"HyperfanIn", OutputOptions().fan(Fan::kIn)},
            VarianceCase{"HyperfanOut", OutputOptions().fan(Fan::kOut)},
            VarianceCase{"Mip", OutputOptions().mode(OutputMode::kMip)})),
    [](const auto& info) {
      return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name;
    });

}  // namespace
}  // namespace hnet
