#include "hnet/spec.h"

#include "support/test_support.h"

namespace hnet {
namespace {

Spec two_layer_spec() {
  Spec s;
  s.add_weight("fc1.weight", {4, 3}, 2.0).add_bias("fc1.bias", 4, 3);
  s.add_weight("conv.weight", {5, 2, 3, 3}, 1.0).add_norm("bn.scale", 5, Role::kScale);
  return s;
}

TEST(Spec, OffsetsAreCumulative) {
  const Spec s = two_layer_spec();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].offset, 0);
  EXPECT_EQ(s[0].numel, 12);
  EXPECT_EQ(s[1].offset, 12);
  EXPECT_EQ(s[2].offset, 16);
  EXPECT_EQ(s[2].numel, 90);
  EXPECT_EQ(s[3].offset, 106);
  EXPECT_EQ(s.numel(), 111);
  EXPECT_EQ(s.index("conv.weight"), 2u);
}

TEST(Spec, FansOfLinearAndConvolution) {
  const Spec s = two_layer_spec();
  EXPECT_EQ(s[0].fan_in, 3);
  EXPECT_EQ(s[0].fan_out, 4);
  EXPECT_EQ(s[2].fan_in, 2 * 9);
  EXPECT_EQ(s[2].fan_out, 5 * 9);
  EXPECT_DOUBLE_EQ(s[0].init_variance(Fan::kIn), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s[0].init_variance(Fan::kOut), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(s[1].init_variance(Fan::kIn), 1.0 / 9.0);  // PyTorch's bias default
}

TEST(Spec, InitMeanAndStdPerElement) {
  const Spec s = two_layer_spec();
  auto mean = s.init_mean();
  auto std = s.init_std(Fan::kIn);
  ASSERT_EQ(mean.numel(), s.numel());
  EXPECT_EQ(mean[0].item<float>(), 0.0f);
  EXPECT_EQ(mean[106].item<float>(), 1.0f);  // norm scale starts at 1
  EXPECT_NEAR(std[5].item<float>(), std::sqrt(2.0 / 3.0), 1e-6);
  EXPECT_NEAR(std[20].item<float>(), std::sqrt(1.0 / 18.0), 1e-6);
}

TEST(Spec, RejectsBadEntries) {
  Spec s;
  EXPECT_THROW_WITH(s.add_weight("w", {4, -1}, 1.0), "dimensions must be > 0, got [4, -1]");
  EXPECT_THROW_WITH(s.add_weight("w", {4}, 1.0), "at least 2 dimensions [out, in, ...], got [4]");
  EXPECT_THROW_WITH(s.add_weight("w", {4, 3}, 0.0), "gain must be > 0, got 0");
  EXPECT_THROW_WITH(s.add_bias("", 3, 1), "name must not be empty");
  s.add_bias("b", 3, 1);
  EXPECT_THROW_WITH(s.add_bias("b", 3, 1), "entry 'b' is already present");
  EXPECT_THROW_WITH(s.add_weight("huge", {INT64_MAX / 2, 4}, 1.0), "has too many elements, shape");
}

TEST(Spec, UnknownNameSuggestsClosest) {
  const Spec s = two_layer_spec();
  EXPECT_THROW_WITH(
      s.index("fc1.wieght"), "no entry named 'fc1.wieght'; did you mean 'fc1.weight'?");
  EXPECT_FALSE(s.contains("nope"));
}

TEST(Spec, StrListsEntries) {
  Spec s;
  s.add_weight("fc1.weight", {2, 3}, 1.0).add_bias("fc1.bias", 2, 3);
  EXPECT_EQ(s.str(), "fc1.weight [2, 3] @0\nfc1.bias [2] @6\n");
}

}  // namespace
}  // namespace hnet
