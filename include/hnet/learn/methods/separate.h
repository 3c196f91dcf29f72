#pragma once
/// \file
/// Separate networks: an independent target network per task, trained
/// directly (no generator). The upper bound continual methods are compared
/// with, at `tasks` times the target's parameters.

#include <memory>

#include "hnet/learn/continual_method.h"

namespace hnet {

class SeparateMethod : public ContinualMethod {
 public:
  /// One network per task, each drawn from the spec's initialisation (fan-in rule).
  SeparateMethod(std::shared_ptr<const Spec> spec, int64_t tasks);

  std::string name() const override {
    return "separate";
  }
  std::vector<NamedParameter> begin_task(int64_t t) override;
  torch::Tensor task_loss(
      Target& target, int64_t t, const torch::Tensor& x, const torch::Tensor& y,
      double progress) override;
  torch::Tensor task_weights(int64_t t) override;
  io::NamedTensors state() override;
  void load_state(const io::TensorFile& file) override;
  int64_t stored_networks() const override {
    return static_cast<int64_t>(networks_.size());
  }

 private:
  std::shared_ptr<const Spec> spec_;
  std::vector<torch::Tensor> networks_;  // flat weights per task
};

}  // namespace hnet
