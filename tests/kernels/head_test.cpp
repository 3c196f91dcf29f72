// The fused generator head against the composed operators it replaces
// (output->forward(linear(x, w, b) viewed and cut)), values and gradients.

#include "hnet/kernels/head.h"

#include "support/test_support.h"

namespace hnet {
namespace {

struct HeadCase {
  int64_t batch, heads_per_set, hidden, chunk, n;
  int64_t segments;  // runs of constant scale and base, as a Spec's entries give; 0: per element
  bool learned_base;
};

torch::Tensor composed(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
    const torch::Tensor& scale, const torch::Tensor& base, int64_t batch, int64_t n) {
  return base + scale * torch::linear(x, w, b).view({batch, -1}).narrow(1, 0, n);
}

// Values constant on `segments` random runs (like per-entry scales), or per element.
torch::Tensor piecewise(int64_t n, int64_t segments, const std::function<float()>& draw) {
  auto out = torch::empty({n});
  if (segments == 0) {
    for (int64_t i = 0; i < n; ++i) out[i] = draw();
    return out;
  }
  auto cuts = std::get<0>(torch::randperm(n - 1).narrow(0, 0, segments - 1).add(1).sort());
  int64_t begin = 0;
  for (int64_t s = 0; s < segments; ++s) {
    const int64_t end = s + 1 < segments ? cuts[s].item<int64_t>() : n;
    out.narrow(0, begin, end - begin).fill_(draw());
    begin = end;
  }
  return out;
}

// The operands of a case, and a detached copy for the composed reference.
struct HeadInputs {
  torch::Tensor x, w, b, scale, base;

