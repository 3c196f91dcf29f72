#include "hnet/generators/chunked_generator.h"
#include "hnet/generators/full_generator.h"
#include "hnet/generators/layerwise_generator.h"
#include "hnet/targets/mlp.h"
#include "support/test_support.h"

namespace hnet {
namespace {

using Pair = std::tuple<test::GeneratorCase, test::TargetCase>;

class GeneratorTarget : public ::testing::TestWithParam<Pair> {};

// Shapes and gradient flow for every generator x target pair. Eight weight
// sets of four inputs each: with fewer, every ReLU of a tiny target (or of a
// layer-wise trunk row) is dead for all of them at about 2% of seeds, and a
// parameter sees no gradient for a reason that is not a bug.
TEST_P(GeneratorTarget, GeneratesWeightsThatTrainTheTarget) {
  const auto& [gen_case, target_case] = GetParam();
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed));
  auto target = target_case.make();
  auto gen =
      gen_case.make(target->spec(), GeneratorOptions(5).hidden({8}).chunk_size(7).embedding_dim(3));
  const int64_t sets = 8, inputs = 32;
  auto cond = torch::randn({sets, 5}, torch::requires_grad());
  auto flat = gen->forward(cond);
  ASSERT_EQ(flat.sizes(), torch::IntArrayRef({sets, target->spec()->numel()}));
  EXPECT_TRUE(flat.is_contiguous());
  auto y = target->forward(target_case.input(inputs), Weights(target->spec(), flat));
  EXPECT_EQ(y.size(0), inputs);
  y.pow(2).sum().backward();
  for (const auto& p : gen->as_module().named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key();
  }
  EXPECT_GT(cond.grad().abs().sum().item<double>(), 0);
}

// Inference (no gradient, one condition, then the target on one input)
// leaves every parameter and buffer as it was and repeats exactly: the fast
// paths write only into memory of their own.
TEST_P(GeneratorTarget, InferenceChangesNothing) {
  const auto& [gen_case, target_case] = GetParam();
  test::seed_torch();
  auto target = target_case.make();
  auto gen =
      gen_case.make(target->spec(), GeneratorOptions(5).hidden({8}).chunk_size(7).embedding_dim(3));
  std::vector<torch::Tensor> before;
  for (const auto& p : gen->as_module().parameters()) before.push_back(p.detach().clone());
  for (const auto& b : gen->as_module().buffers()) before.push_back(b.clone());
  torch::NoGradGuard no_grad;
  auto cond = torch::randn({1, 5});
  auto x = target_case.input(1);
  auto first = target->forward(x, Weights(target->spec(), gen->forward(cond)[0]));
  auto second = target->forward(x, Weights(target->spec(), gen->forward(cond)[0]));
  EXPECT_TRUE(torch::equal(first, second));
  size_t i = 0;
  for (const auto& p : gen->as_module().named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), before[i++])) << p.key();
  }
  for (const auto& b : gen->as_module().named_buffers()) {
    EXPECT_TRUE(torch::equal(b.value(), before[i++])) << b.key();
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllPairs, GeneratorTarget,
    ::testing::Combine(
        ::testing::ValuesIn(test::all_generators()), ::testing::ValuesIn(test::small_targets())),
    [](const auto& info) {
      return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name;
    });

std::shared_ptr<const Spec> mlp_spec() {
  return Mlp(MlpOptions({10, 6, 6, 3}))->spec();
}

TEST(ChunkedGenerator, ChunksCoverTheSpec) {
  ChunkedGenerator gen(mlp_spec(), GeneratorOptions(4).chunk_size(10));
  const int64_t n = mlp_spec()->numel();  // 66 + 42 + 21 = 129
  EXPECT_EQ(gen->chunks(), (n + 9) / 10);
  EXPECT_EQ(gen->forward(torch::randn({3, 4})).sizes(), torch::IntArrayRef({3, n}));
  std::ostringstream out;
  gen->pretty_print(out);
  EXPECT_EQ(
      out.str(),
      "hnet::ChunkedGenerator(condition_dim=4, hidden=[100, 100], chunk_size=10, chunks=13, "
      "outputs=129)");
}

TEST(ChunkedGenerator, EachConditionIsGeneratedIndependently) {
  test::seed_torch();
  ChunkedGenerator gen(mlp_spec(), GeneratorOptions(4).chunk_size(10));
  auto cond = torch::randn({3, 4});
  auto all = gen->forward(cond);
  for (int64_t b = 0; b < 3; ++b) {
    EXPECT_TRUE(torch::allclose(all[b], gen->forward(cond.narrow(0, b, 1))[0], 1e-5, 1e-6));
  }
}

TEST(LayerwiseGenerator, SharesHeadsBetweenEqualShapes) {
  LayerwiseGenerator gen(mlp_spec(), GeneratorOptions(4));
  // fc1.weight [6,10]; fc1.bias, fc2.bias [6]; fc2.weight [6,6]; fc3.weight [3,6]; fc3.bias [3]
  EXPECT_EQ(gen->groups(), 5u);
  test::seed_torch();
  auto cond = torch::randn({2, 4});
  auto flat = gen->forward(cond);
  Weights w(mlp_spec(), flat);
  // fc1.bias and fc2.bias come from the same head applied to different
  // layer embeddings: recompute one by hand.
  auto h = gen->trunk->forward(torch::cat({cond, gen->layer_embeddings[3].expand({2, -1})}, 1));
  auto raw = gen->heads[1]->forward(h);
  auto expected = gen->output->mean.narrow(0, 102, 6) + gen->output->scale.narrow(0, 102, 6) * raw;
  EXPECT_TRUE(torch::allclose(w["fc2.bias"], expected, 1e-5, 1e-6));
}

TEST(FullGenerator, IsOneLinearMapOfTheTrunk) {
  test::seed_torch();
  FullGenerator gen(mlp_spec(), GeneratorOptions(4).hidden({}));
  auto cond = torch::randn({2, 4});
  auto expected = gen->output->mean +
                  gen->output->scale * torch::linear(cond, gen->head->weight, gen->head->bias);
  EXPECT_TRUE(torch::allclose(gen->forward(cond), expected, 1e-5, 1e-6));
}

TEST(Generators, RejectBadOptionsAndConditions) {
  for (const auto& g : test::all_generators()) {
    SCOPED_TRACE(g.name);
    EXPECT_THROW_WITH(g.make(mlp_spec(), GeneratorOptions(0)), "condition_dim must be > 0, got 0");
    EXPECT_THROW_WITH(
        g.make(mlp_spec(), GeneratorOptions(4).hidden({10, -2})),
        "hidden widths must be > 0, got [10, -2]");
    EXPECT_THROW_WITH(
        g.make(mlp_spec(), GeneratorOptions(4).chunk_size(0)), "chunk_size must be > 0, got 0");
    auto gen = g.make(mlp_spec(), GeneratorOptions(4));
    EXPECT_THROW_WITH(gen->forward(torch::zeros({2, 3})), "condition must be [B, 4], got [2, 3]");
  }
}

}  // namespace
}  // namespace hnet
