// Adaptations of a frozen encoder: identity at init, gradients, parameter
// counts against hand computation, Maestro's ranks, bad input.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "hnet/adapters/bottleneck_adapters.h"
#include "hnet/adapters/low_rank_updates.h"
#include "hnet/io/module_state.h"
#include "hnet/testing/gradcheck.h"
#include "support/test_support.h"

namespace hnet::adapters {
namespace {

using ::testing::HasSubstr;

EncoderOptions small_encoder() {
  EncoderOptions o;
  o.widths = {4, 8};
  o.convs_per_stage = 1;
  return o;
}

AdapterHypernetworkOptions small_hypernetwork() {
  AdapterHypernetworkOptions o;
  o.rank = 2;
  o.embedding = 3;
  o.hidden = 5;
  o.factor_rank = 1;
  return o;
}

// Every adaptation of the two-task small encoder, by name.
std::vector<std::pair<std::string, std::shared_ptr<Adaptation>>> every_adaptation(
    const AdapterHypernetworkOptions& hyper = small_hypernetwork()) {
  const auto layers = encoder_layers(small_encoder());
  auto lite = hyper;
  lite.lite = true;
  return {
      {"adapter", std::make_shared<BottleneckAdapters>(layers, 2, 2)},
      {"lora", std::make_shared<LoraUpdates>(layers, 2, 2)},
      {"maestro", std::make_shared<MaestroUpdates>(layers, 2, 3, 0.1)},
      {"flora", std::make_shared<TuckerUpdates>(
                    layers, 2, std::vector<std::vector<int64_t>>{{2, 1, 2, 3}, {3, 2, 1, 2}})},
      {"hyperformer", std::make_shared<HyperformerAdapters>(layers, 2, hyper)},
      {"polyhistor", std::make_shared<PolyhistorAdapters>(layers, 2, hyper)},
      {"polyhistor_lite", std::make_shared<PolyhistorAdapters>(layers, 2, lite)}};
}

TEST(EncoderLayers, StagesDoubleAndStride) {
  EncoderOptions o;
  o.widths = {16, 32};
  o.convs_per_stage = 2;
  const auto l = encoder_layers(o);
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].in, 1);
  EXPECT_EQ(l[0].stride, 1);
  EXPECT_EQ(l[1].in, 16);
  EXPECT_EQ(l[2].in, 16);
  EXPECT_EQ(l[2].out, 32);
  EXPECT_EQ(l[2].stride, 2);
  EXPECT_EQ(l[3].stride, 1);
  Encoder e(o);
  const auto stages = e->forward(torch::rand({2, 1, 28, 28}));
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0].sizes(), torch::IntArrayRef({2, 16, 28, 28}));
  EXPECT_EQ(stages[1].sizes(), torch::IntArrayRef({2, 32, 14, 14}));
}

TEST(Adaptations, LeaveTheFrozenEncoderUnchangedAtInit) {
  test::seed_torch();
  Encoder e(small_encoder());
  const auto x = torch::rand({3, 1, 12, 12});
  const auto plain = e->forward(x);
  for (auto& [name, a] : every_adaptation()) {
    for (int64_t task = 0; task < 2; ++task) {
      const auto adapted = e->forward(x, a.get(), task);
      for (size_t s = 0; s < plain.size(); ++s) {
        EXPECT_TRUE(torch::equal(adapted[s], plain[s])) << name << " task " << task;
      }
    }
  }
}

// After a random step away from init, the adapted output differs per task:
// the adaptation is not silently the identity. A random step can leave every
// hidden ReLU of a bottleneck off over the whole input (z_i = r_i (l . h) +
// b_i with h >= 0 and low-rank factors: about 1 draw in 7 at rank 2 and
// factor rank 1, 1 in 150 at 4 and 2), and then the adapter is the identity
// by right. So each method gets up to five draws; an adapter that never
// changes the output fails all of them.
TEST(Adaptations, ChangeTheOutputPerTaskOnceTrained) {
  test::seed_torch();
  Encoder e(small_encoder());
  const auto x = torch::rand({2, 1, 12, 12});
  const auto plain = e->forward(x).back();
  auto hyper = small_hypernetwork();
  hyper.rank = 4;
  hyper.factor_rank = 2;
  for (auto& [name, a] : every_adaptation(hyper)) {
    bool changes_output = false, differs_per_task = false;
    for (int draw = 0; draw < 5 && !(changes_output && differs_per_task); ++draw) {
      {
        torch::NoGradGuard no_grad;
        for (auto& p : a->parameters()) p.add_(0.3 * torch::randn_like(p));
      }
      const auto t0 = e->forward(x, a.get(), 0).back();
      const auto t1 = e->forward(x, a.get(), 1).back();
      changes_output = !torch::allclose(t0, plain);
      differs_per_task = !torch::allclose(t0, t1);
    }
    EXPECT_TRUE(changes_output) << name;
    EXPECT_TRUE(differs_per_task) << name;
  }
}

