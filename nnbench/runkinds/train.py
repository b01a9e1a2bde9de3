"""Run kind ``train``: one network trained once on a dataset with one seed.

Defaults follow STUDY.md: the book's network 784-100x4-10, ReLU, He, SGD at its default
lr, batch 100; the budget defaults to 2000 iterations (studies 2 and 4) when neither
``epochs`` nor ``iterations`` is given.

The record: ``curves.csv`` with the minibatch loss of every update (and, with the
``loss_after_update`` diagnostic, the same minibatch's loss after that update), loss and accuracy
of every split at each evaluation and the per-layer diagnostics; ``summary.json`` with
the final metrics on the full splits; ``minibatch_spread.csv`` with that diagnostic.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from nnbench.errors import SpecError
from nnbench.records import CurveRow, RunOutput
from nnbench.runkinds import spec_values as values
from nnbench.seeding import rng
from nnbench.validation import Options, not_allowed
from nnbench.vocabulary import DATASETS, DTYPES, MINIBATCH_SPREAD_COLUMNS, MINIBATCH_SPREAD_FILE

DEFAULTS: dict[str, Any] = {
    "kind": "train",
    "dataset": None,  # required
    "n_train": None,  # all training samples
    "validation": 0,
    "hidden_sizes": [100, 100, 100, 100],
    "activation": "relu",
    "init": "he",
    "init_value": None,  # only for init: constant
    "batchnorm": False,
    "batchnorm_eps": 1e-5,  # nnbench.core's DEFAULT_BATCHNORM_EPS (tested equal; the core is imported lazily)
    "dropout": 0.0,
    "weight_decay": 0.0,
    "optimizer": {"name": "sgd"},
    "batch_size": 100,
    "epochs": None,
    "iterations": None,  # DEFAULT_ITERATIONS when neither budget is given
    "eval_every": None,  # 1 epoch, or 100 iterations, matching the budget
    "eval_samples": None,  # all
    "seed": 0,
    "dtype": "float32",
    "diagnostics": ["activations", "dead_units", "distinct_units", "grad_norms"],
}
DEFAULT_ITERATIONS = 2000
DEFAULT_EVAL_EVERY = {"epochs": 1, "iterations": 100}

#: Diagnostics are computed on the first this-many training samples (a fixed batch, so
#: that values at different steps are comparable). nnbench.workload counts their cost
#: with the same numbers (tested equal: the workload is a base module and cannot import
#: this one).
DIAGNOSTIC_SAMPLES = 1000
#: Random minibatches drawn per size for the ``minibatch_spread`` diagnostic.
MINIBATCH_SPREAD_DRAWS = 100
MINIBATCH_SPREAD_MAX_SIZE = 1024

#: The plain parameters and the values they allow, checked once, at resolve time
#: (spec_values.parameters); None is allowed for those of OPTIONAL. The network's own
#: parameters use the intervals of nnbench.core.network.CONSTRAINTS (tested the same
#: objects: nnbench.validation declares each once).
PARAMETERS = {
    "dataset": Options(DATASETS, what="dataset"), "n_train": values.COUNT, "activation": values.ACTIVATION,
    "batchnorm_eps": values.POSITIVE, "dropout": values.FRACTION, "weight_decay": values.NON_NEGATIVE,
    "batch_size": values.COUNT, "eval_samples": values.COUNT, "seed": values.COUNT_OR_ZERO,
    "dtype": Options(DTYPES, what="dtype"),
}
OPTIONAL = ("n_train", "eval_samples")


# ---------------------------------------------------------------- resolution


def resolve(merged: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical values of a train spec (``merged``: the defaults updated by the spec)."""
    if merged["dataset"] is None:
        raise SpecError(f"{values.where('dataset')} is required for kind train; allowed: {', '.join(DATASETS)}")
    out = values.parameters(PARAMETERS, merged, OPTIONAL)
    out["validation"] = values.number("validation", 0 if merged["validation"] is None else merged["validation"],
                                      values.COUNT_OR_ZERO)
    if out["n_train"] is not None and out["validation"] >= out["n_train"]:
        raise not_allowed(values.where("validation"), merged["validation"],
                          f"a validation split smaller than n_train ({out['n_train']})", SpecError)
    out["hidden_sizes"] = values.layer_sizes("hidden_sizes", merged["hidden_sizes"])
    out["init"] = values.init("init", merged["init"])
    out["init_value"] = values.init_value(merged, out["init"])
    out["batchnorm"] = values.boolean("batchnorm", merged["batchnorm"])
    out["optimizer"] = values.optimizer("optimizer", merged["optimizer"], DEFAULTS["optimizer"]["name"])
    epochs, iterations = merged["epochs"], merged["iterations"]
    if epochs is not None and iterations is not None:
        raise SpecError(f"spec keys 'epochs' ({epochs!r}) and 'iterations' ({iterations!r}) both given; "
                        "give one budget: epochs or iterations")
    if epochs is None and iterations is None:
        iterations = DEFAULT_ITERATIONS
    out["epochs"] = values.optional_number("epochs", epochs, values.COUNT)
    out["iterations"] = values.optional_number("iterations", iterations, values.COUNT)
    unit = "epochs" if out["epochs"] is not None else "iterations"
    eval_every = merged["eval_every"]
    out["eval_every"] = DEFAULT_EVAL_EVERY[unit] if eval_every is None else values.number(
        "eval_every", eval_every, values.COUNT)
    out["diagnostics"] = values.diagnostics("diagnostics", merged["diagnostics"])
    return out


