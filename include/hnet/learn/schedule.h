#pragma once
/// \file
/// Learning-rate schedules shared by hnet's training loops.

#include <torch/optim/adam.h>

#include <cstdint>

namespace hnet {

/// Learning rate of step `step` (1-based) of `steps` with base rate `lr`:
/// constant, or with `cosine` decayed to zero along half a cosine
/// (Loshchilov & Hutter 2017).
double scheduled_lr(double lr, int64_t steps, bool cosine, int64_t step);

/// Sets the learning rate of every parameter group of `adam`.
void set_learning_rate(torch::optim::Adam& adam, double lr);

}  // namespace hnet
