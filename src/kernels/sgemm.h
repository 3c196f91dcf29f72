#pragma once
// Private to src/kernels: the oneDNN product shared by linear.cpp and head.cpp.

#include <torch/types.h>

namespace hnet::kernels::detail {

/// Row-major C[M, N] = op(A) op(B) (+ C when accumulate), on dnnl_sgemm;
/// dense operands.
void sgemm(
    bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, const float* b,
    float* c, bool accumulate);

/// Row-major C = alpha op(A) op(B) + beta C with leading dimensions (row
/// strides) lda, ldb, ldc: products on sub-blocks of larger matrices.
void sgemm(
    bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
    int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

/// True when `t` can go to sgemm: a contiguous float32 CPU tensor.
bool eligible(const torch::Tensor& t);

}  // namespace hnet::kernels::detail
