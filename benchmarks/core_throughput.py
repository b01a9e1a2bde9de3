"""Training-step throughput of nnbench's NumPy core, and of PyTorch CPU eager when importable.

A step is ``net.gradient(x, t)`` + ``optimizer.update(net.params, grads)`` (for PyTorch:
zero_grad, forward, cross-entropy, backward, ``optimizer.step()``), SGD, ReLU, He init,
float32, on one BLAS / intra-op thread. Networks:

- ``book``: 784-100-100-100-100-10 at batch 100 (target: >= 1.5x PyTorch);
- ``wide``: 784-1000-1000-10 at batch 256 (target: >= 0.8x PyTorch).

numpy's BLAS kernel matters as much as our code: this environment may set
``OPENBLAS_CORETYPE`` (e.g. ``Haswell``, the AVX2 kernel, about half the GEMM speed of the
AVX-512 ``SkylakeX`` kernel OpenBLAS picks by itself on an AVX-512 CPU). By default the
benchmark measures both: as the environment sets it, and in a child process without the
variable (``--blas-kernel current|native|both``). PyTorch uses its own BLAS either way.

Each figure is the median of ``--repeats`` timed blocks of steps (after a warm-up), cycling
through a few random batches; the two implementations' blocks alternate, and the ratio is
the median of the per-block ratios (robust to load from other processes). Results are printed and saved as
``benchmarks/out/core_throughput.{csv,json,png}`` (override with ``--out``).

    .venv/bin/python benchmarks/core_throughput.py            # about a minute (both kernels)
    .venv/bin/python benchmarks/core_throughput.py --quick    # a few seconds, rough
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

NETWORKS = {
    # name: (layer sizes, batch size, target ratio vs PyTorch)
    "book": ([784, 100, 100, 100, 100, 10], 100, 1.5),
    "wide": ([784, 1000, 1000, 10], 256, 0.8),
}
N_BATCHES = 8  # distinct random batches cycled through, so no step reuses the previous input


def make_batches(sizes, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.random((batch_size, sizes[0]), dtype=np.float32) for _ in range(N_BATCHES)]
    ts = [rng.integers(0, sizes[-1], batch_size) for _ in range(N_BATCHES)]
    return xs, ts


def time_block(step, steps):
    """Seconds taken by ``steps`` calls of ``step(i)``."""
    started = time.perf_counter()
    for i in range(steps):
        step(i)
    return time.perf_counter() - started


def numpy_step_factory(sizes, batch_size):
    from nnbench.core import MLP, make_optimizer

    net = MLP(sizes[0], sizes[1:-1], sizes[-1], activation="relu", init="he", dtype="float32", seed=0)
    optimizer = make_optimizer("sgd", lr=0.01)
    xs, ts = make_batches(sizes, batch_size)

    def step(i):
        grads = net.gradient(xs[i % N_BATCHES], ts[i % N_BATCHES])
        optimizer.update(net.params, grads)

    return step


def torch_step_factory(sizes, batch_size):
    import torch

    torch.manual_seed(0)
    layers = []
    for fan_in, fan_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    model = torch.nn.Sequential(*layers)
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    xs, ts = make_batches(sizes, batch_size)
    xs = [torch.from_numpy(x) for x in xs]
    ts = [torch.from_numpy(t) for t in ts]

    def step(i):
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(xs[i % N_BATCHES]), ts[i % N_BATCHES])
        loss.backward()
        optimizer.step()

    return step


def torch_version():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set in this process
        pass
    return torch.__version__


def measure(repeats, quick):
    from threadpoolctl import threadpool_info, threadpool_limits

    torch = torch_version()
    rows = []
    with threadpool_limits(limits=1):
        blas = [
            {key: info.get(key) for key in ("internal_api", "version", "architecture", "num_threads")}
            for info in threadpool_info()
        ]
        kernel = next((info["architecture"] for info in blas if info.get("architecture")), "unknown")
        coretype = os.environ.get("OPENBLAS_CORETYPE")
        kernel_label = f"{kernel} (OPENBLAS_CORETYPE={coretype})" if coretype else f"{kernel} (auto-detected)"
        for name, (sizes, batch_size, target) in NETWORKS.items():
            # about 0.25 s per block on this kind of machine; fewer steps when --quick
            steps = (300 if name == "book" else 20) // (5 if quick else 1)
            factories = {"nnbench": numpy_step_factory}
            if torch:
                factories["pytorch"] = torch_step_factory
            steps_of = {name: factory(sizes, batch_size) for name, factory in factories.items()}
            for step in steps_of.values():
                time_block(step, max(3, steps // 5))  # warm-up
            # Interleave the implementations block by block (alternating which goes first),
            # so that load from other processes hits both alike; the ratio is the median of
            # the per-repeat ratios.
            rates = {name: [] for name in steps_of}
            for repeat in range(repeats):
                order = list(steps_of) if repeat % 2 == 0 else list(reversed(steps_of))
                for implementation in order:
                    seconds = time_block(steps_of[implementation], steps)
                    rates[implementation].append(steps * batch_size / seconds)
            ratio = None
            if "pytorch" in rates:
                ratio = statistics.median(a / b for a, b in zip(rates["nnbench"], rates["pytorch"], strict=True))
            for implementation, measured in rates.items():
                rows.append({
                    "network": name,
                    "layers": "-".join(map(str, sizes)),
                    "batch_size": batch_size,
                    "implementation": implementation,
                    "numpy_blas_kernel": kernel_label,
                    "samples_per_second": round(statistics.median(measured), 1),
                    "min": round(min(measured), 1),
                    "max": round(max(measured), 1),
                    "repeats": repeats,
                    "steps_per_repeat": steps,
                    "ratio_vs_pytorch": None if ratio is None else round(ratio, 3),
                    "target_ratio": target,
                })
                if sys.stderr.isatty():
                    print(f"  {name} {implementation}: {statistics.median(measured):,.0f} samples/s", file=sys.stderr)
    environment = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch,
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "blas": blas,
        "threads": 1,
    }
    return rows, environment


def print_table(rows):
    header = (f"{'network':<8} {'layers':<26} {'batch':>5} {'impl':<8} {'numpy BLAS kernel':<38} {'samples/s':>11} "
              f"{'range':>19} {'ratio':>6} {'target':>6}")
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = "" if row["ratio_vs_pytorch"] is None else f"{row['ratio_vs_pytorch']:.2f}"
        span = f"{row['min']:,.0f}-{row['max']:,.0f}"
        target = f">={row['target_ratio']}" if row["implementation"] == "nnbench" else ""
        kernel = row["numpy_blas_kernel"] if row["implementation"] == "nnbench" else ""
        print(f"{row['network']:<8} {row['layers']:<26} {row['batch_size']:>5} {row['implementation']:<8} "
              f"{kernel:<38} {row['samples_per_second']:>11,.0f} {span:>19} {ratio:>6} {target:>6}")


def _write_atomically(path, write):
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    temporary.replace(path)


def save(rows, environments, out):
    out.mkdir(parents=True, exist_ok=True)

    def write_csv(path):
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    _write_atomically(out / "core_throughput.csv", write_csv)
    _write_atomically(
        out / "core_throughput.json",
        lambda path: path.write_text(json.dumps({"results": rows, "environments": environments}, indent=2) + "\n"),
    )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def label(row):
        if row["implementation"] == "pytorch":
            return "pytorch"
        return "nnbench\n" + row["numpy_blas_kernel"].replace(" (", "\n(")

    networks = list(dict.fromkeys(row["network"] for row in rows))
    figure, axes = plt.subplots(1, len(networks), figsize=(5 * len(networks), 3.8))
    axes = np.atleast_1d(axes)
    for axis, network in zip(axes, networks, strict=True):
        chosen = {}
        for row in rows:  # PyTorch is measured beside each kernel: show its first measurement
            if row["network"] == network:
                chosen.setdefault(label(row), row)
        values = [row["samples_per_second"] / 1000 for row in chosen.values()]
        colors = ["#ff7f0e" if name == "pytorch" else "#1f77b4" for name in chosen]
        axis.bar(range(len(values)), values, color=colors)
        axis.set_xticks(range(len(values)), list(chosen), fontsize=7)
        for position, (value, row) in enumerate(zip(values, chosen.values(), strict=True)):
            ratio = row["ratio_vs_pytorch"]
            extra = f"\n{ratio:.2f}x" if ratio is not None and row["implementation"] == "nnbench" else ""
            axis.text(position, value, f"{value:.1f}k{extra}", ha="center", va="bottom", fontsize=8)
        axis.set_ylim(0, max(values) * 1.3)
        first = next(iter(chosen.values()))
        axis.set_title(f"{network}: {first['layers']}, batch {first['batch_size']}", fontsize=9)
        axis.set_ylabel("samples / s (thousands)")
    figure.suptitle("Training step throughput, float32, 1 thread (median)", fontsize=10)
    figure.tight_layout()
    _write_atomically(out / "core_throughput.png", lambda path: figure.savefig(path, format="png", dpi=120))
    plt.close(figure)


def measure_native_kernel(repeats, quick):
    """Rerun the measurement in a child process without OPENBLAS_CORETYPE and
    OPENBLAS_L2_SIZE, so that OpenBLAS picks the CPU's own kernel and cache size (the
    variables must be unset before numpy loads OpenBLAS; some machines set both together
    to work around old OpenBLAS builds)."""
    import subprocess
    import tempfile

    environment = {key: value for key, value in os.environ.items()
                   if key not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    with tempfile.TemporaryDirectory() as folder:
        result_file = Path(folder) / "child.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--repeats", str(repeats),
                   "--blas-kernel", "current", "--child-result", str(result_file)]
        if quick:
            command.append("--quick")
        subprocess.run(command, env=environment, check=True)
        child = json.loads(result_file.read_text())
    return child["results"], child["environment"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=11, help="timed blocks per measurement (median taken)")
    parser.add_argument("--quick", action="store_true", help="short blocks: a rough figure in seconds")
    parser.add_argument("--blas-kernel", choices=("current", "native", "both"), default="both",
                        help="numpy's OpenBLAS kernel: as the environment sets it (OPENBLAS_CORETYPE), "
                             "the CPU's own (variable removed), or both (default; one run when it is unset)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out",
                        help="folder for core_throughput.{csv,json,png}")
    parser.add_argument("--child-result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.child_result:  # internal: one measurement, written as JSON for the parent
        rows, environment = measure(args.repeats, args.quick)
        args.child_result.write_text(json.dumps({"results": rows, "environment": environment}))
        return 0
    coretype_set = bool(os.environ.get("OPENBLAS_CORETYPE"))
    rows, environments = [], []
    if args.blas_kernel in ("current", "both") or not coretype_set:
        current_rows, environment = measure(args.repeats, args.quick)
        rows += current_rows
        environments.append(environment)
    if args.blas_kernel in ("native", "both") and coretype_set:
        native_rows, environment = measure_native_kernel(args.repeats, args.quick)
        rows += native_rows
        environments.append(environment)
    rows.sort(key=lambda row: list(NETWORKS).index(row["network"]))  # stable: keeps kernel order
    print_table(rows)
    if environments[0]["torch"] is None:
        print("(PyTorch not importable: no comparison; `pip install torch` to add it)")
    save(rows, environments, args.out)
    print(f"saved {args.out}/core_throughput.csv, .json, .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
