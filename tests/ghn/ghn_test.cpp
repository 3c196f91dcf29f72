#include "hnet/ghn/ghn.h"

#include <nlohmann/json.hpp>

#include "hnet/ghn/architecture.h"
#include "hnet/ghn/architecture_space.h"
#include "hnet/targets/mlp.h"
#include "hnet/testing/gradcheck.h"
#include "support/test_support.h"

namespace hnet {
namespace {

namespace nn = torch::nn;

Architecture small_residual(int64_t width = 6, int64_t classes = 10) {
  return architecture_from_json(
      nlohmann::json{
          {"input", {1, 8, 8}},
          {"classes", classes},
          {"layers",
           {{{"name", "c1"}, {"op", "conv"}, {"out", width}, {"kernel", 3}},
            {{"name", "r1"}, {"op", "relu"}},
            {{"name", "c2"}, {"op", "conv"}, {"out", width}, {"kernel", 3}, {"bias", false}},
            {{"name", "bn"}, {"op", "batch_norm"}},
            {{"name", "s"}, {"op", "sum"}, {"inputs", {"bn", "r1"}}},
            {{"name", "g"}, {"op", "global_avg_pool"}},
            {{"name", "fc"}, {"op", "linear"}, {"out", classes}}}}},
      "small");
}

struct Traced {
  ArchNet net;
  ModuleAdapter target;
  ComputationGraph graph;
  explicit Traced(const Architecture& arch)
      : net(arch),
        target(net),
        graph(graph_of(*target, torch::zeros({1, arch.input[0], arch.input[1], arch.input[2]}))) {}
};

torch::nn::Module& child(GhnImpl& ghn, const std::string& name) {
  auto* m = ghn.named_children().find(name);
  EXPECT_NE(m, nullptr) << name;
  return **m;
}

TEST(Ghn, PredictsEveryParameterInItsRange) {
  torch::manual_seed(0);
  for (const char* decoder : {"tiled", "lowrank"}) {
    Ghn ghn(GhnOptions().decoder(decoder));
    for (const auto& arch : sample_architectures(ArchSpaceOptions(), 5, 6)) {
      Traced t(arch);
      const Spec& spec = *t.target->spec();
      const auto flat = ghn->predict({&t.graph}, {&spec})[0];
      ASSERT_EQ(flat.numel(), spec.numel());
      EXPECT_TRUE(torch::isfinite(flat).all().item<bool>());
      const Weights w(t.target->spec(), flat);
      for (size_t i = 0; i < spec.size(); ++i) {
        const auto v = w[i];
        if (spec[i].role == Role::kScale) {
          EXPECT_TRUE(((v > 0) & (v < 2)).all().item<bool>()) << spec[i].name;
        } else if (spec[i].shape.size() == 1) {
          EXPECT_TRUE((v.abs() < 1).all().item<bool>()) << spec[i].name;
        } else {
          EXPECT_GT(v.std().item<double>(), 0.0) << spec[i].name;
        }
      }
    }
  }
}

TEST(Ghn, TiledDecoderRepeatsItsBlockOverChannels) {
  Ghn ghn(GhnOptions().block(4).max_kernel(3));
  Traced t(small_residual(/*width=*/10));
  const auto flat = ghn->predict({&t.graph}, {t.target->spec().get()})[0];
  const auto w = Weights(t.target->spec(), flat)["c2.weight"];  // [10, 10, 3, 3]
  EXPECT_TRUE(torch::equal(w.narrow(0, 0, 4), w.narrow(0, 4, 4)));
  EXPECT_TRUE(torch::equal(w.narrow(1, 0, 4), w.narrow(1, 4, 4)));
  EXPECT_FALSE(torch::equal(w.narrow(0, 0, 2), w.narrow(0, 2, 2)));
}

// GHN-2's sequential update, node by node in topological order and back,
// with virtual edges scaled by 1 / distance: the level-wise batch must
// compute exactly this.
torch::Tensor sequential_states(GhnImpl& ghn, const ComputationGraph& g) {
  const size_t n = g.nodes.size();
  const int64_t cutoff = ghn.options.virtual_edges();
  std::vector<std::vector<int64_t>> dist(n, std::vector<int64_t>(n, 1 << 20));
  for (size_t v = 0; v < n; ++v) {
    dist[v][v] = 0;
    for (size_t u : g.nodes[v].inputs) dist[u][v] = 1;
  }
  for (size_t k = 0; k < n; ++k)
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) dist[i][j] = std::min(dist[i][j], dist[i][k] + dist[k][j]);
  auto& message = dynamic_cast<nn::SequentialImpl&>(child(ghn, "message"));
  auto* virtual_message =  // only a GHN with virtual edges has it
      cutoff > 1 ? &dynamic_cast<nn::SequentialImpl&>(child(ghn, "virtual_message")) : nullptr;
  auto& update = dynamic_cast<nn::GRUCellImpl&>(child(ghn, "update"));
  auto& embed = dynamic_cast<nn::EmbeddingImpl&>(child(ghn, "op_embedding"));
  auto& shape = dynamic_cast<nn::LinearImpl&>(child(ghn, "shape_encoder"));
  auto& norm = dynamic_cast<nn::LayerNormImpl&>(child(ghn, "norm"));
  std::vector<torch::Tensor> h(n);
  for (size_t v = 0; v < n; ++v) {
    std::vector<float> dims(4, 0.0f);
    const auto& node = g.nodes[v];
    if (!node.params.empty()) {
      for (size_t d = 0; d < node.params[0].shape.size() && d < 4; ++d) {
        dims[d] = static_cast<float>(node.params[0].shape[d]);
      }
    } else if (!node.kernel.empty()) {
      dims = {1, 1, static_cast<float>(node.kernel[0]), static_cast<float>(node.kernel[1])};
    }
    auto features = torch::log2(1 + torch::tensor(dims));
    h[v] = embed.forward(torch::tensor({static_cast<int64_t>(node.op)})) +
           shape.forward(features.unsqueeze(0));
  }
  for (int sweep = 0; sweep < 2; ++sweep) {
    for (size_t step = 0; step < n; ++step) {
      const size_t v = sweep == 0 ? step : n - 1 - step;
      auto m = torch::zeros({1, ghn.options.hidden()});
      for (size_t u = 0; u < n; ++u) {
        const int64_t s = sweep == 0 ? dist[u][v] : dist[v][u];
        if (s == 1) m = m + message.forward(h[u]);
        if (s >= 1 && s <= cutoff && cutoff > 1) m = m + virtual_message->forward(h[u]) / s;
      }
      h[v] = update.forward(m, h[v]);
    }
  }
  return norm.forward(torch::cat(h));
}

TEST(Ghn, LevelwiseUpdateEqualsTheSequentialOne) {
  torch::manual_seed(1);
  const auto archs = sample_architectures(ArchSpaceOptions().max_blocks(2), 11, 3);
  std::vector<std::unique_ptr<Traced>> traced;
  std::vector<const ComputationGraph*> graphs;
  for (const auto& a : archs) {
    traced.push_back(std::make_unique<Traced>(a));
    graphs.push_back(&traced.back()->graph);
  }
  for (int64_t cutoff : {1, 3, 50}) {
    Ghn ghn(GhnOptions().hidden(8).virtual_edges(cutoff));
    std::vector<int64_t> offsets;
    const auto states = ghn->node_states(graphs, &offsets);
    for (size_t g = 0; g < graphs.size(); ++g) {
      const auto expected = sequential_states(*ghn, *graphs[g]);
      const auto got = states.narrow(0, offsets[g], offsets[g + 1] - offsets[g]);
      EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-5))
          << "cutoff " << cutoff << " graph " << g;
    }
  }
}

