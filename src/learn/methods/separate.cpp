#include "hnet/learn/methods/separate.h"

#include <torch/nn/functional/loss.h>

#include "hnet/io/module_state.h"

namespace hnet {
namespace {

std::string network_name(int64_t t) {
  return "separate." + std::to_string(t + 1);
}

}  // namespace

SeparateMethod::SeparateMethod(std::shared_ptr<const Spec> spec, int64_t tasks)
    : spec_(std::move(spec)) {
  TORCH_CHECK(tasks > 0, "separate: tasks must be > 0, got ", tasks);
  for (int64_t t = 0; t < tasks; ++t) {
    networks_.push_back(
        torch::addcmul(
            spec_->init_mean(), spec_->init_std(Fan::kIn), torch::randn({spec_->numel()}))
            .requires_grad_());
  }
}

std::vector<NamedParameter> SeparateMethod::begin_task(int64_t t) {
  return {{network_name(t), networks_.at(t)}};
}

torch::Tensor SeparateMethod::task_loss(
    Target& target, int64_t t, const torch::Tensor& x, const torch::Tensor& y, double) {
  return torch::nn::functional::cross_entropy(
      target.forward(x, Weights(target.spec(), networks_.at(t))), y);
}

torch::Tensor SeparateMethod::task_weights(int64_t t) {
  return networks_.at(t).detach();
}

io::NamedTensors SeparateMethod::state() {
  io::NamedTensors out;
  for (size_t t = 0; t < networks_.size(); ++t) {
    out.emplace_back(network_name(static_cast<int64_t>(t)), networks_[t].detach());
  }
  return out;
}

void SeparateMethod::load_state(const io::TensorFile& file) {
  for (size_t t = 0; t < networks_.size(); ++t) {
    io::restore_tensor(file, network_name(static_cast<int64_t>(t)), networks_[t]);
  }
}

}  // namespace hnet
