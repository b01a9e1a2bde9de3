"""Seeds of one setting trained in lockstep, against the same seeds one after another.

The study trains 2 to 5 seeds of almost every setting, on networks of 100-unit layers
whose GEMMs are small (a step of the book network is 84 MFLOP per seed): a step is as
much per-call overhead as arithmetic. Lockstep trains the S seeds of one setting as one
network with a leading seed axis: weights stacked to (S, fan_in, fan_out), minibatches to
(S, B, fan_in), one ``np.matmul`` over the stack per product, one numpy call per
elementwise operation for all seeds. This script measures whether that pays, and whether
it keeps the records' bits.

Variants, interleaved within one process (order rotated every repeat):

- ``sequential``: nnbench's own training, ``nnbench.core.train`` of S ``MLP`` s with
  their optimizers, one seed after another (the trainer's batch order, seed s);
- ``lockstep``: this script's stacked MLP (its own forward/backward/update, operation
  for operation the core's arithmetic), one 3-D ``np.matmul`` per product;
- ``loop``: the same stacked step, but each product a Python loop of S 2-D ``@`` calls;
- ``einsum``: each product ``np.einsum('sbi,sio->sbo', ...)``;
- ``blockdiag``: each product one 2-D GEMM against a block-diagonal matrix of the S
  seeds' operands (S times the FLOP, one BLAS call).

The lockstep network starts from the S ``MLP`` s' own initial weights and draws each
seed's minibatches exactly as the trainer does (stream ``batch_order`` of seed s, a fresh
permutation per epoch), so its records are comparable bit for bit. Covered: Affine,
ReLU / sigmoid / tanh, softmax cross-entropy, weight decay; SGD, Momentum, Adam (not
batch norm or dropout).

Reports (printed, and saved to ``benchmarks/out/lockstep.{md,json}``):

1. the study's share (``config/config.yaml`` through ``nnbench.grid`` and
   ``nnbench.workload``) of runs, training steps and GEMM work on settings with several
   seeds and small layers;
2. numerics: per-step losses and final weights of lockstep (and each alternative)
   against ``sequential`` after ``--check-steps`` steps, float32 and float64, and
   whether one stacked ``np.matmul`` gives each slice the bits of its 2-D product;
3. speed for each ``--setting``, with ``--procs N`` identical benchmark processes started
   at the same moment, each on one BLAS thread: seed-steps per second (one seed's update
   = one step), GEMM GFLOP/s per process (6 x weights x batch per seed-step), the
   fraction of the single-thread 1024^3 GEMM rate measured in the same processes between
   the blocks, and the speed-up of each variant over ``sequential`` (median of the
   per-repeat ratios; each process's median, then the median over processes; in brackets
   the smallest and largest ratio of any repeat in any process), by wall time and by the
   process's CPU time (which other load on a shared machine disturbs less: time spent
   waiting for a core is not counted). ``aggregate`` is the sum over the processes of their
   median rates. Then what lockstep would save on the study's own updates of the measured
   shapes (``--setting``), from their count and the CPU-time rates.

    python benchmarks/lockstep.py                         # 1 and 2 processes, ~5 min on 2 cores
    python benchmarks/lockstep.py --procs 16              # a 16-core machine
    python benchmarks/lockstep.py --procs 1 --setting book --variants sequential,lockstep,loop,einsum,blockdiag

On a shared machine, read the ratios (measured within one process, variants interleaved)
rather than the rates; the load average before and after each measurement is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nnbench import seeding  # noqa: E402
from nnbench.core import MLP, make_optimizer, train  # noqa: E402

#: setting name -> (hidden width, hidden layers, batch size): the study's typical settings
SETTINGS = {
    "book": (100, 4, 128),        # optimizers, weight_init, lr sweep, factorial (most of the study)
    "deep": (100, 10, 128),       # vanishing_gradient
    "batch8": (100, 4, 8),        # batch_size study, smallest batches
    "batch16": (100, 4, 16),
    "batch32": (100, 4, 32),
    "overfit": (100, 6, 100),     # overfitting studies, batch_norm (5 layers)
    "width10": (10, 6, 100),      # overfitting_capacity
    "width50": (50, 6, 100),
    "width500": (500, 6, 100),
}
DEFAULT_SETTINGS = ["book", "deep", "batch8", "batch16", "batch32", "overfit", "width10", "width500"]
VARIANTS = ["sequential", "lockstep", "loop", "einsum", "blockdiag"]
DEFAULT_VARIANTS = ["sequential", "lockstep", "loop"]
INPUT_SIZE, CLASSES = 784, 10
#: training rows of the synthetic data set (a few epochs of the largest batches)
N_ROWS = 6000
#: GEMM work aimed at per timed block of one variant (sets the steps per block, 20 to 500;
#: about 0.2 s at the book setting)
BLOCK_FLOP = 2e10
OUT = REPO / "benchmarks" / "out"
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def layer_sizes(width, depth):
    return [INPUT_SIZE, *([width] * depth), CLASSES]


def weight_count(sizes):
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def synthetic_data(dtype, rows=N_ROWS):
    """Pixels in [0, 1) and labels a fixed linear teacher gives them (learnable, like MNIST's)."""
    rng = np.random.default_rng(12345)
    x = rng.random((rows, INPUT_SIZE)).astype(dtype)
    teacher = rng.standard_normal((INPUT_SIZE, CLASSES))
    t = np.argmax((x - 0.5) @ teacher, axis=1)
    return x, t


# --------------------------------------------------------------------------- products
class Products:
    """``mm(a, b, out)``: out[s] = a[s] @ b[s] for stacks a (S, m, k), b (S, k, n) (either
    may be a transposed view), by one of the variants' methods."""

    def __init__(self, method):
        self.method = method
        self._blocks = {}

    def __call__(self, a, b, out):
        if self.method == "lockstep":
            return np.matmul(a, b, out=out)
        if self.method == "loop":
            for index in range(a.shape[0]):
                np.matmul(a[index], b[index], out=out[index])
            return out
        if self.method == "einsum":
            return np.einsum("smk,skn->smn", a, b, out=out)
        return self._blockdiag(a, b, out)

    def _blockdiag(self, a, b, out):
        # [a_1 .. a_S] (m, S*k) @ diag(b_1 .. b_S) (S*k, S*n) = [a_1 b_1 .. a_S b_S] (m, S*n)
        seeds, m, k = a.shape
        n = b.shape[2]
        key = (seeds, m, k, n, a.dtype)
        buffers = self._blocks.get(key)
        if buffers is None:
            buffers = self._blocks[key] = (np.empty((m, seeds, k), a.dtype),
                                           np.zeros((seeds, k, seeds, n), a.dtype),
                                           np.empty((m, seeds, n), a.dtype))
        wide, diagonal, result = buffers
        np.copyto(wide, a.transpose(1, 0, 2))
        for index in range(seeds):
            diagonal[index, :, index, :] = b[index]
        np.matmul(wide.reshape(m, seeds * k), diagonal.reshape(seeds * k, seeds * n),
                  out=result.reshape(m, seeds * n))
        np.copyto(out, result.transpose(1, 0, 2))
        return out


# --------------------------------------------------------------------------- lockstep MLP
class LockstepMLP:
    """S MLPs of one setting stepped together, every array with a leading seed axis.

    Built from S ``nnbench.core.MLP`` s (their initial weights, activation, weight decay,
    dtype); trains like ``nnbench.core.train`` with each seed's own batch order, and
    repeats the core's arithmetic operation for operation (Affine, the activations,
    SoftmaxCrossEntropy, the weight-decay term, SGD / Momentum / Adam), so each seed
    follows its own MLP exactly when the products give the same bits.
    """

    def __init__(self, nets, seeds, optimizer, batch_size, products):
        first = nets[0]
        if first.batchnorm or first.dropout:
            raise SystemExit("lockstep prototype: no batch norm or dropout")
        if first.activation not in ("relu", "sigmoid", "tanh"):
            raise SystemExit(f"lockstep prototype: activation {first.activation!r} not covered")
        self.seeds = list(seeds)
        self.activation, self.weight_decay, self.dtype = first.activation, first.weight_decay, first.dtype
        layers = first.n_layers
        self.weights = [np.stack([net.params[f"W{k}"] for net in nets]) for k in range(1, layers + 1)]
        self.biases = [np.stack([net.params[f"b{k}"] for net in nets])[:, None, :] for k in range(1, layers + 1)]
        self.optimizer = dict(optimizer)
        self.name = self.optimizer.pop("name")
        self.hyper = {**type(make_optimizer(self.name)).defaults, **self.optimizer}
        self.steps_done = 0
        self.mm = products
        count, dtype, batch = len(nets), self.dtype, batch_size
        self.batch_size = batch
        widths = [w.shape[2] for w in self.weights]
        self.outs = [np.empty((count, batch, width), dtype) for width in widths]
        self.masks = [np.empty((count, batch, width), dtype) for width in widths[:-1]]
        self.dxs = [None] + [np.empty((count, batch, w.shape[1]), dtype) for w in self.weights[1:]]
        self.d_weights = [np.empty_like(w) for w in self.weights]
        self.d_biases = [np.empty_like(b) for b in self.biases]
        self.params = self.weights + self.biases
        self.grads = self.d_weights + self.d_biases
        self.scratch = [(np.empty_like(p), np.empty_like(p)) for p in self.params]
        self.state = [(np.zeros_like(p), np.zeros_like(p)) for p in self.params]
        self.decay_scratch = [np.empty_like(w) for w in self.weights]
        self.shifted = np.empty((count, batch, widths[-1]), dtype)
        self.exp = np.empty_like(self.shifted)
        self.dlogits = np.empty_like(self.shifted)
        self.row_max = np.empty((count, batch, 1), dtype)
        self.row_sum = np.empty_like(self.row_max)
        self.flat_rows = (np.arange(count * batch) * widths[-1]).reshape(count, batch)
        self.x = np.empty((count, batch, first.input_size), dtype)
        self.t = np.empty((count, batch), np.int64)
        self.zero_rows = [np.zeros(width, dtype) for width in widths]

    # the core's activations, same operations
    def _activate(self, out, k):
        if self.activation == "relu":
            np.maximum(out, self.zero_rows[k], out=out)
        elif self.activation == "sigmoid":
            out *= 0.5
            np.tanh(out, out=out)
            out *= 0.5
            out += 0.5
        else:
            np.tanh(out, out=out)

    def _activation_backward(self, dx, k):
        out, mask = self.outs[k], self.masks[k]
        if self.activation == "relu":
            np.greater(out, 0, out=mask)
        elif self.activation == "sigmoid":
            np.subtract(1, out, out=mask)
            mask *= out
        else:
            np.multiply(out, out, out=mask)
            np.subtract(1, mask, out=mask)
        np.multiply(dx, mask, out=dx)

    def _penalty(self, index):
        if self.weight_decay == 0:
            return 0.0
        total = 0.0
        for weights in self.weights:
            flat = weights[index].ravel()
            total += float(np.dot(flat, flat))
        return 0.5 * self.weight_decay * total

    def step(self, x, t, indices):
        """One update of every seed on its minibatch ``indices[s]``; the S losses (floats)."""
        np.take(x, indices, axis=0, out=self.x)
        np.take(t, indices, out=self.t)
        h, layers, n = self.x, len(self.weights), self.batch_size
        inputs = []
        for k in range(layers):
            inputs.append(h)
            out = self.outs[k]
            self.mm(h, self.weights[k], out)
            out += self.biases[k]
            if k < layers - 1:
                self._activate(out, k)
            h = out
        np.max(h, axis=2, keepdims=True, out=self.row_max)
        np.subtract(h, self.row_max, out=self.shifted)
        np.exp(self.shifted, out=self.exp)
        np.sum(self.exp, axis=2, keepdims=True, out=self.row_sum)
        picked = self.shifted.reshape(-1)[self.flat_rows + self.t]
        per_sample = np.log(self.row_sum)[..., 0] - picked
        means = per_sample.mean(axis=1)
        losses = [float(means[index]) + self._penalty(index) for index in range(len(self.seeds))]
        scale = np.reciprocal(self.row_sum)
        scale *= 1 / n
        dout = self.dlogits
        np.multiply(self.exp, scale, out=dout)
        dout.reshape(-1)[self.flat_rows + self.t] -= 1 / n
        for k in reversed(range(layers)):
            self.mm(inputs[k].transpose(0, 2, 1), dout, self.d_weights[k])
            np.add.reduce(dout, axis=1, out=self.d_biases[k][:, 0, :])
            if k == 0:
                break
            dx = self.dxs[k]
            self.mm(dout, self.weights[k].transpose(0, 2, 1), dx)
            self._activation_backward(dx, k - 1)
            dout = dx
        if self.weight_decay:
            for weights, grad, scratch in zip(self.weights, self.d_weights, self.decay_scratch):
                np.multiply(weights, self.weight_decay, out=scratch)
                grad += scratch
        self._update()
        return losses

    def _update(self):
        self.steps_done += 1
        hp = self.hyper
        if self.name == "adam":
            m_correction = 1.0 / (1.0 - hp["beta1"] ** self.steps_done)
            v_correction = 1.0 / (1.0 - hp["beta2"] ** self.steps_done)
        for param, grad, (one, two), (first, second) in zip(self.params, self.grads, self.scratch, self.state):
            if self.name == "sgd":
                np.multiply(grad, hp["lr"], out=one)
                param -= one
            elif self.name == "momentum":
                first *= hp["momentum"]
                np.multiply(grad, hp["lr"], out=one)
                first -= one
                param += first
            elif self.name == "adam":
                first *= hp["beta1"]
                np.multiply(grad, 1 - hp["beta1"], out=two)
                first += two
                second *= hp["beta2"]
                np.multiply(grad, grad, out=two)
                two *= 1 - hp["beta2"]
                second += two
                np.multiply(second, v_correction, out=one)
                np.sqrt(one, out=one)
                one += hp["eps"]
                np.multiply(first, hp["lr"] * m_correction, out=two)
                two /= one
                param -= two
            else:
                raise SystemExit(f"lockstep prototype: optimizer {self.name!r} not covered (sgd, momentum, adam)")

    def train(self, x, t, steps):
        """``steps`` updates of every seed, each seed's minibatches drawn as
        ``nnbench.core.train(..., seed=s)`` draws them; the losses, (S, steps) float64."""
        n, batch = x.shape[0], self.batch_size
        per_epoch = n // batch
        rngs = [seeding.rng(seed, "batch_order") for seed in self.seeds]
        orders = None
        indices = np.empty((len(self.seeds), batch), np.intp)
        losses = np.empty((len(self.seeds), steps))
        for step in range(steps):
            position = step % per_epoch
            if position == 0:
                orders = [rng.permutation(n) for rng in rngs]
            for index, order in enumerate(orders):
                indices[index] = order[position * batch:(position + 1) * batch]
            losses[:, step] = self.step(x, t, indices)
        return losses


# --------------------------------------------------------------------------- the setting
class Setting:
    """S seeds of one network: fresh MLPs, their optimizers, and the variants' steppers."""

    def __init__(self, width, depth, batch, seeds, optimizer, activation="relu", dtype="float32",
                 weight_decay=0.0):
        self.width, self.depth, self.batch, self.seeds = width, depth, batch, list(range(seeds))
        self.sizes = layer_sizes(width, depth)
        self.optimizer, self.activation, self.dtype, self.weight_decay = optimizer, activation, dtype, weight_decay
        self.x, self.t = synthetic_data(dtype)

    def nets(self):
        init = "xavier" if self.activation in ("sigmoid", "tanh") else "he"
        return [MLP(INPUT_SIZE, self.sizes[1:-1], CLASSES, activation=self.activation, init=init, dtype=self.dtype,
                    weight_decay=self.weight_decay, seed=seed) for seed in self.seeds]

    def optimizers(self):
        options = {key: value for key, value in self.optimizer.items() if key != "name"}
        return [make_optimizer(self.optimizer["name"], **options) for _ in self.seeds]

    def sequential(self):
        """A callable: ``steps`` updates of each seed by nnbench's trainer; the losses (S, steps)."""
        nets, optimizers = self.nets(), self.optimizers()

        def run(steps):
            return np.stack([train(net, optimizer, self.x, self.t, batch_size=self.batch, iterations=steps,
                                   eval_every=steps, seed=seed, progress=False).minibatch_losses
                             for net, optimizer, seed in zip(nets, optimizers, self.seeds)])
        run.weights = lambda: [[net.params[f"W{k}"] for k in range(1, net.n_layers + 1)] for net in nets]
        return run

    def lockstep(self, method):
        model = LockstepMLP(self.nets(), self.seeds, self.optimizer, self.batch, Products(method))

        def run(steps):
            return model.train(self.x, self.t, steps)
        run.weights = lambda: [[w[index] for w in model.weights] for index in range(len(self.seeds))]
        return run

    def stepper(self, variant):
        return self.sequential() if variant == "sequential" else self.lockstep(variant)

    @property
    def step_flop(self):
        """GEMM FLOP of one seed's update: 6 x weights x batch."""
        return 6.0 * weight_count(self.sizes) * self.batch


# --------------------------------------------------------------------------- numerics
def compare(reference, other):
    """Bit-identical?, max |difference| and the largest max |difference| / max |reference|
    of an array, over two lists of arrays."""
    identical, largest, relative = True, 0.0, 0.0
    for a, b in zip(reference, other, strict=True):
        a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
        identical = identical and np.array_equal(np.asarray(a), np.asarray(b))
        difference = float(np.abs(a64 - b64).max(initial=0.0))
        largest = max(largest, difference)
        relative = max(relative, difference / max(float(np.abs(a64).max(initial=0.0)), np.finfo(np.float64).tiny))
    return identical, largest, relative


def check_numerics(settings, seeds, steps, variants):
    """Each lockstep variant against ``sequential`` after ``steps`` updates, per setting,
    dtype and optimizer: rows of (bit-identical?, max abs / rel difference) of the
    per-step losses and of the final weights."""
    rows = []
    cases = [(name, optimizer, activation, decay)
             for name in settings
             for optimizer, activation, decay in ((("sgd", 0.01), "relu", 0.0), (("adam", 0.001), "relu", 0.01),
                                                  (("momentum", 0.01), "sigmoid", 0.0))]
    for name, (optimizer, lr), activation, decay in cases:
        width, depth, batch = SETTINGS[name]
        for dtype in ("float32", "float64"):
            setting = Setting(width, depth, batch, seeds, {"name": optimizer, "lr": lr}, activation, dtype, decay)
            reference = setting.sequential()
            reference_losses = reference(steps)
            for variant in variants:
                if variant == "sequential":
                    continue
                candidate = setting.lockstep(variant)
                losses = candidate(steps)
                loss_same, loss_abs, loss_rel = compare([reference_losses], [losses])
                weights_same, weight_abs, weight_rel = compare(
                    [w for seed in reference.weights() for w in seed], [w for seed in candidate.weights() for w in seed])
                rows.append({"setting": name, "optimizer": optimizer, "activation": activation,
                             "weight_decay": decay, "dtype": dtype, "variant": variant, "seeds": seeds,
                             "steps": steps, "losses_identical": loss_same, "loss_max_abs": loss_abs,
                             "loss_max_rel": loss_rel, "weights_identical": weights_same,
                             "weight_max_abs": weight_abs, "weight_max_rel": weight_rel})
    return rows


def check_products(seeds=5):
    """Does one stacked ``np.matmul`` give each slice the bits of its own 2-D product?
    The three products of a training step at the book network's shapes, both dtypes."""
    rng = np.random.default_rng(7)
    rows = []
    for dtype in (np.float32, np.float64):
        for label, (m, k, n), transpose in (("x @ W (forward)", (128, 784, 100), None),
                                            ("x.T @ dout (weight gradient)", (100, 128, 100), "a"),
                                            ("dout @ W.T (input gradient)", (128, 100, 784), "b")):
            a = rng.standard_normal((seeds, k, m) if transpose == "a" else (seeds, m, k)).astype(dtype)
            b = rng.standard_normal((seeds, n, k) if transpose == "b" else (seeds, k, n)).astype(dtype)
            a = a.transpose(0, 2, 1) if transpose == "a" else a
            b = b.transpose(0, 2, 1) if transpose == "b" else b
            stacked = np.matmul(a, b)
            separate = np.stack([a[index] @ b[index] for index in range(seeds)])
            einsum = np.einsum("smk,skn->smn", a, b)
            rows.append({"product": label, "dtype": np.dtype(dtype).name, "shape": f"{seeds}x{m}x{k}x{n}",
                         "stacked_matmul_identical": bool(np.array_equal(stacked, separate)),
                         "einsum_identical": bool(np.array_equal(einsum, separate)),
                         "einsum_max_rel": compare([separate], [einsum])[2]})
    return rows


# --------------------------------------------------------------------------- speed (one process)
def gemm_seconds(size=1024, repeats=3):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        np.matmul(a, b, out=out)
        seconds.append(time.perf_counter() - started)
    return 2.0 * size ** 3 / min(seconds) / 1e9


def measure_speed(names, seeds, optimizer, repeats, variants, steps=None):
    """One process: per setting, each variant's seed-steps/s per repeat (interleaved,
    order rotated), the GEMM rate between blocks; a dict per setting."""
    results = []
    for name in names:
        width, depth, batch = SETTINGS[name]
        setting = Setting(width, depth, batch, seeds, optimizer)
        block_steps = steps or int(min(500, max(20, BLOCK_FLOP / (setting.step_flop * seeds))))
        steppers = {variant: setting.stepper(variant) for variant in variants}
        for stepper in steppers.values():
            stepper(2)  # warm-up: buffers, caches
        rates = {variant: [] for variant in variants}
        cpu_rates = {variant: [] for variant in variants}
        gemm = []
        for repeat in range(repeats):
            shift = repeat % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                started, cpu_started = time.perf_counter(), time.process_time()
                steppers[variant](block_steps)
                rates[variant].append(block_steps * seeds / (time.perf_counter() - started))
                cpu_rates[variant].append(block_steps * seeds / (time.process_time() - cpu_started))
            gemm.append(gemm_seconds())
        results.append({"setting": name, "width": width, "depth": depth, "batch": batch, "seeds": seeds,
                        "steps_per_block": block_steps, "step_flop": setting.step_flop, "rates": rates,
                        "cpu_rates": cpu_rates, "gemm_gflops": gemm})
    return results


def worker_main(args):
    """A benchmark process started by :func:`run_processes`: waits for the common start,
    measures, prints its results as one JSON line."""
    from threadpoolctl import threadpool_limits

    optimizer = json.loads(args.optimizer)
    with threadpool_limits(limits=1):
        while time.time() < args.start_at:
            time.sleep(0.005)
        load = os.getloadavg()[0]
        results = measure_speed(args.setting, args.seeds, optimizer, args.repeats, args.variants, args.steps)
    print(json.dumps({"pid": os.getpid(), "load_start": load, "load_end": os.getloadavg()[0], "results": results}))


def run_processes(procs, args):
    """``procs`` identical worker processes started together (one BLAS thread each); their results."""
    env = dict(os.environ, **{name: "1" for name in THREAD_VARIABLES})
    start_at = time.time() + 2.0 + 0.2 * procs
    command = [sys.executable, __file__, "--worker", "--start-at", str(start_at), "--seeds", str(args.seeds),
               "--repeats", str(args.repeats), "--optimizer", args.optimizer,
               "--variants", ",".join(args.variants), "--setting", *args.setting]
    if args.steps:
        command += ["--steps", str(args.steps)]
    children = [subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True) for _ in range(procs)]
    outputs = []
    for child in children:
        stdout, _ = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"a benchmark process failed (exit {child.returncode})")
        outputs.append(json.loads(stdout.strip().splitlines()[-1]))
    return outputs


