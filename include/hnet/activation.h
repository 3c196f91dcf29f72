#pragma once
/// \file
/// Activation functions chosen by name, and the initialisation gain each implies.

#include <torch/types.h>

#include <string>

namespace hnet {

enum class Activation { kRelu, kLeakyRelu, kTanh, kSigmoid, kElu, kGelu, kSin, kIdentity };

/// Parses "relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "sin", "identity".
/// Throws: "activation must be one of relu, ..., got 'rleu' (did you mean 'relu'?)".
Activation parse_activation(const std::string& name);
std::string activation_name(Activation a);

/// The negative slope of leaky_relu and the alpha of elu.
constexpr double kLeakyReluSlope = 0.01;
constexpr double kEluAlpha = 1.0;

/// Applies `a` element-wise (leaky_relu with kLeakyReluSlope, elu with
/// kEluAlpha, gelu exact (erf); sin is plain sin).
torch::Tensor apply_activation(Activation a, const torch::Tensor& x);

/// Variance gain of a layer followed by `a` (He for relu: 2, tanh/others: 1),
/// so a layer's initial weight variance is gain / fan_in.
double activation_gain(Activation a);

}  // namespace hnet
