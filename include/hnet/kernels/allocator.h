#pragma once
/// \file
/// Process-wide memory-allocator setting for training loops.
///
/// A training step allocates the same large buffers every step (generator
/// outputs of several conditions, their gradients: tens of MB each). glibc's
/// malloc serves blocks above its mmap threshold (at most 32 MB) with a fresh
/// `mmap` per allocation and trims freed heap memory back to the kernel, so
/// every step page-faults those buffers in again and the kernel zero-fills
/// them page by page. On the permuted config that doubled the time of a
/// training step (1.5M page faults per second of training).

namespace hnet::kernels {

/// Makes glibc keep freed memory for reuse: no per-allocation mmap
/// (M_MMAP_MAX = 0) and no trimming of the heap (M_TRIM_THRESHOLD), so the
/// process's resident memory stays at its peak instead of shrinking between
/// steps. Call once at start-up, before the first large allocation; the
/// `hnet` CLI and the benchmarks do.
///
/// Does nothing (returns false) when the user configures malloc themselves
/// (GLIBC_TUNABLES or any MALLOC_*_ variable set), when HNET_MALLOC=default,
/// or on a C library other than glibc. Returns true when applied.
///
/// Example: `int main() { hnet::kernels::tune_allocator(); ... }`
bool tune_allocator();

}  // namespace hnet::kernels