# ---------------------------------------------------------------- execution


def evaluate(net, x, t) -> tuple[float, float]:
    """Inference-mode (loss, accuracy) of ``net`` on ``(x, t)``: one chunked forward pass
    through reused buffers (``MLP.evaluate``), not a loss pass and an accuracy pass."""
    loss, accuracy = net.evaluate(x, t)
    return float(loss), float(accuracy)


def execute(spec: Mapping[str, Any], *, data_dir=None, cache_dir=None, progress=None) -> RunOutput:
    """Train the spec's network; ``progress.update(done, budget, unit, rows)`` at each evaluation."""
    import numpy as np

    from nnbench.core import MLP, train

    splits, n_classes = _splits(spec, data_dir, cache_dir)
    x_train, y_train = splits["train"]
    net = MLP(x_train.shape[1], spec["hidden_sizes"], n_classes, activation=spec["activation"], init=spec["init"],
              init_value=spec["init_value"], batchnorm=spec["batchnorm"],
              batchnorm_eps=spec["batchnorm_eps"], dropout=spec["dropout"],
              weight_decay=spec["weight_decay"], dtype=spec["dtype"], seed=spec["seed"])
    optimizer = values.build_optimizer(spec["optimizer"])
    evaluations = _Evaluations(spec, net, splits, progress)
    if spec["batch_size"] > len(x_train):  # the trainer checks too, for its direct callers; this names the spec
        raise not_allowed(values.where("batch_size"), spec["batch_size"],
                          f"at most the training set ({len(x_train)} samples of {spec['dataset']}); "
                          "lower batch_size or raise n_train", SpecError)
    # Overflow on the way to a non-finite loss is how a run diverges: it ends up in the
    # record's status, not as warnings on stderr.
    with np.errstate(over="ignore", invalid="ignore"):
        result = train(net, optimizer, x_train, y_train, batch_size=spec["batch_size"], iterations=spec["iterations"],
                       epochs=spec["epochs"], eval_every=spec["eval_every"], on_eval=evaluations.on_eval,
                       seed=spec["seed"], progress=False,
                       loss_after_update="loss_after_update" in evaluations.diagnostics)
    final_rows = evaluations.finish(int(result.iterations))
    rows = _update_rows(result, evaluations.epoch_of) + evaluations.rows_until(int(result.iterations))
    tables = {}
    if "minibatch_spread" in evaluations.diagnostics:
        tables[MINIBATCH_SPREAD_FILE] = (MINIBATCH_SPREAD_COLUMNS, evaluations.spread_rows)
    return RunOutput(summary=_summary(spec, result, splits, final_rows, rows), rows=rows, tables=tables)


