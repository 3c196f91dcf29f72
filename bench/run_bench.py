#!/usr/bin/python3
"""Runs hnet's benchmarks (build/bench/bench_*) and the PyTorch reference
(bench/reference/reference.py) alternately, several repetitions at each
thread count, and prints / writes the table of medians:

    /usr/bin/python3 bench/run_bench.py [--build build] [--reps 3] [--threads 1,2]

Writes BUILD/bench/results.json. Timings on a shared machine are noisy:
read medians and ratios. OPENBLAS_* variables are never set here; a value
the user set is passed through unchanged (and both sides then leave the
OpenBLAS thread count alone).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# hnet program -> the reference's cases for the same hot path.
GROUPS = [
    ("bench_sgemm", "^sgemm/"),
    ("bench_generator_forward", "^gen_forward/"),
    ("bench_continual_step", "^cl_step/"),
    ("bench_inference", "^infer/"),
    ("bench_per_sample", "^per_sample/"),
]

# hnet case -> the reference cases computing the same thing (default: the same
# name); each hnet case is compared with the fastest of them, on either BLAS.
CL_STEP_VARIANTS = {shape: [f"cl_step/{shape}_batched", f"cl_step/{shape}_loop"]
                    for shape in ("split", "permuted")}
COUNTERPART = {
    "cl_step_learner/split_learner": CL_STEP_VARIANTS["split"],
    "cl_step_learner/permuted_learner": CL_STEP_VARIANTS["permuted"],
    "cl_step/split_batched": CL_STEP_VARIANTS["split"],
    "cl_step/split_loop": CL_STEP_VARIANTS["split"],
    "cl_step/permuted_batched": CL_STEP_VARIANTS["permuted"],
    "cl_step/permuted_loop": CL_STEP_VARIANTS["permuted"],
    "sgemm/dnnl": [],
}

# Debian ships OpenBLAS built for pthreads (the default alternative) and for
# OpenMP (what hnet links, see CMakeLists.txt); a PyTorch user may run either,
# so the reference runs on both and the faster one counts.
# Each build is put first on the library path explicitly (LibTorch loads
# libblas.so.3, which loads libopenblas.so.0 from its own folder), and the
# library the reference then loaded is checked against it.
BLAS_VARIANTS = {b: f"/usr/lib/x86_64-linux-gnu/openblas-{b}" for b in ("pthread", "openmp")}

UNIT_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def run_hnet(binary, threads, min_time, cases, malloc):
    env = dict(os.environ, HNET_BENCH_THREADS=",".join(map(str, threads)))
    if malloc == "default":
        env["HNET_MALLOC"] = "default"  # hnet's tune_allocator() then leaves glibc as it is
    out = subprocess.run(
        [binary, "--benchmark_format=json", f"--benchmark_min_time={min_time}",
         f"--benchmark_filter={cases}"],
        env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ).stdout
    rows = []
    for b in json.loads(out)["benchmarks"]:
        if b.get("error_occurred"):
            continue
        m = re.match(r"^(.*)/threads:(\d+)", b["name"])
        case, t = m.group(1), int(m.group(2))
        unit = UNIT_MS[b["time_unit"]]
        # Manual-time cases (the learner) report wall time per step only.
        cpu = None if "manual_time" in b["name"] else b["cpu_time"] * unit
        rows.append((case, t, b["real_time"] * unit, cpu, b.get("flop")))
    return rows


# glibc settings equal to hnet::kernels::tune_allocator(), for the reference under --malloc tuned.
TUNED_MALLOC = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=67108864"


def run_reference(python, pattern, threads, min_time, malloc, blas):
    """Rows (case@blas, threads, ms, cpu_ms) and the OpenBLAS identity."""
    env = dict(os.environ)
    if malloc == "tuned" and "GLIBC_TUNABLES" not in env:
        env["GLIBC_TUNABLES"] = TUNED_MALLOC
    env["LD_LIBRARY_PATH"] = ":".join(filter(None, [BLAS_VARIANTS[blas], env.get("LD_LIBRARY_PATH")]))
    out = subprocess.run(
        [python, os.path.join(HERE, "reference", "reference.py"), "--filter", pattern,
         "--threads", ",".join(map(str, threads)), f"--min-time={min_time}"],
        env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ).stdout
    report = json.loads(out)
    identity = report.get("openblas")
    folders = {os.path.dirname(f) for f in (identity or {}).get("files", [])}
    if folders != {BLAS_VARIANTS[blas]}:
        sys.exit(f"run_bench: the reference asked for the {blas} OpenBLAS ({BLAS_VARIANTS[blas]}) "
                 f"but loaded {sorted(folders) or 'none'}; is libopenblas0-{blas} installed?")
    rows = []
    for run in report["runs"]:
        for case, r in run["cases"].items():
            rows.append((f"{case}@{blas}", run["threads"], r["ms"], r.get("cpu_ms")))
    return rows, identity


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def build_table(hnet, ref, hnet_cpu, ref_cpu, flops, threads):
    med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
    h = {k: med(v) for k, v in hnet.items()}
    r = {k: med(v) for k, v in ref.items()}
    hc = {k: med([x for x in v if x is not None]) for k, v in hnet_cpu.items()}
    rc = {k: med([x for x in v if x is not None]) for k, v in ref_cpu.items()}
    sgemm = {}
    for t in threads:
        rates = [2 * 1024**3 / (h[(c, t)] * 1e-3) / 1e9 for c in ("sgemm/dnnl", "sgemm/torch_mm") if h.get((c, t))]
        sgemm[t] = max(rates) if rates else None
    variants = sorted({k[0] for k in r})

    def candidates(case):
        names = COUNTERPART.get(case, [case])
        return [v for v in variants if v.split("@")[0] in names]

    rows = []
    for (case, t), ms in sorted(h.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        timed = [(r[(v, t)], v) for v in candidates(case) if r.get((v, t))]
        py, other = min(timed) if timed else (None, None)
        # PyTorch at its own best thread count (any variant, any BLAS).
        best = min(((ms_, t_, v) for (v, t_), ms_ in r.items() if v in candidates(case) and ms_),
                   default=(None, None, None))
        # CPU-time ratio against the same fastest variant (the learner reports no CPU time).
        h_cpu, py_cpu = hc.get((case, t)), rc.get((other, t)) if other else None
        f = flops.get(case)
        gflops = f / (ms * 1e-3) / 1e9 if f else None
        rows.append({
            "case": case, "threads": t, "hnet_ms": ms, "pytorch_ms": py,
            "reference_case": other,
            "ratio": py / ms if py else None,
            "pytorch_best_ms": best[0], "pytorch_best_threads": best[1],
            "pytorch_best_case": best[2],
            "hnet_cpu_ms": h_cpu, "pytorch_cpu_ms": py_cpu,
            "cpu_ratio": py_cpu / h_cpu if py_cpu and h_cpu else None,
            "gflops": gflops,
            "sgemm_fraction": gflops / sgemm[t] if gflops and sgemm[t] else None,
            "hnet_samples": len(hnet[(case, t)]),
        })
    by = {(row["case"], row["threads"]): row for row in rows}

    def get(case, t, key):
        row = by.get((case, t))
        return row[key] if row else None

    targets = []

    def target(what, t, value, goal, op, case=None):
        met = None if value is None else (value >= goal if op == ">=" else value <= goal)
        targets.append({"target": what, "threads": t, "value": value, "goal": f"{op} {goal}", "met": met})
        if case and (case, t) in by:
            by[(case, t)].setdefault("targets", []).append({"target": what, "goal": f"{op} {goal}", "met": met})

    for t in threads:
        for cfg in ("split", "permuted"):
            c = f"cl_step_learner/{cfg}_learner"
            target(f"CL step {cfg}: PyTorch / hnet (same computation)", t, get(c, t, "ratio"), 2.0, ">=", c)
            target(f"CL step {cfg}: fraction of sgemm rate", t, get(c, t, "sgemm_fraction"), 0.5, ">=", c)
        c = "gen_forward/chunked_large"
        target("large generator forward (chunked): fraction of sgemm rate", t, get(c, t, "sgemm_fraction"), 0.7, ">=", c)
        for cfg in ("split", "permuted"):
            loop, batched = h.get((f"cl_step/{cfg}_loop", t)), h.get((f"cl_step/{cfg}_batched", t))
            target(f"regulariser batching {cfg}: hnet loop / batched step", t,
                   loop / batched if loop and batched else None, 1.5, ">=", f"cl_step/{cfg}_batched")
        for b in (1, 128):
            gen, plain = h.get((f"infer/hnet_b{b}", t)), h.get((f"infer/torchnn_b{b}", t))
            target(f"inference batch {b}: hnet / torch::nn time", t,
                   gen / plain if gen and plain else None, 1.1, "<=", f"infer/hnet_b{b}")
        for what, suffix in (("target only", ""), ("generated", "gen_")):
            loop, batched = h.get((f"per_sample/{suffix}loop", t)), h.get((f"per_sample/{suffix}batched", t))
            target(f"per-sample weights ({what}): loop / batched", t,
                   loop / batched if loop and batched else None, 5.0, ">=", f"per_sample/{suffix}batched")
    return rows, targets, sgemm


def print_table(rows, targets, sgemm):
    print()
    print(f"{'case':30s} {'thr':>3s} {'hnet ms':>10s} {'PyTorch ms':>10s} {'ratio':>6s} "
          f"{'cpu rt':>6s} {'GFLOP/s':>8s} {'%sgemm':>6s} {'PT best':>13s}  target (met?)")
    for row in rows:
        tg = "; ".join(f"{x['goal']} {'yes' if x['met'] else 'NO' if x['met'] is not None else '?'}"
                       for x in row.get("targets", []))
        frac = row["sgemm_fraction"]
        print(f"{row['case']:30s} {row['threads']:3d} {fmt(row['hnet_ms'], '10.3f')} "
              f"{fmt(row['pytorch_ms'], '10.3f')} {fmt(row['ratio'], '6.2f')} {fmt(row['cpu_ratio'], '6.2f')} "
              f"{fmt(row['gflops'], '8.1f')} {fmt(frac * 100 if frac else None, '6.0f')} "
              f"{fmt(row['pytorch_best_ms'], '9.3f')} ({fmt(row['pytorch_best_threads'], 'd')})  {tg}")
    print("(ms: medians of wall time per iteration; PyTorch: the fastest reference variant of the "
          "same computation on either OpenBLAS build, at the same thread count; PT best: at its own "
          "best thread count (in brackets); ratio = PyTorch / hnet; cpu rt: the same from "
          "main-thread CPU time, meaningful at 1 thread on a loaded machine)")
    print()
    print("sgemm rate (best of dnnl_sgemm and torch::mm, 1024^3):",
          ", ".join(f"{t} thread(s) {fmt(r, '.1f')} GFLOP/s" for t, r in sgemm.items()))
    print()
    print(f"{'target':58s} {'thr':>3s} {'value':>7s} {'goal':>7s}  met")
    for x in targets:
        met = "?" if x["met"] is None else "yes" if x["met"] else "NO"
        print(f"{x['target']:58s} {x['threads']:3d} {fmt(x['value'], '7.2f')} {x['goal']:>7s}  {met}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default="build")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--min-time", type=float, default=0.3, help="seconds timed per case and run")
    p.add_argument("--filter", default=".", help="regular expression on hnet program names")
    p.add_argument("--cases", default=".", help="regular expression on case names (both sides)")
    p.add_argument("--python", default="/usr/bin/python3", help="python with Debian's python3-torch")
    p.add_argument("--malloc", choices=["tuned", "default"], default="tuned",
                   help="both sides with glibc malloc tuned as hnet's tune_allocator() does, or both "
                        "with glibc's defaults")
    p.add_argument("--blas", default="pthread,openmp",
                   help="OpenBLAS builds the reference runs on (the fastest counts)")
    p.add_argument("--out", help="JSON output (default BUILD/bench/results.json)")
    args = p.parse_args()
    threads = [int(t) for t in args.threads.split(",") if t]
    out_path = args.out or os.path.join(args.build, "bench", "results.json")
    hnet, ref, hnet_cpu, ref_cpu, flops = {}, {}, {}, {}, {}
    blas_variants = [b for b in args.blas.split(",") if b]
    for b in blas_variants:
        if b not in BLAS_VARIANTS:
            sys.exit(f"run_bench: --blas: unknown OpenBLAS build '{b}', expected pthread or openmp")
    blas_identity = {}
    start = time.time()
    for rep in range(args.reps):
        for binary, pattern in GROUPS:
            if not re.search(args.filter, binary):
                continue
            path = os.path.join(args.build, "bench", binary)
            # Alternate which side runs first so slow drifts in machine load hit both.
            sides = ["hnet", "ref"] if rep % 2 == 0 else ["ref", "hnet"]
            for side in sides:
                if side == "hnet":
                    for case, t, ms, cpu, f in run_hnet(path, threads, args.min_time, args.cases,
                                                        args.malloc):
                        hnet.setdefault((case, t), []).append(ms)
                        hnet_cpu.setdefault((case, t), []).append(cpu)
                        if f:
                            flops[case] = f
                else:
                    for blas in blas_variants:
                        rows, identity = run_reference(
                            args.python, f"(?={pattern})(?=.*(?:{args.cases}))", threads,
                            args.min_time, args.malloc, blas)
                        blas_identity[blas] = identity
                        for case, t, ms, cpu in rows:
                            ref.setdefault((case, t), []).append(ms)
                            ref_cpu.setdefault((case, t), []).append(cpu)
            print(f"[rep {rep + 1}/{args.reps}] {binary} done ({time.time() - start:.0f} s)",
                  file=sys.stderr, flush=True)
    rows, targets, sgemm = build_table(hnet, ref, hnet_cpu, ref_cpu, flops, threads)
    print_table(rows, targets, sgemm)
    print(f"\nmalloc: {args.malloc} on both sides; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; reference OpenBLAS: " +
          "; ".join(f"{b}: {i['core'] if i else '?'}" for b, i in blas_identity.items()))
    result = {
        "reps": args.reps, "malloc": args.malloc, "threads": threads, "min_time": args.min_time,
        # Never set or unset here: what the machine started with, and what
        # each OpenBLAS build then chose.
        "openblas_coretype_env": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
        "openblas": blas_identity,
        "load_average": os.getloadavg(), "wall_seconds": time.time() - start,
        "sgemm_gflops": {str(t): r for t, r in sgemm.items()},
        "cases": rows, "targets": targets,
        "flop": flops,
        "samples": {name: {f"{c}|{t}": v for (c, t), v in d.items()}
                    for name, d in (("hnet", hnet), ("pytorch", ref), ("hnet_cpu", hnet_cpu),
                                    ("pytorch_cpu", ref_cpu))},
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, out_path)
    print(f"\nwrote {out_path}")


if __name__ == "__main__":
    main()
