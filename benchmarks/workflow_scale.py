"""How fast the workflow runs against the machine's GEMM floor.

    .venv/bin/python benchmarks/workflow_scale.py                 # quick config
    .venv/bin/python benchmarks/workflow_scale.py --full          # also config/config.yaml
    .venv/bin/python benchmarks/workflow_scale.py --work-only     # work and floor, no runs
    .venv/bin/python benchmarks/workflow_scale.py --overhead-only
    .venv/bin/python benchmarks/workflow_scale.py --full --cores 16 --capacity   # many cores (issue 22)

For a config it prints, per study and in total: the GEMM work in TFLOP (from the
resolved specs, :mod:`nnbench.workload`), the machine's single-core float32 GEMM rate
measured in the same run, the floor (work / (rate x cores)), the measured time and the
ratio floor / time (1.0 = every core multiplies matrices all the time). Per study the
time is the CPU seconds its runs used (each run's line in its group's log), so the
ratio is the study's one-core floor over that (summed in-process wall seconds
would count the waits of ``--cores 8`` on 2 cores). In total the time is the workflow's
wall time with ``--cores`` (default 8, as the README runs it) on this machine's cores,
and the CPU of the whole workflow is split into the group jobs, Snakemake's own process
(scheduling) and the other jobs (data, aggregation, figures, report).

Each workflow runs from scratch in a fresh folder (``--workdir``, default a temporary
one). Results are printed and saved to ``benchmarks/out/workflow_scale.{json,md}``.
Targets (issue 10): full default study >= 0.6 of its floor with ``--cores 8`` on a
2-core machine; quick config <= 30 s; per-run overhead < 0.5 s.

On many cores one process's GEMM rate times the cores overstates what the machine can
do at once (shared caches, memory bandwidth, clocks): ``--capacity`` measures the
summed rate of min(--cores, CPUs) concurrent single-thread processes at a large shape
and at the MLP's 128x784x100, and gives the total's floor against each beside the
one-core floor (which stays comparable with the 2-core figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
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
            seconds, result = time_command(nnbench_command() + ["run", str(spec_file), "--out-dir", str(out), "--quiet",
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


def gemm_rate(size: int = 1024, repeats: int = 7) -> dict:
    """Single-core float32 GEMM rate (GFLOP/s, median of ``repeats``) and the BLAS kernel."""
    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    seconds = []
    with threadpool_limits(limits=1):
        np.matmul(a, b, out=out)  # warm-up
        for _ in range(repeats):
            started = time.perf_counter()
            np.matmul(a, b, out=out)
            seconds.append(time.perf_counter() - started)
    kernels = [f"{info.get('internal_api')} {info.get('version')} ({info.get('architecture')})"
               for info in threadpool_info() if info.get("user_api") == "blas"]
    return {"gflops_per_core": 2.0 * size ** 3 / statistics.median(seconds) / 1e9, "blas": "; ".join(kernels),
            "size": size, "repeats": repeats}


#: GEMM shapes (m, k, n) of the capacity measurement: a large one, and the MLP's first
#: layer on a minibatch of 128 (the study's most common multiply).
CAPACITY_SHAPES = {"1024^3": (1024, 1024, 1024), "128x784x100": (128, 784, 100)}

_GEMM_WORKER = """
import sys, time
from threadpoolctl import threadpool_limits
import numpy as np
m, k, n, start, seconds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
rng = np.random.default_rng(0)
a, b = rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)
out = np.empty((m, n), dtype=np.float32)
with threadpool_limits(limits=1):
    np.matmul(a, b, out=out)
    while time.time() < start:
        time.sleep(0.001)
    began, count = time.perf_counter(), 0
    while time.perf_counter() - began < seconds:
        np.matmul(a, b, out=out)
        count += 1
    print(count, time.perf_counter() - began)
