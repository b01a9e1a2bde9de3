"""The matrix-multiply work of a run, from its resolved spec alone (no data, no training).

A fully connected layer of ``W = fan_in x fan_out`` weights costs ``2W`` FLOP per sample
forward and ``4W`` backward (the input and the weight gradients), but the first layer's
input gradient is never computed (``MLP``: nobody uses dL/dx), so a training sample costs
``6W - 2W_1`` (``W_1``: the first layer's weights) and an evaluated sample ``2W``
(PERFORMANCE.md). The workflow's *GEMM floor*
is the work of all its runs divided by the single-core GEMM rate times the cores: no
implementation can train the study faster on that machine.

What is counted for kind ``train``: every update (``6W`` x batch), every evaluation of
``curves.csv`` (each split, ``eval_samples`` or all of it), the final full-split
evaluation when ``eval_samples`` shortens the curve's (one forward pass per evaluated
sample: ``MLP.evaluate`` gives loss and accuracy together), the diagnostics on the
diagnostic batch (one inference pass for ``activations`` and ``dead_units`` together, a
training pass with its backward for ``grad_norms``), the
``loss_after_update`` forward per update and the ``minibatch_spread`` forwards. The
data-free kinds do almost no GEMM work and count as 0 (optimizer paths) or their one
forward and backward pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from nnbench.vocabulary import DEFAULT_KIND, INPUT_SIZES

__all__ = ["Workload", "run_workload", "training_pass_flop", "estimate_minutes", "peak_memory_mb", "memory_request_mb",
           "aggregate_seconds", "DATASET_SIZES",
           "N_CLASSES", "DIAGNOSTIC_SAMPLES"]

#: (training samples, test samples) of each dataset's full splits
DATASET_SIZES = {"mnist": (60000, 10000), "fashion-mnist": (60000, 10000), "digits": (1437, 360)}
N_CLASSES = 10
#: diagnostics are measured on the first this-many training samples
DIAGNOSTIC_SAMPLES = 1000
#: random minibatches per size (1, 2, 4, ... 1024) of the minibatch_spread diagnostic
MINIBATCH_SPREAD_DRAWS = 100
MINIBATCH_SPREAD_MAX_SIZE = 1024


@dataclass(frozen=True)
class Workload:
    """FLOP of one run's matrix multiplies, split by what they are for."""

    train_flop: float
    eval_flop: float
    train_samples: int
    evaluated_samples: int

    @property
    def flop(self) -> float:
        return self.train_flop + self.eval_flop


def weight_count(input_size: int, hidden_sizes, output_size: int = N_CLASSES) -> int:
    sizes = [input_size, *hidden_sizes, output_size]
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def training_pass_flop(input_size: int, hidden_sizes, output_size: int = N_CLASSES) -> float:
    """FLOP of one sample's forward and backward pass: ``6W`` less the first layer's input
    gradient (``2W_1``), which the network skips."""
    first_layer = input_size * ([*hidden_sizes, output_size][0])
    return 6.0 * weight_count(input_size, hidden_sizes, output_size) - 2.0 * first_layer


