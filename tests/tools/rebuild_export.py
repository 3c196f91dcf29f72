#!/usr/bin/python3
"""Rebuild networks exported by hnet from their files alone, with PyTorch and
no hnet code, and measure their accuracy on Fashion-MNIST test images.

The exports are written by `hnet generate`, `hnet neumeta export` and
`hnet demo --save`; docs/export.md describes the format. This script reads
the safetensors file itself (PyTorch 1.13 has no safetensors package),
interprets the metadata's "architecture" operations one by one, prepares the
images as its "input" says and maps the labels as its "labels" say.

Usage: rebuild_export.py FILE [FILE ...] [--data DIR] [--limit N]
Prints {"results": [{"file", "accuracy", "correct", "examples"}, ...]}.
With --limit N only the first N test images are read, and then (as hnet's
`data.test_limit` does) those of the network's classes are kept.
Only torch, json, struct, gzip and argparse are used.
"""

import argparse
import gzip
import json
import struct

import torch
import torch.nn.functional as F

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
    "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32,
    "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}


def tensor_from_bytes(raw, dtype, shape):
    if not raw:
        return torch.empty(shape, dtype=dtype)
    # bytearray: frombuffer wants writable memory.
    return torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)


def read_safetensors(path):
    """8-byte little-endian header length, JSON header, then the data."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    buffer = data[8 + length:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = tensor_from_bytes(buffer[begin:end], DTYPES[entry["dtype"]], entry["shape"])
    return tensors, metadata


def read_idx(folder, name):
    """An IDX file of unsigned bytes, `<name>.gz` or uncompressed `<name>`."""
    try:
        with gzip.open(f"{folder}/{name}.gz", "rb") as f:
            data = f.read()
    except FileNotFoundError:
        with open(f"{folder}/{name}", "rb") as f:
            data = f.read()
    if data[2] != 0x08:
        raise SystemExit(f"{folder}/{name}: not an IDX file of unsigned bytes")
    dims = struct.unpack(f">{data[3]}I", data[4:4 + 4 * data[3]])
    return tensor_from_bytes(data[4 + 4 * data[3]:], torch.uint8, dims)


# One function per operation of the "architecture" list: (x, op, tensors) -> x.
def _tensor(op, tensors, role):
    return tensors[op[role]] if op.get(role) is not None else None


OPS = {
    "flatten": lambda x, op, t: x.flatten(1),
    "linear": lambda x, op, t: F.linear(x, _tensor(op, t, "weight"), _tensor(op, t, "bias")),
    "conv2d": lambda x, op, t: F.conv2d(
        x, _tensor(op, t, "weight"), _tensor(op, t, "bias"),
        stride=op["stride"], padding=op["padding"]),
    "batch_norm": lambda x, op, t: F.batch_norm(
        x, _tensor(op, t, "running_mean"), _tensor(op, t, "running_var"),
        _tensor(op, t, "weight"), _tensor(op, t, "bias"), training=False, eps=op["eps"]),
    "max_pool2d": lambda x, op, t: F.max_pool2d(x, op["kernel"], op["stride"]),
    "relu": lambda x, op, t: F.relu(x),
    "leaky_relu": lambda x, op, t: F.leaky_relu(x, op["negative_slope"]),
    "elu": lambda x, op, t: F.elu(x, op["alpha"]),
    "tanh": lambda x, op, t: torch.tanh(x),
    "sigmoid": lambda x, op, t: torch.sigmoid(x),
    "gelu": lambda x, op, t: F.gelu(x),
    "sin": lambda x, op, t: torch.sin(x),
}


def rebuild(tensors, metadata):
    """The network of an export: a function from inputs to logits."""
    ops = json.loads(metadata["architecture"])
    for op in ops:
        if op["op"] not in OPS:
            raise SystemExit(f"unknown operation {op['op']!r} in the architecture")

    def forward(x):
        for op in ops:
            x = OPS[op["op"]](x, op, tensors)
        return x
    return forward


def prepare_inputs(images, tensors, metadata):
    """Raw images [N, H, W] (bytes) -> what the first operation reads."""
    spec = json.loads(metadata["input"])
    n = images.shape[0]
    x = (images.to(torch.float32) / spec["divide_by"]).reshape(n, *spec["image_shape"])
    flat = x.reshape(n, -1)  # row-major over (C, H, W)
    if spec["permutation"] is not None:
        # x_flat[:, i] = image_flat[:, permutation[i]]
        flat = flat.index_select(1, tensors[spec["permutation"]])
    return flat.reshape(n, *spec["shape"])


def task_examples(images, labels, metadata):
    """The examples of the network's classes, labels mapped to its outputs."""
    classes = json.loads(metadata["labels"])["classes"]
    output_of = {c: j for j, c in enumerate(classes)}
    ys = labels.tolist()
    rows = [i for i, y in enumerate(ys) if y in output_of]
    mapped = torch.tensor([output_of[ys[i]] for i in rows], dtype=torch.int64)
    return images.index_select(0, torch.tensor(rows, dtype=torch.int64)), mapped


def evaluate(path, images, labels):
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != "hnet-target" or metadata.get("output") != "logits":
        raise SystemExit(f"{path}: not an hnet export of a classifier")
    forward = rebuild(tensors, metadata)
    task_images, targets = task_examples(images, labels, metadata)
    with torch.no_grad():
        logits = forward(prepare_inputs(task_images, tensors, metadata))
    correct = int((logits.argmax(1) == targets).sum().item())
    examples = int(targets.numel())
    return {"file": path, "accuracy": correct / examples if examples else 0.0,
            "correct": correct, "examples": examples}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="exported .safetensors files")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                        help="folder of the Fashion-MNIST IDX files")
    parser.add_argument("--limit", type=int, default=0,
                        help="only the first N test images (0: all), as hnet's data.test_limit")
    args = parser.parse_args()
    torch.set_num_threads(1)
    images = read_idx(args.data, "t10k-images-idx3-ubyte")
    labels = read_idx(args.data, "t10k-labels-idx1-ubyte").to(torch.int64)
    if args.limit > 0:
        images, labels = images[:args.limit], labels[:args.limit]
    print(json.dumps({"results": [evaluate(f, images, labels) for f in args.files]}))


if __name__ == "__main__":
    main()
