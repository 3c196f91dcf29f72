#!/usr/bin/python3
"""PyTorch eager reference for hnet's benchmarks: the same cases (names,
shapes, steps, thread count) as bench/bench_*.cpp, written as a PyTorch user
would write them. Run with Debian's python3-torch (/usr/bin/python3):

    /usr/bin/python3 bench/reference/reference.py --threads 1,2 --filter 'cl_step/' --json out.json

Timing protocol (as the C++ side): build the case once; at each thread
count, 3 warm-up iterations, then time as many iterations as fill
--min-time seconds and report the mean wall time per iteration (and the main thread's CPU time, as
Google Benchmark's cpu_time, to read 1-thread cases on a loaded machine). bench/run_bench.py repeats whole runs and
takes medians.
"""

import argparse
import ctypes
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hypernets import ChunkedHnet, FullHnet, LayerwiseHnet, mlp_forward, mlp_shapes  # noqa: E402
from threads import set_threads  # noqa: E402

# The shapes of bench/support.h (configs/split_fmnist.yaml, configs/permuted_fmnist.yaml, and a
# ~3M-weight target with no shipped config).
SHAPES = {
    "split": dict(sizes=[784, 400, 400, 2], hidden=[100, 100], chunk=750, emb=32, cond=32, batch=64),
    "permuted": dict(
        sizes=[784, 1000, 1000, 10], hidden=[200, 200], chunk=4000, emb=64, cond=32, batch=128
    ),
    "large": dict(
        sizes=[784, 1500, 1200, 10], hidden=[100, 100], chunk=2000, emb=32, cond=32, batch=128
    ),
}
TASK, BETA, LR = 4, 0.01, 3e-4  # task 5: 4 previous tasks regularised


def openblas_identity():
    """Which OpenBLAS this process runs and which core kernels it chose: the
    library file, openblas_get_corename() and openblas_get_config()."""
    try:
        blas = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return None
    blas.openblas_get_corename.restype = ctypes.c_char_p
    blas.openblas_get_config.restype = ctypes.c_char_p
    with open("/proc/self/maps") as maps:
        files = sorted({line.split()[-1] for line in maps if "libopenblas" in line})
    return {"files": files, "core": blas.openblas_get_corename().decode(),
            "config": blas.openblas_get_config().decode()}


def make_hnet(kind, s):
    shapes = mlp_shapes(s["sizes"])
    if kind == "full":
        return FullHnet(shapes, s["cond"], s["hidden"])
    if kind == "layerwise":
        return LayerwiseHnet(shapes, s["cond"], s["hidden"], s["emb"])
    return ChunkedHnet(shapes, s["cond"], s["hidden"], s["chunk"], s["emb"])


def gen_forward(kind, shape):
    hnet = make_hnet(kind, SHAPES[shape])
    cond = torch.randn(1, SHAPES[shape]["cond"])

    def run():
        with torch.no_grad():
            hnet(cond)

    return run


class ClStep:
    """One hypercl training step at task 5 with the output regulariser over
    the 4 previous tasks: in one batched generator call, or one call per task
    (the usual loop)."""

    def __init__(self, shape, batched):
        s = SHAPES[shape]
        self.s, self.batched = s, batched
        self.hnet = make_hnet("chunked", s)
        self.emb = torch.randn(TASK + 1, s["cond"], requires_grad=True)
        with torch.no_grad():
            self.snapshot = self.hnet(self.emb[:TASK]).clone()
        self.opt = torch.optim.Adam(list(self.hnet.parameters()) + [self.emb], lr=LR)
        self.images = torch.rand(2048, 784)
        self.labels = torch.randint(s["sizes"][-1], (2048,))
        self.perm = torch.randperm(784) if shape == "permuted" else None
        self.order = torch.randperm(2048)
        self.cursor = 0

    def __call__(self):
        b = self.s["batch"]
        if self.cursor + b > len(self.order):
            self.cursor = 0
        idx = self.order[self.cursor : self.cursor + b]
        self.cursor += b
        x, y = self.images[idx], self.labels[idx]
        if self.perm is not None:
            x = x[:, self.perm]
        if self.batched:
            flat = self.hnet(torch.cat([self.emb[TASK : TASK + 1], self.emb[:TASK].detach()]))
            current = flat[0]
            reg = (flat[1:] - self.snapshot).pow(2).sum()
        else:
            current = self.hnet(self.emb[TASK : TASK + 1])[0]
            reg = 0
            for j in range(TASK):
                reg = reg + (self.hnet(self.emb[j : j + 1].detach())[0] - self.snapshot[j]).pow(2).sum()
        reg = reg * (BETA / TASK)
        loss = F.cross_entropy(mlp_forward(x, current, self.s["sizes"]), y)
        loss.item()  # logged every step
        self.opt.zero_grad()
        (loss + reg).backward()
        self.opt.step()
        reg.item()


INFER_SIZES = [784, 400, 400, 10]


def infer(batch, generated):
    """Generate once, then run the target: functional with the generated
    flat vector, or a plain nn.Sequential holding the same weights."""
    hnet = ChunkedHnet(mlp_shapes(INFER_SIZES), 32, [100, 100], 750, 32)
    with torch.no_grad():
        flat = hnet(torch.randn(1, 32))[0].clone()
    layers = []
    for i in range(len(INFER_SIZES) - 1):
        layers.append(nn.Linear(INFER_SIZES[i], INFER_SIZES[i + 1]))
        if i + 2 < len(INFER_SIZES):
            layers.append(nn.ReLU())
    plain = nn.Sequential(*layers)
    x = torch.rand(batch, INFER_SIZES[0])

    def run():
        with torch.no_grad():
            return mlp_forward(x, flat, INFER_SIZES) if generated else plain(x)

    return run


