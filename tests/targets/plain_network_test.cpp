// Targets written down as plain operations: run by a small interpreter of
// the operation table (plain_network.h) with plain torch calls, they give
// the target's own evaluation-mode outputs.

#include "hnet/targets/plain_network.h"

#include "hnet/targets/conv_net.h"
#include "hnet/targets/mlp.h"
#include "hnet/targets/module_adapter.h"
#include "hnet/targets/phm.h"
#include "hnet/targets/res_net.h"
#include "support/test_support.h"

namespace hnet {
namespace {

// The interpreter: each operation as PyTorch computes it (the table of
// plain_network.h), reading tensors by name.
torch::Tensor run_plain_ops(const PlainNetwork& net, torch::Tensor x) {
  std::map<std::string, torch::Tensor> named(net.tensors().begin(), net.tensors().end());
  for (const auto& op : net.ops()) {
    std::map<std::string, torch::Tensor> t;
    for (const auto& [role, name] : op.tensors) t[role] = named.at(name);
    std::map<std::string, c10::Scalar> v(op.values.begin(), op.values.end());
    if (op.op == "flatten") {
      x = x.flatten(1);
    } else if (op.op == "linear") {
      x = torch::linear(x, t.at("weight"), t.count("bias") ? t.at("bias") : torch::Tensor());
    } else if (op.op == "conv2d") {
      x = torch::conv2d(
          x, t.at("weight"), t.count("bias") ? t.at("bias") : torch::Tensor(),
          v.at("stride").toLong(), v.at("padding").toLong());
    } else if (op.op == "batch_norm") {
      x = torch::batch_norm(
          x, t.at("weight"), t.at("bias"), t.at("running_mean"), t.at("running_var"), false, 0,
          v.at("eps").toDouble(), false);
    } else if (op.op == "max_pool2d") {
      x = torch::max_pool2d(x, v.at("kernel").toLong(), v.at("stride").toLong());
    } else if (op.op == "relu") {
      x = torch::relu(x);
    } else if (op.op == "leaky_relu") {
      x = torch::leaky_relu(x, v.at("negative_slope"));
    } else if (op.op == "elu") {
      x = torch::elu(x, v.at("alpha"));
    } else if (op.op == "tanh") {
      x = torch::tanh(x);
    } else if (op.op == "sigmoid") {
      x = torch::sigmoid(x);
    } else if (op.op == "gelu") {
      x = torch::gelu(x);
    } else if (op.op == "sin") {
      x = torch::sin(x);
    } else {
      ADD_FAILURE() << "unknown op " << op.op;
    }
  }
  return x;
}

std::vector<std::string> plain_op_names(const PlainNetwork& net) {
  std::vector<std::string> names;
  for (const auto& op : net.ops()) names.push_back(op.op);
  return names;
}

// The evaluation-mode outputs of `target` with weights `w`.
torch::Tensor eval_forward(Target& target, const torch::Tensor& x, const Weights& w) {
  torch::NoGradGuard no_grad;
  target.as_module().eval();
  return target.forward(x, w);
}

TEST(PlainNetwork, MlpOperationsInOrder) {
  Mlp mlp(MlpOptions({6, 5, 4, 3}));
  Weights w(mlp->spec(), torch::arange(mlp->spec()->numel()).to(torch::kFloat));
  const auto net = mlp->plain_network(w);
  EXPECT_EQ(
      plain_op_names(net),
      (std::vector<std::string>{"flatten", "linear", "relu", "linear", "relu", "linear"}));
  ASSERT_EQ(net.tensors().size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(net.tensors()[i].first, (*mlp->spec())[i].name);
    EXPECT_TRUE(torch::equal(net.tensors()[i].second, w[i]));
  }
  EXPECT_EQ(
      net.ops()[3].tensors, (std::vector<std::pair<std::string, std::string>>{
                                {"weight", "fc2.weight"}, {"bias", "fc2.bias"}}));
}

TEST(PlainNetwork, MlpOfEveryActivationGivesItsOutputs) {
  test::seed_torch();
  for (auto a :
       {Activation::kRelu, Activation::kLeakyRelu, Activation::kTanh, Activation::kSigmoid,
        Activation::kElu, Activation::kGelu, Activation::kSin, Activation::kIdentity}) {
    SCOPED_TRACE(activation_name(a));
    Mlp mlp(MlpOptions({12, 7, 3}).activation(a));
    Weights w(mlp->spec(), torch::randn({mlp->spec()->numel()}));
    auto x = torch::randn({5, 3, 2, 2});  // flattened by the first operation
    EXPECT_TRUE(torch::allclose(
        run_plain_ops(mlp->plain_network(w), x), eval_forward(*mlp, x, w), 1e-5, 1e-5));
  }
  Mlp identity(MlpOptions({4, 3, 2}).activation(Activation::kIdentity));
  Weights w(identity->spec(), torch::zeros({identity->spec()->numel()}));
  EXPECT_EQ(
      plain_op_names(identity->plain_network(w)),
      (std::vector<std::string>{"flatten", "linear", "linear"}));
}

// PHM layers are written as their composed dense weights, marked.
TEST(PlainNetwork, PhmWeightsAreComposed) {
  test::seed_torch();
  Mlp mlp(MlpOptions({8, 6, 3}).phm(2));
  Weights w(mlp->spec(), torch::randn({mlp->spec()->numel()}));
  const auto net = mlp->plain_network(w);
  ASSERT_EQ(net.tensors()[0].first, "fc1.weight");
  EXPECT_TRUE(torch::allclose(
      net.tensors()[0].second, functional::phm_weight(w["fc1.phm_a"], w["fc1.phm_f"])));
  EXPECT_EQ(net.tensors()[0].second.sizes(), torch::IntArrayRef({6, 8}));
  ASSERT_EQ(net.ops()[1].values.size(), 1u);
  EXPECT_EQ(net.ops()[1].values[0].first, "composed_from_phm");
  EXPECT_EQ(net.ops()[1].values[0].second.toLong(), 2);
  EXPECT_TRUE(net.ops()[3].values.empty());  // the last layer stays dense
  auto x = torch::randn({4, 8});
  EXPECT_TRUE(torch::allclose(run_plain_ops(net, x), eval_forward(*mlp, x, w), 1e-5, 1e-5));
}

// Batch norm reads the running statistics of the slot chosen, as plain
// tensors; PHM kernels are composed.
TEST(PlainNetwork, ConvNetWithBatchNormUsesTheChosenSlot) {
  test::seed_torch();
  for (int64_t phm : {0, 2}) {
    SCOPED_TRACE("phm " + std::to_string(phm));
    ConvNet net(ConvNetOptions()
                    .image_size(16)
                    .channels({2, 4})
                    .hidden(6)
                    .classes(3)
                    .norm(Norm::kBatch)
                    .stats_slots(3)
                    .phm(phm));
    for (auto& b : net->buffers()) b.copy_(torch::rand_like(b) + 0.5);
    Weights w(net->spec(), torch::randn({net->spec()->numel()}) * 0.5);
    net->set_stats_slot(1);
    const auto plain = net->plain_network(w);
    EXPECT_EQ(
        plain_op_names(plain),
        (std::vector<std::string>{
            "conv2d", "batch_norm", "relu", "max_pool2d", "conv2d", "batch_norm", "relu",
            "max_pool2d", "flatten", "linear", "relu", "linear"}));
    std::map<std::string, torch::Tensor> named(plain.tensors().begin(), plain.tensors().end());
    auto stats = net->named_buffers();
    EXPECT_TRUE(torch::equal(named.at("bn2.running_var"), stats["bn2.running_var"][1]));
    EXPECT_FALSE(named.count("conv1.bias"));
    EXPECT_EQ(named.at("conv2.weight").sizes(), torch::IntArrayRef({4, 2, 5, 5}));
    auto x = torch::randn({3, 1, 16, 16});
    EXPECT_TRUE(torch::allclose(run_plain_ops(plain, x), eval_forward(*net, x, w), 1e-4, 1e-5));
    // Another slot, its own statistics.
    net->set_stats_slot(2);
    const auto other = net->plain_network(w);
    std::map<std::string, torch::Tensor> named2(other.tensors().begin(), other.tensors().end());
    EXPECT_TRUE(torch::equal(named2.at("bn1.running_mean"), stats["bn1.running_mean"][2]));
    EXPECT_FALSE(torch::equal(named2.at("bn1.running_mean"), named.at("bn1.running_mean")));
    EXPECT_TRUE(torch::allclose(run_plain_ops(other, x), eval_forward(*net, x, w), 1e-4, 1e-5));
  }
}

TEST(PlainNetwork, ModuleAdapterOfASequential) {
  test::seed_torch();
  namespace nn = torch::nn;
  ModuleAdapter target(nn::Sequential(
      nn::Flatten(), nn::Linear(6, 5), nn::Tanh(),
      nn::Linear(nn::LinearOptions(5, 2).bias(false))));
  Weights w(target->spec(), torch::randn({target->spec()->numel()}));
  const auto net = target->plain_network(w);
  EXPECT_EQ(plain_op_names(net), (std::vector<std::string>{"flatten", "linear", "tanh", "linear"}));
  EXPECT_EQ(net.ops()[3].tensors.size(), 1u);  // no bias
  auto x = torch::randn({4, 2, 3});
  EXPECT_TRUE(torch::allclose(run_plain_ops(net, x), eval_forward(*target, x, w), 1e-5, 1e-5));

  ModuleAdapter conv(nn::Sequential(nn::Linear(4, 4), nn::Softplus()));
  Weights cw(conv->spec(), torch::zeros({conv->spec()->numel()}));
  EXPECT_THROW(conv->plain_network(cw), c10::ValueError);
  EXPECT_THROW_WITH(
      conv->plain_network(cw), "its layer '1' (torch::nn::SoftplusImpl) is not one of");
}

TEST(PlainNetwork, TargetsThatCannotDescribeThemselvesSaySo) {
  ResNet net(ResNetOptions().depth(8).width(2).classes(2));
  Weights w(net->spec(), torch::zeros({net->spec()->numel()}));
  EXPECT_THROW(net->plain_network(w), c10::ValueError);
  EXPECT_THROW_WITH(
      net->plain_network(w),
      "hnet::ResNet(depth=8, in_channels=1, width=2, classes=2, norm=batch) cannot be written as "
      "plain operations yet");
}

}  // namespace
}  // namespace hnet
