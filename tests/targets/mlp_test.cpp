#include "hnet/targets/mlp.h"

#include "support/test_support.h"

namespace hnet {
namespace {

TEST(Mlp, SpecListsLayers) {
  Mlp mlp(MlpOptions({784, 400, 10}));
  const Spec& s = *mlp->spec();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].name, "fc1.weight");
  EXPECT_EQ(s[0].shape, (std::vector<int64_t>{400, 784}));
  EXPECT_DOUBLE_EQ(s[0].gain, 2.0);  // He for relu
  EXPECT_DOUBLE_EQ(s[2].gain, 1.0);  // the output layer
  EXPECT_EQ(s.numel(), 784 * 400 + 400 + 400 * 10 + 10);
}

TEST(Mlp, ForwardMatchesTorchLayersByHand) {
  // A 2-1-1 network by hand: flat = [W1 (2), b1, W2, b2];
  // h = relu(2*1 + 1*3 - 1) = 4, y = -0.5 * 4 + 2 = 0.
  Mlp mlp(MlpOptions({2, 1, 1}));
  auto flat = torch::tensor({2.0f, 1.0f, -1.0f, -0.5f, 2.0f});
  auto y = mlp->forward(torch::tensor({{1.0f, 3.0f}}), Weights(mlp->spec(), flat));
  EXPECT_FLOAT_EQ(y.item<float>(), 0.0f);
  auto y2 = mlp->forward(torch::tensor({{0.0f, 3.0f}}), Weights(mlp->spec(), flat));
  EXPECT_FLOAT_EQ(y2.item<float>(), 1.0f);  // h = 2, y = -1 + 2
}

TEST(Mlp, FlattensImageInputs) {
  Mlp mlp(MlpOptions({16, 3, 2}));
  auto w = Weights(mlp->spec(), torch::randn({mlp->spec()->numel()}));
  EXPECT_EQ(mlp->forward(torch::randn({5, 1, 4, 4}), w).sizes(), torch::IntArrayRef({5, 2}));
}

TEST(Mlp, RejectsBadOptionsAndInputs) {
  EXPECT_THROW_WITH(Mlp(MlpOptions({784})), "at least input and output widths, got [784]");
  EXPECT_THROW_WITH(Mlp(MlpOptions({784, -3, 10})), "sizes must be > 0, got [784, -3, 10]");
  Mlp mlp(MlpOptions({4, 2}));
  Weights w(mlp->spec(), torch::zeros({mlp->spec()->numel()}));
  EXPECT_THROW_WITH(
      mlp->forward(torch::zeros({3, 5}), w), "input has 5 features but sizes[0] is 4");
  Mlp other(MlpOptions({4, 3}));
  Weights wrong(other->spec(), torch::zeros({other->spec()->numel()}));
  EXPECT_THROW_WITH(
      mlp->forward(torch::zeros({3, 4}), wrong),
      "weight entry 0 is 'fc1.weight' [3, 4] but the target expects 'fc1.weight' [2, 4]");
}

TEST(Mlp, PrettyPrint) {
  std::ostringstream out;
  Mlp(MlpOptions({4, 3, 2}).activation(Activation::kTanh))->pretty_print(out);
  EXPECT_EQ(out.str(), "hnet::Mlp(sizes=[4, 3, 2], activation=tanh)");
}

}  // namespace
}  // namespace hnet
