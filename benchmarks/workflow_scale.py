"""How long the workflow takes: the quick study end to end (the full one with --full),
and the fixed cost of one run (process start plus data load).

    .venv/bin/python benchmarks/workflow_scale.py                 # quick config, 2 cores
    .venv/bin/python benchmarks/workflow_scale.py --full          # also config/config.yaml
    .venv/bin/python benchmarks/workflow_scale.py --overhead-only

Each workflow runs from scratch in a fresh folder (``--workdir``, default a temporary
one), so nothing is reused from an earlier run. Results are printed and saved to
``benchmarks/out/workflow_scale.json``. Targets (issue 5): quick <= 120 s, full <= 30 min
with ``--cores 2`` on a 2-core machine; per-run overhead < 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks" / "out" / "workflow_scale.json"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def nnbench_command() -> list[str]:
    return [sys.executable, "-m", "nnbench"]


def time_command(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    return time.perf_counter() - started, result


def measure_overhead(datasets: list[str], repeats: int, workdir: Path) -> dict:
    """Wall time of `nnbench run` on a 1-iteration spec: process start, imports, data load, final eval."""
    results: dict = {}
    imports = []
    for _ in range(repeats):
        seconds, _ = time_command([sys.executable, "-c", "import nnbench.runs, nnbench.cli"], cwd=workdir)
        imports.append(seconds)
    results["python_start_and_imports_s"] = statistics.median(imports)
    env = {**os.environ}
    for dataset in datasets:
        spec = {"dataset": dataset, "iterations": 1, "batch_size": 10, "eval_samples": 10, "diagnostics": [],
                "hidden_sizes": [100, 100, 100, 100]}
        spec_file = workdir / f"overhead-{dataset}.json"
        spec_file.write_text(json.dumps(spec))
        walls, inside = [], []
        for index in range(repeats + 1):  # the first one may fill the cache: not counted
            out = workdir / f"overhead-{dataset}-{index}"
            seconds, result = time_command(nnbench_command() + ["run", str(spec_file), "--out", str(out), "--quiet",
                                                                "--cache-dir", str(workdir / "cache")], cwd=workdir, env=env)
            if result.returncode != 0:
                log(f"overhead run on {dataset} failed: {result.stderr.strip()[-500:]}")
                break
            if index:
                walls.append(seconds)
                summary = json.loads((out / "summary.json").read_text())
                inside.append(summary["wall_seconds"] - (summary.get("train_seconds") or 0.0))
        if walls:
            results[dataset] = {"run_wall_s": statistics.median(walls),
                                "in_process_outside_training_s": statistics.median(inside),
                                "repeats": len(walls)}
    return results


def count_runs(config: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from nnbench.grid import expand, load_config, pending_count, tuned_studies

    prepared = load_config(config)
    rows = expand(prepared)
    return {"study_runs": len(rows), "distinct_runs": len({row.run_id for row in rows}),
            "pending_tuned_runs": sum(pending_count(prepared, name) for name in tuned_studies(prepared))}


def run_workflow(config: Path, cores: int, workdir: Path) -> dict:
    """Run the whole workflow on ``config`` from scratch in ``workdir``; time it."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
               "--cores", str(cores), "--configfile", str(config)]
    log(f"running {config.name} with --cores {cores} in {workdir} ...")
    load_before = os.getloadavg()
    seconds, result = time_command(command, cwd=workdir)
    output = result.stdout + result.stderr
    final = [line for line in output.splitlines() if line.startswith("nnbench: ")]
    summaries = list((workdir / "results" / "runs").glob("*/summary.json"))
    run_seconds = [json.loads(path.read_text()).get("wall_seconds", 0.0) for path in summaries]
    report = {"config": str(config.relative_to(REPO) if config.is_relative_to(REPO) else config),
              "cores": cores, "wall_s": seconds, "returncode": result.returncode,
              "runs_done": len(summaries), "sum_of_run_wall_s": sum(run_seconds),
              "final_line": final[-1] if final else None, "load_average_before": load_before,
              **count_runs(config)}
    if result.returncode != 0:
        report["error_tail"] = output[-2000:]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="also run the full default study (config/config.yaml)")
    parser.add_argument("--overhead-only", action="store_true", help="only measure the per-run overhead")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores (default 2)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of each overhead measurement")
    parser.add_argument("--workdir", type=Path, default=None, help="where to run (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the working folders")
    args = parser.parse_args(argv)

    base = args.workdir or Path(tempfile.mkdtemp(prefix="nnbench-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    datasets = ["digits"]
    if os.environ.get("NNBENCH_DATA") or (REPO / "resources" / "data" / "mnist").is_dir():
        datasets.append("mnist")
    report = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    log("measuring the per-run overhead ...")
    report["overhead"] = measure_overhead(datasets, args.repeats, base)
    if not args.overhead_only:
        report["quick"] = run_workflow(REPO / "config" / "quick.yaml", args.cores, base / "quick")
        if args.full:
            report["full"] = run_workflow(REPO / "config" / "config.yaml", args.cores, base / "full")
    if not args.keep and args.workdir is None:
        shutil.rmtree(base, ignore_errors=True)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    temporary = OUT.with_suffix(".tmp")
    temporary.write_text(json.dumps(report, indent=2) + "\n")
    temporary.replace(OUT)

    overhead = report["overhead"]
    print(f"python start + imports: {overhead['python_start_and_imports_s']:.3f} s")
    for dataset in datasets:
        if dataset in overhead:
            print(f"per-run overhead ({dataset}, 1-iteration run): {overhead[dataset]['run_wall_s']:.3f} s wall "
                  f"({overhead[dataset]['in_process_outside_training_s']:.3f} s in process outside training)")
    for name in ("quick", "full"):
        if name in report:
            item = report[name]
            print(f"{name}: {item['wall_s']:.1f} s wall with --cores {item['cores']} for {item['distinct_runs']} runs "
                  f"(+{item['pending_tuned_runs']} tuned), exit {item['returncode']}; {item['final_line']}")
    print(f"saved {OUT}")
    return 0 if all(report.get(name, {}).get("returncode", 0) == 0 for name in ("quick", "full")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
