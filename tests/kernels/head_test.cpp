// The fused generator head against the composed operators it replaces
// (output->forward(linear(x, w, b) viewed and cut)), values and gradients.

#include "hnet/kernels/head.h"

#include "support/test_support.h"

namespace hnet {
namespace {

struct HeadCase {
  int64_t batch, heads_per_set, hidden, chunk, n;
  bool learned_base;
};

torch::Tensor composed(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
    const torch::Tensor& scale, const torch::Tensor& base, int64_t batch, int64_t n) {
  return base + scale * torch::linear(x, w, b).view({batch, -1}).narrow(1, 0, n);
}

TEST(KernelsAffineHead, MatchesComposedOperatorsWithGradients) {
  test::seed_torch();
  // Chunk grids cut short (n < K * C) and exact, one and several sets, a
  // constant base (direct) and a learned one (MIP's theta0); K = 1 is a full head.
  for (const HeadCase& c : {HeadCase{1, 7, 13, 11, 70, false}, HeadCase{3, 7, 13, 11, 77, true},
                            HeadCase{4, 1, 9, 50, 50, true}, HeadCase{2, 5, 6, 8, 33, false}}) {
    SCOPED_TRACE(::testing::Message() << "batch " << c.batch << " n " << c.n);
    auto x = torch::randn({c.batch * c.heads_per_set, c.hidden}, torch::requires_grad());
    auto w = torch::randn({c.chunk, c.hidden}, torch::requires_grad());
    auto b = torch::randn({c.chunk}, torch::requires_grad());
    auto scale = torch::rand({c.n}) + 0.5;
    auto base = torch::randn({c.n}).requires_grad_(c.learned_base);
    auto r = torch::randn({c.batch, c.n});

    auto y = kernels::affine_head(x, w, b, scale, base, c.batch);
    ASSERT_EQ(y.sizes(), torch::IntArrayRef({c.batch, c.n}));
    EXPECT_TRUE(y.is_contiguous());
    (y * r).sum().backward();

    auto x2 = x.detach().requires_grad_(), w2 = w.detach().requires_grad_();
    auto b2 = b.detach().requires_grad_();
    auto base2 = base.detach().requires_grad_(c.learned_base);
    auto expected = composed(x2, w2, b2, scale, base2, c.batch, c.n);
    (expected * r).sum().backward();

    EXPECT_TRUE(torch::allclose(y, expected, 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(x.grad(), x2.grad(), 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(w.grad(), w2.grad(), 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(b.grad(), b2.grad(), 1e-4, 1e-4));
    if (c.learned_base) {
      EXPECT_TRUE(torch::allclose(base.grad(), base2.grad(), 1e-5, 1e-5));
    }
  }
}

TEST(KernelsAffineHead, FallsBackForDoubles) {
  auto x = torch::randn({6, 4}, torch::kDouble), w = torch::randn({5, 4}, torch::kDouble);
  auto b = torch::randn({5}, torch::kDouble), scale = torch::rand({14}, torch::kDouble);
  auto base = torch::randn({14}, torch::kDouble);
  EXPECT_TRUE(torch::allclose(
      kernels::affine_head(x, w, b, scale, base, 2), composed(x, w, b, scale, base, 2, 14)));
}

TEST(KernelsAffineHead, RejectsInconsistentShapes) {
  auto x = torch::randn({6, 4}), w = torch::randn({5, 4}), b = torch::randn({5});
  auto v = torch::ones({14});
  EXPECT_THROW_WITH(kernels::affine_head(x, w, b, v, v, 4), "not a multiple of the batch 4");
  auto big = torch::ones({16});  // 2 sets of 3 rows x 5 columns hold 15 per set
  EXPECT_THROW_WITH(kernels::affine_head(x, w, b, big, big, 2), "must be [N] with N <= 15");
}

}  // namespace
}  // namespace hnet
