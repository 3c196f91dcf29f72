#pragma once
/// \file
/// Adam's per-parameter state (step, first and second moments) as named
/// tensors, so that a checkpoint resumes training where it stopped rather
/// than with fresh moments.

#include <torch/nn/module.h>
#include <torch/optim/adam.h>

#include <string>

#include "hnet/io/safetensors.h"

namespace hnet::io {

/// For every parameter of `module` that `adam` holds state for:
/// "<prefix>exp_avg.<name>", "<prefix>exp_avg_sq.<name>" (the parameter's
/// shape) and "<prefix>step.<name>" (int64 [1]).
NamedTensors adam_state(
    const torch::optim::Adam& adam, torch::nn::Module& module, const std::string& prefix);

/// Restores what adam_state wrote for `module`'s parameters (each tensor
/// checked as restore_tensor checks it; a step must be >= 0); parameters
/// without saved state keep none. c10::ValueError naming the tensor when
/// one is damaged or only part of a parameter's state is present.
void restore_adam_state(
    const TensorFile& file, torch::optim::Adam& adam, torch::nn::Module& module,
    const std::string& prefix);

}  // namespace hnet::io
