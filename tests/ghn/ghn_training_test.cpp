#include "hnet/ghn/ghn_training.h"

#include <torch/nn/functional/loss.h>

#include <nlohmann/json.hpp>

#include "hnet/ghn/graph.h"
#include "hnet/io/module_state.h"
#include "hnet/io/optimizer_state.h"
#include "hnet/targets/module_adapter.h"
#include "support/test_support.h"

namespace hnet {
namespace {

data::Dataset first(const data::Dataset& d, int64_t n) {
  return {d.images.narrow(0, 0, n), d.labels.narrow(0, 0, n)};
}

TEST(GhnTraining, ATinyGhnLearnsToPredictUnseenNetworks) {
  torch::manual_seed(0);
  const auto train =
      first(data::load_fashion_mnist(data::default_data_root(), data::Split::kTrain), 2000);
  const auto test =
      first(data::load_fashion_mnist(data::default_data_root(), data::Split::kTest), 500);
  // One stage of 16 channels: a space a GHN learns within a few hundred
  // steps (deeper spaces need thousands).
  const auto space = ArchSpaceOptions()
                         .widths({16})
                         .kernels({3})
                         .max_stages(1)
                         .max_blocks(0)
                         .hidden({16})
                         .mlp_fraction(0);
  const auto held_out = sample_architectures(space, 100, 4);
  std::set<std::string> keys;
  for (const auto& a : held_out) keys.insert(architecture_key(a));
  Ghn ghn(GhnOptions().hidden(16).block(16).max_kernel(3));
  auto mean_accuracy = [&] {
    double sum = 0;
    for (const auto& a : held_out) sum += predicted_accuracy(*ghn, a, test, 250);
    return sum / static_cast<double>(held_out.size());
  };
  const double before = mean_accuracy();
  std::vector<double> losses;
  train_ghn(
      *ghn, space, keys, train,
      GhnTrainingOptions().steps(200).meta_batch(4).batch_size(32).lr(1e-3),
      [&](const GhnStep& s) { losses.push_back(s.loss); });
  const double after = mean_accuracy();
  ASSERT_EQ(losses.size(), 200u);
  // Zero-shot on four architectures it never saw: above chance (0.1) and
  // above where it started.
  // Measured: 0.10 before, 0.195 after (chance 0.10). A small margin of
  // learning, but one an untrained or disconnected GHN never shows.
  EXPECT_GT(after, 0.15) << "before " << before;
  EXPECT_GT(after, before + 0.05);
}

// A run stopped after step 3 and resumed from its saved GHN and Adam state
// ends where an unbroken run ends: each step's architectures and images
// depend on (seed, step) alone.
TEST(GhnTraining, ResumedTrainingEqualsUnbrokenTraining) {
  const auto space = ArchSpaceOptions().widths({4}).kernels({3}).max_stages(1).hidden({8});
  const data::Dataset images{torch::rand({64, 1, 28, 28}), torch::randint(10, {64}, torch::kLong)};
  const auto options = GhnTrainingOptions().meta_batch(2).batch_size(8).seed(5);
  const auto ghn_options = GhnOptions().hidden(8).block(4).max_kernel(3).virtual_edges(3);
  torch::manual_seed(1);
  Ghn unbroken(ghn_options);
  torch::manual_seed(1);
  Ghn first(ghn_options);
  GhnTrainer a(*unbroken, space, {}, images, options), b(*first, space, {}, images, options);
  for (int64_t k = 1; k <= 3; ++k) {
    a.step(k);
    b.step(k);
  }
  io::NamedTensors saved = io::module_state(*first, "ghn.");
  for (auto& t : io::adam_state(b.optimizer(), *first, "adam.")) saved.push_back(t);
  const auto file = io::decode_safetensors(io::encode_safetensors(saved), "checkpoint");
  Ghn resumed(ghn_options);
  GhnTrainer c(*resumed, space, {}, images, options);
  io::load_module_state(file, *resumed, "ghn.");
  io::restore_adam_state(file, c.optimizer(), *resumed, "adam.");
  for (int64_t k = 4; k <= 6; ++k) {
    const double la = a.step(k), lc = c.step(k);
    EXPECT_EQ(la, lc) << "step " << k;
  }
  const auto pa = unbroken->parameters(), pc = resumed->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pc[i])) << i;
}

// The GHN fits one batch for one architecture about as well as training
// the network's own parameters does.
TEST(GhnTraining, FitsOneBatchOfOneArchitecture) {
  test::seed_torch();
  const auto arch = architecture_from_json(
      nlohmann::json::parse(R"({"input": [1, 28, 28],
      "classes": 10, "layers": [{"name": "c1", "op": "conv", "out": 8, "kernel": 3},
      {"name": "r1", "op": "relu"}, {"name": "p1", "op": "max_pool", "kernel": 2},
      {"name": "g", "op": "global_avg_pool"}, {"name": "fc", "op": "linear", "out": 10}]})"),
      "a");
  ArchNet net(arch);
  ModuleAdapter target(net);
  const auto graph = graph_of(*target, torch::zeros({1, 1, 28, 28}));
  const auto d =
      first(data::load_fashion_mnist(data::default_data_root(), data::Split::kTrain), 64);
  const auto& images = d.images;
  const auto& labels = d.labels;
  // The same network trained directly, for comparison.
  double direct_loss = 0;
  {
    ArchNet direct(arch);
    torch::optim::Adam adam(direct->parameters(), torch::optim::AdamOptions(3e-3));
    for (int step = 0; step < 300; ++step) {
      const auto loss = torch::nn::functional::cross_entropy(direct->forward(images), labels);
      adam.zero_grad();
      loss.backward();
      adam.step();
      direct_loss = loss.item<double>();
    }
  }
  Ghn ghn(GhnOptions().hidden(16).block(8).max_kernel(3));
  torch::optim::Adam adam(ghn->parameters(), torch::optim::AdamOptions(3e-3));
  double loss_value = 0;
  for (int step = 0; step < 300; ++step) {
    const auto flat = ghn->predict({&graph}, {target->spec().get()})[0];
    const auto loss = torch::nn::functional::cross_entropy(
        target->forward(images, Weights(target->spec(), flat)), labels);
    adam.zero_grad();
    loss.backward();
    adam.step();
    loss_value = loss.item<double>();
  }
  // Measured: 1.88 through the GHN, 1.84 trained directly (this small
  // global-pool network learns slowly either way).
  EXPECT_LT(loss_value, 2.1);
  EXPECT_LT(loss_value, direct_loss + 0.25);
}

TEST(GhnTraining, BadOptionsAreNamed) {
  Ghn ghn(GhnOptions().hidden(8));
  data::Dataset two{torch::zeros({2, 1, 28, 28}), torch::zeros({2}, torch::kLong)};
  EXPECT_THAT(
      [&] { train_ghn(*ghn, ArchSpaceOptions(), {}, two, GhnTrainingOptions().meta_batch(0)); },
      ::testing::ThrowsMessage<c10::ValueError>(
          ::testing::HasSubstr("'meta_batch' must be > 0, got 0")));
  EXPECT_THAT(
      [&] { train_ghn(*ghn, ArchSpaceOptions(), {}, two, GhnTrainingOptions().batch_size(1)); },
      ::testing::ThrowsMessage<c10::ValueError>(::testing::HasSubstr("'batch_size' must be > 1")));
}

}  // namespace
}  // namespace hnet
