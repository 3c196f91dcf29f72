#include "hnet/learn/methods/interval.h"

#include <torch/nn/functional/loss.h>

#include <algorithm>
#include <cmath>

namespace hnet {

IntervalMethod::IntervalMethod(
    std::shared_ptr<WeightGenerator> generator, IntervalEmbedding embeddings, TaskHeads heads,
    IntervalOptions options)
    : GeneratorMethod(std::move(generator), std::move(heads)),
      embeddings_(std::move(embeddings)),
      options_(options) {
  check_regularizer_options(options_.beta(), options_.reg_subset(), "interval");
  TORCH_CHECK(
      options_.kappa() >= 0 && options_.kappa() <= 1, "interval: kappa must be in [0, 1], got ",
      options_.kappa());
}

std::vector<NamedParameter> IntervalMethod::begin_task(int64_t t) {
  auto params = GeneratorMethod::begin_task(t);
  if (t > 0) {
    torch::NoGradGuard no_grad;
    embeddings_->weight[t].copy_(embeddings_->weight[t - 1]);
  }
  if (regularises(t)) take_snapshot(t);
  return params;
}

torch::Tensor IntervalMethod::conditions(int64_t first, int64_t count) const {
  return embeddings_->rows(first, count);
}

torch::Tensor IntervalMethod::table() const {
  return embeddings_->weight;
}

void IntervalMethod::take_snapshot(int64_t t) {
  torch::NoGradGuard no_grad;
  snapshot_center_ = snapshot_radius_ = torch::Tensor();
  if (t == 0) return;
  auto iv = generator_->forward_interval(embeddings_->intervals(conditions(0, t).detach(), 1.0));
  snapshot_center_ = iv.center.clone();
  snapshot_radius_ = iv.radius.clone();
}

torch::Tensor IntervalMethod::task_loss(
    Target& target, int64_t t, const torch::Tensor& x, const torch::Tensor& y, double progress) {
  auto e = conditions(t, 1);
  auto centre_loss = torch::nn::functional::cross_entropy(
      target.forward(x, Weights(target.spec(), heads_.select(generator_->forward(e)[0], t))), y);
  // As in interval-bound-propagation training (Gowal et al. 2018), the
  // radius and the worst case's weight ramp up over the first half of the
  // task, so the centre learns before the interval has to hold.
  const double ramp = std::min(1.0, 2 * progress);
  auto flat = generator_->forward_interval(embeddings_->intervals(e, ramp));
  auto logits = target.forward_interval(
      x, {heads_.select(flat.center[0], t), heads_.select(flat.radius[0], t)});
  const double kappa = 1 - ramp * (1 - options_.kappa());
  return kappa * centre_loss + (1 - kappa) * worst_case_cross_entropy(logits, y);
}

torch::Tensor IntervalMethod::regularizer(int64_t t, at::Generator& rng) {
  if (!regularises(t)) return {};
  TORCH_CHECK(snapshot_center_.defined(), "interval: no snapshot for task ", t + 1);
  const auto rows = regularised_tasks(t, options_.reg_subset(), rng);
  auto prev = conditions(0, t).detach().index_select(0, rows);
  auto iv = generator_->forward_interval(embeddings_->intervals(prev, 1.0));
  return snapshot_penalty(rows, iv.center, iv.radius, options_.beta());
}

c10::optional<std::vector<torch::Tensor>> IntervalMethod::universal_weights(int64_t last_task) {
  torch::NoGradGuard no_grad;
  const auto flat = generator_->forward(embeddings_->universal(last_task + 1))[0];
  std::vector<torch::Tensor> out;
  for (int64_t t = 0; t <= last_task; ++t) out.push_back(heads_.select(flat, t));
  return out;
}

}  // namespace hnet
