#include "hnet/conditions/gaussian_noise.h"
#include "hnet/conditions/mip_encoding.h"
#include "hnet/conditions/task_embedding.h"
#include "support/test_support.h"

namespace hnet {
namespace {

TEST(TaskEmbedding, SelectsRowsDifferentiably) {
  test::seed_torch();
  TaskEmbedding emb(4, 3);
  auto out = emb->forward(torch::tensor({2, 0, 2}, torch::kLong));
  EXPECT_TRUE(torch::equal(out[0], emb->weight[2]));
  out.sum().backward();
  EXPECT_TRUE(
      torch::equal(emb->weight.grad().select(1, 0), torch::tensor({1.0f, 0.0f, 2.0f, 0.0f})));
}

TEST(TaskEmbedding, RejectsBadIds) {
  TaskEmbedding emb(4, 3);
  EXPECT_THROW_WITH(
      emb->forward(torch::tensor({1, 4}, torch::kLong)), "task ids must be in [0, 4), got 4");
  EXPECT_THROW_WITH(emb->forward(torch::tensor({-1}, torch::kLong)), "got -1");
  EXPECT_THROW_WITH(emb->forward(torch::tensor({1.0f})), "1-D int64 tensor");
  EXPECT_THROW_WITH(TaskEmbedding(0, 3), "tasks must be > 0, got 0");
}

TEST(MipEncoding, CosSinHasConstantNorm) {
  MipEncoding enc(2);
  auto x = torch::tensor({{0.0f, 1.0f}, {0.5f, 0.25f}});
  auto y = enc->forward(x);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({2, 4}));
  EXPECT_NEAR(y[0][0].item<float>(), 1.0f, 1e-6);  // cos 0
  EXPECT_NEAR(y[0][1].item<float>(), 0.0f, 1e-6);  // cos(pi/2)
  EXPECT_NEAR(y[0][3].item<float>(), 1.0f, 1e-6);  // sin(pi/2)
  EXPECT_NEAR(y[1][0].item<float>(), std::cos(M_PI / 4), 1e-6);
  // Magnitude invariance: every encoding has norm sqrt(in_dim).
  EXPECT_TRUE(torch::allclose(y.norm(2, 1), torch::full({2}, std::sqrt(2.0f))));
}

TEST(MipEncoding, RejectsValuesOutsideTheUnitInterval) {
  MipEncoding enc(2);
  EXPECT_THROW_WITH(
      enc->forward(torch::tensor({{0.5f, 1.5f}})), "inputs must be in [0, 1], got 1.5 at [0, 1]");
  EXPECT_THROW_WITH(
      enc->forward(torch::tensor({{0.5f, 0.1f}, {-0.2f, 0.0f}})), "got -0.2 at [1, 0]");
  EXPECT_THROW_WITH(enc->forward(torch::tensor({{NAN, 0.1f}})), "got nan at [0, 0]");
  EXPECT_THROW_WITH(enc->forward(torch::zeros({3, 3})), "input must be [B, 2], got [3, 3]");
}

TEST(GaussianNoise, SamplesWithTheRequestedScale) {
  test::seed_torch();
  GaussianNoise noise(64, 0.5);
  auto z = noise->forward(512);
  ASSERT_EQ(z.sizes(), torch::IntArrayRef({512, 64}));
  EXPECT_NEAR(z.std().item<double>(), 0.5, 0.02);
  EXPECT_FALSE(torch::equal(z, noise->forward(512)));  // fresh samples each call
  EXPECT_THROW_WITH(GaussianNoise(4, -1.0), "std must be > 0, got -1");
  EXPECT_THROW_WITH(noise->forward(0), "batch must be > 0, got 0");
}

}  // namespace
}  // namespace hnet