// The low-rank decoder has no block decoder: counting must not touch it.
TEST(Ghn, BothDecodersCountTheirWeightDecoder) {
  const int64_t tiled = Ghn(GhnOptions().hidden(8).block(4))->weight_decoder_parameters();
  const int64_t lowrank = Ghn(GhnOptions().hidden(8).decoder("lowrank").rank(2).max_rows(12))
                              ->weight_decoder_parameters();
  EXPECT_GT(tiled, 0);
  // lowrank: Linear(8, 32) + Linear(32, 2*2*2) and Linear(2, 12).
  EXPECT_EQ(lowrank, 8 * 32 + 32 + 32 * 8 + 8 + 2 * 12 + 12);
}

TEST(Ghn, WithoutEdgesTheGraphDoesNotMatter) {
  Ghn ghn(GhnOptions().hidden(8).use_edges(false));
  Traced a(small_residual());
  ComputationGraph rewired = a.graph;
  for (auto& node : rewired.nodes) {
    if (!node.inputs.empty()) node.inputs = {0};  // every node reads the input
  }
  EXPECT_TRUE(torch::equal(ghn->node_states({&a.graph}), ghn->node_states({&rewired})));
  Ghn with_edges(GhnOptions().hidden(8));
  EXPECT_FALSE(
      torch::allclose(with_edges->node_states({&a.graph}), with_edges->node_states({&rewired})));
  // Each holds only the modules it uses.
  for (const char* name : {"message", "virtual_message", "update"}) {
    EXPECT_EQ(ghn->named_children().find(name), nullptr) << name;
    EXPECT_NE(with_edges->named_children().find(name), nullptr) << name;
  }
  EXPECT_NE(ghn->named_children().find("no_edges"), nullptr);
  EXPECT_EQ(with_edges->named_children().find("no_edges"), nullptr);
}

