"""Thread counts of the PyTorch reference: LibTorch's and Debian's OpenBLAS's."""

import ctypes
import os

import torch


def set_threads(n):
    """torch.set_num_threads, and the same for Debian's OpenBLAS, which keeps
    its own pool (all cores) whatever torch is told - unless the user set
    OPENBLAS_NUM_THREADS, which is then left alone."""
    torch.set_num_threads(n)
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return None
    try:
        blas = ctypes.CDLL("libopenblas.so.0")  # the instance torch loaded (same soname)
    except OSError:
        return None
    blas.openblas_set_num_threads(n)
    return blas.openblas_get_num_threads()