def _splits(spec: Mapping[str, Any], data_dir, cache_dir) -> tuple[dict, int]:
    """``({split: (rows, labels)}, number of classes)``: train, validation (when the spec
    holds one out) and test, as row sources: the trainer and the evaluations convert the
    rows they read (no float copy of a split), values as if converted first (PixelRows)."""
    import numpy as np

    from nnbench.data import load_dataset

    data = load_dataset(spec["dataset"], data_dir=data_dir, cache_dir=cache_dir, n_train=spec["n_train"],
                        validation=spec["validation"], seed=spec["seed"])
    splits = {"train": (data.train_rows, data.y_train)}
    if data.validation_rows is not None and len(data.validation_rows):
        splits["validation"] = (data.validation_rows, data.y_val)
    splits["test"] = (data.test_rows, data.y_test)
    n_classes = len(data.classes) if getattr(data, "classes", None) else int(np.max(data.y_train)) + 1
    return splits, n_classes


class _Evaluations:
    """The evaluations of one run: the trainer's ``on_eval``, then the final one.

    Every evaluation in curves.csv uses the first eval_samples of each split (all when
    eval_samples is null), so a curve never jumps where the sample changes; the final
    metrics of summary.json always use the full splits, taken from the last curve point
    when that already covers every split in full (no second pass).
    """

    def __init__(self, spec: Mapping[str, Any], net, splits: Mapping[str, tuple], progress):
        import numpy as np

        self.spec, self.net, self.splits, self.progress = spec, net, splits, progress
        self.diagnostics = set(spec["diagnostics"])
        x_train, y_train = splits["train"]
        self.n_train = len(x_train)
        self.x_diag = np.asarray(x_train[:DIAGNOSTIC_SAMPLES], dtype=np.dtype(spec["dtype"]))  # converted once
        self.y_diag = y_train[:DIAGNOSTIC_SAMPLES]
        self.spread_rng = rng(spec["seed"], "minibatch_spread")
        self.spread_rows: list[tuple] = []
        self.by_step: dict[int, list[CurveRow]] = {}  # the last one is redone on the full splits if needed
        self.curve_is_full = spec["eval_samples"] is None or all(len(x) <= spec["eval_samples"]
                                                                 for x, _ in splits.values())

    def epoch_of(self, step: int) -> float:
        return step * self.spec["batch_size"] / self.n_train

    def rows(self, step: int, full: bool, with_diagnostics: bool = True) -> list[CurveRow]:
        """Loss and accuracy of every split (the full splits or the first eval_samples), and
        the diagnostics on the fixed diagnostic batch."""
        epoch = self.epoch_of(step)
        rows = []
        limit = None if full else self.spec["eval_samples"]
        for split, (x, y) in self.splits.items():
            loss, accuracy = evaluate(self.net, x[:limit], y[:limit])
            rows.append(CurveRow(step, epoch, split, "loss", "", loss))
            rows.append(CurveRow(step, epoch, split, "accuracy", "", accuracy))
        if with_diagnostics:
            rows.extend(_diagnostic_rows(self.net, step, epoch, self.x_diag, self.y_diag, self.diagnostics))
        return rows

    def on_eval(self, step: int, epoch: float) -> None:
        import numpy as np

        step = int(step)
        with np.errstate(all="ignore"):  # a diverging net evaluates to nan/inf: recorded, not raised
            self.by_step[step] = self.rows(step, full=self.curve_is_full)
        if step == 0 and "minibatch_spread" in self.diagnostics:
            self.spread_rows.extend(_minibatch_spread(self.net, 0, *self.splits["train"], self.spread_rng))
        if self.progress is not None:
            unit = "epochs" if self.spec["epochs"] is not None else "iterations"
            done = step if unit == "iterations" else self.epoch_of(step)
            self.progress.update(done, self.spec[unit], unit, self.by_step[step])

    def finish(self, final_step: int) -> list[CurveRow]:
        """The rows of the final metrics (on the full splits), after the last update."""
        import numpy as np

        with np.errstate(all="ignore"):
            if final_step not in self.by_step:  # diverged between two evaluations
                self.by_step[final_step] = self.rows(final_step, full=self.curve_is_full)
            final_rows = self.by_step[final_step] if self.curve_is_full else self.rows(final_step, True, False)
            if "minibatch_spread" in self.diagnostics:
                self.spread_rows.extend(_minibatch_spread(self.net, final_step, *self.splits["train"],
                                                          self.spread_rng))
        return final_rows

    def rows_until(self, final_step: int) -> list[CurveRow]:
        """The evaluations' rows in step order, up to the last update."""
        return [row for step in sorted(self.by_step) if step <= final_step for row in self.by_step[step]]


