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

**GEMM floor.** A training step of a network with W weights on B samples does 6·W·B
floating-point operations in its matrix products (forward x·W, backward xᵀ·dout and
dout·Wᵀ). The benchmark measures this machine's single-core float32 GEMM rate (1024³
products, interleaved with the step blocks, median) and prints ``floor``: the fraction
of that rate the step reaches, ``samples/s x 6 x W / rate`` (1.0 = nothing but GEMMs at
the machine's peak).

**Lockstep seeds** (``--lockstep S``, default 4; 0 skips it): whether training S seeds
of one setting in lockstep (weights stacked to (S, fan_in, fan_out), one batched
``np.matmul`` on 3-D arrays per layer and pass) beats stepping S separate ``MLP`` s one
after another, on the study's book network (784-100x4-10, ReLU, SGD, batch 128). The
lockstep step here is a measurement prototype, not part of the core; it repeats the
core's arithmetic operation for operation, and the benchmark checks that after a few
steps its weights are bit-identical to the sequential networks'.

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


def gemm_rate(size=1024, products=2):
    """float32 GFLOP/s of ``products`` size³ products on the current BLAS threads."""
    rng = np.random.default_rng(1)
    a = rng.random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    started = time.perf_counter()
    for _ in range(products):
        np.matmul(a, a, out=out)
    return 2 * size**3 * products / (time.perf_counter() - started) / 1e9


def n_weights(sizes):
    return sum(fan_in * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True))


class LockstepMLP:
    """S ReLU MLPs (SGD, softmax cross-entropy) stepped together: every parameter is
    stacked on a leading seed axis and each layer's products are one 3-D ``np.matmul``.

    Operation for operation the arithmetic of ``nnbench.core`` (Affine, ReLU,
    SoftmaxCrossEntropy, SGD), so each seed's weights follow its own ``MLP`` exactly.
    """

    def __init__(self, nets, batch_size):
        self.weights = [np.stack([net.params[f"W{i}"] for net in nets]) for i in range(1, nets[0].n_layers + 1)]
        self.biases = [np.stack([net.params[f"b{i}"] for net in nets]) for i in range(1, nets[0].n_layers + 1)]
        seeds, dtype = len(nets), self.weights[0].dtype
        self.seeds, self.batch_size = seeds, batch_size
        widths = [w.shape[2] for w in self.weights]
        self.outs = [np.empty((seeds, batch_size, width), dtype) for width in widths]
        self.masks = [np.empty((seeds, batch_size, width), dtype) for width in widths[:-1]]
        #: dx of layer k (its input's gradient), k >= 1
        self.dxs = [np.empty((seeds, batch_size, w.shape[1]), dtype) for w in self.weights]
        self.d_weights = [np.empty_like(w) for w in self.weights]
        self.d_biases = [np.empty_like(b) for b in self.biases]
        self.steps = [np.empty_like(w) for w in self.weights] + [np.empty_like(b) for b in self.biases]
        classes = widths[-1]
        self.shifted = np.empty((seeds, batch_size, classes), dtype)
        self.exp = np.empty_like(self.shifted)
        self.row_max = np.empty((seeds, batch_size, 1), dtype)
        self.row_sum = np.empty_like(self.row_max)
        self.flat_rows = (np.arange(seeds * batch_size) * classes).reshape(seeds, batch_size)
        self.x = np.empty((seeds, batch_size, nets[0].input_size), dtype)

    def step(self, x, t, indices, lr):
        """One SGD step of every seed; ``indices`` (S, B) are each seed's minibatch rows."""
        np.take(x, indices, axis=0, out=self.x)
        labels = np.take(t, indices)
        h = self.x
        layers = len(self.weights)
        inputs = []
        for k in range(layers):
            inputs.append(h)
            out = self.outs[k]
            np.matmul(h, self.weights[k], out=out)
            out += self.biases[k][:, None, :]
            if k < layers - 1:
                np.maximum(out, 0, out=out)
            h = out
        n = self.batch_size
        np.max(h, axis=2, keepdims=True, out=self.row_max)
        np.subtract(h, self.row_max, out=self.shifted)
        np.exp(self.shifted, out=self.exp)
        np.sum(self.exp, axis=2, keepdims=True, out=self.row_sum)
        # each seed's minibatch loss, as the trainer records it (divergence check)
        picked = self.shifted.reshape(-1)[self.flat_rows + labels]
        self.losses = (np.log(self.row_sum)[..., 0] - picked).mean(axis=1)
        scale = np.reciprocal(self.row_sum)
        scale *= 1 / n
        dout = self.exp  # the logits' gradient overwrites exp, which nothing needs after this
        np.multiply(self.exp, scale, out=dout)
        dout.reshape(-1)[self.flat_rows + labels] -= 1 / n
        for k in reversed(range(layers)):
            np.matmul(inputs[k].transpose(0, 2, 1), dout, out=self.d_weights[k])
            np.sum(dout, axis=1, out=self.d_biases[k])
            if k == 0:
                break
            dx = self.dxs[k]
            np.matmul(dout, self.weights[k].transpose(0, 2, 1), out=dx)
            mask = self.masks[k - 1]
            np.greater(self.outs[k - 1], 0, out=mask)
            dx *= mask
            dout = dx
        for param, grad, step in zip(self.weights + self.biases, self.d_weights + self.d_biases, self.steps,
                                     strict=True):
            np.multiply(grad, lr, out=step)
            param -= step


