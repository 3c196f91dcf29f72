#include "hnet/targets/res_net.h"

#include "support/test_support.h"

namespace hnet {
namespace {

TEST(ResNet, ResNet20Layout) {
  ResNet net(ResNetOptions().depth(20).in_channels(3));
  const Spec& s = *net->spec();
  int64_t convs = 0;
  for (const auto& e : s.entries()) convs += e.shape.size() == 4;
  EXPECT_EQ(convs, 1 + 18 + 2);  // stem, 9 blocks x 2, 2 projections
  EXPECT_EQ(s[s.index("s3b3.conv2.weight")].shape, (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(s[s.index("fc.weight")].shape, (std::vector<int64_t>{10, 64}));
  // About 0.27M parameters, as in He et al.'s table 6.
  EXPECT_GT(s.numel(), 260000);
  EXPECT_LT(s.numel(), 280000);
  Weights w(net->spec(), s.init_mean() + torch::randn({s.numel()}) * 0.05);
  EXPECT_EQ(net->forward(torch::randn({2, 3, 32, 32}), w).sizes(), torch::IntArrayRef({2, 10}));
}

TEST(ResNet, ZeroBranchesPassTheShortcutThrough) {
  // All residual branches zero: each block outputs relu(shortcut). The stem
  // makes every activation 1; identity 1x1 projections carry the first
  // `width` channels through the stage changes, so the pooled features are
  // [1, 1, 0, ..., 0] and with an all-ones fc the logits are `width`.
  const int64_t width = 2;
  ResNet net(ResNetOptions().depth(8).width(width).classes(2).norm(Norm::kNone));
  Weights w(net->spec(), torch::zeros({net->spec()->numel()}));
  w["stem.conv.bias"].fill_(1.0);
  for (const char* proj : {"s2b1.proj.weight", "s3b1.proj.weight"}) {
    auto k = w[proj];  // [out, in, 1, 1]
    for (int64_t i = 0; i < width; ++i) k[i][i].fill_(1.0);
  }
  w["fc.weight"].fill_(1.0);
  auto y = net->forward(torch::randn({1, 1, 8, 8}), w);
  EXPECT_TRUE(torch::allclose(y, torch::full({1, 2}, static_cast<float>(width))));
}

TEST(ResNet, RejectsBadDepth) {
  EXPECT_THROW_WITH(ResNet(ResNetOptions().depth(21)), "depth must be 6n + 2 with n >= 1, got 21");
  EXPECT_THROW_WITH(ResNet(ResNetOptions().width(0)), "width must be > 0, got 0");
}

}  // namespace
}  // namespace hnet