  HeadInputs(const HeadCase& c, const torch::Tensor& base_values)
      : x(torch::randn({c.batch * c.heads_per_set, c.hidden}, torch::requires_grad())),
        w(torch::randn({c.chunk, c.hidden}, torch::requires_grad())),
        b(torch::randn({c.chunk}, torch::requires_grad())),
        scale(piecewise(c.n, c.segments, [] { return 0.5f + torch::rand({1}).item<float>(); })),
        base(base_values.requires_grad_(c.learned_base)) {}
  HeadInputs(const HeadInputs& o, bool learned_base)
      : x(o.x.detach().requires_grad_()),
        w(o.w.detach().requires_grad_()),
        b(o.b.detach().requires_grad_()),
        scale(o.scale),
        base(o.base.detach().requires_grad_(learned_base)) {}
};

TEST(KernelsAffineHead, MatchesComposedOperatorsWithGradients) {
  test::seed_torch();
  auto zero_or_one = [] { return static_cast<float>(torch::randint(2, {1}).item<int64_t>()); };
  // Chunk grids cut short (n < K * C) and exact, entries straddling chunks or
  // holding many, one and several sets, a constant base of zeros and ones
  // (direct) and a learned one (MIP's theta0), a full head (K = 1), a head too
  // wide for the bias column (C * H > 2^22) and a per-element scale (one run
  // per value, and more runs than the fast path takes).
  for (const HeadCase& c :
       {HeadCase{1, 7, 13, 11, 70, 3, false}, HeadCase{3, 7, 13, 11, 77, 5, true},
        HeadCase{4, 1, 9, 50, 50, 4, true}, HeadCase{2, 5, 6, 8, 33, 0, false},
        HeadCase{5, 40, 10, 16, 637, 6, false}, HeadCase{3, 1, 90, 50000, 50000, 6, false},
        HeadCase{2, 1, 90, 50000, 49990, 3, true}, HeadCase{2, 3, 8, 3000, 9000, 0, false}}) {
    SCOPED_TRACE(
        ::testing::Message() << "batch " << c.batch << " K " << c.heads_per_set << " C " << c.chunk
                             << " n " << c.n);
    HeadInputs in(
        c, c.learned_base ? torch::randn({c.n}) : piecewise(c.n, c.segments, zero_or_one));
    auto r = torch::randn({c.batch, c.n});
    auto y = kernels::affine_head(in.x, in.w, in.b, in.scale, in.base, c.batch);
    ASSERT_EQ(y.sizes(), torch::IntArrayRef({c.batch, c.n}));
    EXPECT_TRUE(y.is_contiguous());
    (y * r).sum().backward();

    HeadInputs ref(in, c.learned_base);
    auto expected = composed(ref.x, ref.w, ref.b, ref.scale, ref.base, c.batch, c.n);
    (expected * r).sum().backward();

    // float32 sums of up to a few thousand terms.
    EXPECT_TRUE(torch::allclose(y, expected, 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(in.x.grad(), ref.x.grad(), 1e-4, 1e-3));
    EXPECT_TRUE(torch::allclose(in.w.grad(), ref.w.grad(), 1e-4, 1e-3));
    EXPECT_TRUE(torch::allclose(in.b.grad(), ref.b.grad(), 1e-4, 1e-3));
    if (c.learned_base) {
      EXPECT_TRUE(torch::allclose(in.base.grad(), ref.base.grad(), 1e-5, 1e-5));
    }
  }
}

TEST(KernelsAffineHead, SquaredDistanceMatchesComposedOperatorsWithGradients) {
  test::seed_torch();
  for (const HeadCase& c :
       {HeadCase{3, 7, 13, 11, 77, 5, true}, HeadCase{4, 40, 10, 16, 637, 6, false},
        HeadCase{2, 1, 90, 50000, 49990, 3, false}}) {
    SCOPED_TRACE(::testing::Message() << "batch " << c.batch << " C " << c.chunk);
    HeadInputs in(c, torch::randn({c.n}));
    auto target = torch::randn({c.batch, c.n});
    auto d =
        kernels::affine_head_squared_distance(in.x, in.w, in.b, in.scale, in.base, c.batch, target);
    EXPECT_EQ(d.dim(), 0);
    (d * 0.3).backward();
    HeadInputs ref(in, c.learned_base);
    auto expected =
        (composed(ref.x, ref.w, ref.b, ref.scale, ref.base, c.batch, c.n) - target).pow(2).sum();
    (expected * 0.3).backward();

    EXPECT_NEAR(d.item<double>(), expected.item<double>(), 1e-5 * expected.item<double>());
    EXPECT_TRUE(torch::allclose(in.x.grad(), ref.x.grad(), 1e-4, 1e-2));
    EXPECT_TRUE(torch::allclose(in.w.grad(), ref.w.grad(), 1e-4, 1e-2));
    EXPECT_TRUE(torch::allclose(in.b.grad(), ref.b.grad(), 1e-4, 1e-2));
    if (c.learned_base) {
      EXPECT_TRUE(torch::allclose(in.base.grad(), ref.base.grad(), 1e-4, 1e-4));
    }
  }
}

TEST(KernelsAffineHead, NeverWritesIntoItsInputs) {
  // One weight set and a learned base, so the output starts as a copy of the
  // base: it must be new memory (expand().contiguous() of one row is a view).
  auto x = torch::randn({3, 4}), w = torch::randn({20, 4}), b = torch::randn({20});
  auto scale = torch::ones({60}), base = torch::randn({60}).requires_grad_();
  const auto base_before = base.detach().clone();
  auto out = kernels::affine_head(x, w, b, scale, base, 1);
  EXPECT_TRUE(torch::equal(base.detach(), base_before));
  EXPECT_TRUE(torch::allclose(out, composed(x, w, b, scale, base, 1, 60), 1e-5, 1e-5));
}

TEST(KernelsAffineHead, SeesAChangedScale) {
  // The per-run plan is cached; an in-place change of the scale (a loaded
  // checkpoint) must be seen.
  auto x = torch::randn({4, 5}), w = torch::randn({6, 5}), b = torch::randn({6});
  auto scale = torch::ones({20}), base = torch::zeros({20});
  auto before = kernels::affine_head(x, w, b, scale, base, 1);
  scale.narrow(0, 0, 10).mul_(3);
  auto after = kernels::affine_head(x, w, b, scale, base, 1);
  EXPECT_TRUE(torch::allclose(after, composed(x, w, b, scale, base, 1, 20), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(after.narrow(1, 0, 10), before.narrow(1, 0, 10) * 3, 1e-5, 1e-5));
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
