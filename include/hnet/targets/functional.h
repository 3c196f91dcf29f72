#pragma once
/// \file
/// Stateless layers taking their weights explicitly, with or without a
/// leading weight-set dimension B (per-sample / per-group weights).
///
/// Batched convention, shared by every target: with B weight sets the input
/// has N = B * G rows, and rows [b*G, (b+1)*G) use weight set b. The batched
/// paths run as one `baddbmm` / one grouped convolution, never a loop.

#include <torch/types.h>

namespace hnet::functional {

/// G = n / b; throws naming `who` unless b > 0 divides n.
int64_t group_size(int64_t n, int64_t b, const char* who);

/// y = x w^T + bias.
/// x: [N, in]; w: [out, in] or [B, out, in]; bias: [out] / [B, out] or undefined.
/// Returns [N, out].
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias);

/// 2-D convolution with zero padding (stride, padding, dilation: one value
/// or one per spatial dimension, as in `at::conv2d`).
/// x: [N, C, H, W]; w: [O, C, kh, kw] or [B, O, C, kh, kw]; bias: [O] / [B, O]
/// or undefined. Returns [N, O, H', W'].
torch::Tensor conv2d(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
    torch::IntArrayRef stride, torch::IntArrayRef padding, torch::IntArrayRef dilation = 1);

/// Batch normalisation over all but the channel dimension (dim 1), with
/// generated affine parameters. Batched (scale [B, C]): statistics are taken
/// per weight set over its G rows, so weight sets never mix.
/// In training, running statistics (views into a module's buffers, [C]) are
/// updated with `momentum` from the mean over weight sets; in evaluation they
/// normalise. x: [N, C, ...]; scale, shift: [C] or [B, C].
torch::Tensor batch_norm(
    const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& shift,
    const torch::Tensor& running_mean, const torch::Tensor& running_var, bool training,
    double momentum, double eps);

}  // namespace hnet::functional