def summarize(procs, outputs, variants):
    """Rows of the speed table: per setting and variant, medians over processes of each
    process's median, the aggregate and the speed-up over sequential."""
    rows = []
    for index, first in enumerate(outputs[0]["results"]):
        per_process = [output["results"][index] for output in outputs]
        for variant in variants:
            medians = [statistics.median(result["rates"][variant]) for result in per_process]
            ratios = [[a / b for a, b in zip(result["rates"][variant], result["rates"]["sequential"])]
                      for result in per_process]
            every_ratio = [ratio for process in ratios for ratio in process]
            cpu_ratios = [statistics.median(a / b for a, b in zip(result["cpu_rates"][variant],
                                                                  result["cpu_rates"]["sequential"]))
                          for result in per_process]
            cpu_rate = statistics.median(statistics.median(result["cpu_rates"][variant]) for result in per_process)
            gemm = statistics.median(g for result in per_process for g in result["gemm_gflops"])
            rate = statistics.median(medians)
            gflops = rate * first["step_flop"] / 1e9
            rows.append({"procs": procs, "setting": first["setting"], "width": first["width"],
                         "depth": first["depth"], "batch": first["batch"], "seeds": first["seeds"],
                         "variant": variant, "seed_steps_per_s": rate, "gemm_gflops_per_proc": gflops,
                         "aggregate_seed_steps_per_s": sum(medians),
                         "aggregate_gemm_gflops": sum(medians) * first["step_flop"] / 1e9,
                         "gemm_1024_gflops_per_proc": gemm, "floor_fraction": gflops / gemm,
                         "speedup": statistics.median(statistics.median(process) for process in ratios),
                         "speedup_min": min(every_ratio), "speedup_max": max(every_ratio),
                         "seed_steps_per_cpu_s": cpu_rate, "speedup_cpu": statistics.median(cpu_ratios), "repeats": len(first["rates"][variant]),
                         "load_start": max(o["load_start"] for o in outputs),
                         "load_end": max(o["load_end"] for o in outputs)})
    return rows


