#include "hnet/parametrizations/output_parametrization.h"

#include "hnet/generators/full_generator.h"
#include "hnet/targets/mlp.h"
#include "support/test_support.h"

namespace hnet {
namespace {

std::shared_ptr<const Spec> spec() {
  auto s = std::make_shared<Spec>();
  s->add_weight("w", {2, 8}, 2.0).add_norm("g", 2, Role::kScale);
  return s;
}

TEST(OutputParametrization, DirectScalesRawOutputsPerEntry) {
  OutputParametrization p(spec(), OutputOptions());
  auto y = p->forward(torch::ones({1, 18}));
  EXPECT_NEAR(y[0][0].item<float>(), 0.5f, 1e-6);          // sqrt(2 / 8)
  EXPECT_NEAR(y[0][16].item<float>(), 1.0f + 0.1f, 1e-6);  // mean 1, std 0.1
  EXPECT_DOUBLE_EQ(p->head_variance(), 1.0);
  EXPECT_TRUE(p->parameters().empty());
}

TEST(OutputParametrization, MipAddsALearnedBase) {
  test::seed_torch();
  OutputParametrization p(spec(), OutputOptions().mode(OutputMode::kMip).mip_delta_scale(0.1));
  ASSERT_TRUE(p->theta0.defined());
  EXPECT_TRUE(torch::allclose(p->forward(torch::zeros({1, 18}))[0], p->theta0));
  EXPECT_DOUBLE_EQ(p->head_variance(), 0.01);
}

TEST(OutputParametrization, MipGeneratorStartsNearItsBase) {
  test::seed_torch();
  Mlp mlp(MlpOptions({50, 20, 5}));
  FullGenerator gen(
      mlp->spec(), GeneratorOptions(8).output(OutputOptions().mode(OutputMode::kMip)));
  torch::NoGradGuard no_grad;
  auto delta = gen->forward(torch::randn({4, 8})) - gen->output->theta0;
  // delta has about 1% of the weights' scale.
  const double ratio = (delta.std() / gen->output->theta0.std()).item<double>();
  EXPECT_GT(ratio, 0.003);
  EXPECT_LT(ratio, 0.03);
}

TEST(OutputParametrization, RejectsBadOptions) {
  EXPECT_THROW_WITH(
      OutputParametrization(spec(), OutputOptions().mip_delta_scale(0)),
      "mip_delta_scale must be > 0, got 0");
  OutputParametrization p(spec(), OutputOptions());
  EXPECT_THROW_WITH(p->forward(torch::zeros({18})), "raw outputs must be [B, 18], got [18]");
  EXPECT_THROW_WITH(hyperfan_head_std(0, 1.0, 1.0), "fan_in must be > 0, got 0");
}

}  // namespace
}  // namespace hnet
