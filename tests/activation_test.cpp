#include "hnet/activation.h"

#include "support/test_support.h"

namespace hnet {
namespace {

TEST(Activation, ParsesEveryName) {
  for (const char* name :
       {"relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "sin", "identity"}) {
    EXPECT_EQ(activation_name(parse_activation(name)), name);
  }
}

TEST(Activation, UnknownNameSuggestsClosest) {
  EXPECT_THROW_WITH(parse_activation("rleu"), "got 'rleu' (did you mean 'relu'?)");
}

TEST(Activation, ValuesAndGains) {
  auto x = torch::tensor({-1.0, 0.5});
  EXPECT_TRUE(torch::equal(apply_activation(Activation::kRelu, x), torch::tensor({0.0, 0.5})));
  EXPECT_TRUE(torch::allclose(apply_activation(Activation::kSin, x), torch::sin(x)));
  EXPECT_TRUE(torch::equal(apply_activation(Activation::kIdentity, x), x));
  EXPECT_DOUBLE_EQ(activation_gain(Activation::kRelu), 2.0);
  EXPECT_DOUBLE_EQ(activation_gain(Activation::kTanh), 1.0);
}

}  // namespace
}  // namespace hnet
