"""Hypernetworks written the way a PyTorch user writes them (hypnettorch-like
nn.Modules), with the architectures hnet's generators compute:

- a trunk MLP (Linear + ReLU per hidden layer) reading the condition, for the
  chunked and layer-wise generators concatenated with a learned chunk / layer
  embedding;
- a head emitting all weights (full), one chunk (chunked) or one tensor per
  shape group (layer-wise);
- the direct output parametrization: weights = mean + scale * raw.

Values (initialisation) differ from hnet's; timings do not depend on them.
"""

import math

import torch
from torch import nn
import torch.nn.functional as F


def mlp_shapes(sizes):
    """[(name, shape)] of an MLP's parameters, in hnet's Spec order."""
    shapes = []
    for i in range(len(sizes) - 1):
        shapes.append((f"fc{i + 1}.weight", (sizes[i + 1], sizes[i])))
        shapes.append((f"fc{i + 1}.bias", (sizes[i + 1],)))
    return shapes


def numel(shapes):
    return sum(math.prod(s) for _, s in shapes)


def trunk(in_dim, hidden):
    layers, width = [], in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers), width


class OutputParam(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("scale", torch.full((n,), 0.05))

    def forward(self, raw):
        return self.mean + self.scale * raw


class FullHnet(nn.Module):
    def __init__(self, shapes, cond_dim, hidden):
        super().__init__()
        self.n = numel(shapes)
        self.trunk, width = trunk(cond_dim, hidden)
        self.head = nn.Linear(width, self.n)
        self.out = OutputParam(self.n)

    def forward(self, cond):  # [B, c] -> [B, N]
        return self.out(self.head(self.trunk(cond)))


class ChunkedHnet(nn.Module):
    def __init__(self, shapes, cond_dim, hidden, chunk_size, emb_dim):
        super().__init__()
        self.n = numel(shapes)
        chunks = -(-self.n // chunk_size)
        self.chunk_emb = nn.Parameter(torch.randn(chunks, emb_dim))
        self.trunk, width = trunk(cond_dim + emb_dim, hidden)
        self.head = nn.Linear(width, chunk_size)
        self.out = OutputParam(self.n)

    def forward(self, cond):  # [B, c] -> [B, N]
        b, k = cond.shape[0], self.chunk_emb.shape[0]
        x = torch.cat(
            [cond.unsqueeze(1).expand(b, k, -1), self.chunk_emb.unsqueeze(0).expand(b, k, -1)], 2
        )
        raw = self.head(self.trunk(x)).reshape(b, -1)[:, : self.n]
        return self.out(raw)


class LayerwiseHnet(nn.Module):
    """One embedding per parameter tensor, one head per distinct shape."""

    def __init__(self, shapes, cond_dim, hidden, emb_dim):
        super().__init__()
        self.n = numel(shapes)
        self.layer_emb = nn.Parameter(torch.randn(len(shapes), emb_dim))
        self.trunk, width = trunk(cond_dim + emb_dim, hidden)
        keys = []
        for _, s in shapes:
            if s not in keys:
                keys.append(s)
        self.group = [keys.index(s) for _, s in shapes]
        self.heads = nn.ModuleList(nn.Linear(width, math.prod(s)) for s in keys)
        self.out = OutputParam(self.n)

    def forward(self, cond):
        b, k = cond.shape[0], self.layer_emb.shape[0]
        x = torch.cat(
            [cond.unsqueeze(1).expand(b, k, -1), self.layer_emb.unsqueeze(0).expand(b, k, -1)], 2
        )
        h = self.trunk(x)  # [B, entries, width]
        raw = torch.cat([self.heads[g](h[:, i]) for i, g in enumerate(self.group)], 1)
        return self.out(raw)


def mlp_forward(x, flat, sizes):
    """The target MLP with weights taken as views of one flat vector."""
    offset, h = 0, x
    layers = len(sizes) - 1
    for i in range(layers):
        n_w = sizes[i + 1] * sizes[i]
        w = flat[offset : offset + n_w].view(sizes[i + 1], sizes[i])
        b = flat[offset + n_w : offset + n_w + sizes[i + 1]]
        offset += n_w + sizes[i + 1]
        h = F.linear(h, w, b)
        if i + 1 < layers:
            h = F.relu(h)
    return h
