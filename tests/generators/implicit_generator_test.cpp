// The implicit (NeuMeta) generator on tiny sizes: shapes, the batched layer
// pass against the coordinate-by-coordinate function, coordinates checked by
// hand, scaling, gradients and every rejected input.

#include "hnet/generators/implicit_generator.h"

#include "hnet/targets/mlp.h"
#include "hnet/testing/gradcheck.h"
#include "support/test_support.h"

namespace hnet {
namespace {

using ::testing::HasSubstr;

// MLPs 3-w-w-2 for w in [2, 6].
ImplicitGeneratorOptions tiny() {
  return ImplicitGeneratorOptions(3, 2, 2, 6).frequencies({1, 2, 4}).hidden({8, 5});
}

TEST(ImplicitGenerator, Shapes) {
  test::seed_torch();
  ImplicitGenerator gen(tiny());
  EXPECT_EQ(gen->mlp_sizes(4), (std::vector<int64_t>{3, 4, 4, 2}));
  Mlp mlp{MlpOptions(gen->mlp_sizes(4))};
  EXPECT_EQ(gen->generate(4).sizes(), torch::IntArrayRef({mlp->spec()->numel()}));
  EXPECT_EQ(gen->generate_layer(0, 4).sizes(), torch::IntArrayRef({4, 4}));
  EXPECT_EQ(gen->generate_layer(2, 5).sizes(), torch::IntArrayRef({2, 6}));
  EXPECT_EQ(gen->layer_coordinates(1, 4).sizes(), torch::IntArrayRef({4 * 5, 5}));
  EXPECT_EQ(gen->raw_layer(1, 4, torch::tensor({3, 0})).sizes(), torch::IntArrayRef({2, 5}));
  EXPECT_EQ(
      mlp->forward(torch::randn({7, 3}), Weights(mlp->spec(), gen->generate(4))).sizes(),
      torch::IntArrayRef({7, 2}));
}

// Layer 1 of the width-2 MLP 3-2-2-2 (3 layers), by hand: output o at
// (o + 1/2) / 2, input i at (i + 1/2) / 2, the bias at input 0 with flag 1.
TEST(ImplicitGenerator, CoordinatesOfNeuronsAreCentres) {
  ImplicitGenerator gen(tiny());
  auto c = gen->layer_coordinates(1, 2);
  ASSERT_EQ(c.sizes(), torch::IntArrayRef({2 * 3, 5}));
  const double w = 2.0 / 6.0;
  auto expected = torch::tensor(
      {{0.5, 0.25, 0.25, w, 0.0},
       {0.5, 0.25, 0.75, w, 0.0},
       {0.5, 0.25, 0.0, w, 1.0},
       {0.5, 0.75, 0.25, w, 0.0},
       {0.5, 0.75, 0.75, w, 0.0},
       {0.5, 0.75, 0.0, w, 1.0}});
  EXPECT_TRUE(torch::allclose(c, expected.to(torch::kFloat))) << c;
}

// The factorised pass must equal g applied to every coordinate row
// (tolerance: float rounding of a different summation order).
TEST(ImplicitGenerator, LayerMatchesCoordinateFunction) {
  test::seed_torch();
  for (auto options : {tiny(), tiny().width_frequencies({0.5}), tiny().rank(3)}) {
    ImplicitGenerator gen(options);
    gen->eval();
    for (int64_t w : {2, 3, 6}) {
      for (int64_t l = 0; l < gen->layers(); ++l) {
        SCOPED_TRACE("width " + std::to_string(w) + " layer " + std::to_string(l));
        auto batched = gen->raw_layer(l, w);
        auto direct = gen->forward(gen->layer_coordinates(l, w)).view_as(batched);
        EXPECT_TRUE(torch::allclose(batched, direct, 1e-5, 1e-5))
            << (batched - direct).abs().max().item<double>();
        auto rows = torch::tensor({1, 0});
        EXPECT_TRUE(
            torch::allclose(gen->raw_layer(l, w, rows), direct.index_select(0, rows), 1e-5, 1e-5));
      }
    }
  }
}

// The width coordinate gets its own frequencies: 3 coordinates x 2 x 3
// features, 2 x 1 for the width, 1 bias flag. The width's two columns of the
// first product are the only ones that see the width: the biases of the
// output layer (same coordinates at every width but the width's) differ
// between widths 2 and 6, and stop differing once those columns are zero.
// tanh, not ReLU: with ReLU a draw where every hidden unit is dead at these
// coordinates hides the width entirely (seen at some gtest seeds).
TEST(ImplicitGenerator, WidthCoordinateHasItsOwnFrequencies) {
  test::seed_torch();
  ImplicitGenerator gen(tiny().width_frequencies({1}).activation(Activation::kTanh));
  EXPECT_EQ(gen->net->first->weight.sizes(), torch::IntArrayRef({8, 3 * 2 * 3 + 2 * 1 + 1}));
  ImplicitGenerator same(tiny());
  EXPECT_EQ(same->net->first->weight.sizes(), torch::IntArrayRef({8, 4 * 2 * 3 + 1}));
  gen->eval();
  auto bias_gap = [&] {
    return (gen->raw_layer(2, 2).select(1, 2) - gen->raw_layer(2, 6).select(1, 6))
        .abs()
        .max()
        .item<double>();
  };
  EXPECT_GT(bias_gap(), 1e-4);
  {
    torch::NoGradGuard no_grad;
    gen->net->first->weight.narrow(1, 3 * 2 * 3, 2).zero_();
  }
  EXPECT_LT(bias_gap(), 1e-6);
}

TEST(ImplicitGenerator, GeneratedValuesAreScaledRawValues) {
  test::seed_torch();
  ImplicitGenerator gen(tiny().center_rows(false));
  gen->eval();
  {
    torch::NoGradGuard no_grad;
    gen->scales.copy_(torch::arange(1, 7, torch::kFloat).view({3, 2}));
  }
  // Layer 1 of width 3 reads 3 hidden neurons standing for 6: factor sqrt(2).
  auto scale = gen->layer_scale(1, 3);
  const float r = 3.0f * std::sqrt(2.0f);
  EXPECT_TRUE(torch::allclose(scale, torch::tensor({r, r, r, 4.0f}).unsqueeze(0)));
  // The input layer reads pixels, which are never resampled: no factor.
  EXPECT_TRUE(torch::allclose(
      gen->layer_scale(0, 3), torch::tensor({1.0f, 1.0f, 1.0f, 2.0f}).unsqueeze(0)));
  auto raw = gen->raw_layer(1, 3);
  EXPECT_TRUE(torch::allclose(gen->generate_layer(1, 3), raw * scale));
  // generate() lays the layers out as Mlp's Spec: fc2.weight then fc2.bias.
  Mlp mlp{MlpOptions(gen->mlp_sizes(3))};
  Weights w(mlp->spec(), gen->generate(3));
  EXPECT_TRUE(torch::allclose(w["fc2.weight"], raw.narrow(1, 0, 3) * r));
  EXPECT_TRUE(torch::allclose(w["fc2.bias"], raw.select(1, 3) * 4.0));
}

TEST(ImplicitGenerator, CentredRowsHaveZeroMean) {
  test::seed_torch();
  ImplicitGenerator gen(tiny());
  gen->eval();
  auto v = gen->generate_layer(1, 4);
  auto raw = gen->raw_layer(1, 4) * gen->layer_scale(1, 4);
  EXPECT_LT(v.narrow(1, 0, 4).mean(1).abs().max().item<double>(), 1e-6);
  EXPECT_TRUE(torch::allclose(v.select(1, 4), raw.select(1, 4)));  // biases untouched
  EXPECT_TRUE(torch::allclose(
      v.narrow(1, 0, 4) - v.narrow(1, 0, 4).select(1, 0).unsqueeze(1),
      raw.narrow(1, 0, 4) - raw.narrow(1, 0, 4).select(1, 0).unsqueeze(1), 1e-5, 1e-6));
}

TEST(ImplicitGenerator, CalibrateScalesTakesLayerSpreads) {
  ImplicitGenerator gen(tiny());
  Mlp mlp{MlpOptions(gen->mlp_sizes(6))};
  auto flat = torch::zeros({mlp->spec()->numel()});
  Weights w(mlp->spec(), flat);
  w["fc1.weight"].copy_(torch::tensor({1.0, -1.0}).repeat({9}).view({6, 3}));  // std 1.03
  w["fc3.bias"].copy_(torch::tensor({3.0, 5.0}));                              // std 1.41
  gen->calibrate_scales(flat);
  EXPECT_NEAR(gen->scales[0][0].item<double>(), std::sqrt(18.0 / 17.0), 1e-6);
  EXPECT_NEAR(gen->scales[2][1].item<double>(), std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(gen->scales[1][0].item<double>(), 1e-6, 1e-12);  // all zero: the floor
  EXPECT_THAT(
      test::error_message([&] { gen->calibrate_scales(torch::zeros({5})); }),
      HasSubstr("reference must be the [" + std::to_string(flat.numel()) + "] flat weights"));
}

TEST(ImplicitGenerator, NoiseOnlyInTrainingMode) {
  test::seed_torch();
  ImplicitGenerator gen(tiny().coordinate_noise(0.05));
  gen->eval();
  EXPECT_TRUE(torch::equal(gen->generate(4), gen->generate(4)));
  gen->train();
  auto a = gen->raw_layer(1, 4), b = gen->raw_layer(1, 4);
  EXPECT_FALSE(torch::allclose(a, b));
  // The output layer's outputs are fixed neurons, but it reads hidden ones.
  EXPECT_FALSE(torch::allclose(gen->raw_layer(2, 4), gen->raw_layer(2, 4)));
}

TEST(ImplicitGenerator, GradientCheck) {
  // Rank 2 twice, the second with row offsets and an input mean.
  for (auto [rank, extras] : {std::pair{0, false}, {2, false}, {2, true}}) {
    const uint64_t seed = test::seed_torch();
    SCOPED_TRACE(
        "seed " + std::to_string(seed) + " rank " + std::to_string(rank) +
        (extras ? " with offsets and input mean" : ""));
    ImplicitGenerator gen(tiny().hidden({4, 3}).activation(Activation::kTanh).rank(rank));
    gen->to(torch::kDouble);
    if (extras) {
      torch::NoGradGuard no_grad;
      gen->row_offsets.normal_();
      gen->input_mean.uniform_();
    }
    gen->eval();
    Mlp mlp{MlpOptions(gen->mlp_sizes(3)).activation(Activation::kTanh)};
    auto x = torch::randn({4, 3}, torch::kDouble);
    auto fn = [&] { return mlp->forward(x, Weights(mlp->spec(), gen->generate(3))); };
    std::vector<torch::Tensor> inputs;
    std::vector<std::string> names;
    for (const auto& p : gen->named_parameters()) {
      inputs.push_back(p.value());
      names.push_back(p.key());
    }
    auto result =
        testing::gradcheck(fn, inputs, testing::GradcheckOptions().max_elements(8), names);
    EXPECT_TRUE(result.ok) << result.report;
    EXPECT_GT(result.checked, 20);
  }
}

// The bilinear form: a weight is <u, v> / sqrt(K) of the row tower on the
// output neuron's (layer, out, width) features and the column tower on the
// input neuron's (layer, in, width, bias flag), each run here on its own.
TEST(ImplicitGenerator, BilinearWeightIsTheScaledDotProductOfTheTowers) {
  test::seed_torch();
  ImplicitGenerator gen(
      tiny().rank(2).hidden({3}).width_frequencies({0.5}).embed_fixed_neurons(false));
  gen->eval();
  auto coords = gen->layer_coordinates(1, 4);
  auto f = [&](int64_t col, bool width) {
    auto angles =
        coords.select(1, col).unsqueeze(1) * (width ? gen->width_frequencies : gen->frequencies);
    return torch::cat({angles.sin(), angles.cos()}, 1);
  };
  auto& r = gen->rows_tower;
  auto& c = gen->cols_tower;
  auto u = r->finish(torch::nn::functional::linear(
      torch::cat({f(0, false), f(1, false), f(3, true)}, 1), r->first->weight, r->first->bias));
  auto v = c->finish(torch::nn::functional::linear(
      torch::cat({f(0, false), f(2, false), f(3, true), coords.narrow(1, 4, 1)}, 1),
      c->first->weight, c->first->bias));
  ASSERT_EQ(u.sizes(), torch::IntArrayRef({4 * 5, 2}));
  auto expected = (u * v).sum(1) / std::sqrt(2.0);
  auto raw = gen->raw_layer(1, 4);
  EXPECT_TRUE(torch::allclose(raw.flatten(), expected, 1e-5, 1e-5));
  EXPECT_TRUE(gen->net.is_empty());
  // What centring takes from a row, the row offset m gives back as
  // <u(o), m> / sqrt(K) on each of its weights (not on its bias).
  {
    torch::NoGradGuard no_grad;
    gen->row_offsets[1].copy_(torch::tensor({0.7, -1.3}));
  }
  auto offset =
      (u.view({4, 5, 2}).select(1, 0) * torch::tensor({0.7f, -1.3f})).sum(1) / std::sqrt(2.0);
  auto weights = raw.narrow(1, 0, 4);
  auto centred =
      torch::cat({weights - weights.mean(1, true) + offset.unsqueeze(1), raw.narrow(1, 4, 1)}, 1);
  EXPECT_TRUE(torch::allclose(gen->layer_values(1, 4), centred, 1e-5, 1e-5));
  // Only the bilinear form with centred rows has them.
  EXPECT_FALSE(ImplicitGenerator(tiny())->row_offsets.defined());
  EXPECT_FALSE(ImplicitGenerator(tiny().rank(2).center_rows(false))->row_offsets.defined());
}

// The first layer is generated for mean-free inputs: on x it computes what
// the same generator without an input mean computes on x - mean. tanh: a
// ReLU draw can generate an all-zero first layer, where folding changes nothing.
TEST(ImplicitGenerator, InputMeanIsFoldedIntoTheFirstBias) {
  test::seed_torch();
  ImplicitGenerator gen(tiny().rank(2).activation(Activation::kTanh));
  gen->eval();
  {
    torch::NoGradGuard no_grad;
    gen->scales.copy_(torch::tensor({{0.5, 2.0}, {1.0, 1.0}, {1.0, 1.0}}));
  }
  Mlp mlp{MlpOptions(gen->mlp_sizes(4))};
  auto plain = gen->generate(4);
  const auto mean = torch::tensor({0.2f, 0.9f, 0.4f});
  {
    torch::NoGradGuard no_grad;
    gen->input_mean.copy_(mean);
  }
  auto folded = gen->generate(4);
  auto x = torch::rand({5, 3});
  EXPECT_TRUE(torch::allclose(
      mlp->forward(x, Weights(mlp->spec(), folded)),
      mlp->forward(x - mean, Weights(mlp->spec(), plain)), 1e-5, 1e-5));
  EXPECT_FALSE(torch::allclose(folded, plain));
  // Layers after the first read hidden neurons and are left alone.
  EXPECT_TRUE(torch::allclose(gen->generate_layer(1, 4), [&] {
    Weights w(mlp->spec(), plain);
    return torch::cat({w["fc2.weight"], w["fc2.bias"].unsqueeze(1)}, 1);
  }()));
}

TEST(ImplicitGenerator, RejectsWidthOutsideTrainedRange) {
  ImplicitGenerator gen(tiny());
  EXPECT_THAT(
      test::error_message([&] { gen->generate(7); }),
      HasSubstr("width 7 is outside the trained range [2, 6]; set allow_any_width"));
  EXPECT_THAT(
      test::error_message([&] { gen->generate(1); }), HasSubstr("width 1 is outside the trained"));
  EXPECT_THAT(
      test::error_message([&] { gen->generate(0); }), HasSubstr("width must be > 0, got 0"));
  ImplicitGenerator any(tiny().allow_any_width(true));
  EXPECT_EQ(any->generate(8).size(0), Mlp(MlpOptions({3, 8, 8, 2}))->spec()->numel());
  EXPECT_THAT(
      test::error_message([&] { any->generate(-3); }), HasSubstr("width must be > 0, got -3"));
}

TEST(ImplicitGenerator, RejectsBadOptions) {
  auto msg = [](ImplicitGeneratorOptions o) {
    return test::error_message([&] { ImplicitGenerator gen(o); });
  };
  EXPECT_THAT(
      msg(tiny().frequencies({1, -2})), HasSubstr("frequencies must be > 0, got -2 at index 1"));
  EXPECT_THAT(msg(tiny().frequencies({0})), HasSubstr("frequencies must be > 0, got 0 at index 0"));
  EXPECT_THAT(msg(tiny().frequencies({})), HasSubstr("frequencies must not be empty"));
  EXPECT_THAT(
      msg(tiny().width_frequencies({2, 0})),
      HasSubstr("width_frequencies must be > 0, got 0 at index 1"));
  EXPECT_THAT(msg(ImplicitGeneratorOptions(3, 2, 0, 6)), HasSubstr("min_width must be > 0, got 0"));
  EXPECT_THAT(
      msg(ImplicitGeneratorOptions(3, 2, 8, 6)),
      HasSubstr("max_width must be >= min_width (8), got 6"));
  EXPECT_THAT(msg(ImplicitGeneratorOptions(0, 2, 2, 6)), HasSubstr("inputs must be > 0, got 0"));
  EXPECT_THAT(msg(tiny().hidden({4, 0})), HasSubstr("hidden widths must be > 0, got [4, 0]"));
  EXPECT_THAT(msg(tiny().hidden_layers(0)), HasSubstr("hidden_layers must be >= 1, got 0"));
  EXPECT_THAT(msg(tiny().rank(-1)), HasSubstr("rank must be >= 0 (0: additive form), got -1"));
  EXPECT_THAT(
      msg(tiny().coordinate_noise(-0.5)), HasSubstr("coordinate_noise must be >= 0, got -0.5"));
}

TEST(ImplicitGenerator, RejectsBadCoordinates) {
  ImplicitGenerator gen(tiny());
  auto c = torch::full({3, 5}, 0.5);
  c[1][2] = 1.5;
  EXPECT_THAT(
      test::error_message([&] { gen->forward(c); }),
      HasSubstr("coordinates must be in [0, 1], got 1.5 at [1, 2]"));
  c[1][2] = std::nan("");
  EXPECT_THAT(test::error_message([&] { gen->forward(c); }), HasSubstr("got nan at [1, 2]"));
  EXPECT_THAT(
      test::error_message([&] {
        gen->forward(torch::zeros({3, 4}));
      }),
      HasSubstr("coordinates must be [M, 5], got [3, 4]"));
  EXPECT_THAT(
      test::error_message([&] { gen->raw_layer(3, 4); }),
      HasSubstr("layer must be in [0, 3), got 3"));
  EXPECT_THAT(
      test::error_message([&] { gen->raw_layer(0, 4, torch::tensor({4})); }),
      HasSubstr("rows must be in [0, 4) for layer 0"));
}

TEST(ImplicitGenerator, PrettyPrint) {
  ImplicitGenerator gen(tiny().coordinate_noise(0.01));
  std::ostringstream s;
  gen->pretty_print(s);
  EXPECT_EQ(
      s.str(),
      "hnet::ImplicitGenerator(inputs=3, outputs=2, widths=[2, 6], hidden_layers=2, "
      "frequencies=3, width_frequencies=3, hidden=[8, 5], activation=relu, "
      "coordinate_noise=0.01)");
}

}  // namespace
}  // namespace hnet
