#!/usr/bin/env python3
"""Re-runs README's headline rows and writes the numbers where docs show them.

`make results` runs every row (hnet train rows and `hnet neumeta --seeds` rows);
`make results QUICK=1` only the rows whose runs
take under about five minutes in all. Each row is `hnet train CONFIG --seeds
...` from the code as it is: its seeds.json gives mean, sample standard
deviation and worst seed. The records go to docs/results.json (one entry per
row, kept for rows not re-run), and from there into the marked blocks of
docs/results.md (every row with its command, commit, seeds, wall time and
machine load) and README.md (the compact table). A row is re-run from scratch
unless its run folder was started at the same clean commit, in which case the
killed `make results` continues it (never with uncommitted changes: they may
differ between calls). Files are written to a temporary name and renamed.
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
RECORDS = ROOT / "docs" / "results.json"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
KEYS_BEGIN, KEYS_END = "<!-- keys:begin -->", "<!-- keys:end -->"

# `hnet train CONFIG --seeds ...` rows: name, config, seeds, quick (under about five
# minutes for all seeds)
ROWS = [
    ("split, hypercl", "configs/split_fmnist.yaml", "1-5", True),
    ("split, separate networks of equal memory", "configs/split_fmnist_separate_equal.yaml", "1-5",
     True),
    ("split, hypercl, ConvNet target", "configs/split_fmnist_convnet.yaml", "1-5", True),
    ("demo", "configs/demo.yaml", "1-5", True),
    ("split, interval", "configs/split_fmnist_interval.yaml", "1-5", False),
    ("split, low-rank generator", "configs/split_fmnist_lowrank.yaml", "1-5", False),
    ("split, recurrent generator", "configs/split_fmnist_recurrent.yaml", "1-5", False),
    ("permuted 10 tasks, hypercl", "configs/permuted_fmnist.yaml", "1-3", False),
    ("permuted 10 tasks, separate networks of equal memory",
     "configs/permuted_fmnist_separate_equal.yaml", "1-3", True),
    ("permuted 10 tasks, low-rank generator", "configs/permuted_fmnist_lowrank.yaml", "1-3", False),
]

# name, config, seeds, quick: `hnet neumeta CONFIG --seeds ...` rows.
NEUMETA_ROWS = [
    ("NeuMeta, MLPs of every width", "configs/neumeta_fmnist.yaml", "1-4", False),
]


def commit():
    out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=True).stdout.strip()
    return out + ("-dirty" if dirty else "")


def load_average():
    return float(pathlib.Path("/proc/loadavg").read_text().split()[0])


def write_atomic(path, text):
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def run_row(hnet, name, config, seeds, out_root, head, command="train"):
    folder = out_root / config.replace("/", "_").replace(".yaml", "")
    stamp = folder / "commit"
    stale = not stamp.exists() or stamp.read_text() != head or head.endswith("-dirty")
    if folder.exists() and stale:
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    folder.mkdir(parents=True, exist_ok=True)
    stamp.write_text(head)
    load_before = load_average()
    print(f"== {name}: hnet {command} {config} --seeds {seeds}", flush=True)
    subprocess.run([hnet, command, str(ROOT / config), "--seeds", seeds, "--out", str(folder)],
                   check=True)
    stats = json.loads((folder / "seeds.json").read_text())
    record = {
        "name": name,
        "command": f"hnet {command} {config} --seeds {seeds}",
        "commit": head,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "seeds": stats["seeds"],
        "statistics": stats["statistics"],
        # The runs' own times, also right for a row continued after a kill.
        "wall_seconds_all": sum(stats["statistics"]["wall_seconds"]["values"]),
        "load_before": load_before,
        "load_after": load_average(),
    }
    first = stats["runs"][0]
    if command == "train":
        record["per_seed_final"] = [r["acc_final"] for r in stats["runs"]]
        # What the method stores: generator (with embeddings) or every network.
        record["stored_params"] = first["stored_params"]
    else:
        record["widths"] = first["widths"]
        record["generator_params"] = first["generator_params"]
        record["reference_params"] = first["reference_params"]
        record["per_seed_gap"] = [r["gap"] for r in stats["runs"]]
        record["per_seed_baseline"] = [
            [(w["independent_lr"], w["independent_best_step"], w["independent_steps_run"])
             for w in r["results"]] for r in stats["runs"]]
    return record


def short(record, key):
    s = record["statistics"].get(key)
    return "-" if s is None else f"{s['mean']:.4f} ± {s['std']:.4f}"


def stat(record, key, digits=4):
    s = record["statistics"].get(key)
    if s is None:
        return "-"
    return f"{s['mean']:.{digits}f} ± {s['std']:.{digits}f} (worst {s['worst']:.{digits}f}, seed {s['worst_seed']})"


def readme_table(records):
    lines = ["| experiment | seeds | stored parameters | task id given (CL1): mean final accuracy | "
             "forgetting (T-1) | bwt | no task id, task inferred by entropy: domain (CL2) / class (CL3) "
             "/ task inferred | wall per seed | commit |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, *_ in ROWS:
        r = records.get(name)
        if r is None:
            continue
        wall = r["statistics"]["wall_seconds"]
        params = f"{r['stored_params']:,}" if "stored_params" in r else "-"
        lines.append(f"| {name} (`{r['command']}`) | {len(r['seeds'])} | {params} | "
                     f"{stat(r, 'mean_acc_final')} | {stat(r, 'forgetting')} | "
                     f"{r['statistics']['bwt']['mean']:+.4f} | {short(r, 'scenario_domain')} / "
                     f"{short(r, 'scenario_class')} / {short(r, 'task_inference')} | "
                     f"{wall['mean']:.1f} s | {r['commit']} |")
    neumeta = [records[n] for n, *_ in NEUMETA_ROWS if n in records]
    if neumeta:
        lines += ["", "| experiment | seeds | generator / widest MLP parameters | largest gap "
                  "(independent - generated, test) | largest gap on validation | wall per seed | commit |",
                  "|---|---|---|---|---|---|---|"]
    for r in neumeta:
        lines.append(f"| {r['name']} (`{r['command']}`) | {len(r['seeds'])} | "
                     f"{r['generator_params']:,} / {r['reference_params']:,} | {stat(r, 'max_gap')} | "
                     f"{stat(r, 'max_val_gap')} | {r['statistics']['wall_seconds']['mean']:.1f} s | "
                     f"{r['commit']} |")
    return "\n".join(lines)


def results_block(records):
    parts = [readme_table(records), ""]
    for name, *_ in ROWS:
        r = records.get(name)
        if r is None:
            continue
        parts.append(f"**{name}**: `{r['command']}` at {r['commit']}, {r['date']}; "
                     f"{r['wall_seconds_all']:.0f} s for all seeds; load average "
                     f"{r['load_before']:.2f} before, {r['load_after']:.2f} after. Final accuracy "
                     "per task, per seed:")
        parts.append("")
        for seed, finals in zip(r["seeds"], r["per_seed_final"]):
            parts.append(f"- seed {seed}: " + " ".join(f"{a:.4f}" for a in finals))
        parts.append("")
    for name, *_ in NEUMETA_ROWS:
        r = records.get(name)
        if r is None:
            continue
        parts.append(f"**{name}**: `{r['command']}` at {r['commit']}, {r['date']}; "
                     f"{r['wall_seconds_all']:.0f} s for all seeds; load average "
                     f"{r['load_before']:.2f} before, {r['load_after']:.2f} after. Gap "
                     f"(independent - generated test accuracy) at widths {r['widths']}, per seed, "
                     "and each independent MLP's (learning rate, best step, steps trained):")
        parts.append("")
        for seed, gaps, base in zip(r["seeds"], r["per_seed_gap"], r["per_seed_baseline"]):
            parts.append(f"- seed {seed}: " + " ".join(f"{g:+.4f}" for g in gaps) + "; " +
                         ", ".join(f"({lr:.5f}, {best}, {run})" for lr, best, run in base))
        parts.append("")
    return "\n".join(parts).rstrip()


def keys_block(hnet):
    """README's key list, from `hnet train --list-keys` (columns: key, type,
    default, rule, help; two or more spaces apart): one line per key group."""
    out = subprocess.run([hnet, "train", "--list-keys"], capture_output=True, text=True,
                         check=True).stdout
    groups = {}
    for line in out.splitlines():
        fields = [f for f in re.split(r"\s{2,}", line.strip()) if f]
        if len(fields) < 3:
            continue
        key, default = fields[0], fields[2]
        group, _, name = key.rpartition(".")
        groups.setdefault(group, []).append(f"`{name}` {default}")
    return "\n".join(f"- **{g or 'top level'}**: " + ", ".join(v) for g, v in groups.items())


def replace_block(path, block, begin=BEGIN, end=END):
    text = path.read_text()
    if begin not in text or end not in text:
        sys.exit(f"{path}: no {begin} ... {end} block to write into")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    write_atomic(path, head + begin + "\n" + block + "\n" + end + tail)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build", help="the build folder holding tools/hnet/hnet")
    parser.add_argument("--quick", action="store_true", help="only the rows under about 5 minutes")
    parser.add_argument("--rows", default="",
                        help="only the rows whose name contains this text")
    parser.add_argument("--docs-only", action="store_true",
                        help="run nothing: rewrite the docs' blocks from docs/results.json")
    args = parser.parse_args()
    hnet = str((ROOT / args.build / "tools" / "hnet" / "hnet").resolve())
    if not os.access(hnet, os.X_OK):
        sys.exit(f"make_results: {hnet} not found: build first (make build)")
    head = commit()
    records = json.loads(RECORDS.read_text()) if RECORDS.exists() else {}
    out_root = ROOT / args.build / "results"
    rows = [(row, "train") for row in ROWS] + [(row, "neumeta") for row in NEUMETA_ROWS]
    for (name, config, seeds, quick), command in rows:
        if args.docs_only or (args.quick and not quick) or args.rows not in name:
            continue
        records[name] = run_row(hnet, name, config, seeds, out_root, head, command)
        write_atomic(RECORDS, json.dumps(records, indent=2) + "\n")
    replace_block(ROOT / "docs" / "results.md", results_block(records))
    replace_block(ROOT / "README.md", readme_table(records))
    replace_block(ROOT / "README.md", keys_block(hnet), KEYS_BEGIN, KEYS_END)


if __name__ == "__main__":
    main()
