#pragma once
// Private to src/kernels: the oneDNN product shared by linear.cpp and head.cpp.

#include <torch/types.h>

namespace hnet::kernels::detail {

/// Row-major C[M, N] = op(A) op(B) (+ C when accumulate), on dnnl_sgemm.
void sgemm(
    bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, const float* b,
    float* c, bool accumulate);

/// True when `t` can go to sgemm: a contiguous float32 CPU tensor.
bool eligible(const torch::Tensor& t);

}  // namespace hnet::kernels::detail