def _update_rows(result, epoch_of) -> list[CurveRow]:
    """The minibatch loss of every update (and the same minibatch's after it), and the
    non-finite loss that stopped a diverged run."""
    import numpy as np

    rows: list[CurveRow] = []
    losses = np.asarray(result.minibatch_losses, dtype=np.float64)
    for step, loss in enumerate(losses.tolist()):  # the loss of update i is computed after i updates
        rows.append(CurveRow(step, epoch_of(step), "minibatch", "loss", "", loss))
    if result.losses_after_update is not None:
        # the same minibatch's loss after its update (the book's logging): one row per update
        for step, loss in enumerate(np.asarray(result.losses_after_update, dtype=np.float64).tolist()):
            rows.append(CurveRow(step, epoch_of(step), "minibatch", "loss_after_update", "", loss))
    if result.status == "diverged" and result.diverged_loss is not None:
        # the non-finite loss that stopped the run (its update was not applied)
        final_step = int(result.iterations)
        rows.append(CurveRow(final_step, epoch_of(final_step), "minibatch", "loss", "", float(result.diverged_loss)))
    return rows


def _summary(spec, result, splits, final_rows, rows) -> dict[str, Any]:
    """summary.json's metrics: the final ones on the full splits, the best of the curves."""
    import numpy as np

    final = {(row.split, row.metric): row.value for row in final_rows if row.layer == ""}
    final_step, n_train = int(result.iterations), len(splits["train"][0])
    train_seconds = float(result.train_seconds)
    summary: dict[str, Any] = {
        "status": str(result.status),
        "dataset": spec["dataset"],
        "n_train_samples": n_train,
        "n_test_samples": len(splits["test"][0]),
        "iterations": final_step,
        "epochs": final_step * spec["batch_size"] / n_train,
        "train_seconds": train_seconds,
        "samples_per_second": final_step * spec["batch_size"] / train_seconds if train_seconds > 0 else None,
        "final_minibatch_loss": _tail_mean(np.asarray(result.minibatch_losses, dtype=np.float64)),
    }
    if spec["batchnorm"]:
        # a runs.csv column, so that the report states the eps the BN runs used
        summary["batchnorm_eps"] = spec["batchnorm_eps"]
    for split in splits:
        summary[f"final_{split}_loss"] = final[(split, "loss")]
        summary[f"final_{split}_acc"] = final[(split, "accuracy")]
        if split != "train":  # best over the evaluations of curves.csv (on eval_samples, if set)
            accuracies = [row.value for row in rows if row.split == split and row.metric == "accuracy"
                          and math.isfinite(row.value)]
            summary[f"best_{split}_acc"] = max(accuracies) if accuracies else None
    return summary