TEST(Ghn, GradientsOfBothDecodersAreRight) {
  for (const char* decoder : {"tiled", "lowrank"}) {
    torch::manual_seed(2);
    Ghn ghn(GhnOptions().hidden(6).block(3).max_kernel(3).rank(2).max_rows(12).classes(4).decoder(
        decoder));
    ghn->to(torch::kDouble);
    Traced t(small_residual(/*width=*/4, /*classes=*/4));
    const Spec* spec = t.target->spec().get();
    std::vector<torch::Tensor> inputs;
    std::vector<std::string> names;
    for (const auto& p : ghn->named_parameters()) {
      inputs.push_back(p.value());
      names.push_back(p.key());
    }
    const auto result = testing::gradcheck(
        [&] { return ghn->predict({&t.graph}, {spec})[0]; }, inputs,
        testing::GradcheckOptions().max_elements(6), names);
    EXPECT_TRUE(result.ok) << decoder << "\n" << result.report;
    EXPECT_GT(result.checked, 50) << decoder;
  }
}

TEST(Ghn, PredictParametersSetsExactlyTheModulesParameters) {
  torch::manual_seed(3);
  Ghn ghn(GhnOptions().hidden(8));
  const auto arch = small_residual();
  ArchNet net(arch);
  std::vector<torch::Tensor> before_buffers;
  for (const auto& b : net->buffers()) before_buffers.push_back(b.clone());
  const auto example = torch::zeros({1, 1, 8, 8});
  predict_parameters(*ghn, net, example);
  Traced t(arch);
  const auto expected = ghn->predict({&t.graph}, {t.target->spec().get()})[0].detach();
  std::vector<torch::Tensor> parts;
  for (const auto& p : net->parameters()) parts.push_back(p.detach().flatten());
  EXPECT_TRUE(torch::equal(torch::cat(parts), expected));
  const auto buffers = net->buffers();
  ASSERT_EQ(buffers.size(), before_buffers.size());
  for (size_t i = 0; i < buffers.size(); ++i)
    EXPECT_TRUE(torch::equal(buffers[i], before_buffers[i]));
}

TEST(Ghn, WhatItCannotPredictIsNamed) {
  Ghn ghn(GhnOptions().hidden(8));
  Mlp phm(MlpOptions({8, 8, 10}).phm(2));
  const auto g = graph_of(*phm, torch::zeros({1, 8}));
  EXPECT_THAT(
      [&] { ghn->predict({&g}, {phm->spec().get()}); },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr("cannot predict 'fc1.")));
  Traced three(small_residual(6, /*classes=*/3));
  EXPECT_THAT(
      [&] { ghn->predict({&three.graph}, {three.target->spec().get()}); },
      ::testing::ThrowsMessage<c10::ValueError>(
          ::testing::HasSubstr("'fc.weight' has 3 outputs; this GHN predicts 10 classes")));
  EXPECT_THAT(
      [] { Ghn(GhnOptions().decoder("dense")); },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr("got 'dense'")));
}

}  // namespace
}  // namespace hnet
