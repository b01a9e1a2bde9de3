"""Execute one run spec and write its record (``spec.json``, ``curves.csv``, ``summary.json``).

:func:`run` is the unit the workflow fans out over. It resolves the spec (so a bad spec
fails before anything is written), pins BLAS to ``threads`` for the whole run, executes
the spec's ``kind`` and, when ``out`` is given, writes the record into a temporary
sibling folder that is renamed into place only when complete: a killed run never leaves
a folder that looks finished.

The record format is fixed by ``docs/ARCHITECTURE.md``. ``curves.csv`` is byte-identical
for the same spec: rows in a fixed order, floats written with ``repr`` (the shortest
text that reads back to the same double); timings live only in ``summary.json``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from nnbench.errors import NnbenchError
from nnbench.spec import SpecError, read_spec, resolve_spec, run_id

__all__ = ["run", "RunError", "CURVES_COLUMNS", "MINIBATCH_SPREAD_COLUMNS", "HISTOGRAM_COLUMNS"]

CURVES_COLUMNS = ("step", "epoch", "split", "metric", "layer", "value")
HISTOGRAM_COLUMNS = ("layer", "bin_left", "bin_right", "count")
MINIBATCH_SPREAD_COLUMNS = ("step", "batch_size", "draws", "mean_loss", "std_loss", "full_loss")

#: Diagnostics are computed on the first this-many training samples (a fixed batch, so
#: that values at different steps are comparable).
DIAGNOSTIC_SAMPLES = 1000
#: Random minibatches drawn per size for the ``minibatch_spread`` diagnostic.
MINIBATCH_SPREAD_DRAWS = 100
MINIBATCH_SPREAD_MAX_SIZE = 1024
#: Files a run record may contain (an existing folder holding anything else is not
#: replaced, so a mistyped ``--out`` can never delete someone's data).
RECORD_FILES = ("spec.json", "curves.csv", "summary.json", "histograms.csv", "minibatch_spread.csv")

# Sub-streams of the run's seed, so that the diagnostics never consume the training
# stream (turning a diagnostic on must not change the training curve).
_STREAM_MINIBATCH_SPREAD = 1
_STREAM_HISTOGRAM_INPUTS = 2


class RunError(NnbenchError):
    """A run that cannot start: bad ``threads``, an ``out`` folder that must not be replaced."""


@dataclass
class Record:
    """What a run produced, before it is written."""

    summary: dict[str, Any]
    rows: list[tuple] = field(default_factory=list)  # (step, epoch, split, metric, layer, value)
    tables: dict[str, tuple[tuple[str, ...], list[tuple]]] = field(default_factory=dict)


# ---------------------------------------------------------------- public entry point


def run(spec: Mapping[str, Any] | str | os.PathLike, out: str | os.PathLike | None = None,
        data_dir: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
        threads: int = 1, progress: bool | None = None) -> dict[str, Any]:
    """Run ``spec`` once and return its summary dict; write the record into ``out`` if given.

    ``spec`` is a mapping or the path of a YAML/JSON spec file. ``data_dir`` and
    ``cache_dir`` say where datasets are found; they are not part of the spec and do not
    change the ``run_id``. ``threads`` pins BLAS threads for the whole run. ``progress``
    shows a progress line on stderr (default: only when stderr is a terminal).

    A bad spec raises :class:`~nnbench.spec.SpecError` before anything is written. A run
    whose loss becomes non-finite is a result: ``summary["status"] == "diverged"``.
    """
    started = time.perf_counter()
    if isinstance(spec, (str, os.PathLike)):
        spec = read_spec(spec)
    spec = dict(spec)
    given_id = spec.pop("run_id", None)  # a spec.json of an earlier record carries its id
    resolved = resolve_spec(spec)
    rid = run_id(resolved)
    if given_id is not None and given_id != rid:
        raise SpecError(f"spec key 'run_id': {given_id!r} does not match the spec's content (run_id {rid}); "
                        "remove the run_id key")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise RunError(f"threads: {threads!r} is not allowed; expected a whole number >= 1")
    out_path = Path(os.path.abspath(out)) if out is not None else None  # "." and ".." get a real name
    if out_path is not None:
        _check_replaceable(out_path)
    if progress is None:
        progress = _stderr_is_terminal()
    reporter = _Progress(rid, enabled=bool(progress))

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        kind = resolved["kind"]
        if kind == "train":
            record = _run_train(resolved, data_dir=data_dir, cache_dir=cache_dir, progress=reporter)
        elif kind == "optimizer_path":
            record = _run_optimizer_path(resolved)
        else:
            record = _run_activation_histogram(resolved)
        blas = _blas_info()
    reporter.close()

    summary = {"run_id": rid, "kind": resolved["kind"], **record.summary}
    summary["wall_seconds"] = time.perf_counter() - started
    summary["versions"] = _versions()
    summary["blas"] = blas
    summary["threads"] = threads
    summary = _json_safe(dict(sorted(summary.items())))
    if out_path is not None:
        _write_record(out_path, resolved, rid, record, summary)
    return summary


# ---------------------------------------------------------------- kind: train


def _run_train(spec: Mapping[str, Any], *, data_dir, cache_dir, progress: "_Progress") -> Record:
    import numpy as np

    from nnbench.core import MLP, layer_grad_norms, make_optimizer, train
    from nnbench.data import load_dataset

    data = load_dataset(spec["dataset"], data_dir=data_dir, cache_dir=cache_dir, n_train=spec["n_train"],
                        validation=spec["validation"], seed=spec["seed"])
    dtype = np.dtype(spec["dtype"])
    splits = {"train": (data.x_train.astype(dtype, copy=False), data.y_train)}
    if data.x_val is not None and len(data.x_val):
        splits["validation"] = (data.x_val.astype(dtype, copy=False), data.y_val)
    splits["test"] = (data.x_test.astype(dtype, copy=False), data.y_test)
    x_train, y_train = splits["train"]
    n_train = len(x_train)
    n_classes = len(data.classes) if getattr(data, "classes", None) else int(np.max(y_train)) + 1

    net = MLP(x_train.shape[1], spec["hidden_sizes"], n_classes, activation=spec["activation"], init=spec["init"],
              init_value=spec["init_value"], batchnorm=spec["batchnorm"], dropout=spec["dropout"],
              weight_decay=spec["weight_decay"], dtype=spec["dtype"], seed=spec["seed"])
    hyperparameters = {key: value for key, value in spec["optimizer"].items() if key != "name"}
    optimizer = make_optimizer(spec["optimizer"]["name"], **hyperparameters)

    batch_size = spec["batch_size"]
    diagnostics = set(spec["diagnostics"])
    x_diag, y_diag = x_train[:DIAGNOSTIC_SAMPLES], y_train[:DIAGNOSTIC_SAMPLES]
    spread_rng = np.random.default_rng([spec["seed"], _STREAM_MINIBATCH_SPREAD])
    spread_rows: list[tuple] = []
    # step -> rows of that evaluation; the last evaluation is redone on the full splits.
    evaluations: dict[int, list[tuple]] = {}
    accuracies: dict[str, list[float]] = {split: [] for split in splits}
    budget_unit = "epochs" if spec["epochs"] is not None else "iterations"
    budget = spec[budget_unit]

    def epoch_of(step: int) -> float:
        return step * batch_size / n_train

    def evaluate(step: int, full: bool, with_diagnostics: bool = True) -> list[tuple]:
        epoch = epoch_of(step)
        rows = []
        limit = None if full else spec["eval_samples"]
        penalty = _weight_penalty(net)
        for split, (x, y) in splits.items():
            loss, accuracy = _loss_and_accuracy(net, x[:limit], y[:limit], penalty)
            rows.append((step, epoch, split, "loss", "", loss))
            rows.append((step, epoch, split, "accuracy", "", accuracy))
        if with_diagnostics:
            rows.extend(_diagnostic_rows(net, step, epoch, x_diag, y_diag, diagnostics, layer_grad_norms))
        return rows

    # Every evaluation in curves.csv uses the first eval_samples of each split (all when
    # eval_samples is null), so a curve never jumps where the sample changes; the final
    # metrics of summary.json always use the full splits.
    curve_is_full = spec["eval_samples"] is None

    def on_eval(step: int, epoch: float) -> None:
        step = int(step)
        with np.errstate(all="ignore"):  # a diverging net evaluates to nan/inf: recorded, not raised
            evaluations[step] = evaluate(step, full=curve_is_full)
        if step == 0 and "minibatch_spread" in diagnostics:
            spread_rows.extend(_minibatch_spread(net, 0, x_train, y_train, spread_rng))
        done = step if budget_unit == "iterations" else epoch_of(step)
        progress.update(done, budget, budget_unit, evaluations[step])

    if batch_size > n_train:
        raise SpecError(f"spec key 'batch_size': {batch_size} is larger than the training set "
                        f"({n_train} samples of {spec['dataset']}); lower batch_size or raise n_train")
    # Overflow on the way to a non-finite loss is how a run diverges: it ends up in the
    # record's status, not as warnings on stderr.
    with np.errstate(over="ignore", invalid="ignore"):
        result = train(net, optimizer, x_train, y_train, batch_size=batch_size, iterations=spec["iterations"],
                       epochs=spec["epochs"], eval_every=spec["eval_every"], on_eval=on_eval, seed=spec["seed"],
                       progress=False)
    final_step = int(result.iterations)
    with np.errstate(all="ignore"):
        if final_step not in evaluations:  # diverged between two evaluations
            evaluations[final_step] = evaluate(final_step, full=curve_is_full)
        final_rows = evaluations[final_step] if curve_is_full else evaluate(final_step, True, False)
        if "minibatch_spread" in diagnostics:
            spread_rows.extend(_minibatch_spread(net, final_step, x_train, y_train, spread_rng))

    rows: list[tuple] = []
    losses = np.asarray(result.minibatch_losses, dtype=np.float64)
    for step, loss in enumerate(losses.tolist()):  # the loss of update i is computed after i updates
        rows.append((step, epoch_of(step), "minibatch", "loss", "", loss))
    if result.status == "diverged" and result.diverged_loss is not None:
        # the non-finite loss that stopped the run (its update was not applied)
        rows.append((final_step, epoch_of(final_step), "minibatch", "loss", "", float(result.diverged_loss)))
    for step in sorted(evaluations):
        if step <= final_step:
            rows.extend(evaluations[step])
    for row in rows:
        if row[2] in accuracies and row[3] == "accuracy" and math.isfinite(row[5]):
            accuracies[row[2]].append(row[5])

    final = {(row[2], row[3]): row[5] for row in final_rows if row[4] == ""}
    train_seconds = float(result.train_seconds)
    summary: dict[str, Any] = {
        "status": str(result.status),
        "dataset": spec["dataset"],
        "n_train_samples": n_train,
        "n_test_samples": len(splits["test"][0]),
        "iterations": final_step,
        "epochs": epoch_of(final_step),
        "train_seconds": train_seconds,
        "samples_per_second": final_step * batch_size / train_seconds if train_seconds > 0 else None,
        "final_minibatch_loss": _tail_mean(losses),
    }
    for split in splits:
        summary[f"final_{split}_loss"] = final[(split, "loss")]
        summary[f"final_{split}_acc"] = final[(split, "accuracy")]
        if split != "train":  # best over the evaluations of curves.csv (on eval_samples, if set)
            summary[f"best_{split}_acc"] = max(accuracies[split]) if accuracies[split] else None
    tables = {}
    if "minibatch_spread" in diagnostics:
        tables["minibatch_spread.csv"] = (MINIBATCH_SPREAD_COLUMNS, spread_rows)
    return Record(summary=summary, rows=rows, tables=tables)


def _weight_penalty(net) -> float:
    """lambda/2 * sum of squared weights (W matrices only), as the core's ``MLP.loss`` adds it."""
    if not net.weight_decay:
        return 0.0
    import numpy as np

    total = 0.0
    for index in range(1, net.n_layers + 1):
        weights = net.params[f"W{index}"].ravel()
        total += float(np.dot(weights, weights))
    return 0.5 * net.weight_decay * total