# --------------------------------------------------------------------------- the study's share
def study_share(config_path):
    """Per study: runs, settings (a run's spec without its seed), seeds per setting, training
    steps, GEMM work, and whether its layers are small; plus the totals."""
    from nnbench.grid import expand, expand_study, flatten_spec, load_config, prepare_config, tuned_studies
    from nnbench.choice import GroupChoice, TunedChoice
    from nnbench.workload import DATASET_SIZES, run_workload, train_iterations

    config = prepare_config(load_config(config_path))
    rows = expand(config)
    for name in tuned_studies(config):  # a stand-in choice: the work does not depend on the tuned value
        tune = config["studies"][name]["tune"]
        value = flatten_spec(expand(config, [tune["from"]])[0].spec)[tune["key"]]
        choice = TunedChoice(key=tune["key"], metric=tune["metric"], goal=tune["goal"], group_keys=[],
                             choices=[GroupChoice(group={}, value=value, score=None, seeds=0)])
        rows += expand_study(config, name, choice)
    seen, studies = set(), {}
    for row in rows:
        if row.run_id in seen or row.spec.get("kind", "train") != "train":
            continue
        seen.add(row.run_id)
        spec = row.spec
        full, _ = DATASET_SIZES[spec["dataset"]]
        n_train = min(spec["n_train"] or full, full) - (spec.get("validation") or 0)
        work = run_workload(spec)
        setting = json.dumps({k: v for k, v in spec.items() if k != "seed"}, sort_keys=True, default=str)
        entry = studies.setdefault(row.study, {"study": row.study, "runs": 0, "settings": set(), "steps": 0,
                                               "train_flop": 0.0, "eval_flop": 0.0, "widths": set(),
                                               "batches": set(), "bn_or_dropout_runs": 0, "optimizers": set(),
                                               "small_runs": 0, "small_train_flop": 0.0, "small_steps": 0,
                                               "plain_updates": {}})
        steps = train_iterations(spec, n_train)
        small = max(spec["hidden_sizes"]) <= 100 or int(spec["batch_size"]) <= 32
        entry["runs"] += 1
        entry["settings"].add(setting)
        entry["steps"] += steps
        entry["train_flop"] += work.train_flop
        entry["eval_flop"] += work.eval_flop
        entry["widths"].add(max(spec["hidden_sizes"]))
        entry["batches"].add(int(spec["batch_size"]))
        entry["optimizers"].add(spec["optimizer"]["name"])
        entry["bn_or_dropout_runs"] += bool(spec.get("batchnorm")) or bool(spec.get("dropout"))
        entry["small_runs"] += small
        entry["small_train_flop"] += work.train_flop if small else 0.0
        entry["small_steps"] += steps if small else 0
        if not (spec.get("batchnorm") or spec.get("dropout")):  # what the prototype covers
            shape = f"{max(spec['hidden_sizes'])}x{len(spec['hidden_sizes'])} b{int(spec['batch_size'])}"
            entry["plain_updates"][shape] = entry["plain_updates"].get(shape, 0) + steps
    table = []
    for entry in studies.values():
        settings = len(entry["settings"])
        table.append({**entry, "settings": settings, "seeds_per_setting": entry["runs"] / settings,
                      "widths": sorted(entry["widths"]), "batches": sorted(entry["batches"]),
                      "optimizers": sorted(entry["optimizers"])})
    return table


