"""The matrix-multiply work of a run, from its resolved spec alone (no data, no training).

A fully connected layer of ``W = fan_in x fan_out`` weights costs ``2W`` FLOP per sample
forward and ``4W`` backward (the input and the weight gradients), so a training sample
costs ``6W`` and an evaluated sample ``2W`` (PERFORMANCE.md). The workflow's *GEMM floor*
is the work of all its runs divided by the single-core GEMM rate times the cores: no
implementation can train the study faster on that machine.

What is counted for kind ``train``: every update (``6W`` x batch), every evaluation of
``curves.csv`` (each split, ``eval_samples`` or all of it), the final full-split
evaluation when ``eval_samples`` shortens the curve's (one forward pass per evaluated
sample: ``MLP.evaluate`` gives loss and accuracy together), the diagnostics on the
diagnostic batch (forward passes, and a backward pass for ``grad_norms``), the
``loss_after_update`` forward per update and the ``minibatch_spread`` forwards. The
data-free kinds do almost no GEMM work and count as 0 (optimizer paths) or their one
forward and backward pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from nnbench.vocabulary import INPUT_SIZES

__all__ = ["Workload", "run_workload", "DATASET_SIZES", "N_CLASSES", "DIAGNOSTIC_SAMPLES"]

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
    kind = spec.get("kind", "train")
    if kind == "optimizer_path":
        return Workload(0.0, 0.0, 0, 0)
    if kind == "activation_histogram":
        weights = weight_count(spec["input_size"], spec["hidden_sizes"])
        return Workload(0.0, 6.0 * weights * spec["n_samples"], 0, spec["n_samples"])
    full_train, n_test = DATASET_SIZES[spec["dataset"]]
    n_train = min(spec["n_train"] or full_train, full_train) - (spec.get("validation") or 0)
    n_validation = spec.get("validation") or 0
    weights = weight_count(INPUT_SIZES[spec["dataset"]], spec["hidden_sizes"])
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
    forwards = len(diagnostics & {"activations", "dead_units"})
    diagnostic_flop = evaluation_count(spec, iterations, n_train) * diagnostic_batch * weights * (
        2.0 * forwards + (6.0 if "grad_norms" in diagnostics else 0.0))
    if "loss_after_update" in diagnostics:
        evaluated += train_samples
    if "minibatch_spread" in diagnostics:
        sizes, size = 0, 1
        while size <= min(MINIBATCH_SPREAD_MAX_SIZE, n_train):
            sizes += size
            size *= 2
        evaluated += 2 * (MINIBATCH_SPREAD_DRAWS * sizes + n_train)  # at the first and the last step
    return Workload(train_flop=6.0 * weights * train_samples,
                    eval_flop=2.0 * weights * evaluated + diagnostic_flop,
                    train_samples=train_samples, evaluated_samples=evaluated)
