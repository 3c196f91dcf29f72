#pragma once
/// \file
/// A module's trained state as named tensors (what checkpoints hold), and
/// restoring it with every tensor checked.

#include <torch/nn/module.h>

#include <cstdint>
#include <string>

#include "hnet/io/safetensors.h"

namespace hnet::io {

/// Copies tensor `name` of `file` into `into` after checking its shape, dtype
/// and finiteness; throws c10::ValueError naming the tensor otherwise.
void restore_tensor(const TensorFile& file, const std::string& name, torch::Tensor into);

/// The named parameters (then buffers) of `module`, each name prefixed.
NamedTensors module_state(torch::nn::Module& module, const std::string& prefix);

/// Restores `module_state(module, prefix)` from `file` with restore_tensor.
void load_module_state(
    const TensorFile& file, torch::nn::Module& module, const std::string& prefix);

/// The number of trainable values of `module`.
int64_t parameter_count(const torch::nn::Module& module);

}  // namespace hnet::io
