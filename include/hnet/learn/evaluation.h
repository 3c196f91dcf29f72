#pragma once
/// \file
/// Classification accuracy of a target network with given weights: the one
/// evaluation loop of hnet's learners and experiments.

#include <cstdint>
#include <vector>

#include "hnet/data/fashion_mnist.h"
#include "hnet/data/task_sequence.h"
#include "hnet/targets/target.h"

namespace hnet {

/// Fraction in [0, 1] of `data` that `target` with weights `w` classifies
/// correctly, in evaluation mode (restored afterwards), without gradients, in
/// batches of `batch_size`. Inputs are reshaped to [B, input_shape...] when
/// `input_shape` is not empty. 0 for empty data.
double accuracy(
    Target& target, const Weights& w, const data::TaskData& data, int64_t batch_size,
    const std::vector<int64_t>& input_shape = {});

/// The same over a plain data set (images as stored).
double accuracy(Target& target, const Weights& w, const data::Dataset& data, int64_t batch_size);

/// `inputs` [B, ...] reshaped to [B, shape...] (unchanged when shape is empty).
torch::Tensor reshape_inputs(const torch::Tensor& inputs, const std::vector<int64_t>& shape);

}  // namespace hnet
