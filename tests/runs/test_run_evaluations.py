"""The train kind's evaluations: one MLP.evaluate pass per split, as nnbench.workload counts them."""

from __future__ import annotations

import csv

import pytest

from nnbench.core import MLP
from nnbench.runs import run
from nnbench.spec import resolve_spec
from nnbench.workload import run_workload


@pytest.mark.parametrize("eval_samples", [None, 100, 5000])
def test_evaluated_samples_are_those_the_workload_counts(tmp_path, monkeypatch, eval_samples):
    spec = resolve_spec({"dataset": "digits", "hidden_sizes": [16], "batch_size": 20, "iterations": 60,
                         "eval_every": 20, "eval_samples": eval_samples, "validation": 100, "diagnostics": []})
    evaluated = []
    original = MLP.evaluate

    def counting(self, x, t, *args, **kwargs):
        evaluated.append(len(x))
        return original(self, x, t, *args, **kwargs)

    monkeypatch.setattr(MLP, "evaluate", counting)
    summary = run(spec, out=tmp_path / "run")
    assert sum(evaluated) == run_workload(spec).evaluated_samples
    # the final metrics are the full splits' whatever eval_samples says
    assert summary["n_test_samples"] == 360
    with open(tmp_path / "run" / "curves.csv") as stream:
        rows = [row for row in csv.DictReader(stream) if row["split"] == "test" and row["metric"] == "accuracy"]
    last = float(rows[-1]["value"])
    if eval_samples is None or eval_samples >= 1337:  # the curve point is the full evaluation
        assert summary["final_test_acc"] == last


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_run_never_converts_a_whole_split(tmp_path, dtype):
    # the splits are PixelRows: minibatches and evaluation chunks are converted as they
    # are read, so no process holds a float copy of MNIST's training images
    from nnbench.data import load_dataset, reusing_loaded_datasets

    spec = resolve_spec({"dataset": "digits", "hidden_sizes": [16], "batch_size": 20, "iterations": 40,
                         "eval_every": 20, "validation": 100, "dtype": dtype,
                         "diagnostics": ["minibatch_spread", "grad_norms", "activations", "loss_after_update"]})
    with reusing_loaded_datasets():
        summary = run(spec, out=tmp_path / "run")
        data = load_dataset("digits", n_train=spec["n_train"], validation=100, seed=spec["seed"])  # the run's load
        assert [rows._features for rows in (data.train_rows, data.validation_rows, data.test_rows)] == [None] * 3
    assert summary["status"] == "ok"
