#include "hnet/weights.h"

#include "support/test_support.h"

namespace hnet {
namespace {

std::shared_ptr<const Spec> small_spec() {
  auto s = std::make_shared<Spec>();
  s->add_weight("w", {2, 3}, 1.0).add_bias("b", 2, 3);
  return s;
}

TEST(Weights, ViewsShareTheFlatStorage) {
  auto flat = torch::arange(8, torch::kFloat);
  Weights w(small_spec(), flat);
  EXPECT_FALSE(w.batched());
  EXPECT_EQ(w["w"].sizes(), torch::IntArrayRef({2, 3}));
  EXPECT_EQ(w["w"].data_ptr<float>(), flat.data_ptr<float>());
  EXPECT_EQ(w["b"].data_ptr<float>(), flat.data_ptr<float>() + 6);
  EXPECT_EQ(w["b"][1].item<float>(), 7.0f);
  w["b"].fill_(-1);  // writes through: a view, not a copy
  EXPECT_EQ(flat[7].item<float>(), -1.0f);
}

TEST(Weights, BatchedViewsHaveLeadingDimension) {
  auto flat = torch::arange(24, torch::kFloat).view({3, 8});
  Weights w(small_spec(), flat);
  EXPECT_TRUE(w.batched());
  EXPECT_EQ(w.batch_size(), 3);
  EXPECT_EQ(w["w"].sizes(), torch::IntArrayRef({3, 2, 3}));
  EXPECT_EQ(w["b"][2][0].item<float>(), 22.0f);
  EXPECT_EQ(w["w"].data_ptr<float>(), flat.data_ptr<float>());
  EXPECT_TRUE(torch::equal(w.select(1)["b"], torch::tensor({14.0f, 15.0f})));
}

TEST(Weights, GradientsReachTheFlatTensor) {
  auto flat = torch::randn({8}, torch::requires_grad());
  Weights w(small_spec(), flat);
  (w["w"].sum() * 2 + w["b"].sum()).backward();
  auto expected = torch::cat({torch::full({6}, 2.0), torch::ones({2})});
  EXPECT_TRUE(torch::allclose(flat.grad(), expected));
}

TEST(Weights, RejectsMismatchedFlat) {
  EXPECT_THROW_WITH(
      Weights(small_spec(), torch::zeros({7})), "has 7 values per weight set but the spec needs 8");
  EXPECT_THROW_WITH(
      Weights(small_spec(), torch::zeros({1, 2, 8})), "must be [N] or [B, N], got [1, 2, 8]");
  EXPECT_THROW_WITH(Weights(small_spec(), torch::zeros({8, 2}).t()), "stride 1, got 2");
  Weights w(small_spec(), torch::zeros({2, 8}));
  EXPECT_THROW_WITH(w.select(2), "index must be in [0, 2), got 2");
  EXPECT_THROW_WITH(w["bias"], "did you mean 'b'?");
}

}  // namespace
}  // namespace hnet
