#!/usr/bin/env python3
"""Seed aggregate of `hnet multitask` runs, as the markdown docs/results.md holds.

    python3 tools/multitask_table.py RUN_DIR [RUN_DIR ...]

Each RUN_DIR is one seed's output folder (its summary.json). Prints, per method,
the trainable encoder parameters, Delta_m on test as mean +- sample standard
deviation and per seed, Delta_m on validation, each task's mean test
metric and the least wall time over seeds (the least loaded run); then
Maestro's learned ranks per seed and its truncation curve. The runs must
share their tasks and methods.
"""
import json
import statistics
import sys
from pathlib import Path


def load(folder):
    path = Path(folder) / "summary.json"
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        sys.exit(f"multitask_table: {path}: {e}")


def spread(values):
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, sd


def main(folders):
    if not folders:
        sys.exit(__doc__)
    runs = [load(f) for f in folders]
    tasks = runs[0]["tasks"]
    metrics = runs[0]["metrics"]
    names = [m["method"] for m in runs[0]["methods"]]
    for f, r in zip(folders, runs):
        if r["tasks"] != tasks or [m["method"] for m in r["methods"]] != names:
            sys.exit(f"multitask_table: {f} has other tasks or methods than {folders[0]}")
    seeds = [r["seed"] for r in runs]
    print(f"Seeds {', '.join(map(str, seeds))}; Delta_m in % against `single` of the same seed.\n")
    head = " | ".join(f"{t} ({m})" for t, m in zip(tasks, metrics))
    print(f"| method | trainable params | Delta_m test (mean ± sd) | per seed | Delta_m val | {head} | wall s (least) |")
    print("|---|---|---|---|---|" + "---|" * len(tasks) + "---|")
    for i, name in enumerate(names):
        rows = [r["methods"][i] for r in runs]
        test_mean, test_sd = spread([m["delta_m"] for m in rows])
        per_seed = " / ".join(f"{m['delta_m']:+.2f}" for m in rows)
        val_mean, _ = spread([m["val_delta_m"] for m in rows])
        per_task = " | ".join(
            f"{statistics.mean(m['per_task'][t] for m in rows):.4g}" for t in tasks)
        wall = min(m["wall_seconds"] for m in rows)
        print(f"| {name} | {rows[0]['trainable_params']:,} | {test_mean:+.2f} ± {test_sd:.2f} | "
              f"{per_seed} | {val_mean:+.2f} | {per_task} | {wall:.0f} |")
    if runs[0]["maestro_learned_ranks"]:
        print("\nMaestro's learned ranks per conv layer (seed: ranks -> parameters at them):")
        for r in runs:
            print(f"- seed {r['seed']}: {r['maestro_learned_ranks']} -> "
                  f"{r['maestro_learned_params']:,}")
        print("\n| every layer at rank | trainable params | Delta_m test (mean ± sd) |")
        print("|---|---|---|")
        for k, point in enumerate(runs[0]["maestro_curve"]):
            mean, sd = spread([r["maestro_curve"][k]["delta_m"] for r in runs])
            print(f"| {point['rank']} | {point['trainable_params']:,} | {mean:+.2f} ± {sd:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