def _loss_and_accuracy(net, x, y, penalty: float) -> tuple[float, float]:
    """Inference-mode loss (``MLP.loss``) and accuracy from one forward pass instead of two.

    Evaluation dominates a run's cost on the full MNIST splits, so the logits are computed
    once and fed to the network's own fused softmax cross-entropy.
    """
    import numpy as np

    logits = net.predict(x, train=False)
    loss = float(net.loss_layer.forward(logits, y)) + penalty
    accuracy = float(np.mean(np.argmax(logits, axis=1) == y))
    return loss, accuracy


def _diagnostic_rows(net, step, epoch, x_diag, y_diag, diagnostics, layer_grad_norms) -> list[tuple]:
    """Per-layer diagnostics on the fixed diagnostic batch (split ``train``)."""
    import copy

    import numpy as np

    rows = []
    if "grad_norms" in diagnostics:
        # A training-mode pass draws dropout masks and moves batch-norm running averages:
        # do it on a copy so that measuring never changes the run being measured.
        probe = copy.deepcopy(net)
        norms = layer_grad_norms(probe.gradient(x_diag, y_diag))
        rows.extend((step, epoch, "train", "grad_norm", index, float(norm)) for index, norm in enumerate(norms, 1))
    if "activations" in diagnostics:
        for index, activation in enumerate(net.hidden_activations(x_diag, train=False), 1):
            activation = np.asarray(activation, dtype=np.float64)
            rows.append((step, epoch, "train", "activation_mean", index, float(activation.mean())))
            rows.append((step, epoch, "train", "activation_std", index, float(activation.std())))
    if "dead_units" in diagnostics:
        rows.extend((step, epoch, "train", "dead_fraction", index, float(fraction))
                    for index, fraction in enumerate(net.dead_fraction(x_diag), 1))
    if "distinct_units" in diagnostics:
        rows.extend((step, epoch, "train", "distinct_units", index, float(count))
                    for index, count in enumerate(net.distinct_units(), 1))
    return rows