def measure_lockstep(seeds, repeats, quick, batch_size=128):
    """Samples/s of S seeds stepped one after another (S ``MLP`` s) and in lockstep,
    interleaved; plus whether both give bit-identical weights."""
    from nnbench.core import MLP, make_optimizer

    sizes = NETWORKS["book"][0]
    rng = np.random.default_rng(2)
    x = rng.random((4096, sizes[0]), dtype=np.float32)
    t = rng.integers(0, sizes[-1], 4096)
    orders = [[rng.permutation(4096)[:batch_size] for _ in range(N_BATCHES)] for _ in range(seeds)]

    def make_nets():
        return [MLP(sizes[0], sizes[1:-1], sizes[-1], activation="relu", init="he", seed=seed) for seed in range(seeds)]

    nets = make_nets()
    optimizers = [make_optimizer("sgd", lr=0.01) for _ in nets]
    lockstep = LockstepMLP(make_nets(), batch_size)
    stacked_orders = [np.stack([orders[s][i] for s in range(seeds)]) for i in range(N_BATCHES)]

    def sequential(i):
        for net, optimizer, order in zip(nets, optimizers, orders, strict=True):
            rows = order[i % N_BATCHES]
            grads = net.gradient(x[rows], t[rows])
            optimizer.update(net.params, grads)

    def together(i):
        lockstep.step(x, t, stacked_orders[i % N_BATCHES], 0.01)

    for i in range(3):  # same steps on both: the weights must agree bit for bit
        sequential(i)
        together(i)
    identical = all(np.array_equal(lockstep.weights[k - 1][s], net.params[f"W{k}"])
                    for s, net in enumerate(nets) for k in range(1, net.n_layers + 1))
    steps = 60 // (5 if quick else 1)
    rates = {"sequential": [], "lockstep": []}
    gemm = []
    for repeat in range(repeats):
        order = [("sequential", sequential), ("lockstep", together)]
        for name, step in order if repeat % 2 == 0 else reversed(order):
            seconds = time_block(step, steps)
            rates[name].append(steps * seeds * batch_size / seconds)
        gemm.append(gemm_rate(512 if quick else 1024))
    rate = statistics.median(gemm)
    rows = []
    for name, measured in rates.items():
        median = statistics.median(measured)
        rows.append({
            "mode": name, "seeds": seeds, "layers": "-".join(map(str, sizes)), "batch_size": batch_size,
            "samples_per_second": round(median, 1), "min": round(min(measured), 1), "max": round(max(measured), 1),
            "floor": round(median * 6 * n_weights(sizes) / (rate * 1e9), 3),
            "speedup_vs_sequential": round(statistics.median(
                a / b for a, b in zip(measured, rates["sequential"], strict=True)), 3),
            "bit_identical": identical, "gemm_gflops": round(rate, 2),
        })
    return rows


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
            gemm = []
            for repeat in range(repeats):
                order = list(steps_of) if repeat % 2 == 0 else list(reversed(steps_of))
                for implementation in order:
                    seconds = time_block(steps_of[implementation], steps)
                    rates[implementation].append(steps * batch_size / seconds)
                gemm.append(gemm_rate(512 if quick else 1024))
            rate = statistics.median(gemm)
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
                    "gemm_gflops": round(rate, 2),
                    "floor": round(statistics.median(measured) * 6 * n_weights(sizes) / (rate * 1e9), 3),
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
              f"{'range':>19} {'ratio':>6} {'target':>6} {'GEMM GF/s':>9} {'floor':>6}")
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = "" if row["ratio_vs_pytorch"] is None else f"{row['ratio_vs_pytorch']:.2f}"
        span = f"{row['min']:,.0f}-{row['max']:,.0f}"
        target = f">={row['target_ratio']}" if row["implementation"] == "nnbench" else ""
        kernel = row["numpy_blas_kernel"] if row["implementation"] == "nnbench" else ""
        print(f"{row['network']:<8} {row['layers']:<26} {row['batch_size']:>5} {row['implementation']:<8} "
              f"{kernel:<38} {row['samples_per_second']:>11,.0f} {span:>19} {ratio:>6} {target:>6} "
              f"{row['gemm_gflops']:>9.1f} {row['floor']:>6.2f}")


def print_lockstep(rows):
    print(f"\nlockstep seeds ({rows[0]['seeds']} seeds of {rows[0]['layers']}, batch {rows[0]['batch_size']}, "
          f"SGD; bit-identical weights: {'yes' if rows[0]['bit_identical'] else 'NO'})")
    print(f"{'mode':<11} {'samples/s':>11} {'range':>19} {'speedup':>8} {'floor':>6}")
    for row in rows:
        span = f"{row['min']:,.0f}-{row['max']:,.0f}"
        print(f"{row['mode']:<11} {row['samples_per_second']:>11,.0f} {span:>19} "
              f"{row['speedup_vs_sequential']:>8.2f} {row['floor']:>6.2f}")


def _write_atomically(path, write):
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    temporary.replace(path)


def save(rows, environments, out, lockstep=None):
    out.mkdir(parents=True, exist_ok=True)

    def write_csv(path):
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    _write_atomically(out / "core_throughput.csv", write_csv)
    _write_atomically(
        out / "core_throughput.json",
        lambda path: path.write_text(json.dumps({"results": rows, "environments": environments,
                                                 "lockstep": lockstep or []}, indent=2) + "\n"),
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
    parser.add_argument("--lockstep", type=int, default=4, metavar="S",
                        help="also compare S seeds in lockstep with S sequential networks (0: skip)")
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
    lockstep = None
    if args.lockstep > 0:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            lockstep = measure_lockstep(args.lockstep, args.repeats, args.quick)
        print_lockstep(lockstep)
    save(rows, environments, args.out, lockstep)
    print(f"saved {args.out}/core_throughput.csv, .json, .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
