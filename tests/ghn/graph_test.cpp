#include "hnet/ghn/graph.h"

#include "hnet/targets/conv_net.h"
#include "hnet/targets/mlp.h"
#include "hnet/targets/module_adapter.h"
#include "hnet/targets/res_net.h"
#include "support/test_support.h"

namespace hnet {
namespace {

namespace nn = torch::nn;

std::vector<std::string> op_names(const ComputationGraph& g) {
  std::vector<std::string> ops;
  for (const auto& node : g.nodes) ops.push_back(graph_op_name(node.op));
  return ops;
}

// Every parameter entry of the target is owned by exactly one node.
void expect_every_entry_owned_once(const ComputationGraph& g, const Spec& spec) {
  std::vector<int> owners(spec.size(), 0);
  for (const auto& node : g.nodes) {
    for (const auto& p : node.params) {
      ASSERT_LT(p.entry, spec.size());
      EXPECT_EQ(p.name, spec[p.entry].name);
      EXPECT_EQ(p.shape, spec[p.entry].shape);
      ++owners[p.entry];
    }
  }
  for (size_t i = 0; i < spec.size(); ++i) EXPECT_EQ(owners[i], 1) << spec[i].name;
}

// Topological order: every input of a node comes before it.
void expect_topological(const ComputationGraph& g) {
  ASSERT_FALSE(g.nodes.empty());
  EXPECT_EQ(g.nodes[0].op, GraphOp::kInput);
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    EXPECT_FALSE(g.nodes[i].inputs.empty()) << i;
    for (size_t in : g.nodes[i].inputs) EXPECT_LT(in, i);
  }
}

TEST(GraphOf, SequentialMlpNodeByNode) {
  ModuleAdapter target(nn::Sequential(nn::Linear(4, 3), nn::ReLU(), nn::Linear(3, 2)));
  const auto g = graph_of(*target, torch::randn({1, 4}));
  EXPECT_EQ(
      g.to_text(),
      "0 input input\n"
      "1 linear 0 [3, 4] <- 0\n"
      "2 bias 0 [3] <- 1\n"
      "3 relu relu_3 <- 2\n"
      "4 linear 2 [2, 3] <- 3\n"
      "5 bias 2 [2] <- 4\n");
  EXPECT_EQ(g.edge_count(), 5u);
  expect_every_entry_owned_once(g, *target->spec());
}

TEST(GraphOf, ModuleConvNetWithFlattenAndStride) {
  ModuleAdapter target(nn::Sequential(
      nn::Conv2d(nn::Conv2dOptions(1, 2, 3).stride(2).bias(false)), nn::BatchNorm2d(2), nn::Tanh(),
      nn::Flatten(), nn::Linear(2 * 3 * 3, 3)));
  const auto g = graph_of(*target, torch::randn({1, 1, 7, 7}));
  EXPECT_EQ(
      op_names(g),
      (std::vector<std::string>{"input", "conv", "batch_norm", "tanh", "linear", "bias"}));
  EXPECT_EQ(g.nodes[1].stride, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(g.nodes[1].params[0].shape, (std::vector<int64_t>{2, 1, 3, 3}));
  EXPECT_EQ(g.nodes[2].params.size(), 2u);  // scale and shift
  expect_topological(g);
  expect_every_entry_owned_once(g, *target->spec());
}

TEST(GraphOf, HnetConvNetIsAChainOfItsLayers) {
  ConvNet target(ConvNetOptions().channels({2, 3}).hidden(5).norm(Norm::kBatch));
  target->train();
  const auto g = graph_of(*target, torch::randn({1, 1, 28, 28}));
  EXPECT_EQ(
      op_names(g), (std::vector<std::string>{
                       "input", "conv", "batch_norm", "relu", "max_pool", "conv", "batch_norm",
                       "relu", "max_pool", "linear", "bias", "relu", "linear", "bias"}));
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    EXPECT_EQ(g.nodes[i].inputs, (std::vector<size_t>{i - 1})) << i;
  }
  EXPECT_EQ(g.nodes[4].kernel, (std::vector<int64_t>{2, 2}));
  expect_every_entry_owned_once(g, *target->spec());
  // The trace runs in evaluation mode and gives the module its mode back.
  EXPECT_TRUE(target->is_training());
}

TEST(GraphOf, ResNetHasOneSumPerBlockWithTheShortcut) {
  ResNet target(ResNetOptions().depth(8).width(4));
  const auto g = graph_of(*target, torch::randn({1, 1, 8, 8}));
  expect_topological(g);
  expect_every_entry_owned_once(g, *target->spec());
  int sums = 0, pools = 0;
  for (const auto& node : g.nodes) {
    if (node.op == GraphOp::kSum) {
      ++sums;
      EXPECT_EQ(node.inputs.size(), 2u);
    }
    pools += node.op == GraphOp::kGlobalAvgPool;
  }
  EXPECT_EQ(sums, 3);  // depth 8: one block per stage
  EXPECT_EQ(pools, 1);
  EXPECT_EQ(g.nodes.back().op, GraphOp::kBias);
  // A block's sum reads the branch (ending in its second batch norm) and the
  // shortcut: for the first block, the stem's relu.
  const auto& first_sum = *std::find_if(
      g.nodes.begin(), g.nodes.end(), [](const GraphNode& n) { return n.op == GraphOp::kSum; });
  EXPECT_EQ(g.nodes[first_sum.inputs[0]].op, GraphOp::kBatchNorm);
  EXPECT_EQ(g.nodes[first_sum.inputs[1]].op, GraphOp::kRelu);
  EXPECT_EQ(g.nodes[first_sum.inputs[1]].inputs, (std::vector<size_t>{2}));  // stem conv, bn
}

TEST(GraphOf, PhmLayersOwnTheirFactors) {
  Mlp target(MlpOptions({8, 8, 4}).phm(2).activation(Activation::kTanh));
  const auto g = graph_of(*target, torch::randn({1, 8}));
  EXPECT_EQ(
      op_names(g), (std::vector<std::string>{"input", "linear", "bias", "tanh", "linear", "bias"}));
  EXPECT_EQ(g.nodes[1].params.size(), 2u);  // the rule matrices and the filters
  expect_every_entry_owned_once(g, *target->spec());
}

TEST(GraphOf, AnOperationItCannotPlaceIsNamed) {
  ModuleAdapter target(nn::Sequential(
      nn::Linear(4, 3), nn::Functional([](const torch::Tensor& x) { return x.cumsum(1); })));
  EXPECT_THAT(
      [&] {
        graph_of(*target, torch::randn({1, 4}));
      },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr("'CumsumBackward0'")));
}

struct UsesOneOfTwoImpl : nn::Module {
  UsesOneOfTwoImpl()
      : a(register_module("a", nn::Linear(3, 3))), b(register_module("b", nn::Linear(3, 2))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return twice ? a(a(x)) : a(x);
  }
  nn::Linear a, b;
  bool twice = false;
};
TORCH_MODULE(UsesOneOfTwo);

TEST(GraphOf, UnusedOrSharedParametersAreNamed) {
  UsesOneOfTwo module;
  ModuleAdapter target(module);
  EXPECT_THAT(
      [&] {
        graph_of(*target, torch::randn({1, 3}));
      },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr("'b.weight' is not read")));
  module->twice = true;
  EXPECT_THAT(
      [&] {
        graph_of(*target, torch::randn({1, 3}));
      },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr("is read by two operations")));
}

}  // namespace
}  // namespace hnet
