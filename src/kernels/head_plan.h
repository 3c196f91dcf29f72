#pragma once
// The plan of affine_head's fast path (see hnet/kernels/head.h): which
// products write which parts of the output. Internal to src/kernels/.
//
// How the fast path avoids element-wise passes over the [B, N] output: the
// scale is one value per Spec entry (and so is a constant base), so every
// run of columns with one (scale, base) is written by products with
// alpha = scale straight into the output. Inside a run, whole chunks form a
// row block of the head's output (one product per weight set); the ends of
// a run that cut a chunk are column blocks of one chunk, done for all
// weight sets in one product.

#include <torch/types.h>

#include <vector>

namespace hnet::kernels::detail {

// A product target: a row block (chunks [k0, k1) of every set, all C
// columns) or a column block (columns [j0, j1) of chunk k0, all sets).
struct Block {
  bool row_block;
  int64_t k0, k1, j0, j1;
  float scale, base;
};

// Checks the operands of affine_head (x [B * K, H], w [C, H], bias [C],
// scale and base [N] with N <= K * C; throws naming the shapes), then returns
// the fast path's plan, or an empty plan when the operands do not qualify
// (not contiguous float32 on the CPU, a learned scale, more than 4096 runs
// of constant scale and base, or dnnl_sgemm disabled).
std::vector<Block> fast_plan(
    const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
    const torch::Tensor& scale, const torch::Tensor& base, int64_t batch);

}  // namespace hnet::kernels::detail
