#include "hnet/learn/classifier_training.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>

#include <chrono>
#include <cstdio>

#include "hnet/data/epoch_sampler.h"
#include "hnet/learn/evaluation.h"

namespace hnet {

ClassifierTrainingResult train_hyper_classifier(
    Target& target, WeightGenerator& generator, const torch::Tensor& condition,
    const data::Dataset& train, const data::Dataset& test, const ClassifierTrainingOptions& options,
    std::ostream* log) {
  TORCH_CHECK(options.steps() > 0, "train: steps must be > 0, got ", options.steps());
  TORCH_CHECK(
      options.batch_size() > 0, "train: batch_size must be > 0, got ", options.batch_size());
  TORCH_CHECK(options.lr() > 0, "train: lr must be > 0, got ", options.lr());
  TORCH_CHECK(train.size() > 0, "train: the training set is empty");
  TORCH_CHECK(
      condition.dim() == 2 && condition.size(0) == 1 && condition.requires_grad(),
      "train: condition must be a [1, d] tensor that requires grad");

  auto params = generator.as_module().parameters();
  params.push_back(condition);
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(options.lr()));
  data::EpochSampler batches(train.size(), options.batch_size(), options.seed());
  target.as_module().train();

  const auto start = std::chrono::steady_clock::now();
  double window_loss = 0;
  int64_t window = 0;
  ClassifierTrainingResult result;
  for (int64_t step = 1; step <= options.steps(); ++step) {
    auto idx = batches.next();
    Weights w(generator.spec(), generator.forward(condition)[0]);
    auto loss = torch::nn::functional::cross_entropy(
        target.forward(train.images.index_select(0, idx), w), train.labels.index_select(0, idx));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    window_loss += loss.item<double>();
    ++window;
    if (options.log_every() > 0 && (step % options.log_every() == 0 || step == options.steps())) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      result.final_loss = window_loss / window;
      if (log) {
        char line[160];
        std::snprintf(
            line, sizeof line, "step %6lld/%lld  loss %.4f  %.1f it/s\n",
            static_cast<long long>(step), static_cast<long long>(options.steps()),
            result.final_loss, step / seconds);
        *log << line << std::flush;
      }
      window_loss = 0;
      window = 0;
    }
  }
  result.steps = options.steps();
  {
    torch::NoGradGuard no_grad;
    Weights w(generator.spec(), generator.forward(condition)[0]);
    result.test_accuracy = accuracy(target, w, test, options.eval_batch_size());
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace hnet
