"""One run alone against its own GEMM floor (issue 10).

    NNBENCH_DATA=/path/to/datasets python benchmarks/run_floor.py [--repeats 3]

Takes the full study's optimizers run with SGD, seed 0, on MNIST (config/config.yaml),
times ``nnbench run`` of it in a fresh process (wall) and reads its in-process training
time; its floor is its GEMM work (:mod:`nnbench.workload`) over the single-core float32
GEMM rate measured right before each repeat. Prints the ratios and saves
``benchmarks/out/run_floor.json``. On a loaded machine the GEMM rate and the run slow
down together, so the ratio says more than either time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from workflow_scale import gemm_rate  # noqa: E402

from nnbench.grid import expand, load_config  # noqa: E402
from nnbench.records import spec_file_text  # noqa: E402
from nnbench.workload import run_workload  # noqa: E402


def the_spec() -> dict:
    rows = expand(load_config(REPO / "config" / "config.yaml"), studies=["optimizers"])
    for row in rows:
        if row.spec["dataset"] == "mnist" and row.spec["optimizer"]["name"] == "sgd" and row.spec["seed"] == 0:
            return {**row.spec, "run_id": row.run_id}
    raise SystemExit("no SGD run on MNIST with seed 0 in the optimizers study")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    spec = the_spec()
    work = run_workload(spec)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        spec_file = Path(folder) / "spec.json"
        spec_file.write_text(spec_file_text(spec))
        for repeat in range(args.repeats):
            rate = gemm_rate()["gflops_per_core"] * 1e9
            load = os.getloadavg()[0]
            out = Path(folder) / f"run{repeat}"
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "nnbench", "run", str(spec_file), "--out-dir", str(out), "--quiet"],
                           check=True)
            wall = time.perf_counter() - started
            summary = json.loads((out / "summary.json").read_text())
            floor = work.flop / rate
            train_floor = work.train_flop / rate
            rows.append({"gflops_per_core": rate / 1e9, "load_average": load, "wall_s": wall,
                         "train_s": summary["train_seconds"], "floor_s": floor, "train_floor_s": train_floor,
                         "ratio_wall": floor / wall, "ratio_train": train_floor / summary["train_seconds"]})
            print(json.dumps(rows[-1]), flush=True)
    result = {"run_id": spec["run_id"], "gflop": work.flop / 1e9, "train_gflop": work.train_flop / 1e9,
              "eval_gflop": work.eval_flop / 1e9, "repeats": rows,
              "median_ratio_wall": statistics.median(row["ratio_wall"] for row in rows),
              "median_ratio_train": statistics.median(row["ratio_train"] for row in rows)}
    out = REPO / "benchmarks" / "out" / "run_floor.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"run {spec['run_id']}: {result['gflop']:.1f} GFLOP ({result['train_gflop']:.1f} training); "
          f"floor / wall {result['median_ratio_wall']:.2f}, training floor / training time "
          f"{result['median_ratio_train']:.2f} (medians of {len(rows)})")


if __name__ == "__main__":
    main()
