// PHM layers (phm.h): the Kronecker-sum weight, the functional layers and the
// Mlp / ConvNet options that ask the generator for the factors only.

#include "hnet/targets/phm.h"

#include "hnet/generators/chunked_generator.h"
#include "hnet/targets/conv_net.h"
#include "hnet/targets/functional.h"
#include "hnet/targets/mlp.h"
#include "hnet/testing/gradcheck.h"
#include "support/test_support.h"

namespace hnet {
namespace {

// Reference: the same sum written as an einsum over every index.
torch::Tensor reference_weight(const torch::Tensor& a, const torch::Tensor& f) {
  const int64_t n = a.size(0);
  auto w = torch::einsum("iab,ipqk->apbqk", {a, f.reshape({n, f.size(1), f.size(2), -1})});
  std::vector<int64_t> shape{n * f.size(1), n * f.size(2)};
  for (int64_t d = 3; d < f.dim(); ++d) shape.push_back(f.size(d));
  return w.reshape(shape);
}

TEST(PhmWeight, TinyCaseByHand) {
  // n = 2 with the complex-number rules A1 = I, A2 = [[0, 1], [-1, 0]] and
  // 1x2 filters F1 = [1, 2], F2 = [3, 4]:
  // kron(A1, F1) + kron(A2, F2) = [[1, 2, 0, 0], [0, 0, 1, 2]] + [[0, 0, 3, 4], [-3, -4, 0, 0]].
  auto a = torch::tensor({1.f, 0.f, 0.f, 1.f, 0.f, 1.f, -1.f, 0.f}).view({2, 2, 2});
  auto f = torch::tensor({1.f, 2.f, 3.f, 4.f}).view({2, 1, 2});
  auto expected = torch::tensor({1.f, 2.f, 3.f, 4.f, -3.f, -4.f, 1.f, 2.f}).view({2, 4});
  EXPECT_TRUE(torch::equal(functional::phm_weight(a, f), expected));  // exact: small integers
}

TEST(PhmWeight, MatchesTheKroneckerSumForLinearAndConvFilters) {
  test::seed_torch();
  auto a = torch::randn({3, 3, 3});
  for (auto f : {torch::randn({3, 2, 4}), torch::randn({3, 2, 4, 3, 3})}) {
    auto w = functional::phm_weight(a, f);
    EXPECT_TRUE(torch::allclose(w, reference_weight(a, f), 1e-5, 1e-5)) << f.sizes();
    // Against torch::kron for the first kernel position.
    auto f0 = f.dim() == 3 ? f : f.select(-1, 0).select(-1, 0);
    auto w0 = w.dim() == 2 ? w : w.select(-1, 0).select(-1, 0);
    auto kron = torch::zeros_like(w0);
    for (int64_t i = 0; i < 3; ++i) kron += torch::kron(a[i], f0[i]);
    EXPECT_TRUE(torch::allclose(w0, kron, 1e-5, 1e-5));
  }
}

TEST(PhmLinear, NEqualsOneIsADenseLayer) {
  test::seed_torch();
  auto w = torch::randn({5, 7}), b = torch::randn({5}), x = torch::randn({4, 7});
  auto y = functional::phm_linear(x, torch::ones({1, 1, 1}), w.unsqueeze(0), b);
  EXPECT_TRUE(torch::allclose(y, torch::linear(x, w, b), 1e-5, 1e-6));
  auto k = torch::randn({5, 7, 3, 3}), img = torch::randn({2, 7, 6, 6});
  auto yc = functional::phm_conv2d(img, torch::ones({1, 1, 1}), k.unsqueeze(0), b, 1, 1);
  EXPECT_TRUE(torch::allclose(yc, torch::conv2d(img, k, b, 1, 1), 1e-4, 1e-5));
}

TEST(PhmLinear, BatchedFactorsEqualALoopOverWeightSets) {
  test::seed_torch();
  const int64_t sets = 3, rows = 2;
  auto a = torch::randn({sets, 2, 2, 2}), f = torch::randn({sets, 2, 3, 4});
  auto fc = torch::randn({sets, 2, 3, 4, 3, 3}), b = torch::randn({sets, 6});
  auto x = torch::randn({sets * rows, 8}), img = torch::randn({sets * rows, 8, 5, 5});
  auto y = functional::phm_linear(x, a, f, b);
  auto yc = functional::phm_conv2d(img, a, fc, b, 1, 0);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({sets * rows, 6}));
  ASSERT_EQ(yc.sizes(), torch::IntArrayRef({sets * rows, 6, 3, 3}));
  for (int64_t s = 0; s < sets; ++s) {
    auto expected = functional::phm_linear(x.narrow(0, s * rows, rows), a[s], f[s], b[s]);
    EXPECT_TRUE(torch::allclose(y.narrow(0, s * rows, rows), expected, 1e-5, 1e-5));
    auto expected_c =
        functional::phm_conv2d(img.narrow(0, s * rows, rows), a[s], fc[s], b[s], 1, 0);
    EXPECT_TRUE(torch::allclose(yc.narrow(0, s * rows, rows), expected_c, 1e-4, 1e-5));
  }
}

TEST(PhmTargets, SpecAsksForTheFactorsOnly) {
  Mlp mlp(MlpOptions({784, 400, 400, 10}).phm(4));
  const Spec& s = *mlp->spec();
  EXPECT_FALSE(s.contains("fc1.weight"));
  EXPECT_EQ(s[s.index("fc1.phm_a")].shape, (std::vector<int64_t>{4, 4, 4}));
  EXPECT_EQ(s[s.index("fc1.phm_f")].shape, (std::vector<int64_t>{4, 100, 196}));
  EXPECT_EQ(s[s.index("fc3.weight")].shape, (std::vector<int64_t>{10, 400}));  // classifier: dense
  Weights w(mlp->spec(), torch::randn({2, s.numel()}) * 0.05);
  EXPECT_EQ(mlp->forward(torch::randn({4, 784}), w).sizes(), torch::IntArrayRef({4, 10}));

  ConvNet net(ConvNetOptions().channels({20, 48}).phm(4));
  const Spec& c = *net->spec();
  EXPECT_EQ(c[c.index("conv1.weight")].shape, (std::vector<int64_t>{20, 1, 5, 5}));
  EXPECT_EQ(c[c.index("conv2.phm_f")].shape, (std::vector<int64_t>{4, 12, 5, 5, 5}));
  EXPECT_EQ(c[c.index("fc1.phm_f")].shape, (std::vector<int64_t>{4, 125, 192}));
  EXPECT_EQ(c[c.index("fc2.weight")].shape, (std::vector<int64_t>{10, 500}));
  Weights wc(net->spec(), torch::randn({c.numel()}) * 0.05);
  EXPECT_EQ(net->forward(torch::rand({3, 1, 28, 28}), wc).sizes(), torch::IntArrayRef({3, 10}));
}

TEST(PhmTargets, ParameterCountIsAboutOneOverN) {
  for (int64_t n : {2, 4, 8}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const double dense = Mlp(MlpOptions({784, 400, 400, 10}))->spec()->numel();
    const double phm = Mlp(MlpOptions({784, 400, 400, 10}).phm(n))->spec()->numel();
    // The classifier (4,010 values) and the biases stay dense.
    EXPECT_NEAR(phm / dense, 1.0 / n, 0.01 + 4810.0 / dense);
    const double dense_conv =
        ConvNet(ConvNetOptions().channels({24, 48}).hidden(512))->spec()->numel();
    const double phm_conv =
        ConvNet(ConvNetOptions().channels({24, 48}).hidden(512).phm(n))->spec()->numel();
    EXPECT_NEAR(phm_conv / dense_conv, 1.0 / n, 0.02);
  }
}

// A PHM target computes what the dense target computes with the composed weights.
TEST(PhmTargets, EqualTheDenseTargetWithComposedWeights) {
  test::seed_torch();
  auto options = ConvNetOptions().image_size(16).channels({2, 4}).hidden(6).classes(3);
  ConvNet phm(ConvNetOptions(options).phm(2)), dense(options);
  Weights wp(phm->spec(), torch::randn({phm->spec()->numel()}) * 0.3);
  auto flat = torch::empty({dense->spec()->numel()});
  Weights wd(dense->spec(), flat);
  for (const auto& e : dense->spec()->entries()) {
    const auto layer = e.name.substr(0, e.name.find('.'));
    wd[e.name].copy_(
        phm->spec()->contains(e.name)
            ? wp[e.name]
            : functional::phm_weight(wp[layer + ".phm_a"], wp[layer + ".phm_f"]));
  }
  auto x = torch::randn({3, 1, 16, 16});
  EXPECT_TRUE(torch::allclose(phm->forward(x, wp), dense->forward(x, wd), 1e-4, 1e-5));
}

TEST(PhmTargets, GradientsReachTheGeneratorThroughTheFactors) {
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<std::pair<std::shared_ptr<Target>, torch::Tensor>> cases{
      {Mlp(MlpOptions({8, 6, 3}).activation(Activation::kTanh).phm(2)).ptr(),
       torch::randn({4, 8}, torch::kDouble)},
      {ConvNet(ConvNetOptions().image_size(16).channels({2, 4}).hidden(4).classes(3).phm(2)).ptr(),
       torch::randn({2, 1, 16, 16}, torch::kDouble)}};
  for (auto& [target, x] : cases) {
    auto gen = ChunkedGenerator(
        target->spec(), GeneratorOptions(3).hidden({5}).chunk_size(13).embedding_dim(2).activation(
                            Activation::kTanh));
    gen->to(torch::kDouble);
    auto cond = torch::randn({2, 3}, torch::dtype(torch::kDouble).requires_grad(true));
    auto fn = [&] { return target->forward(x, Weights(target->spec(), gen->forward(cond))); };
    auto result = test::gradcheck_generator(fn, cond, *gen);
    EXPECT_TRUE(result.ok) << result.report;
  }
}

// Hyperfan initialisation through the factors gives the *composed* weight the
// variance of the dense layer's fan rule (within 25%, as for dense targets).
TEST(PhmTargets, ComposedWeightsHaveTheHyperfanVariance) {
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (Fan fan : {Fan::kIn, Fan::kOut}) {
    Mlp phm(MlpOptions({784, 300, 100, 10}).phm(4));
    Mlp dense(MlpOptions({784, 300, 100, 10}));
    ChunkedGenerator gen(
        phm->spec(), GeneratorOptions(16).chunk_size(1000).output(OutputOptions().fan(fan)));
    torch::NoGradGuard no_grad;
    // 256 conditions: with 64 the estimate missed 25% at about 1 seed in 25.
    Weights w(phm->spec(), gen->forward(torch::randn({256, 16})));
    for (const std::string layer : {"fc1", "fc2"}) {
      auto composed = functional::phm_weight(w[layer + ".phm_a"], w[layer + ".phm_f"]);
      const auto& e = (*dense->spec())[dense->spec()->index(layer + ".weight")];
      const double expected = e.init_variance(fan);
      EXPECT_NEAR(composed.var().item<double>() / expected, 1.0, 0.25) << layer;
    }
  }
}

TEST(PhmTargets, RejectBadN) {
  EXPECT_THROW_WITH(
      Mlp(MlpOptions({784, 400, 400, 10}).phm(3)),
      "Mlp: phm n must divide the output and input sizes of layer fc1 [400, 784], got n=3");
  EXPECT_THROW_WITH(
      Mlp(MlpOptions({784, 400, 10}).phm(-1)), "Mlp: phm must be >= 0 (0: dense layers), got -1");
  EXPECT_THROW_WITH(
      Mlp(MlpOptions({784, 10}).phm(2)),
      "Mlp: phm needs a hidden layer (the last layer stays "
      "dense), got sizes [784, 10]");
  EXPECT_THROW_WITH(
      ConvNet(ConvNetOptions().phm(4)),
      "ConvNet: phm n must divide the output and input sizes of layer conv2 [50, 20, 5, 5], got "
      "n=4");
  EXPECT_THROW_WITH(
      ConvNet(ConvNetOptions().channels({20, 48}).hidden(30).phm(4)),
      "layer fc1 [30, 768], got n=4");
  Spec spec;
  EXPECT_THROW_WITH(
      add_phm_weight(spec, "Test", "fc", {4, 4}, 0, 1.0), "Test: phm n must be >= 1, got n=0");
  EXPECT_THROW_WITH(
      functional::phm_weight(torch::zeros({2, 2, 3}), torch::zeros({2, 1, 1})),
      "rules a must be [n, n, n] or [B, n, n, n], got [2, 2, 3]");
  EXPECT_THROW_WITH(
      functional::phm_weight(torch::zeros({2, 2, 2}), torch::zeros({3, 1, 1})),
      "filters f must be [n, P, Q, ...] with n=2, got [3, 1, 1]");
  EXPECT_THROW_WITH(
      functional::phm_weight(torch::zeros({2, 2, 2, 2}), torch::zeros({3, 2, 1, 1})),
      "filters f must be [B, n, P, Q, ...] with n=2 and B=2, got [3, 2, 1, 1]");
  Mlp mlp(MlpOptions({4, 2, 2}).phm(2));
  EXPECT_THROW_WITH(
      mlp->forward_interval(
          torch::zeros({1, 4}), Interval::point(torch::zeros({mlp->spec()->numel()}))),
      "interval propagation needs dense layers (phm 0), got phm 2");
}

TEST(PhmTargets, PrettyPrint) {
  std::ostringstream out;
  Mlp(MlpOptions({8, 4, 2}).phm(2))->pretty_print(out);
  EXPECT_EQ(out.str(), "hnet::Mlp(sizes=[8, 4, 2], activation=relu, phm=2)");
}

}  // namespace
}  // namespace hnet
