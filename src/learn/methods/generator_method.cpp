#include "hnet/learn/methods/generator_method.h"

#include <torch/nn/functional/loss.h>

#include <cmath>

#include "hnet/io/module_state.h"
#include "hnet/kernels/distance.h"

namespace hnet {

GeneratorMethod::GeneratorMethod(std::shared_ptr<WeightGenerator> generator, TaskHeads heads)
    : generator_(std::move(generator)), heads_(std::move(heads)) {
  TORCH_CHECK(generator_ != nullptr, "continual: the method needs a generator");
  TORCH_CHECK(
      *generator_->spec() == *heads_.generated_spec(),
      "continual: the generator's spec does not match the target's with ", heads_.heads(),
      " head(s)");
}

std::vector<NamedParameter> GeneratorMethod::begin_task(int64_t) {
  std::vector<NamedParameter> params;
  for (const auto& p : generator_->as_module().named_parameters()) {
    params.push_back({"generator." + p.key(), p.value()});
  }
  params.push_back({"embeddings", table()});
  return params;
}

torch::Tensor GeneratorMethod::task_weights(int64_t t) {
  torch::NoGradGuard no_grad;
  return heads_.select(generator_->forward(conditions(t, 1))[0], t);
}

io::NamedTensors GeneratorMethod::state() {
  io::NamedTensors out{{"embeddings", table().detach()}};
  for (auto& entry : io::module_state(generator_->as_module(), "generator.")) {
    out.push_back(std::move(entry));
  }
  return out;
}

void GeneratorMethod::load_state(const io::TensorFile& file) {
  io::restore_tensor(file, "embeddings", table());
  io::load_module_state(file, generator_->as_module(), "generator.");
}

int64_t GeneratorMethod::generator_params() const {
  return io::parameter_count(generator_->as_module());
}

torch::Tensor GeneratorMethod::generated_loss(
    Target& target, int64_t t, const torch::Tensor& x, const torch::Tensor& y) {
  const auto flat = heads_.select(generator_->forward(conditions(t, 1))[0], t);
  return torch::nn::functional::cross_entropy(target.forward(x, Weights(target.spec(), flat)), y);
}

torch::Tensor GeneratorMethod::snapshot_rows(
    const torch::Tensor& snapshot, const torch::Tensor& rows) {
  if (rows.numel() == snapshot.size(0) &&
      rows.equal(torch::arange(snapshot.size(0), rows.options()))) {
    return snapshot;
  }
  return snapshot.index_select(0, rows);
}

torch::Tensor GeneratorMethod::snapshot_penalty(
    const torch::Tensor& rows, const torch::Tensor& center, const torch::Tensor& radius,
    double beta) const {
  // Each earlier task keeps the network it reads: its own head, not the
  // others' (which later tasks must be free to learn).
  auto own = [&](const torch::Tensor& flat) { return heads_.select(flat, rows); };
  auto p = kernels::squared_distance(own(center), own(snapshot_rows(snapshot_center_, rows)));
  if (radius.defined()) {
    p = p + kernels::squared_distance(own(radius), own(snapshot_rows(snapshot_radius_, rows)));
  }
  return p * (beta / rows.size(0));
}

void check_regularizer_options(double beta, int64_t subset, const char* who) {
  TORCH_CHECK(beta >= 0 && std::isfinite(beta), who, ": beta must be >= 0, got ", beta);
  TORCH_CHECK(subset >= 0, who, ": reg_subset must be >= 0, got ", subset);
}

torch::Tensor regularised_tasks(int64_t t, int64_t subset, at::Generator& rng) {
  const int64_t k = subset > 0 ? std::min(subset, t) : t;
  return k == t ? torch::arange(t) : torch::randperm(t, rng, torch::kLong).narrow(0, 0, k);
}

}  // namespace hnet
