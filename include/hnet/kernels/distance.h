#pragma once
/// \file
/// The squared distance behind output regularisers, in one element-wise pass
/// forward and one backward (the composed `(a - b).pow(2).sum()` makes three
/// passes forward and three backward over tensors of millions of values).

#include <torch/types.h>

namespace hnet::kernels {

/// sum((a - target)^2) as a 0-dim tensor, differentiable in `a`; `target` is
/// a constant (e.g. a snapshot of earlier outputs). requires: equal shapes.
torch::Tensor squared_distance(const torch::Tensor& a, const torch::Tensor& target);

}  // namespace hnet::kernels