def _minibatch_spread(net, step, x_train, y_train, rng) -> list[tuple]:
    """Loss of random minibatches of size 1, 2, 4, ... around the full-training-set loss."""
    import numpy as np

    n_train = len(x_train)
    full_loss = float(net.loss(x_train, y_train, train=False))
    rows = []
    size = 1
    while size <= min(MINIBATCH_SPREAD_MAX_SIZE, n_train):
        losses = np.empty(MINIBATCH_SPREAD_DRAWS)
        for draw in range(MINIBATCH_SPREAD_DRAWS):
            index = rng.choice(n_train, size=size, replace=False)
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


# ---------------------------------------------------------------- kind: optimizer_path


def _run_optimizer_path(spec: Mapping[str, Any]) -> Record:
    """The optimizer on f(x, y) = x^2/20 + y^2 from ``start``: one row per point."""
    import numpy as np

    from nnbench.core import make_optimizer

    hyperparameters = {key: value for key, value in spec["optimizer"].items() if key != "name"}
    optimizer = make_optimizer(spec["optimizer"]["name"], **hyperparameters)
    params = {"x": np.array([spec["start"][0]], dtype=np.float64), "y": np.array([spec["start"][1]], dtype=np.float64)}

    def point_rows(step: int) -> list[tuple]:
        x, y = float(params["x"][0]), float(params["y"][0])
        return [(step, 0.0, "path", "x", "", x), (step, 0.0, "path", "y", "", y),
                (step, 0.0, "path", "f", "", x * x / 20.0 + y * y)]

    rows = point_rows(0)
    status = "ok"
    steps = 0
    with np.errstate(all="ignore"):
        for step in range(1, spec["iterations"] + 1):
            grads = {"x": params["x"] / 10.0, "y": 2.0 * params["y"]}
            optimizer.update(params, grads)
            rows.extend(point_rows(step))
            steps = step
            if not all(math.isfinite(row[5]) for row in rows[-3:]):
                status = "diverged"
                break
    x, y = float(params["x"][0]), float(params["y"][0])
    summary = {"status": status, "iterations": steps, "final_x": x, "final_y": y, "final_f": x * x / 20.0 + y * y}
    return Record(summary=summary, rows=rows)


