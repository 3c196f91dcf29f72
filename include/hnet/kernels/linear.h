#pragma once
/// \file
/// The dense product behind every generator head, trunk layer and target
/// linear layer, on the machine's fastest sgemm.
///
/// Debian's LibTorch sends float products to OpenBLAS, which on CPUs it does
/// not recognise (virtual machines) falls back to SSE3 kernels, a quarter of
/// what the hardware can do; it also runs its own thread pool next to
/// LibTorch's. oneDNN (already a LibTorch dependency) picks its kernels from
/// the CPU's feature flags and runs on LibTorch's OpenMP threads. This
/// function does the forward and both backward products with `dnnl_sgemm`
/// for contiguous float32 CPU tensors, and falls back to `at::linear`
/// otherwise (other dtypes, devices, or HNET_SGEMM=torch in the
/// environment).

#include <torch/types.h>

namespace hnet::kernels {

/// y = x w^T + b, differentiable in x, w and b.
/// x: [M, K]; w: [N, K]; b: [N] or undefined. Returns [M, N].
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

/// True when the oneDNN path is used for float32 CPU tensors.
bool sgemm_enabled();

}  // namespace hnet::kernels