"""


def concurrent_gemm_rate(processes: int, shape: tuple[int, int, int], seconds: float = 3.0) -> dict:
    """The machine's capacity: the summed float32 GEMM rate (GFLOP/s) of ``processes``
    single-thread processes multiplying at the same time (a common start on the clock)."""
    m, k, n = shape
    start = time.time() + 2.0 + 0.05 * processes  # time for every process to import numpy
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    workers = [subprocess.Popen([sys.executable, "-c", _GEMM_WORKER, str(m), str(k), str(n), str(start), str(seconds)],
                                stdout=subprocess.PIPE, text=True, env=env) for _ in range(processes)]
    rates = []
    for worker in workers:
        count, elapsed = worker.communicate()[0].split()
        rates.append(2.0 * m * k * n * int(count) / float(elapsed) / 1e9)
    return {"processes": processes, "shape": list(shape), "gflops": sum(rates),
            "gflops_per_process": sum(rates) / processes, "slowest_process_gflops": min(rates)}


def machine_capacity(processes: int) -> dict:
    """One process alone and ``processes`` at once, at each of :data:`CAPACITY_SHAPES`."""
    return {name: {"alone": concurrent_gemm_rate(1, shape), "concurrent": concurrent_gemm_rate(processes, shape)}
            for name, shape in CAPACITY_SHAPES.items()}


def config_work(config: Path, results: Path | None = None) -> dict:
    """Per study: its runs (ids), their count and GEMM work in FLOP; each distinct run
    counted once, at the first study that asks for it. Tuned studies count when their
    choice exists under ``results`` (a finished workflow's results folder)."""
    sys.path.insert(0, str(REPO))
    from nnbench.choice import TunedChoice, choice_path
    from nnbench.grid import expand, load_config, tuned_studies
    from nnbench.workload import run_workload

    prepared = load_config(config)
    choices = {}
    for name in tuned_studies(prepared):
        path = choice_path(results, name) if results else None
        if path is not None and path.is_file():
            choices[name] = TunedChoice.read(path)
    work: dict = defaultdict(lambda: {"runs": 0, "flop": 0.0, "run_ids": []})
    seen = set()
    for row in expand(prepared, choices=choices):
        if row.run_id in seen:
            continue
        seen.add(row.run_id)
        work[row.study]["runs"] += 1
        work[row.study]["flop"] += run_workload(row.spec).flop
        work[row.study]["run_ids"].append(row.run_id)
    return {"studies": dict(work)}


def count_runs(config: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from nnbench.grid import expand, load_config, pending_count, tuned_studies

    prepared = load_config(config)
    rows = expand(prepared)
    return {"study_runs": len(rows), "distinct_runs": len({row.run_id for row in rows}),
            "pending_tuned_runs": sum(pending_count(prepared, name) for name in tuned_studies(prepared))}


def group_cpu_by_run(workdir: Path) -> tuple[dict[str, float], float]:
    """Each run's CPU seconds and the group jobs' CPU seconds in total (start, imports
    and data included), from the groups' logs (``logs/groups/*.log``, one line per run
    and one per process; :data:`nnbench.groups.RUN_LOG_LINE`). Snakemake's benchmark
    files also hold a ``cpu_time``, but it is sampled every 30 s and misses a job's last
    interval."""
    sys.path.insert(0, str(REPO))
    from nnbench.groups import GROUP_LOG_LINE, RUN_LOG_LINE

    cpu_by_run: dict[str, float] = {}
    total = 0.0
    for log_file in sorted((workdir / "logs" / "groups").glob("*.log")):
        for line in log_file.read_text().splitlines():
            if match := RUN_LOG_LINE.match(line):
                cpu_by_run[match["run_id"]] = float(match["cpu_s"])
            elif match := GROUP_LOG_LINE.match(line):
                total += float(match["cpu_s"])
    return cpu_by_run, total


def run_workflow(config: Path, cores: int, workdir: Path) -> dict:
    """Run the whole workflow on ``config`` from scratch in ``workdir``; time it."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
               "--cores", str(cores), "--configfile", str(config)]
    log(f"running {config.name} with --cores {cores} in {workdir} ...")
    load_before = os.getloadavg()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    scheduler_cpu = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    # Snakemake's own CPU time, read from /proc while it runs (its jobs are separate processes).
    output_lines = []
    import threading

    reader = threading.Thread(target=lambda: output_lines.extend(process.stdout), daemon=True)
    reader.start()
    while process.poll() is None:
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            scheduler_cpu = (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError, ValueError):
            pass
        time.sleep(0.5)
    reader.join()
    seconds = time.perf_counter() - started
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    all_cpu = (children_after.ru_utime - children_before.ru_utime) + (children_after.ru_stime - children_before.ru_stime)
    result = subprocess.CompletedProcess(command, process.returncode, "".join(output_lines), "")
    output = result.stdout
    final = [line for line in output.splitlines() if line.startswith("nnbench: ")]
    import re

    steps = re.findall(r"(\d+) of (\d+) steps", output)  # snakemake's jobs (runs are trained in groups)
    summaries = list((workdir / "results" / "runs").glob("*/summary.json"))
    run_seconds = [json.loads(path.read_text()).get("wall_seconds", 0.0) for path in summaries]
    cpu_by_run, groups_cpu = group_cpu_by_run(workdir)
    report = {"config": str(config.relative_to(REPO) if config.is_relative_to(REPO) else config),
              "cores": cores, "wall_s": seconds, "returncode": result.returncode,
              "runs_done": len(summaries), "sum_of_run_wall_s": sum(run_seconds),
              "final_line": final[-1] if final else None, "jobs": int(steps[-1][1]) if steps else None, "load_average_before": load_before,
              "scheduler_cpu_s": scheduler_cpu, "all_cpu_s": all_cpu,
              "run_cpu_s_by_id": cpu_by_run, "group_jobs_cpu_s": groups_cpu,
              "other_jobs_cpu_s": max(0.0, all_cpu - groups_cpu - scheduler_cpu),
              **count_runs(config)}
    if result.returncode != 0:
        report["error_tail"] = output[-2000:]
    return report


def floor_table(work: dict, rate: dict, cores: int, run: dict | None, capacity: dict | None = None) -> list[dict]:
    """Rows per study and a total: work, floor, measured time and their ratio. The total's
    floor is the one-core rate times the machine's cores (comparable with earlier 2-core
    figures); with ``capacity`` the total also has the capacity floors (``floor_<shape>_s``,
    the work over the summed rate of that many concurrent processes) and their ratios."""
    gflops = rate["gflops_per_core"] * 1e9
    cpu_by_id = (run or {}).get("run_cpu_s_by_id", {})
    rows = []
    for study, item in work["studies"].items():
        one_core_floor = item["flop"] / gflops
        measured = sum(cpu_by_id.get(run_id, 0.0) for run_id in item.get("run_ids", ()))
        rows.append({"study": study, "runs": item["runs"], "tflop": item["flop"] / 1e12,
                     "floor_s": one_core_floor, "time_s": measured or None,
                     "ratio": one_core_floor / measured if measured else None})
    total_flop = sum(item["flop"] for item in work["studies"].values())
    machine_cores = os.cpu_count() or 1
    floor = total_flop / (gflops * machine_cores)
    wall = (run or {}).get("wall_s")
    total = {"study": "TOTAL", "runs": sum(item["runs"] for item in work["studies"].values()),
             "tflop": total_flop / 1e12, "floor_s": floor, "time_s": wall, "ratio": floor / wall if wall else None}
    for name, measured in (capacity or {}).items():
        capacity_floor = total_flop / (measured["concurrent"]["gflops"] * 1e9)
        total[f"floor_{name}_s"] = capacity_floor
        total[f"ratio_{name}"] = capacity_floor / wall if wall else None
    rows.append(total)
    return rows


def capacity_text(capacity: dict, rows: list[dict]) -> str:
    """The capacity measurement and the total's ratios against each floor."""
    total = rows[-1]
    lines = []
    for name, measured in capacity.items():
        alone, concurrent = measured["alone"], measured["concurrent"]
        ratio = total.get(f"ratio_{name}")
        lines.append(f"- {name}: one process {alone['gflops']:.1f} GFLOP/s; {concurrent['processes']} concurrent "
                     f"{concurrent['gflops']:.1f} in all ({concurrent['gflops_per_process']:.1f} each, slowest "
                     f"{concurrent['slowest_process_gflops']:.1f}); floor {total[f'floor_{name}_s']:.1f} s"
                     + (f", floor / wall {ratio:.2f}" if ratio is not None else ""))
    return "Machine capacity (float32 GEMM, single-thread processes):\n" + "\n".join(lines) + "\n"


def markdown(rows: list[dict]) -> str:
    def cell(value, digits):
        return "-" if value is None else f"{value:.{digits}f}"

    lines = ["| study | runs | GEMM work (TFLOP) | floor (s) | measured: study CPU s, TOTAL wall s | floor / measured |",
             "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        lines.append(f"| {row['study']} | {row['runs']} | {cell(row['tflop'], 3)} | {cell(row['floor_s'], 1)} | "
                     f"{cell(row['time_s'], 1)} | {cell(row['ratio'], 2)} |")
    return "\n".join(lines) + "\n"


def config_report(config: Path, rate: dict, cores: int, workdir: Path, run: bool, capacity: dict | None = None) -> dict:
    result = run_workflow(config, cores, workdir) if run else None
    work = config_work(config, (workdir / "results") if run else None)
    report = {"config": str(config), "table": floor_table(work, rate, cores, result, capacity)}
    if result is not None:
        result.pop("run_cpu_s_by_id", None)
        report["workflow"] = result
        if result.get("all_cpu_s"):
            report["scheduler_cpu_share"] = result["scheduler_cpu_s"] / result["all_cpu_s"]
        one_core_floor = sum(row["floor_s"] for row in report["table"] if row["study"] != "TOTAL")
        if result.get("group_jobs_cpu_s"):  # how well the training processes use their CPU
            report["group_jobs_floor_over_cpu"] = one_core_floor / result["group_jobs_cpu_s"]
        if result.get("all_cpu_s"):
            report["all_floor_over_cpu"] = one_core_floor / result["all_cpu_s"]
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="also run the full default study (config/config.yaml)")
    parser.add_argument("--overhead-only", action="store_true", help="only measure the per-run overhead")
    parser.add_argument("--work-only", action="store_true", help="only print the configs' work and floors (no runs)")
    parser.add_argument("--cores", type=int, default=8, help="snakemake --cores (default 8, as the README runs it)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of each overhead measurement")
    parser.add_argument("--workdir", type=Path, default=None, help="where to run (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the working folders")
    parser.add_argument("--capacity", action="store_true",
                        help="also measure the machine's capacity: min(--cores, CPUs) concurrent single-thread GEMM "
                             "processes, and give the total's floor against it (issue 22)")
    args = parser.parse_args(argv)

    base = args.workdir or Path(tempfile.mkdtemp(prefix="nnbench-scale-"))
    base.mkdir(parents=True, exist_ok=True)
    datasets = ["digits"]
    if os.environ.get("NNBENCH_DATA") or (REPO / "resources" / "data" / "mnist").is_dir():
        datasets.append("mnist")
    sys.path.insert(0, str(REPO))
    from nnbench.provenance import processor_name

    report = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                          "cpu_model": processor_name()},
              "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    log("measuring the single-core float32 GEMM rate ...")
    report["gemm"] = gemm_rate()
    if not args.work_only:
        log("measuring the per-run overhead ...")
        report["overhead"] = measure_overhead(datasets, args.repeats, base)
    configs = [] if args.overhead_only else [("quick", REPO / "config" / "quick.yaml")]
    if args.full or args.work_only:
        configs.append(("full", REPO / "config" / "config.yaml"))
    if args.capacity:
        processes = min(args.cores, os.cpu_count() or 1)
        log(f"measuring the machine's capacity: {processes} concurrent single-thread GEMM processes ...")
        report["capacity"] = machine_capacity(processes)
    for name, config in configs:
        report[name] = config_report(config, report["gemm"], args.cores, base / name, run=not args.work_only,
                                     capacity=report.get("capacity"))
    if not args.keep and args.workdir is None:
        shutil.rmtree(base, ignore_errors=True)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = (f"Machine: {report['machine']['cpu_model']}, {report['machine']['cpus']} cores; BLAS "
            f"{report['gemm']['blas']}; one core float32 GEMM {report['gemm']['gflops_per_core']:.1f} GFLOP/s.\n")
    for name, _ in configs:
        item = report[name]
        text += f"\n{name} ({item['config']}):\n\n" + markdown(item["table"])
        if report.get("capacity"):
            text += "\n" + capacity_text(report["capacity"], item["table"])
        if "workflow" in item:
            flow = item["workflow"]
            text += (f"\nworkflow: exit {flow['returncode']}, {flow['runs_done']} run records in {flow.get('jobs')} "
                     f"snakemake jobs; load average before {flow['load_average_before'][0]:.1f}; {flow['final_line']}; "
                     f"Snakemake's own CPU {flow['scheduler_cpu_s']:.1f} s of {flow['all_cpu_s']:.1f} s "
                     f"({100 * item.get('scheduler_cpu_share', 0):.1f}%); group jobs {flow['group_jobs_cpu_s']:.1f} s, "
                     f"other jobs {flow['other_jobs_cpu_s']:.1f} s; one-core floor / CPU: group jobs "
                     f"{item.get('group_jobs_floor_over_cpu', 0):.2f}, all {item.get('all_floor_over_cpu', 0):.2f}\n")
    for suffix, content in ((".json", json.dumps(report, indent=2, default=str) + "\n"), (".md", text)):
        path = OUT.with_suffix(suffix)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(content)
        temporary.replace(path)
    print(text)
    overhead = report.get("overhead", {})
    if overhead:
        print(f"python start + imports: {overhead['python_start_and_imports_s']:.3f} s")
    for dataset in datasets:
        if dataset in overhead:
            print(f"per-run overhead ({dataset}, 1-iteration run): {overhead[dataset]['run_wall_s']:.3f} s wall "
                  f"({overhead[dataset]['in_process_outside_training_s']:.3f} s in process outside training)")
    print(f"saved {OUT.with_suffix('.json')} and {OUT.with_suffix('.md')}")
    return 0 if all(report.get(name, {}).get("workflow", {}).get("returncode", 0) == 0 for name, _ in configs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