#: diagnostic -> the curve metrics (split ``train``) it records.
DIAGNOSTIC_METRICS = {"grad_norms": ("grad_norm",), "activations": ("activation_mean", "activation_std"),
                      "dead_units": ("dead_fraction",), "distinct_units": ("distinct_units",)}


def recorded_metrics(spec: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """``(summary metrics, curve split/metric)`` that a run of the resolved ``spec`` records
    (what a user study may plot)."""
    splits = ["train", "test"] + (["validation"] if spec["validation"] else [])
    summary = {"iterations", "epochs", "train_seconds", "samples_per_second", "wall_seconds",
               "final_minibatch_loss"}
    curves = {"minibatch/loss"}
    for split in splits:
        summary |= {f"final_{split}_loss", f"final_{split}_acc"} | ({f"best_{split}_acc"} if split != "train" else set())
        curves |= {f"{split}/loss", f"{split}/accuracy"}
    for diagnostic in spec["diagnostics"]:
        curves |= {f"train/{metric}" for metric in DIAGNOSTIC_METRICS.get(diagnostic, ())}
    return summary, curves


def _diagnostic_rows(net, step, epoch, x_diag, y_diag, diagnostics) -> list[CurveRow]:
    """Per-layer diagnostics on the fixed diagnostic batch (split ``train``)."""
    import copy

    import numpy as np

    from nnbench.core import layer_grad_norms

    rows = []
    if "grad_norms" in diagnostics:
        # A training-mode pass draws dropout masks and moves batch-norm running averages:
        # do it on a copy so that measuring never changes the run being measured.
        probe = copy.deepcopy(net)
        norms = layer_grad_norms(probe.gradient(x_diag, y_diag))
        rows.extend(CurveRow(step, epoch, "train", "grad_norm", index, float(norm))
                    for index, norm in enumerate(norms, 1))
    # one inference-mode pass serves both (it changes nothing in the network)
    activations = net.hidden_activations(x_diag, train=False) if {"activations", "dead_units"} & diagnostics else None
    if "activations" in diagnostics:
        for index, activation in enumerate(activations, 1):
            activation = np.asarray(activation, dtype=np.float64)
            rows.append(CurveRow(step, epoch, "train", "activation_mean", index, float(activation.mean())))
            rows.append(CurveRow(step, epoch, "train", "activation_std", index, float(activation.std())))
    if "dead_units" in diagnostics:
        rows.extend(CurveRow(step, epoch, "train", "dead_fraction", index, float(fraction))
                    for index, fraction in enumerate(net.dead_fraction_of(activations), 1))
    if "distinct_units" in diagnostics:
        rows.extend(CurveRow(step, epoch, "train", "distinct_units", index, float(count))
                    for index, count in enumerate(net.distinct_units(), 1))
    return rows


def _minibatch_spread(net, step, x_train, y_train, generator) -> list[tuple]:
    """Loss of random minibatches of size 1, 2, 4, ... around the full-training-set loss
    (rows of ``minibatch_spread.csv``)."""
    import numpy as np

    n_train = len(x_train)
    full_loss = float(net.evaluate(x_train, y_train)[0])  # chunked: no temporaries the size of the split
    rows = []
    size = 1
    while size <= min(MINIBATCH_SPREAD_MAX_SIZE, n_train):
        losses = np.empty(MINIBATCH_SPREAD_DRAWS)
        for draw in range(MINIBATCH_SPREAD_DRAWS):
            index = generator.choice(n_train, size=size, replace=False)
            losses[draw] = net.loss(x_train[index], y_train[index], train=False)
        rows.append((step, size, MINIBATCH_SPREAD_DRAWS, float(losses.mean()), float(losses.std(ddof=1)), full_loss))
        size *= 2
    return rows


def _tail_mean(losses) -> float | None:
    """Mean minibatch loss over the last 10% of iterations (at least one)."""
    if len(losses) == 0:
        return None
    count = max(1, len(losses) // 10)
    return float(losses[-count:].mean())
