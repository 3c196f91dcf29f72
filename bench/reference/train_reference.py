#!/usr/bin/python3
"""Continual learning with a chunked hypernetwork (von Oswald et al. 2020),
written the straightforward way in PyTorch, as the reference `hnet train` is
measured against for wall time, time-to-accuracy and peak memory:

    /usr/bin/python3 bench/reference/train_reference.py --sequence split --threads 1

Same task sequences as hnet (split: 5 tasks of 2 classes; permuted: task 1
unpermuted, then fixed pixel permutations), the same generator shape, Adam
(a fresh one per task), mini-batches, and the output regulariser against a
snapshot taken before each task, with the current task and the regularised
ones in one generator call. 10% of each task's training images are held out,
as in hnet. Prints one JSON line per task (test accuracies of the tasks seen
so far, wall seconds since start) and a summary line with peak RSS.
"""

import argparse
import gzip
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hypernets import ChunkedHnet, mlp_forward, mlp_shapes  # noqa: E402
from threads import set_threads  # noqa: E402


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def task_sequence(args):
    """Per task: (images, rows, labels, test images, test labels, permutation).
    Permuted tasks share one copy of the images, and each batch is permuted
    when it is drawn (as hypnettorch's permuted data sets do), not a copy per
    task; `rows` are the training rows kept after holding out validation."""
    xtr, ytr = load(args.data, "train")
    xte, yte = load(args.data, "test")
    gen = torch.Generator().manual_seed(args.seed)
    tasks = []
    for t in range(args.tasks):
        if args.sequence == "split":
            pick = lambda y: (y == 2 * t) | (y == 2 * t + 1)  # noqa: E731
            tr, te = pick(ytr), pick(yte)
            images, labels, test = xtr[tr], ytr[tr] - 2 * t, (xte[te], yte[te] - 2 * t)
            perm = None
        else:
            images, labels, test = xtr, ytr, (xte, yte)
            perm = torch.arange(784) if t == 0 else torch.randperm(784, generator=gen)
        n = images.shape[0]
        rows = torch.randperm(n, generator=gen)[: n - int(n * args.val_fraction)]
        tasks.append((images, rows, labels[rows], test[0], test[1], perm))
    return tasks


def inputs(x, rows, perm):
    """Rows `rows` of x (all rows when None), permuted when perm is given."""
    batch = x if rows is None else x[rows]
    return batch if perm is None else batch[:, perm]


def accuracy(flat, x, y, perm, sizes, batch=1000):
    correct = 0
    with torch.no_grad():
        for s in range(0, x.shape[0], batch):
            logits = mlp_forward(inputs(x[s : s + batch], None, perm), flat, sizes)
            correct += (logits.argmax(1) == y[s : s + batch]).sum().item()
    return correct / x.shape[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sequence", choices=["split", "permuted"], default="split")
    p.add_argument("--tasks", type=int, default=5)
    p.add_argument("--target-hidden", default="400,400")
    p.add_argument("--hidden", default="100,100", help="generator trunk")
    p.add_argument("--chunk", type=int, default=750)
    p.add_argument("--chunk-emb", type=int, default=32)
    p.add_argument("--emb", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--beta", type=float, default=0.01)
    p.add_argument("--subset", type=int, default=2, help="earlier tasks regularised per step (0: all)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--data", default=os.environ.get("HNET_DATA", "/usr/share/datasets/fashion-mnist"))
    args = p.parse_args()

    set_threads(args.threads)  # OpenBLAS's own pool too
    torch.manual_seed(args.seed)
    start = time.time()
    tasks = task_sequence(args)
    classes = 2 if args.sequence == "split" else 10
    sizes = [784] + [int(h) for h in args.target_hidden.split(",")] + [classes]
    hnet = ChunkedHnet(mlp_shapes(sizes), args.emb, [int(h) for h in args.hidden.split(",")],
                       args.chunk, args.chunk_emb)
    emb = torch.nn.Parameter(torch.randn(args.tasks, args.emb))
    params = list(hnet.parameters()) + [emb]
    matrix = []  # matrix[i][j]: task j after learning task i
    for t, (images, rows_kept, y, _, _, perm) in enumerate(tasks):
        with torch.no_grad():
            snapshot = hnet(emb[:t].detach()).clone() if t > 0 else None
        opt = torch.optim.Adam(params, lr=args.lr)
        for _ in range(args.steps):
            idx = torch.randint(rows_kept.shape[0], (args.batch,))
            k = t if args.subset == 0 else min(args.subset, t)
            rows = torch.randperm(t)[:k] if t > 0 else torch.zeros(0, dtype=torch.long)
            out = hnet(torch.cat([emb[t : t + 1], emb[:t].detach()[rows]]))
            x = inputs(images, rows_kept[idx], perm)
            loss = F.cross_entropy(mlp_forward(x, out[0], sizes), y[idx])
            if k > 0:
                loss = loss + args.beta / k * (out[1:] - snapshot[rows]).pow(2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            flats = hnet(emb[: t + 1])
        acc = [accuracy(flats[j], tasks[j][3], tasks[j][4], tasks[j][5], sizes) for j in range(t + 1)]
        matrix.append(acc)
        print(json.dumps({"after_task": t + 1, "test_acc": acc, "mean": sum(acc) / len(acc),
                          "wall_seconds": time.time() - start}), flush=True)
    # Over the first T - 1 tasks, as hnet's summary: forgetting from each
    # task's best accuracy before the last task (Chaudhry et al. 2018), bwt
    # from its accuracy right after it was learned (Lopez-Paz & Ranzato 2017).
    earlier = range(len(acc) - 1)
    n = max(1, len(acc) - 1)
    forgetting = sum(max(matrix[i][j] for i in range(j, len(acc) - 1)) - acc[j] for j in earlier) / n
    bwt = sum(acc[j] - matrix[j][j] for j in earlier) / n
    print(json.dumps({
        "mean_acc_final": sum(acc) / len(acc), "forgetting": forgetting, "bwt": bwt,
        "wall_seconds": time.time() - start, "threads": args.threads,
        "generator_params": sum(q.numel() for q in hnet.parameters()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }), flush=True)


if __name__ == "__main__":
    main()
