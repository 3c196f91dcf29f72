#pragma once
/// \file
/// Observers of a continual learner's training steps, called at fixed points
/// of every step. Nothing in hnet installs them; users may (to log or probe
/// a run), and the reliability tests do, to poison a run at an exact step or
/// end it there (tests/support/fault_hooks.cpp).

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace hnet {

class StepHooks {
 public:
  virtual ~StepHooks() = default;
  /// The step's task loss, before it is checked for finiteness; may replace
  /// it. task and step are 1-based.
  virtual void on_loss(int64_t /*task*/, int64_t /*step*/, torch::Tensor& /*loss*/) {}
  /// The trained tensors after backward, before their gradients are checked
  /// and clipped.
  virtual void on_gradients(
      int64_t /*task*/, int64_t /*step*/, const std::vector<torch::Tensor>& /*params*/) {}
  /// After the optimiser step and the learner's step callback.
  virtual void on_step_end(int64_t /*task*/, int64_t /*step*/) {}
};

}  // namespace hnet