# --------------------------------------------------------------------------- output
def machine():
    from threadpoolctl import threadpool_info

    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = [f"{info.get('internal_api')} {info.get('version')} ({info.get('architecture')})"
            for info in threadpool_info() if info.get("user_api") == "blas"]
    return {"cpu": model, "cpus": os.cpu_count(), "blas": "; ".join(blas), "numpy": np.__version__,
            "python": platform.python_version(), "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE")}


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def share_markdown(table):
    total_runs = sum(e["runs"] for e in table)
    total_train = sum(e["train_flop"] for e in table)
    total_flop = total_train + sum(e["eval_flop"] for e in table)
    total_steps = sum(e["steps"] for e in table)
    rows = [(e["study"], e["runs"], e["settings"], f"{e['seeds_per_setting']:.1f}", f"{e['steps'] / 1e3:.0f}k",
             f"{e['train_flop'] / 1e12:.1f}", f"{e['eval_flop'] / 1e12:.1f}", ",".join(map(str, e["widths"])),
             ",".join(map(str, e["batches"])), e["bn_or_dropout_runs"])
            for e in sorted(table, key=lambda e: -e["train_flop"] - e["eval_flop"])]
    small_runs = sum(e["small_runs"] for e in table)
    small_train = sum(e["small_train_flop"] for e in table)
    small_steps = sum(e["small_steps"] for e in table)
    plain = [e for e in table]
    no_bn_runs = sum(e["runs"] - e["bn_or_dropout_runs"] for e in plain)
    text = markdown_table(("study", "runs", "settings", "seeds/setting", "updates", "train TFLOP", "eval TFLOP",
                           "widths", "batches", "runs with BN or dropout"), rows)
    text += (f"\n\nTraining runs: {total_runs}; GEMM work {total_flop / 1e12:.1f} TFLOP, of which training "
             f"{total_train / 1e12:.1f} ({total_train / total_flop:.0%}) and evaluation "
             f"{(total_flop - total_train) / 1e12:.1f}; {total_steps / 1e6:.2f} M updates.\n"
             f"Small layers (widest hidden layer <= 100 or batch <= 32): {small_runs} runs "
             f"({small_runs / total_runs:.0%}), {small_train / total_train:.0%} of the training GEMM work, "
             f"{small_steps / total_steps:.0%} of the updates. Runs without BN or dropout (what the lockstep "
             f"prototype covers): {no_bn_runs} ({no_bn_runs / total_runs:.0%}).")
    return text


