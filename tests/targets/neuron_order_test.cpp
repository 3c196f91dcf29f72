// Neuron reordering for the implicit generator: the greedy path on cases
// checked by hand, and that a reordered MLP computes the same function.

#include "hnet/targets/neuron_order.h"

#include "hnet/targets/mlp.h"
#include "support/test_support.h"

namespace hnet {
namespace {

using ::testing::HasSubstr;

// Points 0, 10, 1, 11, 2 on a line. Greedy paths by start (row: length):
// 0: 0 1 2 10 11 (11); 1: 10 11 2 1 0 (12); 2: 1 0 2 10 11 (12, the tie
// 0 / 2 goes to row 0); 3: 11 10 2 1 0 (11); 4: 2 1 0 10 11 (13).
// Rows 0 and 3 tie at 11; the lower start wins.
TEST(ImplicitNeuronOrder, GreedyPathOnHandCase) {
  auto points = torch::tensor({0.0, 10.0, 1.0, 11.0, 2.0}).unsqueeze(1);
  EXPECT_EQ(greedy_path_order(points), (std::vector<int64_t>{0, 2, 4, 1, 3}));
  EXPECT_EQ(greedy_path_order(torch::ones({1, 3})), (std::vector<int64_t>{0}));
}

// Two-dimensional points where nearest-neighbour from the best start walks
// the square's border: (0,0) (0,1) (1,1) (1,0) given shuffled.
TEST(ImplicitNeuronOrder, GreedyPathWalksSquare) {
  auto points = torch::tensor({1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0}).view({4, 2});
  // From row 0 (1,1): tie (1,0)/(0,1) -> row 2 (1,0), then (0,0), then (0,1): length 3.
  EXPECT_EQ(greedy_path_order(points), (std::vector<int64_t>{0, 2, 1, 3}));
}

// MLP 1-5-1, incoming weights 3 0 4 1 2 (biases 0, no outgoing features):
// the path 0 1 2 3 4 starts at row 1 (ties with row 2, the lower wins); the
// outgoing weights must follow their neurons.
TEST(ImplicitNeuronOrder, SortsNeuronsAndMovesTheirOutgoingWeights) {
  Mlp mlp{MlpOptions({1, 5, 1})};
  auto flat = torch::zeros({mlp->spec()->numel()});
  Weights w(mlp->spec(), flat);
  w["fc1.weight"].copy_(torch::tensor({3.0, 0.0, 4.0, 1.0, 2.0}).unsqueeze(1));
  w["fc2.weight"].copy_(torch::tensor({30.0, 0.0, 40.0, 10.0, 20.0}).unsqueeze(0));
  w["fc2.bias"].fill_(7);
  auto result = order_mlp_neurons({1, 5, 1}, flat, NeuronOrderOptions().outgoing(false));
  ASSERT_EQ(result.orders.size(), 1u);
  EXPECT_EQ(result.orders[0], (std::vector<int64_t>{1, 3, 4, 0, 2}));
  Weights r(mlp->spec(), result.flat);
  EXPECT_TRUE(
      torch::equal(r["fc1.weight"].squeeze(1), torch::tensor({0.0f, 1.0f, 2.0f, 3.0f, 4.0f})));
  EXPECT_TRUE(torch::equal(r["fc2.weight"][0], torch::tensor({0.0f, 10.0f, 20.0f, 30.0f, 40.0f})));
  EXPECT_EQ(r["fc2.bias"].item<float>(), 7.0f);
}

TEST(ImplicitNeuronOrder, PreservesFunction) {
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed));
  const std::vector<int64_t> sizes{6, 7, 5, 3};
  Mlp mlp{MlpOptions(sizes)};
  auto flat = torch::randn({mlp->spec()->numel()});
  auto x = torch::randn({9, 6});
  auto before = mlp->forward(x, Weights(mlp->spec(), flat));
  for (bool outgoing : {true, false}) {
    auto result = order_mlp_neurons(sizes, flat, NeuronOrderOptions().outgoing(outgoing));
    ASSERT_EQ(result.orders.size(), 2u);
    auto after = mlp->forward(x, Weights(mlp->spec(), result.flat));
    EXPECT_TRUE(torch::allclose(before, after, 1e-5, 1e-5));
    // The check means something only if neurons really moved.
    EXPECT_FALSE(torch::equal(flat, result.flat));
    // Applying the same orders again to the original gives the same weights.
    EXPECT_TRUE(torch::equal(permute_mlp_neurons(sizes, flat, result.orders), result.flat));
  }
}

TEST(ImplicitNeuronOrder, RejectsBadInput) {
  const std::vector<int64_t> sizes{2, 3, 1};
  auto flat = torch::zeros({(2 + 1) * 3 + (3 + 1) * 1});
  EXPECT_THAT(
      test::error_message([&] {
        permute_mlp_neurons(sizes, flat, {{0, 0, 1}});
      }),
      HasSubstr("order of hidden layer 0 must be a permutation of 0..2, got [0, 0, 1]"));
  EXPECT_THAT(
      test::error_message([&] { permute_mlp_neurons(sizes, flat, {}); }),
      HasSubstr("need one order per hidden layer (1), got 0"));
  EXPECT_THAT(
      test::error_message([&] { order_mlp_neurons(sizes, torch::zeros({5})); }),
      HasSubstr("flat must be [13] for an MLP [2, 3, 1], got [5]"));
  EXPECT_THAT(
      test::error_message([&] {
        greedy_path_order(torch::zeros({0, 2}));
      }),
      HasSubstr("points must be a floating-point [n, d] tensor with n >= 1, got [0, 2]"));
}

}  // namespace
}  // namespace hnet