# ---------------------------------------------------------------- kind: activation_histogram


def _run_activation_histogram(spec: Mapping[str, Any]) -> Record:
    """Forward N(0, 1) inputs through bias-free layers; histogram each layer's output.

    The network is the core's MLP (biases start at zero, so its hidden layers are the
    bias-free layers of study 3) with a 10-class softmax output. The backward pass is
    the gradient of the mean softmax cross-entropy against uniformly random labels;
    ``mean_abs_grad`` of layer l is the mean |dL/dW_l| of that hidden layer's weights.
    """
    import numpy as np

    from nnbench.core import MLP

    n_classes = 10
    rng = np.random.default_rng([spec["seed"], _STREAM_HISTOGRAM_INPUTS])
    x = rng.standard_normal((spec["n_samples"], spec["input_size"]))
    labels = rng.integers(0, n_classes, size=spec["n_samples"])
    net = MLP(spec["input_size"], spec["hidden_sizes"], n_classes, activation=spec["activation"],
              init=spec["init"], init_value=spec["init_value"], batchnorm=False, dropout=0.0,
              weight_decay=0.0, dtype="float64", seed=spec["seed"])
    with np.errstate(all="ignore"):
        activations = [np.asarray(a, dtype=np.float64) for a in net.hidden_activations(x, train=False)]
        grads = net.gradient(x, labels)
    low, high = _histogram_range(spec["activation"], activations)
    rows: list[tuple] = []
    histogram_rows: list[tuple] = []
    for index, activation in enumerate(activations, 1):
        rows.append((0, 0.0, "forward", "activation_mean", index, float(activation.mean())))
        rows.append((0, 0.0, "forward", "activation_std", index, float(activation.std())))
        rows.append((0, 0.0, "forward", "mean_abs_grad", index, float(np.mean(np.abs(grads[f"W{index}"])))))
        counts, edges = np.histogram(activation.ravel(), bins=spec["bins"], range=(low, high))
        histogram_rows.extend((index, float(edges[b]), float(edges[b + 1]), int(counts[b])) for b in range(len(counts)))
    finite = all(math.isfinite(row[5]) for row in rows)
    summary = {"status": "ok" if finite else "diverged", "iterations": 0, "layers": len(activations),
               "bin_low": low, "bin_high": high}
    return Record(summary=summary, rows=rows, tables={"histograms.csv": (HISTOGRAM_COLUMNS, histogram_rows)})


