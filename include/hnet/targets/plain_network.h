#pragma once
/// \file
/// A target network written down as plain operations on named tensors, so
/// that it can be rebuilt without hnet (by `hnet generate`'s exports, read
/// with nothing but PyTorch: docs/export.md).
///
/// Operations, applied in order to a batch [N, ...]; tensor roles name
/// tensors of `PlainNetwork::tensors()`, values are integers or reals. What
/// each computes, in PyTorch (F = torch.nn.functional):
///
/// - `flatten`: `x.flatten(1)` (row-major);
/// - `linear` (tensors weight [out, in], bias [out]): `F.linear(x, weight, bias)`;
/// - `conv2d` (tensors weight [O, C, kh, kw], bias [O] or none; values
///   stride, padding): `F.conv2d(x, weight, bias, stride, padding)`;
/// - `batch_norm` (tensors weight, bias, running_mean, running_var [C];
///   value eps), evaluation mode:
///   `F.batch_norm(x, running_mean, running_var, weight, bias, False, 0, eps)`;
/// - `max_pool2d` (values kernel, stride): `F.max_pool2d(x, kernel, stride)`;
/// - activations: `relu`, `tanh`, `sigmoid`, `sin`, `gelu` (exact, erf),
///   `leaky_relu` (value negative_slope), `elu` (value alpha).
///
/// A layer whose weight was composed from PHM factors (phm.h) also carries
/// the value `composed_from_phm` = n; its tensor is the dense weight.

#include <c10/core/Scalar.h>
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "hnet/activation.h"

namespace hnet {

/// One operation: its name (the list above), its tensors (role, tensor
/// name) and its values (name, integer or real), each in the order added.
struct PlainOp {
  std::string op;
  std::vector<std::pair<std::string, std::string>> tensors;
  std::vector<std::pair<std::string, c10::Scalar>> values;
};

/// Operations in forward order and the tensors they read.
///
/// Example:
///   PlainNetwork net;
///   net.add("linear").tensor("weight", "fc1.weight", w).tensor("bias", "fc1.bias", b);
///   net.activation(Activation::kRelu);
class PlainNetwork {
 public:
  /// Appends the operation `op`; the calls below then fill it in.
  PlainNetwork& add(std::string op);
  /// Gives the last operation the tensor `role` called `name`, holding a
  /// copy of `value` (detached, contiguous: the network owns its values).
  /// requires: an operation was added; `name` is not taken yet.
  PlainNetwork& tensor(
      const std::string& role, const std::string& name, const torch::Tensor& value);
  /// Gives the last operation the value `key`.
  /// requires: an operation was added.
  PlainNetwork& value(const std::string& key, const c10::Scalar& v);
  /// Appends activation `a` as its operation (nothing for identity).
  PlainNetwork& activation(Activation a);

  const std::vector<PlainOp>& ops() const {
    return ops_;
  }
  /// Every tensor an operation reads, in the order added.
  const std::vector<std::pair<std::string, torch::Tensor>>& tensors() const {
    return tensors_;
  }

 private:
  std::vector<PlainOp> ops_;
  std::vector<std::pair<std::string, torch::Tensor>> tensors_;
};

}  // namespace hnet