def per_sample(batched):
    """Batch 64, MLP 784-256-10, one weight set per input."""
    sizes, b = [784, 256, 10], 64
    x = torch.randn(b, sizes[0])
    n = sum(sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 1))
    flat = torch.randn(b, n) * 0.05

    def layer_views(f):
        out, offset = [], 0
        for i in range(len(sizes) - 1):
            n_w = sizes[i + 1] * sizes[i]
            w = f[..., offset : offset + n_w].unflatten(-1, (sizes[i + 1], sizes[i]))
            out.append((w, f[..., offset + n_w : offset + n_w + sizes[i + 1]]))
            offset += n_w + sizes[i + 1]
        return out

    views = layer_views(flat)

    def run():
        with torch.no_grad():
            if batched:
                h = x.unsqueeze(1)  # [B, 1, in]
                for i, (w, bias) in enumerate(views):
                    h = torch.baddbmm(bias.unsqueeze(1), h, w.transpose(1, 2))
                    if i + 1 < len(views):
                        h = F.relu(h)
                return h.squeeze(1)
            outs = []
            for s in range(b):
                h = x[s : s + 1]
                for i, (w, bias) in enumerate(views):
                    h = F.linear(h, w[s], bias[s])
                    if i + 1 < len(views):
                        h = F.relu(h)
                outs.append(h)
            return outs

    return run


def per_sample_generated(batched):
    """A data-conditioned full hypernetwork (condition 32, trunk 100) makes
    each of 64 samples' MLP 784-256-10 weights, then the target runs: one
    generator call for all samples, or one per sample."""
    sizes, b = [784, 256, 10], 64
    hnet = FullHnet(mlp_shapes(sizes), 32, [100])
    x, cond = torch.randn(b, sizes[0]), torch.randn(b, 32)

    def forward(xs, flat):  # flat [S, N]: one weight set per row of xs
        h, offset = xs.unsqueeze(1), 0
        for i in range(len(sizes) - 1):
            n_w = sizes[i + 1] * sizes[i]
            w = flat[:, offset : offset + n_w].unflatten(-1, (sizes[i + 1], sizes[i]))
            bias = flat[:, offset + n_w : offset + n_w + sizes[i + 1]]
            offset += n_w + sizes[i + 1]
            h = torch.baddbmm(bias.unsqueeze(1), h, w.transpose(1, 2))
            if i + 2 < len(sizes):
                h = F.relu(h)
        return h.squeeze(1)

    def run():
        with torch.no_grad():
            if batched:
                return forward(x, hnet(cond))
            return [mlp_forward(x[s : s + 1], hnet(cond[s : s + 1])[0], sizes) for s in range(b)]

    return run


def sgemm():
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    c = torch.empty(1024, 1024)
    return lambda: torch.mm(a, b, out=c)


def cases():
    """name -> factory; names match bench/bench_*.cpp (without /threads:N)."""
    out = {}
    for shape in ("split", "permuted", "large"):
        for kind in ("full", "chunked", "layerwise"):
            out[f"gen_forward/{kind}_{shape}"] = lambda k=kind, s=shape: gen_forward(k, s)
    for shape in ("split", "permuted"):
        for variant in ("batched", "loop"):
            out[f"cl_step/{shape}_{variant}"] = lambda s=shape, v=variant: ClStep(s, v == "batched")
    for b in (1, 128):
        out[f"infer/hnet_b{b}"] = lambda b=b: infer(b, True)
        out[f"infer/torchnn_b{b}"] = lambda b=b: infer(b, False)
    out["per_sample/batched"] = lambda: per_sample(True)
    out["per_sample/loop"] = lambda: per_sample(False)
    out["per_sample/gen_batched"] = lambda: per_sample_generated(True)
    out["per_sample/gen_loop"] = lambda: per_sample_generated(False)
    out["sgemm/torch_mm"] = sgemm
    return out


def measure(fn, min_time, warmup=3):
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    est = max(time.perf_counter() - t0, 1e-7)
    n = max(1, math.ceil(min_time / est))
    t0, c0 = time.perf_counter(), time.thread_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n, (time.thread_time() - c0) / n, n


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", default="1,2", help="thread counts, e.g. 1,2")
    p.add_argument("--min-time", type=float, default=0.5, help="seconds timed per case")
    p.add_argument("--filter", default=".", help="regular expression on case names")
    p.add_argument("--json", help="write results here (default: stdout)")
    args = p.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t]
    results = {t: {} for t in threads}
    blas_threads = {}
    for name, factory in cases().items():
        if not re.search(args.filter, name):
            continue
        torch.manual_seed(0)
        fn = factory()
        for t in threads:
            blas_threads[t] = set_threads(t)
            seconds, cpu, iters = measure(fn, args.min_time)
            results[t][name] = {"ms": seconds * 1e3, "cpu_ms": cpu * 1e3, "iterations": iters}
            print(f"{name:32s} threads={t} {seconds * 1e3:10.3f} ms ({iters} it)", file=sys.stderr)
        del fn
    out = {
        "torch": torch.__version__,
        "openblas": openblas_identity(),
        "runs": [
            {"threads": t, "openblas_threads": blas_threads.get(t), "cases": results[t]}
            for t in threads
        ],
    }
    text = json.dumps(out, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
