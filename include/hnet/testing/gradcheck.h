#pragma once
/// \file
/// Gradient checking for LibTorch C++ (which, in 1.13, has no `gradcheck`):
/// central finite differences in float64 against autograd.

#include <torch/arg.h>
#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

namespace hnet::testing {

/// Example: `GradcheckOptions().atol(1e-6).max_elements(64)`
struct GradcheckOptions {
  /// Finite-difference step.
  TORCH_ARG(double, eps) = 1e-6;
  /// An element passes when |numeric - analytic| <= atol + rtol |numeric|.
  TORCH_ARG(double, atol) = 1e-5;
  TORCH_ARG(double, rtol) = 1e-3;
  /// Elements checked per input tensor (a random subset when larger).
  TORCH_ARG(int64_t, max_elements) = 32;
  /// Seed of the subset and of the output projection.
  TORCH_ARG(uint64_t, seed) = 0;
};

struct GradcheckResult {
  bool ok = true;
  /// Per failing element: "input 2 (generator.head.weight) [17]: numeric
  /// 0.1234, analytic 0.1301"; or a note when an input gets no gradient.
  std::string report;
  int64_t checked = 0;
};

/// Checks d<r, fn(inputs)>/d inputs for a fixed random projection r, for
/// every input with requires_grad: the analytic gradient (autograd) against
/// central differences, or, where those disagree, against either one-sided
/// difference (a kink of ReLU or max-pool within eps of the point). Inputs must be float64 leaf
/// tensors; they are perturbed in place and restored, so module parameters can be passed. `names`
/// (optional, same length) label inputs in the report.
GradcheckResult gradcheck(
    const std::function<torch::Tensor()>& fn, const std::vector<torch::Tensor>& inputs,
    const GradcheckOptions& options = {}, const std::vector<std::string>& names = {});

}  // namespace hnet::testing
