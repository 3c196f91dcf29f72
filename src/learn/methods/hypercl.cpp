#include "hnet/learn/methods/hypercl.h"

#include <cmath>

namespace hnet {

HyperclMethod::HyperclMethod(
    std::shared_ptr<WeightGenerator> generator, TaskEmbedding embeddings, TaskHeads heads,
    HyperclOptions options)
    : GeneratorMethod(std::move(generator), std::move(heads)),
      embeddings_(std::move(embeddings)),
      options_(options) {
  check_regularizer_options(options_.beta(), options_.reg_subset(), "hypercl");
}

std::vector<NamedParameter> HyperclMethod::begin_task(int64_t t) {
  auto params = GeneratorMethod::begin_task(t);
  if (regularises(t)) take_snapshot(t);
  return params;
}

torch::Tensor HyperclMethod::task_loss(
    Target& target, int64_t t, const torch::Tensor& x, const torch::Tensor& y, double) {
  return generated_loss(target, t, x, y);
}

torch::Tensor HyperclMethod::conditions(int64_t first, int64_t count) const {
  return embeddings_->rows(first, count);
}

torch::Tensor HyperclMethod::table() const {
  return embeddings_->weight;
}

void HyperclMethod::take_snapshot(int64_t t) {
  torch::NoGradGuard no_grad;
  snapshot_center_ =
      t > 0 ? generator_->forward(conditions(0, t).detach()).clone() : torch::Tensor();
}

torch::Tensor HyperclMethod::regularizer(int64_t t, at::Generator& rng) {
  if (!regularises(t)) return {};
  return regularizer(t, regularised_tasks(t, options_.reg_subset(), rng));
}

torch::Tensor HyperclMethod::regularizer(int64_t t, const torch::Tensor& rows) {
  TORCH_CHECK(t > 0 && snapshot_center_.defined(), "hypercl: no snapshot for task ", t + 1);
  auto prev = conditions(0, t).detach().index_select(0, rows);
  if (heads_.heads() > 1)
    return snapshot_penalty(rows, generator_->forward(prev), {}, options_.beta());
  // All regularised tasks in one generator call, fused with the distance.
  return generator_->squared_distance(prev, snapshot_rows(snapshot_center_, rows)) *
         (options_.beta() / rows.size(0));
}

}  // namespace hnet
