// Low-rank generator (LoGAH-style factor decoder): factor layout, composition,
// rank rule, initial variance, gradients and use in continual learning.

#include "hnet/generators/low_rank_generator.h"

#include "hnet/learn/continual.h"
#include "hnet/learn/methods/hypercl.h"
#include "hnet/targets/conv_net.h"
#include "hnet/targets/mlp.h"
#include "hnet/testing/gradcheck.h"
#include "support/test_support.h"

namespace hnet {
namespace {

std::shared_ptr<const Spec> two_matrix_spec() {
  auto spec = std::make_shared<Spec>();
  spec->add_weight("w1", {5, 7}, 2.0).add_bias("b1", 5, 7);
  spec->add_weight("w2", {5, 7}, 1.0);          // same shape as w1: one group
  spec->add_weight("conv", {4, 2, 3, 3}, 2.0);  // a matrix [4, 18]
  spec->add_norm("bn.scale", 4, Role::kScale);
  return spec;
}

TEST(LowRankLayout, FactorSpecHasFactorsForMatricesAndCopiesTheRest) {
  LowRankLayout layout(two_matrix_spec(), 3);
  const Spec& f = *layout.factor_spec();
  EXPECT_EQ(layout.matrices(), 3u);
  EXPECT_EQ(f[f.index("w1.a")].shape, (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(f[f.index("w1.b")].shape, (std::vector<int64_t>{3, 7}));
  EXPECT_EQ(f[f.index("conv.b")].shape, (std::vector<int64_t>{3, 18}));
  EXPECT_EQ(f[f.index("b1")].shape, (std::vector<int64_t>{5}));
  EXPECT_EQ(f[f.index("bn.scale")].role, Role::kScale);
  EXPECT_EQ(f.numel(), (5 + 7) * 3 + 5 + (5 + 7) * 3 + (4 + 18) * 3 + 4);
  // Variances: A gets 1/r; B the dense entry's rule, so r Var(A) Var(B) is the dense rule.
  EXPECT_DOUBLE_EQ(f[f.index("w1.a")].init_variance(Fan::kIn), 1.0 / 3);
  EXPECT_DOUBLE_EQ(f[f.index("conv.b")].init_variance(Fan::kOut), 2.0 / (4 * 9));
}

// A narrow classifier is kept dense by name; the wide layers are factored.
TEST(LowRankLayout, DenseEntriesAreCopiedUnfactored) {
  Mlp mlp(MlpOptions({784, 400, 400, 2}));
  LowRankLayout layout(mlp->spec(), LowRankOptions(16).dense({"fc3.weight"}));
  const Spec& f = *layout.factor_spec();
  EXPECT_EQ(layout.matrices(), 2u);
  EXPECT_EQ(f[f.index("fc3.weight")].shape, (std::vector<int64_t>{2, 400}));
  EXPECT_FALSE(f.contains("fc3.weight.a"));
  auto factors = torch::randn({1, f.numel()});
  Weights w(mlp->spec(), layout.compose(factors));
  EXPECT_TRUE(torch::equal(w["fc3.weight"], Weights(layout.factor_spec(), factors)["fc3.weight"]));
}

TEST(LowRankLayout, ComposesEachMatrixAsAProductOfItsFactors) {
  test::seed_torch();
  LowRankLayout layout(two_matrix_spec(), 3);
  auto factors = torch::randn({2, layout.factor_spec()->numel()});
  Weights f(layout.factor_spec(), factors);
  Weights w(layout.dense_spec(), layout.compose(factors));
  ASSERT_EQ(w.flat().sizes(), torch::IntArrayRef({2, layout.dense_spec()->numel()}));
  for (const std::string name : {"w1", "w2", "conv"}) {
    auto expected = torch::matmul(f[name + ".a"], f[name + ".b"]);
    EXPECT_TRUE(torch::allclose(w[name].reshape(expected.sizes()), expected, 1e-5, 1e-5)) << name;
  }
  EXPECT_TRUE(torch::equal(w["b1"], f["b1"]));
  EXPECT_TRUE(torch::equal(w["bn.scale"], f["bn.scale"]));
}

// Full rank reproduces any matrix: with r = min(out, in), A = U S and
// B = V^T from the SVD give back M (float32, tolerance 1e-4).
TEST(LowRankLayout, FullRankReproducesAnyMatrix) {
  test::seed_torch();
  auto spec = std::make_shared<Spec>();
  spec->add_weight("m", {5, 8}, 1.0);
  LowRankLayout layout(spec, 5);
  auto m = torch::randn({5, 8});
  auto [u, s, vh] = torch::linalg::svd(m, /*full_matrices=*/false, /*driver=*/c10::nullopt);
  auto factors = torch::cat({(u * s).reshape({1, -1}), vh.reshape({1, -1})}, 1);
  auto w = layout.compose(factors).view({5, 8});
  EXPECT_TRUE(torch::allclose(w, m, 1e-4, 1e-4)) << (w - m).abs().max().item<float>();
}

// ... and the whole generator at full rank learns to emit a given matrix.
TEST(LowRankGenerator, FullRankFitsAGivenMatrix) {
  test::seed_torch();
  auto spec = std::make_shared<Spec>();
  spec->add_weight("m", {3, 4}, 1.0);
  LowRankGenerator gen(spec, GeneratorOptions(2).hidden({16}).chunk_size(8), 3);
  auto target =
      torch::tensor({1.f, -2.f, 0.f, 3.f, 0.5f, 1.f, -1.f, 2.f, 0.f, 0.f, 4.f, -3.f}).view({1, 12});
  auto cond = torch::ones({1, 2});
  torch::optim::Adam opt(gen->parameters(), torch::optim::AdamOptions(1e-2));
  // The rate drops tenfold for the last third: at a constant 1e-2, Adam
  // still wandered 0.1-0.2 away at the end for about 1 seed in 100.
  for (int step = 0; step < 3000; ++step) {
    if (step == 2000)
      static_cast<torch::optim::AdamOptions&>(opt.param_groups()[0].options()).lr(1e-3);
    opt.zero_grad();
    auto loss = (gen->forward(cond) - target).pow(2).mean();
    loss.backward();
    opt.step();
  }
  torch::NoGradGuard no_grad;
  EXPECT_LT((gen->forward(cond) - target).abs().max().item<float>(), 0.05);
}

TEST(LowRankGenerator, ShapesAndPrettyPrint) {
  Mlp mlp(MlpOptions({784, 400, 400, 10}));
  LowRankGenerator gen(mlp->spec(), GeneratorOptions(8).hidden({32}).chunk_size(100), 4);
  auto flat = gen->forward(torch::randn({3, 8}));
  ASSERT_EQ(flat.sizes(), torch::IntArrayRef({3, mlp->spec()->numel()}));
  EXPECT_TRUE(flat.is_contiguous());
  // Factors: 4 (400 + 784) + 4 (400 + 400) + 4 (10 + 400) values plus 810 biases.
  const int64_t factor_numel = 4 * (1184 + 800 + 410) + 810;
  EXPECT_EQ(gen->factors(torch::randn({1, 8})).size(1), factor_numel);
  EXPECT_EQ(gen->decoder->chunks(), (factor_numel + 99) / 100);
  std::ostringstream out;
  gen->pretty_print(out);
  EXPECT_EQ(
      out.str(),
      "hnet::LowRankGenerator(condition_dim=8, rank=4, matrices=3, factor_outputs=10386, "
      "outputs=478410)");
}

TEST(LowRankGenerator, GradientsMatchFiniteDifferences) {
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed));
  ConvNet net(ConvNetOptions().image_size(16).channels({3, 4}).hidden(5).classes(3));
  auto gen = LowRankGenerator(
      net->spec(),
      GeneratorOptions(3).hidden({5}).chunk_size(17).embedding_dim(2).activation(Activation::kTanh),
      2);
  gen->to(torch::kDouble);
  auto cond = torch::randn({2, 3}, torch::dtype(torch::kDouble).requires_grad(true));
  auto x = torch::randn({4, 1, 16, 16}, torch::kDouble);
  auto fn = [&] { return net->forward(x, Weights(net->spec(), gen->forward(cond))); };
  auto result = test::gradcheck_generator(fn, cond, *gen);
  EXPECT_TRUE(result.ok) << result.report;
}

// The composed weights have the dense layer's hyperfan variance (within 25%,
// as GeneratorVariance asks of every generator).
TEST(LowRankGenerator, ComposedWeightsHaveTheHyperfanVariance) {
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (auto output :
       {OutputOptions().fan(Fan::kIn), OutputOptions().fan(Fan::kOut),
        OutputOptions().mode(OutputMode::kMip)}) {
    std::vector<std::shared_ptr<Target>> targets{
        Mlp(MlpOptions({784, 300, 100, 10})).ptr(),
        ConvNet(ConvNetOptions().channels({20, 50}).hidden(200)).ptr()};
    for (const auto& target : targets) {
      LowRankGenerator gen(target->spec(), GeneratorOptions(16).chunk_size(1000).output(output), 8);
      torch::NoGradGuard no_grad;
      Weights w(target->spec(), gen->forward(torch::randn({128, 16})));
      for (size_t i = 0; i < target->spec()->size(); ++i) {
        const auto& e = (*target->spec())[i];
        if (e.role != Role::kWeight) continue;
        const double expected = e.init_variance(output.fan());
        EXPECT_NEAR(w[i].var().item<double>() / expected, 1.0, 0.25) << e.name;
      }
    }
  }
}

TEST(LowRankGenerator, RejectsBadRanksAndIntervals) {
  Mlp mlp(MlpOptions({784, 400, 400, 10}));
  EXPECT_THROW_WITH(
      LowRankGenerator(mlp->spec(), GeneratorOptions(4), 0),
      "LowRankGenerator: rank must be >= 1, got 0");
  EXPECT_THROW_WITH(
      LowRankGenerator(mlp->spec(), GeneratorOptions(4), 401),
      "LowRankGenerator: rank must be in [1, min(out, in)] = [1, 400] for fc1.weight [400, 784], "
      "got 401 (list it in dense to emit it unfactored)");
  EXPECT_THROW_WITH(
      LowRankGenerator(mlp->spec(), GeneratorOptions(4), 11),
      "rank must be in [1, min(out, in)] = [1, 10] for fc3.weight [10, 400], got 11");
  EXPECT_THROW_WITH(
      LowRankGenerator(mlp->spec(), GeneratorOptions(4), LowRankOptions(11).dense({"fc3.wieght"})),
      "did you mean 'fc3.weight'?");
  EXPECT_THROW_WITH(
      LowRankGenerator(mlp->spec(), GeneratorOptions(4), LowRankOptions(11).dense({"fc3.bias"})),
      "LowRankGenerator: dense entry fc3.bias must be a weight matrix, got [10]");
  LowRankGenerator gen(Mlp(MlpOptions({6, 5, 3}))->spec(), GeneratorOptions(4), 2);
  EXPECT_THROW_WITH(
      gen->forward_interval(Interval::point(torch::zeros({1, 4}))),
      "LowRankGenerator: interval propagation is not supported");
  EXPECT_THROW_WITH(
      gen->forward(torch::zeros({1, 3})), "LowRankGenerator: condition must be [B, 4], got [1, 3]");
  LowRankLayout layout(Mlp(MlpOptions({6, 5, 3}))->spec(), 2);
  EXPECT_THROW_WITH(layout.compose(torch::zeros({1, 3})), "factors must be [B, 46], got [1, 3]");
}

TEST(LowRankGenerator, LearnsTasksContinually) {
  test::seed_torch();
  Mlp mlp(MlpOptions({6, 8, 2}));
  auto gen = LowRankGenerator(mlp->spec(), GeneratorOptions(4).hidden({16}).chunk_size(10), 2);
  auto method = std::make_shared<HyperclMethod>(
      gen.ptr(), TaskEmbedding(2, 4), TaskHeads(mlp->spec(), 1), HyperclOptions().beta(0.5));
  ContinualLearner learner(
      mlp.ptr(), method, 2, ContinualOptions().steps(400).batch_size(32).lr(1e-2));
  learner.train_task(0, test::blobs(0, 512), {});
  learner.train_task(1, test::blobs(1, 512), {});
  EXPECT_GT(learner.task_accuracy(0, test::blobs(0, 512)), 0.85);
  EXPECT_GT(learner.task_accuracy(1, test::blobs(1, 512)), 0.85);
  int64_t params = 0;
  for (const auto& p : gen->parameters()) params += p.numel();
  EXPECT_EQ(method->generator_params(), params);
}

}  // namespace
}  // namespace hnet
