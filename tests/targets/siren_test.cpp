#include "hnet/targets/siren.h"

#include "support/test_support.h"

namespace hnet {
namespace {

TEST(Siren, ForwardIsSineOfScaledLinear) {
  Siren net(SirenOptions({1, 1, 1}).first_omega(2.0));
  // flat = [W1, b1, W2, b2]: y = 3 * sin(2 * (0.5 x + 0.25)) - 1
  Weights w(net->spec(), torch::tensor({0.5f, 0.25f, 3.0f, -1.0f}));
  auto x = torch::tensor({{0.3f}});
  EXPECT_NEAR(net->forward(x, w).item<float>(), 3 * std::sin(2 * (0.15 + 0.25)) - 1, 1e-6);
}

TEST(Siren, InitialVariancesFollowTheSirenScheme) {
  Siren net(SirenOptions({2, 256, 256, 1}));
  const Spec& s = *net->spec();
  EXPECT_NEAR(s[0].init_variance(Fan::kIn), 1.0 / (3.0 * 4.0), 1e-12);  // U(-1/2, 1/2)
  EXPECT_NEAR(s[2].init_variance(Fan::kIn), 2.0 / (256 * 900.0), 1e-12);
}

TEST(Siren, RejectsBadOptions) {
  EXPECT_THROW_WITH(
      Siren(SirenOptions({2, 8, 1}).first_omega(-1)), "first_omega must be > 0, got -1");
  Siren net(SirenOptions({2, 8, 1}));
  Weights w(net->spec(), torch::zeros({net->spec()->numel()}));
  EXPECT_THROW_WITH(net->forward(torch::zeros({4, 3}), w), "input must be [N, 2], got [4, 3]");
}

}  // namespace
}  // namespace hnet