TEST(Adaptations, GradientsMatchFiniteDifferences) {
  test::seed_torch();
  Encoder e(small_encoder());
  e->to(torch::kDouble);
  const auto x = torch::rand({2, 1, 8, 8}, torch::kDouble);
  for (auto& [name, a] : every_adaptation()) {
    a->to(torch::kDouble);
    {
      torch::NoGradGuard no_grad;
      for (auto& p : a->parameters()) p.add_(0.3 * torch::randn_like(p));
    }
    std::vector<torch::Tensor> inputs;
    std::vector<std::string> names;
    for (const auto& item : a->named_parameters()) {
      inputs.push_back(item.value());
      names.push_back(item.key());
    }
    const auto r = testing::gradcheck(
        [&] { return e->forward(x, a.get(), 1).back(); }, inputs,
        testing::GradcheckOptions().max_elements(6), names);
    EXPECT_TRUE(r.ok) << name << ": " << r.report;
  }
}

TEST(Adaptations, ParameterCountsMatchHandComputation) {
  // Layers: conv 1->4 (3x3) and conv 4->8 (3x3); two tasks.
  const auto layers = encoder_layers(small_encoder());
  auto count = [](Adaptation& a) { return io::parameter_count(a); };
  // LoRA rank 2: r (out + in k k) per layer.
  LoraUpdates lora(layers, 2, 2);
  EXPECT_EQ(count(lora), 2 * (2 * (4 + 9) + 2 * (8 + 36)));
  EXPECT_EQ(lora_parameters(layers[1], 2), 2 * (8 + 36));
  // Tucker: core plus one factor per dimension.
  TuckerUpdates flora(layers, 2, {{2, 1, 2, 3}, {3, 2, 1, 2}});
  const int64_t l0 = 2 * 1 * 2 * 3 + 4 * 2 + 1 * 1 + 3 * 2 + 3 * 3;
  const int64_t l1 = 3 * 2 * 1 * 2 + 8 * 3 + 4 * 2 + 3 * 1 + 3 * 2;
  EXPECT_EQ(count(flora), 2 * (l0 + l1));
  EXPECT_EQ(tucker_parameters(layers[0], {2, 1, 2, 3}), l0);
  // Bottleneck adapters rank 2: down [2, C] + bias 2, up [C, 2] + bias C.
  BottleneckAdapters adapter(layers, 2, 2);
  EXPECT_EQ(count(adapter), 2 * ((8 + 2 + 8 + 4) + (16 + 2 + 16 + 8)));
  // Hyperformer: embeddings, trunk, heads sized for the widest layer (8).
  HyperformerAdapters hyper(layers, 2, small_hypernetwork());
  EXPECT_EQ(
      count(hyper), 2 * 3 + 2 * 3 + (6 + 1) * 5 + (5 + 1) * (2 * 8 + 2) + (5 + 1) * (8 * 2 + 8));
  // Polyhistor: factors of the widest layer (8), factor rank 1, rank 2; two
  // trunks of 6 -> 5, the left head emits the down and up [8, 1] factors,
  // the right head their [2, 1] factors and the down bias [2].
  PolyhistorAdapters poly(layers, 2, small_hypernetwork());
  const int64_t embeddings_and_trunks = 2 * 3 + 2 * 3 + 2 * (6 + 1) * 5;
  const int64_t right_head = (5 + 1) * (2 * 2 * 1 + 2);
  EXPECT_EQ(count(poly), embeddings_and_trunks + (5 + 1) * (2 * 8 * 1) + right_head);
  // Lite: a template of the narrowest width (4) and, per layer, down and up
  // scaling kernels of 4/4 = 1 and 8/4 = 2 entries shared by the tasks.
  auto lite_options = small_hypernetwork();
  lite_options.lite = true;
  PolyhistorAdapters lite(layers, 2, lite_options);
  EXPECT_EQ(count(lite), embeddings_and_trunks + (5 + 1) * (2 * 4 * 1) + right_head + 2 * (1 + 2));
}

TEST(TuckerRanks, MatchLoraWithoutExceedingIt) {
  const ConvLayerShape layer{32, 64, 3, 1};
  const auto r = tucker_ranks_matching_lora(layer, 4);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[2], 3);
  EXPECT_EQ(r[3], 3);
  // 4 (64 + 288) = 1408; r = 8: 576 + 512 + 256 + 18 = 1362; r = 9 exceeds.
  EXPECT_EQ(r[0], 8);
  EXPECT_LE(tucker_parameters(layer, r), lora_parameters(layer, 4));
  EXPECT_GT(tucker_parameters(layer, {9, 9, 3, 3}), lora_parameters(layer, 4));
}

