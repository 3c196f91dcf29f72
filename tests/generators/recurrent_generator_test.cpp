// Recurrent generator (dependency-preserving hypernetwork): shapes, the LSTM
// recurrence checked by hand, causality along the chunk sequence, gradients,
// bad options and use in continual learning. The shared generator sweeps
// (generators_test.cpp, generator_gradient_test.cpp, generator_variance_test.cpp)
// cover it too.

#include "hnet/generators/recurrent_generator.h"

#include "hnet/learn/continual.h"
#include "hnet/learn/methods/hypercl.h"
#include "hnet/targets/mlp.h"
#include "hnet/testing/gradcheck.h"
#include "support/test_support.h"

namespace hnet {
namespace {

TEST(RecurrentGenerator, ShapesAndParameterCount) {
  Mlp mlp(MlpOptions({6, 5, 3}));  // 53 values
  RecurrentGenerator gen(
      mlp->spec(), GeneratorOptions(4).hidden({8, 8}).chunk_size(10).embedding_dim(3));
  EXPECT_EQ(gen->chunks(), 6);
  EXPECT_EQ(gen->forward(torch::randn({2, 4})).sizes(), torch::IntArrayRef({2, 53}));
  int64_t params = 0;
  for (const auto& p : gen->parameters()) params += p.numel();
  const int64_t lstm = 4 * 8 * (7 + 8 + 2) + 4 * 8 * (8 + 8 + 2);  // two layers, two biases each
  EXPECT_EQ(params, 6 * 3 + lstm + 8 * 10 + 10);
  std::ostringstream text;
  gen->pretty_print(text);
  EXPECT_EQ(
      text.str(),
      "hnet::RecurrentGenerator(condition_dim=4, hidden=[8, 8], chunk_size=10, chunks=6, "
      "outputs=53)");
}

// The LSTM equations unrolled by hand (gates i, f, g, o, PyTorch's order):
// the raw outputs are head(h_k) with h_k the state after chunk k.
TEST(RecurrentGenerator, RawOutputsFollowTheLstmRecurrence) {
  test::seed_torch();
  Mlp mlp(MlpOptions({3, 2, 2}));  // 14 values
  RecurrentGenerator gen(
      mlp->spec(), GeneratorOptions(2).hidden({3}).chunk_size(4).embedding_dim(2));
  auto cond = torch::randn({1, 2});
  torch::NoGradGuard no_grad;
  const auto w_ih = gen->lstm->named_parameters()["weight_ih_l0"];
  const auto w_hh = gen->lstm->named_parameters()["weight_hh_l0"];
  const auto bias =
      gen->lstm->named_parameters()["bias_ih_l0"] + gen->lstm->named_parameters()["bias_hh_l0"];
  auto h = torch::zeros({3}), c = torch::zeros({3});
  std::vector<torch::Tensor> chunks;
  for (int64_t k = 0; k < gen->chunks(); ++k) {
    auto x = torch::cat({cond[0], gen->chunk_embeddings[k]});
    auto gates = torch::mv(w_ih, x) + torch::mv(w_hh, h) + bias;
    auto i = torch::sigmoid(gates.narrow(0, 0, 3)), f = torch::sigmoid(gates.narrow(0, 3, 3));
    auto g = torch::tanh(gates.narrow(0, 6, 3)), o = torch::sigmoid(gates.narrow(0, 9, 3));
    c = f * c + i * g;
    h = o * torch::tanh(c);
    chunks.push_back(torch::mv(gen->head->weight, h) + gen->head->bias);
  }
  auto expected = torch::cat(chunks).narrow(0, 0, 14);
  EXPECT_TRUE(torch::allclose(gen->raw(cond)[0], expected, 1e-5, 1e-6));
  auto forward = gen->output->base() + gen->output->scale * expected;
  EXPECT_TRUE(torch::allclose(gen->forward(cond)[0], forward, 1e-5, 1e-6));
}

// Chunk k depends on chunk embeddings 0..k and on none after it: the
// dependency the recurrence preserves (and a chunked generator lacks).
TEST(RecurrentGenerator, ChunksDependOnEarlierChunksOnly) {
  test::seed_torch();
  Mlp mlp(MlpOptions({6, 5, 3}));
  const int64_t chunk = 10;
  RecurrentGenerator gen(mlp->spec(), GeneratorOptions(4).hidden({8}).chunk_size(chunk));
  auto out = gen->forward(torch::randn({1, 4}));
  const int64_t k = 2;
  auto grad =
      torch::autograd::grad({out.narrow(1, k * chunk, chunk).sum()}, {gen->chunk_embeddings})[0];
  for (int64_t j = 0; j < gen->chunks(); ++j) {
    const double g = grad[j].abs().sum().item<double>();
    if (j <= k) {
      EXPECT_GT(g, 0) << "chunk " << k << " must depend on embedding " << j;
    } else {
      EXPECT_EQ(g, 0) << "chunk " << k << " must not depend on later embedding " << j;
    }
  }
}

TEST(RecurrentGenerator, GradientsMatchFiniteDifferences) {
  const uint64_t seed = test::seed_torch();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Mlp mlp(MlpOptions({4, 3, 2}));
  RecurrentGenerator gen(
      mlp->spec(), GeneratorOptions(3).hidden({5, 5}).chunk_size(6).embedding_dim(2));
  gen->to(torch::kDouble);
  auto cond = torch::randn({2, 3}, torch::dtype(torch::kDouble).requires_grad(true));
  auto x = torch::randn({4, 4}, torch::kDouble);  // 2 rows per weight set
  auto fn = [&] { return mlp->forward(x, Weights(mlp->spec(), gen->forward(cond))); };
  auto result = test::gradcheck_generator(fn, cond, *gen);
  EXPECT_TRUE(result.ok) << result.report;
}

TEST(RecurrentGenerator, RejectsLayersOfDifferentWidthsAndIntervals) {
  Mlp mlp(MlpOptions({6, 5, 3}));
  EXPECT_THROW_WITH(
      RecurrentGenerator(mlp->spec(), GeneratorOptions(4).hidden({8, 4})),
      "RecurrentGenerator: hidden must list the LSTM layers, all of one width, got [8, 4]");
  EXPECT_THROW_WITH(
      RecurrentGenerator(mlp->spec(), GeneratorOptions(4).hidden({})), "all of one width, got []");
  RecurrentGenerator gen(mlp->spec(), GeneratorOptions(4).hidden({8}));
  EXPECT_THROW_WITH(
      gen->forward_interval(Interval::point(torch::zeros({1, 4}))),
      "RecurrentGenerator: interval propagation is not supported");
}

TEST(RecurrentGenerator, LearnsTasksContinually) {
  test::seed_torch();
  Mlp mlp(MlpOptions({6, 8, 2}));
  auto gen = RecurrentGenerator(mlp->spec(), GeneratorOptions(4).hidden({16}).chunk_size(10));
  auto method = std::make_shared<HyperclMethod>(
      gen.ptr(), TaskEmbedding(2, 4), TaskHeads(mlp->spec(), 1), HyperclOptions().beta(0.5));
  ContinualLearner learner(
      mlp.ptr(), method, 2, ContinualOptions().steps(100).batch_size(32).lr(1e-2));
  learner.train_task(0, test::blobs(0, 512), {});
  learner.train_task(1, test::blobs(1, 512), {});
  EXPECT_GT(learner.task_accuracy(0, test::blobs(0, 512)), 0.9);
  EXPECT_GT(learner.task_accuracy(1, test::blobs(1, 512)), 0.9);
}

}  // namespace
}  // namespace hnet
