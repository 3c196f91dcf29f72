#include "hnet/targets/module_adapter.h"

#include "hnet/generators/full_generator.h"
#include "hnet/targets/mlp.h"
#include "support/test_support.h"

namespace hnet {
namespace {

namespace nn = torch::nn;

nn::Sequential small_convnet() {
  return nn::Sequential(
      nn::Conv2d(nn::Conv2dOptions(1, 2, 3).padding(1)), nn::BatchNorm2d(2), nn::ReLU(),
      nn::Flatten(), nn::Linear(2 * 4 * 4, 3));
}

// The module's own parameters laid out as one flat vector.
torch::Tensor own_flat(nn::Module& m) {
  std::vector<torch::Tensor> parts;
  for (const auto& p : m.parameters()) parts.push_back(p.detach().flatten());
  return torch::cat(parts);
}

// A module that is not a Sequential: batched weights use the loop fallback.
struct TwoLayerImpl : nn::Module {
  TwoLayerImpl()
      : a(register_module("a", nn::Linear(3, 4))), b(register_module("b", nn::Linear(4, 2))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return b(torch::tanh(a(x)));
  }
  nn::Linear a, b;
};
TORCH_MODULE(TwoLayer);

TEST(ModuleAdapter, SpecFollowsNamedParameters) {
  auto net = small_convnet();
  ModuleAdapter adapter(net);
  const Spec& s = *adapter->spec();
  auto params = net->named_parameters();
  ASSERT_EQ(s.size(), params.size());
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s[i].name, params[i].key());
    EXPECT_EQ(s[i].shape, params[i].value().sizes().vec());
  }
  EXPECT_EQ(s[s.index("1.weight")].role, Role::kScale);
  EXPECT_EQ(s[s.index("1.bias")].role, Role::kShift);
  EXPECT_EQ(s[s.index("4.bias")].fan_in, 32);
  EXPECT_TRUE(adapter->batched_natively());
}

TEST(ModuleAdapter, OwnWeightsReproduceTheModule) {
  test::seed_torch();
  auto net = small_convnet();
  ModuleAdapter adapter(net);
  net->eval();
  auto x = torch::randn({5, 1, 4, 4});
  auto expected = net->forward(x);
  auto y = adapter->forward(x, Weights(adapter->spec(), own_flat(*net)));
  EXPECT_TRUE(torch::allclose(y, expected, 1e-6, 1e-6));
}

TEST(ModuleAdapter, GradientsReachTheGeneratorAndParametersAreRestored) {
  test::seed_torch();
  auto net = small_convnet();
  auto* conv = net[0]->as<nn::Conv2d>();
  const auto original = conv->weight;
  ModuleAdapter adapter(net);
  // tanh: with ReLU some draws leave all 8 hidden units dead at this
  // condition, and then no gradient reaches the head or the condition.
  FullGenerator gen(adapter->spec(), GeneratorOptions(4).hidden({8}).activation(Activation::kTanh));
  auto cond = torch::randn({1, 4}, torch::requires_grad());
  auto y =
      adapter->forward(torch::randn({3, 1, 4, 4}), Weights(adapter->spec(), gen->forward(cond)[0]));
  y.pow(2).sum().backward();
  EXPECT_GT(gen->head->weight.grad().abs().sum().item<double>(), 0);
  EXPECT_GT(cond.grad().abs().sum().item<double>(), 0);
  EXPECT_FALSE(conv->weight.grad().defined());  // the module's own weight is unused
  EXPECT_TRUE(conv->weight.is_same(original));  // and restored after the call
}

TEST(ModuleAdapter, NonSequentialModulesLoopOverWeightSets) {
  test::seed_torch();
  TwoLayer net;
  ModuleAdapter adapter(net);
  EXPECT_FALSE(adapter->batched_natively());
  Weights w(adapter->spec(), torch::randn({3, adapter->spec()->numel()}));
  auto x = torch::randn({6, 3});
  auto y = adapter->forward(x, w);
  for (int64_t b = 0; b < 3; ++b) {
    EXPECT_TRUE(torch::allclose(
        y.narrow(0, 2 * b, 2), adapter->forward(x.narrow(0, 2 * b, 2), w.select(b))));
  }
}

TEST(ModuleAdapter, RejectsUnsupportedLayers) {
  nn::Sequential net(nn::Linear(3, 4), nn::Embedding(10, 4));
  EXPECT_THROW_WITH(
      ModuleAdapter{net}, "layer '1' of type torch::nn::EmbeddingImpl is not supported");
  ModuleAdapter ok(nn::Sequential(nn::Linear(3, 4)));
  Mlp other(MlpOptions({3, 5}));
  EXPECT_THROW_WITH(
      ok->forward(torch::zeros({1, 3}), Weights(other->spec(), torch::zeros({20}))),
      "ModuleAdapter: weight entry 0 is 'fc1.weight' [5, 3] but the target expects '0.weight' [4, "
      "3]");
}

}  // namespace
}  // namespace hnet