def train_iterations(spec: Mapping[str, Any], n_train: int) -> int:
    """Updates a run makes (the trainer's rule: an epoch is ``n // batch_size`` full batches)."""
    if spec.get("iterations") is not None:
        return int(spec["iterations"])
    return int(spec["epochs"]) * (n_train // int(spec["batch_size"]))


def evaluation_count(spec: Mapping[str, Any], iterations: int, n_train: int) -> int:
    """Evaluations of ``curves.csv``: step 0, every ``eval_every`` and the end."""
    per_epoch = n_train // int(spec["batch_size"])
    interval = int(spec["eval_every"]) * (per_epoch if spec.get("iterations") is None else 1)
    interior = (iterations - 1) // interval if iterations > 0 else 0
    return 1 + interior + 1


def run_workload(spec: Mapping[str, Any]) -> Workload:
    """The GEMM work of one resolved spec (see the module docstring for what counts)."""
    kind = spec.get("kind", DEFAULT_KIND)
    if kind == "optimizer_path":
        return Workload(0.0, 0.0, 0, 0)
    if kind == "activation_histogram":
        return Workload(0.0, training_pass_flop(spec["input_size"], spec["hidden_sizes"]) * spec["n_samples"], 0,
                        spec["n_samples"])
    full_train, n_test = DATASET_SIZES[spec["dataset"]]
    n_train = min(spec["n_train"] or full_train, full_train) - (spec.get("validation") or 0)
    n_validation = spec.get("validation") or 0
    weights = weight_count(INPUT_SIZES[spec["dataset"]], spec["hidden_sizes"])
    trained = training_pass_flop(INPUT_SIZES[spec["dataset"]], spec["hidden_sizes"])
    iterations = train_iterations(spec, n_train)
    train_samples = iterations * int(spec["batch_size"])

    def capped(n: int) -> int:
        return n if spec.get("eval_samples") is None else min(n, int(spec["eval_samples"]))

    splits = [n_train, n_validation, n_test]
    per_evaluation = sum(capped(n) for n in splits)
    evaluated = evaluation_count(spec, iterations, n_train) * per_evaluation
    if spec.get("eval_samples") is not None and any(n > int(spec["eval_samples"]) for n in splits):
        evaluated += sum(splits)  # the final metrics use the full splits; else the last curve point
    diagnostics = set(spec.get("diagnostics") or ())
    diagnostic_batch = min(DIAGNOSTIC_SAMPLES, n_train)
    forwards = 1 if diagnostics & {"activations", "dead_units"} else 0  # one pass serves both
    diagnostic_flop = evaluation_count(spec, iterations, n_train) * diagnostic_batch * (
        2.0 * weights * forwards + (trained if "grad_norms" in diagnostics else 0.0))
    if "loss_after_update" in diagnostics:
        evaluated += train_samples
    if "minibatch_spread" in diagnostics:
        sizes, size = 0, 1
        while size <= min(MINIBATCH_SPREAD_MAX_SIZE, n_train):
            sizes += size
            size *= 2
        evaluated += 2 * (MINIBATCH_SPREAD_DRAWS * sizes + n_train)  # at the first and the last step
    return Workload(train_flop=trained * train_samples,
                    eval_flop=2.0 * weights * evaluated + diagnostic_flop,
                    train_samples=train_samples, evaluated_samples=evaluated)


# --- aggregation -------------------------------------------------------------------------

#: What aggregating a run costs (``nnbench.aggregate.aggregate_study``, in-process, on the
#: 2-core EPYC of docs/THROUGHPUT.md): reading its summary and its tables, plus each row of
#: its curves, one per update (the minibatch loss) and a few per evaluation. Fitted to the
#: quick config's studies (4-7 ms a run, a few hundred rows each) and the full study's
#: (0.2-3.5 s a study, 6-30 ms a run of 800-4,100 rows).
AGGREGATE_SECONDS_PER_RUN = 0.004
AGGREGATE_SECONDS_PER_ROW = 7e-6


def aggregate_seconds(spec: Mapping[str, Any]) -> float:
    """An estimate of the seconds aggregating one run of the resolved ``spec`` takes (not
    counting the process's start)."""
    kind = spec.get("kind", DEFAULT_KIND)
    rows = 0
    if kind == "optimizer_path":
        rows = int(spec.get("iterations") or 0)
    elif kind == DEFAULT_KIND and spec.get("dataset") in DATASET_SIZES:
        full_train = DATASET_SIZES[spec["dataset"]][0]
        n_train = min(spec.get("n_train") or full_train, full_train) - (spec.get("validation") or 0)
        iterations = train_iterations(spec, n_train)
        rows = iterations + 6 * evaluation_count(spec, iterations, n_train)
    return AGGREGATE_SECONDS_PER_RUN + AGGREGATE_SECONDS_PER_ROW * rows


# --- wall time --------------------------------------------------------------------------

#: The GEMM rate a wall-time request assumes: a slow core under full load (16 concurrent
#: processes reached 43 GFLOP/s each in the study, issue 22; one core alone 100-140).
SLOW_GEMM_FLOPS = 5e9
#: Minutes every run is given beyond its GEMM work: the start, data load, bookkeeping.
RUN_START_MINUTES = 5


def estimate_minutes(spec: Mapping[str, Any]) -> int:
    """A generous wall time (minutes) of a resolved spec, what a cluster job asks for:
    :data:`RUN_START_MINUTES` plus its GEMM work (:func:`run_workload`) at :data:`SLOW_GEMM_FLOPS`."""
    return int(RUN_START_MINUTES + run_workload(spec).flop / SLOW_GEMM_FLOPS / 60)


# --- memory ---------------------------------------------------------------------------

#: resident memory of a process that has imported nnbench and numpy but loaded no data
#: (a digits group peaks at about 80 MB, logs/benchmarks/groups/ of the default study)
PROCESS_MB = 90.0
#: arrays per weight a run keeps: the weights, their gradients, up to two optimizer
#: moments (Adam) and the weight-decay scratch
ARRAYS_PER_WEIGHT = 5
#: activation-sized buffers per hidden unit and sample: each layer's output, its
#: backward's input gradient and mask, BN's normalised copy, dropout's mask
BUFFERS_PER_UNIT = 6
#: rows of MLP.evaluate's chunks (nnbench.core.network.DEFAULT_EVAL_CHUNK; not imported
#: here so that planning a workflow never imports the core)
EVAL_CHUNK_ROWS = 1024


def peak_memory_mb(spec: Mapping[str, Any]) -> float:
    """An estimate, in MB (10^6 bytes), of the peak resident memory of a process training
    the resolved ``spec`` (a group's process trains its runs one after another, so its
    peak is its members' largest).

    What it counts, for kind ``train``: :data:`PROCESS_MB`; the dataset's cached uint8
    pixels (memory-mapped, resident once read) and, when a validation split is carved
    out, the copies of the kept rows it makes; no float copy of a split (the run reads
    its splits as ``PixelRows``, converting a minibatch or an evaluation chunk at a
    time); the network's weight-sized arrays and its activation buffers for a minibatch,
    an evaluation chunk and the diagnostics' largest batch (which hold the converted rows). The other kinds hold no dataset. The workflow
    asks a cluster for :func:`memory_request_mb`; ``benchmarks/group_memory.py`` checks
    the estimate against the peaks a study's benchmark files measured.
    """
    kind = spec.get("kind", DEFAULT_KIND)
    itemsize = 8 if spec.get("dtype") == "float64" or kind != "train" else 4
    if kind == "optimizer_path":
        return PROCESS_MB
    if kind == "activation_histogram":
        units = spec["input_size"] + sum(spec["hidden_sizes"])
        weights = weight_count(spec["input_size"], spec["hidden_sizes"])
        return PROCESS_MB + (ARRAYS_PER_WEIGHT * weights + BUFFERS_PER_UNIT * spec["n_samples"] * units) * 8 / 1e6
    full_train, n_test = DATASET_SIZES[spec["dataset"]]
    features = INPUT_SIZES[spec["dataset"]]
    n_keep = min(spec.get("n_train") or full_train, full_train)
    validation = spec.get("validation") or 0
    data = (full_train + n_test) * features  # uint8 pixels
    if validation:
        data += n_keep * features  # the training and validation rows, copied apart
    data += (full_train + n_test) * 8 * 2  # labels, int64, and their sources
    weights = weight_count(features, spec["hidden_sizes"])
    units = features + sum(spec["hidden_sizes"]) + N_CLASSES
    diagnostics = set(spec.get("diagnostics") or ())
    largest_batch = max(int(spec["batch_size"]), EVAL_CHUNK_ROWS,
                        DIAGNOSTIC_SAMPLES if diagnostics else 0,
                        MINIBATCH_SPREAD_MAX_SIZE if "minibatch_spread" in diagnostics else 0)
    network = (ARRAYS_PER_WEIGHT * weights + BUFFERS_PER_UNIT * largest_batch * units) * itemsize
    return PROCESS_MB + (data + network) / 1e6


#: how much more than the estimate a cluster job asks for, and the least it asks for
MEMORY_MARGIN = 1.5
MEMORY_MINIMUM_MB = 500


def memory_request_mb(specs) -> int:
    """The memory (MB, a multiple of 100) a job training ``specs`` one after another asks
    a scheduler for: :data:`MEMORY_MARGIN` times the largest :func:`peak_memory_mb`,
    at least :data:`MEMORY_MINIMUM_MB`."""
    peak = max((peak_memory_mb(spec) for spec in specs), default=PROCESS_MB)
    return max(MEMORY_MINIMUM_MB, int(-(-MEMORY_MARGIN * peak // 100) * 100))