def _histogram_range(activation: str, activations) -> tuple[float, float]:
    """[0, 1] for sigmoid, [-1, 1] for tanh, [0, max over all layers] for ReLU-like."""
    import numpy as np

    if activation == "sigmoid":
        return 0.0, 1.0
    if activation == "tanh":
        return -1.0, 1.0
    finite = [a[np.isfinite(a)] for a in activations]
    high = max((float(a.max()) for a in finite if a.size), default=1.0)
    low = min((float(a.min()) for a in finite if a.size), default=0.0)
    low = min(low, 0.0)  # ReLU: 0; leaky ReLU: its (small) negative minimum
    if not high > low:
        high = low + 1.0
    return low, high


# ---------------------------------------------------------------- writing


def _format_row(row: tuple) -> str:
    return ",".join(repr(value) if isinstance(value, float) else str(value) for value in row)


def _row_order(row: tuple):
    step, _epoch, split, metric, layer, _value = row
    return (step, split, metric, -1 if layer == "" else layer)


def _csv_text(columns, rows) -> str:
    lines = [",".join(columns)]
    lines.extend(_format_row(row) for row in rows)
    return "\n".join(lines) + "\n"


def _write_record(out: Path, resolved: Mapping[str, Any], rid: str, record: Record, summary: Mapping[str, Any]) -> None:
    """Write the record into ``<out>.tmp-<pid>`` and move it into place when complete."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    if temporary.exists():
        shutil.rmtree(temporary)
    try:
        temporary.mkdir()
        spec_text = json.dumps({**resolved, "run_id": rid}, indent=2, sort_keys=True, allow_nan=False) + "\n"
        (temporary / "spec.json").write_text(spec_text, encoding="utf-8")
        rows = sorted(record.rows, key=_row_order)
        (temporary / "curves.csv").write_text(_csv_text(CURVES_COLUMNS, rows), encoding="utf-8")
        for name, (columns, table_rows) in sorted(record.tables.items()):
            (temporary / name).write_text(_csv_text(columns, table_rows), encoding="utf-8")
        # summary.json last: its presence marks a complete record even inside the temp folder
        (temporary / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n",
                                                encoding="utf-8")
        _replace_folder(temporary, out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _check_replaceable(out: Path) -> None:
    """Refuse an ``out`` that cannot be written or that exists and is not a run record.

    Checked before the run starts, so a long run never fails at the end for a bad path,
    and never deletes user data.
    """
    cwd = Path.cwd().resolve()
    if out.resolve() == cwd or out.resolve() in cwd.parents:
        # replacing it would pull the folder out from under the caller
        raise RunError(f"--out {str(out)!r} is the current folder or one above it; give a new folder "
                       "such as results/runs/<name>")
    ancestor = out.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise RunError(f"--out {str(out)!r}: {str(ancestor)!r} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise RunError(f"--out {str(out)!r}: no permission to write in {str(ancestor)!r}")
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise RunError(f"--out {str(out)!r} exists and is not a folder; give the run record's folder")
        foreign = sorted(entry.name for entry in out.iterdir() if entry.name not in RECORD_FILES)
        if foreign:
            raise RunError(f"--out {str(out)!r} exists and holds files that are not part of a run record "
                           f"({', '.join(foreign[:3])}); refusing to replace it; choose an empty or new folder")


def _replace_folder(temporary: Path, out: Path) -> None:
    """Move ``temporary`` to ``out``, replacing an existing record."""
    if not out.exists():
        os.replace(temporary, out)
        return
    _check_replaceable(out)
    old = out.with_name(f"{out.name}.old-{os.getpid()}")
    os.replace(out, old)
    os.replace(temporary, out)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- environment and progress


def _versions() -> dict[str, str]:
    import platform

    import numpy

    from nnbench import __version__

    return {"python": platform.python_version(), "numpy": numpy.__version__, "nnbench": __version__}


def _blas_info() -> list[dict[str, Any]]:
    """The BLAS libraries in use and their thread counts (as pinned for this run)."""
    from threadpoolctl import threadpool_info

    keys = ("user_api", "internal_api", "version", "num_threads", "architecture", "threading_layer")
    return [{key: info.get(key) for key in keys if key in info} for info in threadpool_info()]


def _json_safe(value):
    """Non-finite floats become null (JSON has no NaN); numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    if hasattr(value, "item") and hasattr(value, "dtype"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """A one-line progress display on stderr, redrawn at each evaluation."""

    def __init__(self, rid: str, enabled: bool, stream=None):
        self.rid = rid
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.drawn = False

    def update(self, done: float, budget: float, unit: str, rows: list[tuple]) -> None:
        if not self.enabled:
            return
        fraction = min(1.0, done / budget) if budget else 1.0
        width = 24
        filled = int(round(fraction * width))
        metrics = {(row[2], row[3]): row[5] for row in rows if row[4] == ""}
        text = f"\rrun {self.rid} [{'#' * filled}{'.' * (width - filled)}] {done:g}/{budget:g} {unit}"
        if ("test", "accuracy") in metrics:
            text += f"  test acc {metrics[('test', 'accuracy')]:.3f}"
        self.stream.write(text)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.enabled and self.drawn:
            self.stream.write("\n")
            self.stream.flush()

