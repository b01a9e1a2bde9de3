"""Per-process efficiency of the run jobs: one representative run per study against the
one-core GEMM rate, and where its CPU time goes (issue 22, point 4).

    NNBENCH_DATA=/path/to/datasets python benchmarks/run_efficiency.py
    python benchmarks/run_efficiency.py --study optimizers --study weight_init
    python benchmarks/run_efficiency.py --compare /path/to/other/checkout --repeats 3
    python benchmarks/run_efficiency.py --native-kernel      # unset OPENBLAS_CORETYPE / _L2_SIZE
    python benchmarks/run_efficiency.py --concurrent 16      # 16 processes per spec at once (many cores)

For each chosen spec of config/config.yaml (a cheap but typical run per study, seed 0,
MNIST; :data:`PICKS`) it runs ``nnbench run SPEC --out-dir ... --quiet`` in a fresh
process, reads that process's CPU seconds (``getrusage`` of the child), and divides the
spec's GEMM work (:func:`nnbench.workload.run_workload`) by CPU seconds x the single-core
float32 GEMM rate measured right before (``workflow_scale.gemm_rate``): 1.0 would be a
process that does nothing but multiply matrices at the 1024^3 rate.

A second, instrumented process (same spec) splits its CPU time: timers around the layers'
calls (affine = the GEMMs with their bias add and bias-gradient sum; elementwise =
activations, batch norm, dropout, softmax cross-entropy), the optimizer update, the
minibatch gathering (``rows_into``), the ``loss_after_update`` forward, the evaluations
(``on_eval`` and the final one, diagnostics included), and what is left of the training
loop (Python overhead); outside training: data load and network set-up, record writing,
and the interpreter start with imports (process CPU minus the instrumented run). The
timers cost some time themselves: the instrumented total is printed beside the plain one.

``--concurrent N`` trains N copies of each spec at once and divides by the rate each of N
concurrent GEMM processes gets: the per-process efficiency of a machine whose cores are
all busy (the instrumented split stays one process alone).

``--compare DIR`` runs every spec with the code of another checkout too (its ``nnbench``
package first on ``PYTHONPATH``), interleaved with this one (A B A B ...), and prints the
ratio of the two CPU times per study; the load average is printed with each measurement.
The machine's other work slows the GEMM rate and the runs together, so ratios measured in
one run mean more than times. Output: ``benchmarks/out/run_efficiency.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

OUT = REPO / "benchmarks" / "out"

#: study -> the spec values that pick its representative run (seed 0, MNIST); a study
#: with several entries is measured once per entry (the optimizers differ in their state).
PICKS: dict[str, list[dict]] = {
    "optimizers": [{"optimizer.name": "sgd"}, {"optimizer.name": "momentum"}, {"optimizer.name": "adagrad"},
                   {"optimizer.name": "adam"}],
    "optimizers_lr_sweep": [{"optimizer.name": "adam", "optimizer.lr": 0.01}],
    "weight_init": [{"init": "xavier"}],
    "vanishing_gradient": [{"activation": "sigmoid"}, {"activation": "relu"}],
    "minibatch_noise": [{}],
    "batch_size": [{"batch_size": 32}],
    "batch_norm": [{"batchnorm": True, "init": 1.0}],
    "overfitting_weight_decay": [{"weight_decay": 0.01}],
    "overfitting_dropout": [{"dropout": 0.2}],
    "overfitting_capacity": [{"hidden_sizes": [100] * 6}, {"hidden_sizes": [500] * 6}],
    "factorial": [{"init": "he", "optimizer.name": "adam", "batchnorm": True, "dropout": 0.2,
                   "weight_decay": 0.01}],
    "factorial_long": [{"init": "he", "optimizer.name": "adam", "batchnorm": True, "dropout": 0.2}],
}

#: the parts of the instrumented split, in print order
PARTS = ("affine", "elementwise", "optimizer", "gather", "loop", "after_update", "evaluation", "setup",
         "record", "startup")
PART_TEXT = {"affine": "affine (GEMMs, bias)", "elementwise": "elementwise layers + loss",
             "optimizer": "optimizer update", "gather": "minibatch gathering", "loop": "training loop overhead",
             "after_update": "loss_after_update forward", "evaluation": "evaluations (on_eval, final, diagnostics)",
             "setup": "data load + network set-up", "record": "record writing",
             "startup": "interpreter start + imports"}


def _value(spec: dict, dotted: str):
    value = spec
    for part in dotted.split("."):
        value = value[part]
    return value


def chosen_specs(studies: list[str] | None) -> list[tuple[str, str, dict]]:
    """``(study, label, spec)`` for every pick (spec without run_id, so that any code runs it)."""
    from nnbench.grid import expand, load_config

    rows = expand(load_config(REPO / "config" / "config.yaml"))
    chosen = []
    for study, picks in PICKS.items():
        if studies and study not in studies:
            continue
        for pick in picks:
            for row in rows:
                spec = row.spec
                if (row.study == study and spec.get("dataset") == "mnist" and spec.get("seed") == 0
                        and all(_value(spec, key) == value for key, value in pick.items())):
                    label = study + "".join(f" {key.split('.')[-1]}={value}" for key, value in pick.items())
                    if "hidden_sizes" in pick:
                        label = f"{study} width={pick['hidden_sizes'][0]}"
                    chosen.append((study, label, dict(spec)))
                    break
            else:
                raise SystemExit(f"no run of study {study} with {pick} on MNIST, seed 0, in config/config.yaml")
    return chosen


def child_env(code: Path, native_kernel: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "RUN_EFFICIENCY_CODE": str(code)}
    if native_kernel:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


_CPU_RATE = """
import statistics, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from threadpoolctl import threadpool_limits
from workflow_scale import gemm_rate
wall = gemm_rate()
size = wall["size"]
rng = np.random.default_rng(0)
a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
out = np.empty_like(a)
seconds = []
with threadpool_limits(limits=1):
    for _ in range(wall["repeats"]):
        started = time.process_time()
        np.matmul(a, b, out=out)
        seconds.append(time.process_time() - started)
