#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/ (small, committed files).

Run from anywhere: python3 fuzz/make_corpus.py. Seeds are valid inputs and a
few near misses, so the fuzzers start from the parsers' interesting paths.
"""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def safetensors(entries, metadata=None, pad=True):
    header, data, offset = {}, b"", 0
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


put("safetensors", "empty", safetensors([]))
put("safetensors", "metadata_only", safetensors([], {"format": "hnet", "step": "7"}))
put("safetensors", "f32_matrix", safetensors([("w", "F32", [2, 3], struct.pack("<6f", *range(6)))]))
put("safetensors", "every_dtype", safetensors([
    ("a", "F64", [1], struct.pack("<d", 1.5)),
    ("b", "F16", [2], b"\x00\x3c\x00\x40"),
    ("c", "BF16", [1], b"\x80\x3f"),
    ("d", "I64", [1], struct.pack("<q", -3)),
    ("e", "I32", [1], struct.pack("<i", 7)),
    ("f", "I16", [1], struct.pack("<h", -2)),
    ("g", "I8", [2], b"\x01\xff"),
    ("h", "U8", [0], b""),
    ("i", "BOOL", [3], b"\x00\x01\x01"),
], {"k": "v"}))
put("safetensors", "out_of_order", safetensors([("z", "U8", [2], b"ab"), ("a", "U8", [1], b"c")]))
put("safetensors", "overlap", struct.pack("<Q", 96) + (
    b'{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},'
    b'"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}').ljust(96) + b"abc")

def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data

put("idx", "labels", idx([5], bytes([0, 9, 3, 1, 2])))
put("idx", "images", idx([2, 3, 3], bytes(range(18))))
put("idx", "four_dims", idx([1, 2, 1, 2], b"wxyz"))
put("idx", "labels_gz", gzip.compress(idx([4], bytes([1, 2, 3, 4])), mtime=0))
put("idx", "images_gz", gzip.compress(idx([2, 2, 2], bytes(range(8))), mtime=0))
put("idx", "two_members_gz", gzip.compress(idx([3], b"a")[:6], mtime=0) +
    gzip.compress(idx([3], b"abc")[6:], mtime=0))
put("idx", "truncated", idx([10, 10], b"short"))

put("config", "empty", "")
put("config", "nested", "seed: 3\ntasks: 2\noptimizer:\n  lr: 0.01\n  clip: 1.5\n"
    "data: {sequence: permuted, root: /data}\ntarget:\n  hidden: [16, 8]\n")
put("config", "dotted", "optimizer.lr: 1e-4\ntarget.hidden:\n  - 4\n  - 5\na.b.c.d.e.f.g: true\n")
put("config", "overrides", "seed: 1\n%%\ntasks=3\noptimizer={lr: 0.5}\ntarget.hidden=[2, 3]\n"
    "data.root=\"a b\"")
put("config", "anchors", "target: {hidden: &w [3, 4]}\n%%\ndata.root=*w")
put("config", "quoted", "data:\n  root: \"tab\\there \\x01 \\u00e9\"\n  sequence: 'split'\n")

# Checkpoint metadata: [tasks done, extra tasks] + values split by "\n%%\n".
SEP = "\n%%\n"
put("checkpoint_metadata", "two_tasks",
    b"\x02\x01" + SEP.join(["[[0.9],[0.8,0.95]]", "12.5", "400", "1234"]).encode())
put("checkpoint_metadata", "no_bytes", b"\x01\x00" + SEP.join(["[[1.0]]", "0.000000", "0"]).encode())
put("checkpoint_metadata", "nan_seconds", b"\x01\x00" + SEP.join(["[[0.5]]", "nan", "7", "8"]).encode())
put("checkpoint_metadata", "huge_number", b"\x01\x00" + SEP.join(["[[1e400]]", "1", "7", "8"]).encode())
put("checkpoint_metadata", "null_cell", b"\x02\x00" + SEP.join(["[[null],[0.1,0.2]]", "1", "7"]).encode())
