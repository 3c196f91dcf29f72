#include "hnet/ghn/architecture.h"

#include <nlohmann/json.hpp>

#include "hnet/ghn/architecture_space.h"
#include "hnet/ghn/graph.h"
#include "hnet/targets/module_adapter.h"
#include "support/test_support.h"

namespace hnet {
namespace {

using json = nlohmann::json;

// conv -> relu -> (conv -> sum with the relu) -> relu -> pool -> head.
json residual_net() {
  return json::parse(R"({
    "input": [1, 8, 8], "classes": 3,
    "layers": [
      {"name": "c1", "op": "conv", "out": 4, "kernel": 3},
      {"name": "r1", "op": "relu"},
      {"name": "c2", "op": "conv", "out": 4, "kernel": 3, "bias": false},
      {"name": "bn", "op": "batch_norm"},
      {"name": "s", "op": "sum", "inputs": ["bn", "r1"]},
      {"name": "r2", "op": "relu"},
      {"name": "p", "op": "max_pool", "kernel": 2},
      {"name": "g", "op": "global_avg_pool"},
      {"name": "fc", "op": "linear", "out": 3}
    ]})");
}

TEST(Architecture, BuildsTheNetworkItDescribes) {
  const auto arch = architecture_from_json(residual_net(), "net.json");
  const auto shapes = check_architecture(arch, "net.json");
  EXPECT_EQ(shapes[6], (std::vector<int64_t>{4, 4, 4}));  // the pool halves 8x8
  ArchNet net(arch);
  EXPECT_EQ(net->forward(torch::randn({2, 1, 8, 8})).sizes(), torch::IntArrayRef({2, 3}));
  ModuleAdapter target(net);
  std::vector<std::string> names;
  for (const auto& e : target->spec()->entries()) names.push_back(e.name);
  EXPECT_EQ(
      names,
      (std::vector<std::string>{
          "c1.weight", "c1.bias", "c2.weight", "bn.weight", "bn.bias", "fc.weight", "fc.bias"}));
  EXPECT_EQ(architecture_params(arch), target->spec()->numel());
  // The graph of the built network has the residual sum and its two inputs.
  const auto g = graph_of(*target, torch::randn({1, 1, 8, 8}));
  size_t sums = 0;
  for (const auto& node : g.nodes) {
    if (node.op == GraphOp::kSum) {
      ++sums;
      ASSERT_EQ(node.inputs.size(), 2u);
      EXPECT_EQ(g.nodes[node.inputs[0]].op, GraphOp::kBatchNorm);
      EXPECT_EQ(g.nodes[node.inputs[1]].op, GraphOp::kRelu);
    }
  }
  EXPECT_EQ(sums, 1u);
}

TEST(Architecture, JsonRoundTripKeepsTheArchitecture) {
  const auto arch = architecture_from_json(residual_net(), "net.json");
  const auto again = architecture_from_json(architecture_to_json(arch), "again");
  EXPECT_EQ(architecture_key(again), architecture_key(arch));
}

void expect_refused(json j, const std::string& message) {
  EXPECT_THAT(
      [&] { architecture_from_json(j, "bad.json"); },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr(message)))
      << j.dump();
}

TEST(Architecture, BadArchitecturesAreNamed) {
  auto j = residual_net();
  j["layers"][1]["op"] = "swish";
  expect_refused(j, "layer 1 ('r1'): unknown op 'swish'");
  j = residual_net();
  j["layers"][0]["out"] = 0;
  expect_refused(j, "'out' must be > 0, got 0");
  j = residual_net();
  j["layers"][6]["kernel"] = 9;
  expect_refused(j, "layer 'p': kernel 9 is larger than its input [4, 8, 8]");
  j = residual_net();
  j["layers"][0]["inputs"] = {"r1"};  // c1 <- r1 <- c1
  expect_refused(j, "lies on a cycle");
  j = residual_net();
  j["layers"][2]["out"] = 5;  // the branch no longer matches the shortcut
  expect_refused(j, "'sum' inputs must have one shape, got [5, 8, 8] and [4, 8, 8]");
  j = residual_net();
  j["layers"].erase(7);  // linear straight on the image
  expect_refused(j, "'linear' needs a flat input");
  j = residual_net();
  j["layers"][5]["inputs"] = {"bn"};  // the sum is now never read
  expect_refused(j, "the output of layer 's' is never read");
  j = residual_net();
  j["layers"][8]["out"] = 4;
  expect_refused(j, "must give the output [3], got [4]");
  j = residual_net();
  j["layers"][4]["inputs"] = {"bn", "nowhere"};
  expect_refused(j, "reads 'nowhere', which is no layer");
  j = residual_net();
  j["layers"][0]["kernel"] = "3";
  expect_refused(j, "'kernel' must be an integer");
}

TEST(ArchitectureSpace, SeededDistinctAndValid) {
  const auto a = sample_architectures(ArchSpaceOptions(), 7, 40);
  const auto b = sample_architectures(ArchSpaceOptions(), 7, 40);
  const auto c = sample_architectures(ArchSpaceOptions(), 8, 40);
  std::set<std::string> keys, other;
  bool has_mlp = false, has_residual = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(architecture_key(a[i]), architecture_key(b[i]));
    keys.insert(architecture_key(a[i]));
    other.insert(architecture_key(c[i]));
    EXPECT_NO_THROW(check_architecture(a[i], "sampled"));
    for (const auto& l : a[i].layers) {
      has_mlp |= l.op == "flatten" && &l == &a[i].layers.front();
      has_residual |= l.op == "sum";
    }
  }
  EXPECT_EQ(keys.size(), a.size());  // distinct
  EXPECT_NE(keys, other);
  EXPECT_TRUE(has_mlp);
  EXPECT_TRUE(has_residual);
  // A training stream that excludes the held-out set never draws from it.
  ArchitectureSampler train(ArchSpaceOptions(), 99);
  for (int i = 0; i < 200; ++i) EXPECT_FALSE(keys.count(architecture_key(train.next(keys))));
}

TEST(ArchitectureSpace, EverySampledNetworkRunsAndHasAGraph) {
  for (const auto& arch : sample_architectures(ArchSpaceOptions().max_blocks(2), 3, 12)) {
    ArchNet net(arch);
    ModuleAdapter target(net);
    const auto g = graph_of(*target, torch::randn({1, 1, 28, 28}));
    EXPECT_EQ(g.nodes.back().op, GraphOp::kBias) << architecture_key(arch);
    EXPECT_EQ(net->forward(torch::randn({2, 1, 28, 28})).sizes(), torch::IntArrayRef({2, 10}));
  }
}

TEST(ArchitectureSpace, InvalidOptionsAreNamed) {
  EXPECT_THAT(
      [] { ArchitectureSampler(ArchSpaceOptions().widths({}), 1); },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr("'widths' is empty")));
  EXPECT_THAT(
      [] { ArchitectureSampler(ArchSpaceOptions().min_stages(3).max_stages(2), 1); },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr("min_stages <= max_stages")));
}

}  // namespace
}  // namespace hnet