print(wall["gflops_per_core"], 2.0 * size ** 3 / statistics.median(seconds) / 1e9)
"""


def gemm_rate_in(env: dict, copies: int = 1) -> tuple[float, float]:
    """The one-core float32 GEMM rate (GFLOP/s) in a fresh process with ``env`` (its kernel):
    per wall second (``workflow_scale.gemm_rate``) and per CPU second (the same multiply
    timed with the process's CPU clock); with ``copies`` > 1, the median over that many
    processes measuring at once (the rate each gets when all cores are busy).

    The efficiency divides by the CPU-second rate: the run's time is CPU seconds too, so
    waiting for a core while the machine does other work slows neither."""
    processes = [subprocess.Popen([sys.executable, "-c", _CPU_RATE, str(REPO / "benchmarks")], env=env,
                                  stdout=subprocess.PIPE, text=True) for _ in range(copies)]
    rates = []
    for process in processes:
        output, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit("the GEMM rate measurement failed")
        rates.append([float(value) for value in output.split()])
    return statistics.median(rate[0] for rate in rates), statistics.median(rate[1] for rate in rates)


def timed_child(command: list[str], env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall s, CPU s of the child, result) of ``command``, run from ``env``'s code folder
    (the current folder comes first on ``sys.path``: run from elsewhere, a checkout's own
    folder would shadow the code that ``PYTHONPATH`` names)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=env["RUN_EFFICIENCY_CODE"])
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return wall, cpu, result


def check_code(env: dict) -> None:
    """Fail unless a child with ``env`` imports the nnbench of ``env``'s code folder."""
    result = subprocess.run([sys.executable, "-c", "import nnbench; print(nnbench.__file__)"], env=env,
                            capture_output=True, text=True, cwd=env["RUN_EFFICIENCY_CODE"], check=True)
    imported = Path(result.stdout.strip()).resolve().parent.parent
    if imported != Path(env["RUN_EFFICIENCY_CODE"]).resolve():
        raise SystemExit(f"a child imports nnbench from {imported}, not from {env['RUN_EFFICIENCY_CODE']}")


def measure(spec_file: Path, out: Path, env: dict, copies: int = 1) -> dict:
    """Wall and CPU seconds of ``nnbench run`` of the spec; with ``copies`` > 1 that many
    processes train it at once (into their own folders), and the CPU is their mean."""
    if copies == 1:
        wall, cpu, _ = timed_child([sys.executable, "-m", "nnbench", "run", str(spec_file), "--out-dir", str(out),
                                    "--quiet"], env)
        return {"wall_s": wall, "cpu_s": cpu}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "nnbench", "run", str(spec_file), "--out-dir",
                                   f"{out}-{copy}", "--quiet"], env=env, cwd=env["RUN_EFFICIENCY_CODE"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for copy in range(copies)]
    for process in processes:
        _, error = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"nnbench run {spec_file} failed:\n{error[-2000:]}")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu / copies}


