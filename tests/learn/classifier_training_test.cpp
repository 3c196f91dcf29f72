#include "hnet/learn/classifier_training.h"

#include "hnet/generators/chunked_generator.h"
#include "hnet/targets/mlp.h"
#include "support/test_support.h"

namespace hnet {
namespace {

// Two Gaussian blobs in 4-D, separated along every axis.
data::Dataset blobs(int64_t n) {
  auto labels = torch::randint(2, {n}, torch::kLong);
  auto images = torch::randn({n, 4}) * 0.5 + (labels.to(torch::kFloat).unsqueeze(1) * 2 - 1);
  return {images, labels};
}

TEST(ClassifierTraining, LearnsSeparableData) {
  test::seed_torch();
  Mlp mlp(MlpOptions({4, 8, 2}));
  ChunkedGenerator gen(mlp->spec(), GeneratorOptions(3).hidden({16}).chunk_size(10));
  auto cond = torch::randn({1, 3}, torch::requires_grad());
  std::ostringstream log;
  auto result = train_hyper_classifier(
      *mlp, *gen, cond, blobs(512), blobs(256),
      ClassifierTrainingOptions().steps(150).batch_size(32).lr(1e-2).log_every(50), &log);
  EXPECT_GT(result.test_accuracy, 0.95);
  EXPECT_EQ(result.steps, 150);
  EXPECT_THAT(log.str(), ::testing::HasSubstr("step    150/150"));
}

TEST(ClassifierTraining, AccuracyCountsCorrectPredictions) {
  Mlp mlp(MlpOptions({1, 2}));
  // logits = [x, -x]: class 0 wins exactly when x > 0.
  Weights w(mlp->spec(), torch::tensor({1.0f, -1.0f, 0.0f, 0.0f}));
  data::Dataset d{
      torch::tensor({{1.0f}, {-2.0f}, {3.0f}, {-1.0f}}), torch::tensor({0, 1, 1, 1}, torch::kLong)};
  EXPECT_DOUBLE_EQ(accuracy(*mlp, w, d, 3), 0.75);
}

TEST(ClassifierTraining, RejectsBadOptions) {
  Mlp mlp(MlpOptions({4, 2}));
  ChunkedGenerator gen(mlp->spec(), GeneratorOptions(3));
  auto cond = torch::randn({1, 3}, torch::requires_grad());
  auto d = blobs(8);
  EXPECT_THROW_WITH(
      train_hyper_classifier(*mlp, *gen, cond, d, d, ClassifierTrainingOptions().steps(0), nullptr),
      "steps must be > 0, got 0");
  EXPECT_THROW_WITH(
      train_hyper_classifier(*mlp, *gen, cond, d, d, ClassifierTrainingOptions().lr(-1), nullptr),
      "lr must be > 0, got -1");
  EXPECT_THROW_WITH(
      train_hyper_classifier(*mlp, *gen, torch::randn({1, 3}), d, d, {}, nullptr),
      "condition must be a [1, d] tensor that requires grad");
}

}  // namespace
}  // namespace hnet