def projection(share, speed):
    """What lockstep would save on the study's own updates: for each measured setting, the
    updates of the study's runs with that shape (no BN or dropout) at the measured
    sequential rate and lockstep speed-up, both by CPU time (robust to other load). One row
    per process count."""
    updates = {}
    for entry in share:
        for shape, count in entry["plain_updates"].items():
            updates[shape] = updates.get(shape, 0) + count
    all_updates = sum(entry["steps"] for entry in share)
    rows = []
    for procs in sorted({row["procs"] for row in speed}):
        rates = {(row["setting"], row["variant"]): row for row in speed if row["procs"] == procs}
        covered = sequential_s = lockstep_s = 0.0
        for (name, variant), row in rates.items():
            if variant != "sequential" or (name, "lockstep") not in rates:
                continue
            count = updates.get(f"{row['width']}x{row['depth']} b{row['batch']}", 0)
            covered += count
            sequential_s += count / row["seed_steps_per_cpu_s"]
            lockstep_s += count / row["seed_steps_per_cpu_s"] / rates[(name, "lockstep")]["speedup_cpu"]
        rows.append({"procs": procs, "updates_covered": covered, "updates_all": all_updates,
                     "sequential_s": sequential_s, "lockstep_s": lockstep_s})
    return rows


def projection_markdown(rows):
    return markdown_table(
        ("procs", "study updates of the measured shapes (no BN/dropout)", "their CPU time, sequential (s)",
         "with lockstep", "saved"),
        [(r["procs"], f"{r['updates_covered'] / 1e3:.0f}k of {r['updates_all'] / 1e3:.0f}k",
          f"{r['sequential_s']:.0f}", f"{r['lockstep_s']:.0f}", f"{r['sequential_s'] - r['lockstep_s']:.0f}")
         for r in rows])