def profile(spec_file: Path, out: Path, env: dict) -> dict:
    _, cpu, result = timed_child([sys.executable, str(Path(__file__).resolve()), "--child-profile", str(spec_file),
                                  str(out)], env)
    parts = json.loads(result.stdout.strip().splitlines()[-1])
    parts["startup"] = max(0.0, cpu - parts.pop("in_run"))
    parts["instrumented_cpu_s"] = cpu
    return parts


# ------------------------------------------------------------------ instrumented child


class _Clock:
    """Exclusive CPU time per part: a stack of parts; a "sticky" part (an evaluation)
    keeps everything under it. CPU time, not wall: the machine's other work would
    otherwise count against whatever part it interrupted."""

    def __init__(self):
        self.totals = dict.fromkeys(PARTS, 0.0)
        self.stack = ["other"]
        self.totals["other"] = 0.0
        self.mark = time.process_time()
        self.sticky = 0

    def wrap(self, function, part, sticky=False):
        clock = self

        def timed(*args, **kwargs):
            if clock.sticky:
                return function(*args, **kwargs)
            now = time.process_time()
            clock.totals[clock.stack[-1]] += now - clock.mark
            clock.mark = now
            clock.stack.append(part)
            clock.sticky += sticky
            try:
                return function(*args, **kwargs)
            finally:
                clock.sticky -= sticky
                now = time.process_time()
                clock.totals[clock.stack.pop()] += now - clock.mark
                clock.mark = now

        return timed


def child_profile(spec_file: str, out: str) -> None:
    """Run ``spec_file`` in this process with timers around its parts; print them as JSON."""
    from nnbench import records, runs
    from nnbench.core import layers, network, optimizers, trainer
    from nnbench.runkinds import train

    clock = _Clock()
    for name in dir(layers):
        cls = getattr(layers, name)
        if not isinstance(cls, type) or not issubclass(cls, layers._Layer) or cls is layers._Layer:
            continue
        part = "affine" if cls is layers.Affine else "elementwise"
        for method in ("forward", "backward", "forward_into", "forward_inplace"):
            if method in vars(cls):
                setattr(cls, method, clock.wrap(vars(cls)[method], part))
    optimizers.Optimizer.update = clock.wrap(optimizers.Optimizer.update, "optimizer")
    trainer.rows_into = clock.wrap(trainer.rows_into, "gather")
    original_loss = network.MLP.loss
    network.MLP.loss = clock.wrap(original_loss, "after_update", sticky=True)  # the trainer's only MLP.loss call
    train._Evaluations.on_eval = clock.wrap(train._Evaluations.on_eval, "evaluation", sticky=True)
    train._Evaluations.finish = clock.wrap(train._Evaluations.finish, "evaluation", sticky=True)
    trainer._update_steps = clock.wrap(trainer._update_steps, "loop")
    runs.write_record = clock.wrap(records.write_record, "record")
    in_run = time.process_time()
    runs.run(spec_file, out=out, threads=1, progress=False)
    clock.totals[clock.stack[-1]] += time.process_time() - clock.mark
    totals = clock.totals
    totals["setup"] = totals.pop("other")  # outside every timed part: data load, network, identity
    totals["in_run"] = time.process_time() - in_run  # the imports above count as start-up
    print(json.dumps(totals))


