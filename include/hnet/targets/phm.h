#pragma once
/// \file
/// Parameterized hypercomplex multiplication (PHM) layers: the weight of a
/// linear or 2-D convolution layer is a sum of n Kronecker products
///
///   \f$ W = \sum_{i=1}^{n} A_i \otimes F_i \f$,
///
/// with learned "algebra rules" \f$A_i\f$ (n x n) and filters \f$F_i\f$
/// ((out/n) x (in/n), times the kernel for a convolution), so a layer has
/// about 1/n of the dense parameters (Zhang et al. 2021, "Beyond
/// fully-connected layers with quaternions"; Grassucci, Zhang, Comminiello
/// 2021, "PHNNs: Lightweight neural networks via parameterized hypercomplex
/// convolutions"). For a convolution the Kronecker product acts on the
/// channel dimensions only: W[a*P + p, b*Q + q, :, :] = sum_i A_i[a, b] F_i[p, q, :, :].
///
/// In hnet the factors are what a target's `Spec` asks the generator for
/// ("<layer>.phm_a" and "<layer>.phm_f"); the dense weight is composed in
/// the target's forward, one batched product for all n terms.
///
/// Initialisation: the composed entries are sums of n products, so
/// \f$ Var(W) = n\, Var(A)\, Var(F) \f$. `add_phm_weight` gives A the variance
/// 1/n and F the dense layer's own fan-in / fan-out rule, so the hyperfan
/// initialisation of a generator gives the composed weight the variance of a
/// directly initialised dense layer, under either fan rule.

#include <torch/types.h>

#include <string>
#include <vector>

#include "hnet/spec.h"

namespace hnet {

/// Checks the PHM rule for layer `layer` of target `who`: n >= 1 and n
/// divides both the output and the input size of `shape` ([out, in, k...]).
/// Throws e.g. "Mlp: phm n must divide the output and input sizes of layer
/// fc2 [10, 400], got n=4".
void check_phm(
    const char* who, const std::string& layer, const std::vector<int64_t>& shape, int64_t n);

/// Appends the factors of a PHM weight of dense shape `shape` ([out, in] or
/// [out, in, kh, kw]) to `spec`:
/// - "<layer>.phm_a" [n, n, n]: role kWeight, fan_in = fan_out = n, gain 1
///   (variance 1/n);
/// - "<layer>.phm_f" [n, out/n, in/n, k...]: role kWeight with the dense
///   layer's fan_in, fan_out and `gain`.
/// requires: check_phm(who, layer, shape, n) passes (it is called here).
void add_phm_weight(
    Spec& spec, const char* who, const std::string& layer, const std::vector<int64_t>& shape,
    int64_t n, double gain);

}  // namespace hnet

namespace hnet::functional {

/// The composed PHM weight \f$ \sum_i A_i \otimes F_i \f$ (Kronecker product
/// on the first two dimensions of F), computed as one batched product
/// [n*n, n] x [n, P*Q*K] and a permutation, not a loop over i.
/// a: [n, n, n] or batched [B, n, n, n]; f: [n, P, Q, k...] or
/// [B, n, P, Q, k...] (batched exactly when `a` is).
/// Returns [n*P, n*Q, k...] or [B, n*P, n*Q, k...].
/// Example: `phm_weight(torch::ones({1, 1, 1}), f.unsqueeze(0))` equals f.
torch::Tensor phm_weight(const torch::Tensor& a, const torch::Tensor& f);

/// `linear(x, phm_weight(a, f), bias)`: x [N, n*Q]; a, f as in phm_weight
/// with f [n, P, Q] / [B, n, P, Q]; bias [n*P] / [B, n*P] or undefined.
/// Batched factors follow functional.h's convention (rows grouped by set).
/// Returns [N, n*P].
torch::Tensor phm_linear(
    const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& f,
    const torch::Tensor& bias);

/// `conv2d(x, phm_weight(a, f), bias, ...)`: x [N, n*Q, H, W]; f [n, P, Q,
/// kh, kw] / [B, n, P, Q, kh, kw]; bias [n*P] / [B, n*P] or undefined.
/// Returns [N, n*P, H', W'].
torch::Tensor phm_conv2d(
    const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& f,
    const torch::Tensor& bias, torch::IntArrayRef stride, torch::IntArrayRef padding,
    torch::IntArrayRef dilation = 1);

}  // namespace hnet::functional
