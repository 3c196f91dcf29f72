#include "hnet/targets/conv_net.h"

#include "support/test_support.h"

namespace hnet {
namespace {

TEST(ConvNet, LeNetShapesForFashionMnist) {
  ConvNet net;  // defaults: 1x28x28, channels 20/50, hidden 500
  const Spec& s = *net->spec();
  EXPECT_EQ(s[s.index("conv1.weight")].shape, (std::vector<int64_t>{20, 1, 5, 5}));
  EXPECT_EQ(s[s.index("fc1.weight")].shape, (std::vector<int64_t>{500, 50 * 4 * 4}));
  Weights w(net->spec(), torch::randn({s.numel()}) * 0.01);
  EXPECT_EQ(net->forward(torch::rand({3, 1, 28, 28}), w).sizes(), torch::IntArrayRef({3, 10}));
}

TEST(ConvNet, EqualsTorchLayersWithTheSameWeights) {
  test::seed_torch();
  ConvNet net(ConvNetOptions().image_size(16).channels({2, 3}).hidden(4).classes(3));
  Weights w(net->spec(), torch::randn({net->spec()->numel()}) * 0.3);
  auto x = torch::randn({2, 1, 16, 16});
  auto h = torch::max_pool2d(torch::relu(torch::conv2d(x, w["conv1.weight"], w["conv1.bias"])), 2);
  h = torch::max_pool2d(torch::relu(torch::conv2d(h, w["conv2.weight"], w["conv2.bias"])), 2);
  h = torch::relu(torch::linear(h.flatten(1), w["fc1.weight"], w["fc1.bias"]));
  auto expected = torch::linear(h, w["fc2.weight"], w["fc2.bias"]);
  EXPECT_TRUE(torch::allclose(net->forward(x, w), expected, 1e-5, 1e-5));
}

TEST(ConvNet, BatchNormKeepsStatisticsPerSlot) {
  test::seed_torch();
  ConvNet net(
      ConvNetOptions().image_size(16).channels({2, 3}).hidden(4).norm(Norm::kBatch).stats_slots(2));
  const Spec& s = *net->spec();
  EXPECT_TRUE(s.contains("bn1.scale") && s.contains("bn2.shift") && !s.contains("conv1.bias"));
  Weights w(net->spec(), s.init_mean() + torch::randn({s.numel()}) * 0.1);
  auto stats = net->named_buffers();
  ASSERT_TRUE(stats.contains("bn1.running_mean"));
  net->set_stats_slot(1);
  net->forward(torch::randn({4, 1, 16, 16}) + 3, w);
  auto rm = stats["bn1.running_mean"];
  EXPECT_TRUE(torch::equal(rm[0], torch::zeros({2})));  // slot 0 untouched
  EXPECT_FALSE(torch::equal(rm[1], torch::zeros({2})));
  EXPECT_THROW_WITH(net->set_stats_slot(2), "stats slot must be in [0, 2), got 2");
}

TEST(ConvNet, RejectsBadOptionsAndInputs) {
  EXPECT_THROW_WITH(ConvNet(ConvNetOptions().channels({20})), "two positive numbers, got [20]");
  EXPECT_THROW_WITH(ConvNet(ConvNetOptions().hidden(0)), "hidden must be > 0, got 0");
  EXPECT_THROW_WITH(ConvNet(ConvNetOptions().image_size(8)), "image_size must be >= 16, got 8");
  ConvNet net;
  Weights w(net->spec(), torch::zeros({net->spec()->numel()}));
  EXPECT_THROW_WITH(
      net->forward(torch::zeros({2, 784}), w), "input must be [N, 1, 28, 28], got [2, 784]");
}

TEST(ConvNet, PrettyPrint) {
  std::ostringstream out;
  ConvNet()->pretty_print(out);
  EXPECT_EQ(
      out.str(),
      "hnet::ConvNet(in_channels=1, channels=[20, 50], hidden=500, classes=10, norm=none)");
}

}  // namespace
}  // namespace hnet