# ------------------------------------------------------------------ main


def row_text(row: dict) -> str:
    split = " ".join(f"{part} {row['split'][part]:.2f}" for part in PARTS if row["split"].get(part, 0) >= 0.005)
    return (f"{row['label']}: {row['gflop']:.1f} GFLOP, CPU {row['cpu_s']:.2f} s, rate {row['gflops_per_core']:.0f}, "
            f"efficiency {row['efficiency']:.2f} (load {row['load_average']:.2f}) | {split}")


def markdown(result: dict) -> str:
    lines = [f"# Run efficiency ({result['machine']}, {result['blas']}, {result.get('concurrent', 1)} process(es) "
             "per spec at once)", "",
             "Efficiency = GEMM work / (process CPU s x one-core GEMM rate per CPU second, measured right "
             "before in a fresh process). "
             "Split: CPU seconds of the instrumented run, one process alone (timers cost a little; its "
             "CPU beside; - without it).", ""]
    header = ["study (pick)", "GFLOP", "CPU s", "GFLOP/s core", "efficiency", "load"]
    header += [PART_TEXT[part] for part in PARTS] + ["instrumented CPU s"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in result["rows"]:
        cells = [row["label"], f"{row['gflop']:.1f}", f"{row['cpu_s']:.2f}", f"{row['gflops_per_core']:.0f}",
                 f"{row['efficiency']:.2f}", f"{row['load_average']:.2f}"]
        profiled = "affine" in row["split"]
        cells += [f"{row['split'].get(part, 0.0):.2f}" if profiled else "-" for part in PARTS]
        cells.append(f"{row['split']['instrumented_cpu_s']:.2f}" if profiled else "-")
        lines.append("| " + " | ".join(cells) + " |")
    if result.get("compare"):
        lines += ["", f"## This code against {result['compare']['other']}", "",
                  "| study (pick) | CPU s here | CPU s other | other / here | efficiency here | efficiency other |",
                  "|---|---|---|---|---|---|"]
        for row in result["compare"]["rows"]:
            lines.append(f"| {row['label']} | {row['cpu_here_s']:.2f} | {row['cpu_other_s']:.2f} | "
                         f"{row['speedup']:.3f} | {row['efficiency_here']:.2f} | {row['efficiency_other']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child-profile":
        child_profile(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", action="append", help="only this study (repeatable)")
    parser.add_argument("--repeats", type=int, default=1, help="plain measurements per spec (median)")
    parser.add_argument("--no-profile", action="store_true", help="skip the instrumented run")
    parser.add_argument("--compare", type=Path, help="another checkout whose code runs each spec too, interleaved")
    parser.add_argument("--native-kernel", action="store_true",
                        help="unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE in the runs (the CPU's own kernel)")
    parser.add_argument("--concurrent", type=int, default=1, metavar="N",
                        help="N processes train each spec at once, against the rate of N concurrent GEMM "
                             "processes (per-process efficiency under load, e.g. N = the cores)")
    parser.add_argument("--tag", default="", help="suffix of the output files (run_efficiency<TAG>.json)")
    args = parser.parse_args()
    from nnbench.workload import run_workload

    env = child_env(REPO, args.native_kernel)
    other_env = child_env(args.compare.resolve(), args.native_kernel) if args.compare else None
    for checked in (env, other_env):
        if checked is not None:
            check_code(checked)
    blas = subprocess.run([sys.executable, "-c", "from threadpoolctl import threadpool_info; import numpy; "
                           "numpy.ones(1) @ numpy.ones(1); print('; '.join(f\"{i.get('internal_api')} "
                           "{i.get('version')} ({i.get('architecture')})\" for i in threadpool_info() "
                           "if i.get('user_api') == 'blas'))"], env=env, capture_output=True, text=True).stdout.strip()
    rows, compared = [], []
    with tempfile.TemporaryDirectory() as folder:
        for index, (study, label, spec) in enumerate(chosen_specs(args.study)):
            spec_file = Path(folder) / f"spec{index}.json"
            spec_file.write_text(json.dumps(spec))
            work = run_workload(spec)
            measured, other = [], []
            for repeat in range(args.repeats):
                for which, run_env, into in (("here", env, measured), ("other", other_env, other)):
                    if run_env is None:
                        continue
                    load = os.getloadavg()[0]
                    wall_rate, rate = gemm_rate_in(run_env, args.concurrent)
                    plain = measure(spec_file, Path(folder) / f"{which}{index}-{repeat}", run_env, args.concurrent)
                    into.append({**plain, "gflops_per_core": rate, "gflops_per_core_wall": wall_rate,
                                 "load_average": load, "efficiency": work.flop / (plain["cpu_s"] * rate * 1e9)})
            best = sorted(measured, key=lambda item: item["cpu_s"])[len(measured) // 2]
            row = {"study": study, "label": label, "gflop": work.flop / 1e9, "train_gflop": work.train_flop / 1e9,
                   "eval_gflop": work.eval_flop / 1e9, **best, "repeats": measured,
                   "batch_size": spec["batch_size"], "hidden_sizes": spec["hidden_sizes"],
                   "optimizer": spec["optimizer"]["name"], "batchnorm": spec["batchnorm"],
                   "dropout": spec["dropout"], "eval_every": spec["eval_every"],
                   "eval_samples": spec["eval_samples"], "diagnostics": spec["diagnostics"]}
            row["split"] = {} if args.no_profile else profile(spec_file, Path(folder) / f"profile{index}", env)
            if not args.no_profile:
                print(row_text(row), flush=True)
            else:
                print(f"{label}: {row['gflop']:.1f} GFLOP, CPU {row['cpu_s']:.2f} s, efficiency "
                      f"{row['efficiency']:.2f} (load {row['load_average']:.2f})", flush=True)
            rows.append(row)
            if other:
                here_cpu = statistics.median(item["cpu_s"] for item in measured)
                other_cpu = statistics.median(item["cpu_s"] for item in other)
                compared.append({"label": label, "cpu_here_s": here_cpu, "cpu_other_s": other_cpu,
                                 "speedup": other_cpu / here_cpu,
                                 "efficiency_here": statistics.median(item["efficiency"] for item in measured),
                                 "efficiency_other": statistics.median(item["efficiency"] for item in other),
                                 "here": measured, "other": other})
                print(f"  other code: CPU {other_cpu:.2f} s, other / here {other_cpu / here_cpu:.3f}", flush=True)
    if args.no_profile:
        for row in rows:
            row["split"] = {"instrumented_cpu_s": float("nan")}
    total_work = sum(row["gflop"] for row in rows)
    total = {"gflop": total_work, "cpu_s": sum(row["cpu_s"] for row in rows),
             "efficiency": total_work / sum(row["cpu_s"] * row["gflops_per_core"] for row in rows)}
    result = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs", "blas": blas,
              "native_kernel": args.native_kernel, "concurrent": args.concurrent, "rows": rows, "total": total,
              "load_average_end": os.getloadavg()[0]}
    if compared:
        result["compare"] = {"other": str(args.compare), "rows": compared,
                             "cpu_here_s": sum(row["cpu_here_s"] for row in compared),
                             "cpu_other_s": sum(row["cpu_other_s"] for row in compared)}
    print(f"all picks: {total_work:.0f} GFLOP, efficiency {total['efficiency']:.2f}")
    if compared:
        print(f"all picks, other code / this code CPU: "
              f"{result['compare']['cpu_other_s'] / result['compare']['cpu_here_s']:.3f}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"run_efficiency{args.tag}.json").write_text(json.dumps(result, indent=2) + "\n")
    (OUT / f"run_efficiency{args.tag}.md").write_text(markdown(result))


if __name__ == "__main__":
    main()
