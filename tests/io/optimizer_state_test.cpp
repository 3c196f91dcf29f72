#include "hnet/io/optimizer_state.h"

#include <torch/nn/modules/linear.h>

#include "hnet/io/module_state.h"
#include "support/test_support.h"

namespace hnet {
namespace {

// One Adam step on a fixed quadratic loss.
void adam_step(torch::nn::Linear& net, torch::optim::Adam& adam, int k) {
  const auto x = torch::full({4, 3}, 0.1 * k);
  const auto loss = (net(x) - 1).pow(2).sum();
  adam.zero_grad();
  loss.backward();
  adam.step();
}

// Saved and restored moments continue training exactly as if it never
// stopped; fresh moments would not.
TEST(OptimizerState, RestoredAdamContinuesExactly) {
  test::seed_torch();
  torch::nn::Linear a(3, 2);
  torch::optim::Adam adam_a(a->parameters(), torch::optim::AdamOptions(0.05));
  for (int k = 1; k <= 3; ++k) adam_step(a, adam_a, k);
  io::NamedTensors saved = io::module_state(*a, "m.");
  for (auto& t : io::adam_state(adam_a, *a, "adam.")) saved.push_back(t);
  const auto file = io::decode_safetensors(io::encode_safetensors(saved), "ckpt");
  ASSERT_EQ(saved.size(), 2u + 3u * 2u);

  torch::nn::Linear b(3, 2), fresh(3, 2);
  torch::optim::Adam adam_b(b->parameters(), torch::optim::AdamOptions(0.05));
  torch::optim::Adam adam_fresh(fresh->parameters(), torch::optim::AdamOptions(0.05));
  io::load_module_state(file, *b, "m.");
  io::load_module_state(file, *fresh, "m.");
  io::restore_adam_state(file, adam_b, *b, "adam.");
  for (int k = 4; k <= 6; ++k) {
    adam_step(a, adam_a, k);
    adam_step(b, adam_b, k);
    adam_step(fresh, adam_fresh, k);
  }
  EXPECT_TRUE(torch::equal(a->weight, b->weight));
  EXPECT_TRUE(torch::equal(a->bias, b->bias));
  EXPECT_FALSE(torch::allclose(a->weight, fresh->weight));
}

TEST(OptimizerState, DamagedStateIsNamed) {
  torch::nn::Linear a(3, 2);
  torch::optim::Adam adam(a->parameters(), torch::optim::AdamOptions(0.05));
  adam_step(a, adam, 1);
  auto state = io::adam_state(adam, *a, "adam.");
  auto without = [&](const std::string& name) {
    io::NamedTensors out;
    for (const auto& t : state) {
      if (t.first != name) out.push_back(t);
    }
    return io::decode_safetensors(io::encode_safetensors(out), "ckpt");
  };
  EXPECT_THAT(
      test::error_message(
          [&] { io::restore_adam_state(without("adam.step.bias"), adam, *a, "adam."); }),
      ::testing::HasSubstr("optimizer state of 'bias' is incomplete"));
  for (auto& t : state) {
    if (t.first == "adam.exp_avg_sq.weight") t.second = -t.second - 1;
  }
  const auto negative = io::decode_safetensors(io::encode_safetensors(state), "ckpt");
  EXPECT_THAT(
      test::error_message([&] { io::restore_adam_state(negative, adam, *a, "adam."); }),
      ::testing::HasSubstr("'adam.exp_avg_sq.weight' holds negative values"));
}

}  // namespace
}  // namespace hnet