def numerics_markdown(rows, products):
    text = markdown_table(
        ("setting", "optimizer", "activation", "wd", "dtype", "variant", "losses identical", "loss max rel",
         "weights identical", "weight max abs", "weight max rel"),
        [(r["setting"], r["optimizer"], r["activation"], r["weight_decay"], r["dtype"], r["variant"],
          r["losses_identical"], f"{r['loss_max_rel']:.1e}", r["weights_identical"], f"{r['weight_max_abs']:.1e}",
          f"{r['weight_max_rel']:.1e}") for r in rows])
    text += "\n\n" + markdown_table(
        ("product", "dtype", "S x m x k x n", "stacked matmul = 2-D products", "einsum = 2-D products",
         "einsum max rel"),
        [(r["product"], r["dtype"], r["shape"], r["stacked_matmul_identical"], r["einsum_identical"],
          f"{r['einsum_max_rel']:.1e}") for r in products])
    return text


def speed_markdown(rows):
    return markdown_table(
        ("procs", "setting", "width x depth", "batch", "S", "variant", "seed-steps/s per proc", "GEMM GFLOP/s per proc",
         "of 1024^3 rate", "aggregate seed-steps/s", "speed-up (min-max)", "speed-up, CPU time", "load"),
        [(r["procs"], r["setting"], f"{r['width']}x{r['depth']}", r["batch"], r["seeds"], r["variant"],
          f"{r['seed_steps_per_s']:.0f}", f"{r['gemm_gflops_per_proc']:.1f}", f"{r['floor_fraction']:.2f}",
          f"{r['aggregate_seed_steps_per_s']:.0f}",
          f"{r['speedup']:.2f} ({r['speedup_min']:.2f}-{r['speedup_max']:.2f})", f"{r['speedup_cpu']:.2f}",
          f"{r['load_start']:.1f}-{r['load_end']:.1f}") for r in rows])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[-9:]))
    parser.add_argument("--setting", nargs="+", default=DEFAULT_SETTINGS, choices=list(SETTINGS),
                        help="settings to time (width x hidden layers, batch): "
                             + "; ".join(f"{k} {w}x{d} b{b}" for k, (w, d, b) in SETTINGS.items()))
    parser.add_argument("--seeds", type=int, default=5, help="seeds trained together, S (default 5, the study's)")
    parser.add_argument("--procs", type=int, nargs="*", default=[1, 2],
                        help="concurrent benchmark processes, one measurement per value (default 1 2; none: no timing)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved blocks per variant (default 5)")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"updates per seed and block (default: about {BLOCK_FLOP / 1e9:.0f} GFLOP a block, 20-500)")
    parser.add_argument("--variants", type=lambda text: text.split(","), default=DEFAULT_VARIANTS,
                        help=f"comma-separated, from {','.join(VARIANTS)} (default {','.join(DEFAULT_VARIANTS)})")
    parser.add_argument("--optimizer", default='{"name": "sgd", "lr": 0.01}', help="JSON, e.g. '{\"name\": \"adam\"}'")
    parser.add_argument("--check-steps", type=int, default=50, help="updates of the numerics check (0: skip)")
    parser.add_argument("--check-setting", nargs="+", default=["book", "batch8"], choices=list(SETTINGS),
                        help="settings of the numerics check (default book batch8)")
    parser.add_argument("--no-share", action="store_true", help="skip the study-share table")
    parser.add_argument("--config", default=str(REPO / "config" / "config.yaml"))
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown or "sequential" not in args.variants:
        parser.error(f"--variants: {','.join(unknown) or 'sequential missing'}; expected sequential and any of "
                     f"{', '.join(VARIANTS[1:])}")
    if args.worker:
        return worker_main(args)

    report = {"machine": machine(), "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
              "load_start": os.getloadavg()[0]}
    sections = [f"# Seeds in lockstep\n\n`python benchmarks/{report['command']}`\n\n"
                f"Machine: {report['machine']}\n"]
    if not args.no_share:
        share = study_share(args.config)
        report["share"] = share
        text = share_markdown(share)
        print(text + "\n", flush=True)
        sections.append("## The study's share\n\n" + text)
    if args.check_steps:
        numeric_variants = [v for v in args.variants if v != "sequential"]
        report["numerics"] = check_numerics(args.check_setting, args.seeds, args.check_steps, numeric_variants)
        report["products"] = check_products(args.seeds)
        text = numerics_markdown(report["numerics"], report["products"])
        print(text + "\n", flush=True)
        sections.append(f"## Numerics after {args.check_steps} updates, {args.seeds} seeds\n\n" + text)
    report["speed"] = []
    for procs in args.procs:
        print(f"timing with {procs} concurrent process(es) ...", file=sys.stderr, flush=True)
        rows = summarize(procs, run_processes(procs, args), args.variants)
        report["speed"] += rows
        print(speed_markdown(rows) + "\n", flush=True)
    if report["speed"]:
        sections.append("## Speed\n\n" + speed_markdown(report["speed"]))
        if "share" in report:
            report["projection"] = projection(report["share"], report["speed"])
            text = projection_markdown(report["projection"])
            print(text + "\n", flush=True)
            sections.append("## What lockstep would save on the study's updates\n\n" + text)
    report["load_end"] = os.getloadavg()[0]
    sections.append(f"Load average: {report['load_start']:.2f} at the start, {report['load_end']:.2f} at the end.")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "lockstep.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (out / "lockstep.md").write_text("\n\n".join(sections) + "\n")
    print(f"saved {out / 'lockstep.md'} and {out / 'lockstep.json'}", file=sys.stderr)
    return None


if __name__ == "__main__":
    main()
