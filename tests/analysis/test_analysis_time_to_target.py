"""Time to target from synthetic validation curves: known crossing steps, seconds from
the run's training time, runs that never reach it counted, not dropped."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from nnbench.analysis.base import AnalysisError
from nnbench.analysis.time_to_target import run_times_to_target, time_to_target

# Step at which each (optimizer, seed) first reaches 0.97 (None: never within 2000).
CROSSING = {("adam", 0): 300, ("adam", 1): 400, ("adam", 2): 500,
            ("sgd", 0): 1500, ("sgd", 1): None, ("sgd", 2): 1700}


def _tables():
    runs, curves = [], []
    for (optimizer, seed), crossing in CROSSING.items():
        run_id = f"{optimizer}-{seed}"
        runs.append({"run_id": run_id, "study": "optimizers_tuned", "dataset": "mnist",
                     "seed": seed, "optimizer": optimizer, "batch_size": 128,
                     "iterations": 2000, "train_seconds": 40.0, "samples_per_second": 6400.0})
        for step in range(0, 2001, 100):
            reached = crossing is not None and step >= crossing
            value = 0.97 + 0.001 * (step - crossing) / 100 if reached else 0.5 + step / 10000
            curves.append({"run_id": run_id, "step": step, "split": "validation",
                           "metric": "accuracy", "layer": np.nan, "value": value})
            curves.append({"run_id": run_id, "step": step, "split": "test",
                           "metric": "accuracy", "layer": np.nan, "value": 0.99})
    # A run without a validation curve.
    runs.append({"run_id": "adam-3", "study": "optimizers_tuned", "dataset": "mnist",
                 "seed": 3, "optimizer": "adam", "batch_size": 128, "iterations": 2000,
                 "train_seconds": 40.0, "samples_per_second": 6400.0})
    return pd.DataFrame(runs), pd.DataFrame(curves)


def test_iterations_and_seconds_to_target_with_runs_that_never_reach_it():
    runs, curves = _tables()
    table = time_to_target(runs, curves, targets={"mnist": 0.97}).set_index("optimizer")
    adam, sgd = table.loc["adam"], table.loc["sgd"]
    assert (adam["n"], adam["reached"], adam["not_reached"], adam["no_curve"]) == (4, 3, 0, 1)
    assert adam["iterations"] == pytest.approx(400)
    assert adam["seconds"] == pytest.approx(400 * 40.0 / 2000)  # train seconds per update
    assert adam["iterations_low"] < 400 < adam["iterations_high"]
    assert (sgd["n"], sgd["reached"], sgd["not_reached"]) == (3, 2, 1)
    assert sgd["iterations"] == pytest.approx(1600)
    assert "1 of 3 runs never reached 0.97 within 2000 iterations" in sgd["note"]
    assert "mean over the 2 that reached it" in sgd["note"]
    assert "1 run(s) without a validation accuracy curve" in adam["note"]


def test_per_run_rows_keep_the_runs_that_miss():
    runs, curves = _tables()
    per_run = run_times_to_target(runs, curves, targets={"mnist": 0.97}).set_index("run_id")
    assert per_run.loc["sgd-1", "reached"] is False
    assert math.isnan(per_run.loc["sgd-1", "iterations"])
    assert per_run.loc["adam-0", "iterations"] == 300
    assert per_run.loc["adam-3", "reached"] is None
    # Another split and a lower target: every run with a curve reaches it at step 0.
    on_test = run_times_to_target(runs, curves, targets={"mnist": 0.9}, split="test")
    assert (on_test.dropna(subset=["reached"])["iterations"] == 0).all()


def test_seconds_fall_back_to_samples_per_second_and_datasets_without_target_are_skipped():
    runs, curves = _tables()
    runs = runs.drop(columns=["iterations"])
    per_run = run_times_to_target(runs, curves, targets={"mnist": 0.97}).set_index("run_id")
    assert per_run.loc["adam-0", "seconds"] == pytest.approx(300 * 128 / 6400.0)
    assert run_times_to_target(runs, curves, targets={"digits": 0.9}).empty


def test_default_targets_cover_the_configured_datasets_and_bad_targets_are_rejected():
    runs, curves = _tables()
    assert not time_to_target(runs, curves).empty  # mnist has a default target
    with pytest.raises(AnalysisError, match="target 1.5 for 'mnist' is not an accuracy"):
        time_to_target(runs, curves, targets={"mnist": 1.5})