TEST(Maestro, TruncationUsesTheLeadingComponents) {
  test::seed_torch();
  const auto layers = encoder_layers(small_encoder());
  MaestroUpdates maestro(layers, 1, 3, 0.0);
  LoraUpdates lora(layers, 1, 3);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : maestro.parameters()) p.copy_(torch::randn_like(p));
  }
  maestro.set_ranks({1, 2});
  auto p = maestro.named_parameters();
  const auto expected = p["b_t0_l1"].narrow(1, 0, 2).mm(p["a_t0_l1"].narrow(0, 0, 2));
  EXPECT_TRUE(torch::allclose(maestro.weight_delta(0, 1).reshape({8, -1}), expected));
  maestro.set_ranks({0, 3});
  EXPECT_FALSE(maestro.weight_delta(0, 0).defined());
  // After training every layer is back at max_rank, whatever the last draw.
  maestro.finish_training();
  const auto full = p["b_t0_l0"].mm(p["a_t0_l0"]);
  EXPECT_TRUE(torch::allclose(maestro.weight_delta(0, 0).reshape({4, -1}), full));
}

TEST(Maestro, LearnedRankStopsAtTheFirstSmallComponent) {
  const auto layers = encoder_layers(small_encoder());
  MaestroUpdates maestro(layers, 2, 3, 0.0);
  {
    torch::NoGradGuard no_grad;
    auto p = maestro.named_parameters();
    for (const char* t : {"t0", "t1"}) {
      p[std::string("a_") + t + "_l0"].fill_(1);
      p[std::string("a_") + t + "_l1"].fill_(1);
    }
    // Layer 0, task 0: component norms in the ratio 1 : 0.5 : 0.01.
    p["b_t0_l0"].copy_(torch::tensor({1.0f, 0.5f, 0.01f}).expand({4, 3}));
    p["b_t1_l0"].zero_();
    // Layer 1: task 1 keeps all three above 0.1 of the largest.
    p["b_t0_l1"].zero_();
    p["b_t1_l1"].copy_(torch::tensor({1.0f, 0.2f, 0.3f}).expand({8, 3}));
  }
  EXPECT_EQ(maestro.learned_ranks(0.1), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(maestro.learned_ranks(0.25), (std::vector<int64_t>{2, 1}));
}

TEST(Maestro, PenaltyIsTheSumOfComponentNorms) {
  const auto layers = encoder_layers(small_encoder());
  MaestroUpdates maestro(layers, 1, 1, 0.5);
  {
    torch::NoGradGuard no_grad;
    auto p = maestro.named_parameters();
    p["a_t0_l0"].fill_(1);  // [1, 9]: norm 3
    p["b_t0_l0"].fill_(1);  // [4, 1]: norm 2
    p["a_t0_l1"].fill_(0);
    p["b_t0_l1"].fill_(1);
  }
  EXPECT_NEAR(maestro.penalty().item<double>(), 0.5 * 3 * 2, 1e-4);
}

TEST(Adaptations, BadShapesNameTheLayer) {
  const auto layers = encoder_layers(small_encoder());
  EXPECT_THAT(
      test::error_message([&] { LoraUpdates(layers, 1, 5); }),
      HasSubstr("rank 5 exceeds what conv layer 0 allows: min(out 4, in*k*k 9) = 4"));
  EXPECT_THAT(
      test::error_message([&] {
        TuckerUpdates(layers, 1, {{1, 1, 1}, {1, 1, 1, 1}});
      }),
      HasSubstr("Tucker ranks of conv layer 0: 4 entries (out, in, h, w) expected, got 3"));
  EXPECT_THAT(
      test::error_message([&] {
        TuckerUpdates(layers, 1, {{1, 1, 1, 1}, {1, 5, 1, 1}});
      }),
      HasSubstr("Tucker rank 'in' of conv layer 1 must lie in [1, 4], got 5"));
  auto o = small_encoder();
  o.widths = {4, 6};
  auto lite_options = small_hypernetwork();
  lite_options.lite = true;
  EXPECT_THAT(
      test::error_message([&] { PolyhistorAdapters(encoder_layers(o), 1, lite_options); }),
      HasSubstr("the 6 channels of conv layer 1 are not a multiple of the narrowest layer's 4"));
  // Without scaling kernels any widths do: the factors are sliced.
  EXPECT_EQ(
      test::error_message([&] { PolyhistorAdapters(encoder_layers(o), 1, small_hypernetwork()); }),
      "");
  EXPECT_THAT(
      test::error_message([&] { BottleneckAdapters(layers, 1, 5); }),
      HasSubstr("adapter rank 5 exceeds the 4 channels of conv layer 0"));
}

}  // namespace
}  // namespace hnet::adapters
