#pragma once
/// \file
/// A generator's output layer fused with its output parametrization: the
/// head product, the head bias, the cut of the chunk grid to the target's
/// size and the element-wise map `base + scale * raw`. Because the scale is
/// one value per Spec entry, the products write the scaled weights straight
/// into the output (alpha = scale), and backward reads the output gradient
/// directly: no element-wise pass over the [B, N] outputs, where the composed
/// operators make about five (for a large target they cost as much as the
/// product itself).

#include <torch/types.h>

namespace hnet::kernels {

/// out[b, n] = base[n] + scale[n] * raw[b, n], where raw is (x w^T + bias)
/// [B * K, C] read as [B, K * C] and cut to its first N columns.
///
/// x: [B * K, H] (K head rows per condition: chunks, or 1 for a full head);
/// w: [C, H]; bias: [C]; scale: [N] (a constant); base: [N] (a constant or a
/// learned vector such as MIP's theta0); requires N <= K * C. Returns [B, N],
/// contiguous, new memory, differentiable in x, w, bias and base. Runs on
/// dnnl_sgemm for contiguous float32 CPU tensors whose scale (and constant
/// base) is piecewise constant, as output parametrizations make them (at most
/// 4096 runs; the runs are found once and cached while the tensors are
/// unchanged), and composes LibTorch operators otherwise.
torch::Tensor affine_head(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
    const torch::Tensor& scale, const torch::Tensor& base, int64_t batch);

/// squared_distance(affine_head(x, w, bias, scale, base, batch), target)
/// without materialising the output twice: the difference is formed where
/// the output is written, and the backward products read it directly (an
/// output regulariser in two passes over [B, N] instead of about eight).
/// target: [B, N], a constant.
torch::Tensor affine_head_squared_distance(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
    const torch::Tensor& scale, const torch::Tensor& base, int64_t batch,
    const torch::Tensor& target);

}  // namespace hnet::kernels
