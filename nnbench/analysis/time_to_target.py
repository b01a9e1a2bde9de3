"""Time to target (AlgoPerf's question) for the tuned optimizers: iterations and seconds
until a run's validation accuracy first reaches a target, per dataset.

A run *reaches* the target at the first logged step whose ``validation``/``accuracy``
value is at or above it, so the resolution is the run's evaluation interval
(``eval_every``). Seconds are that step times the run's training seconds per update,
``train_seconds / iterations`` from runs.csv (training time only; evaluation time is not
counted), or ``step * batch_size / samples_per_second`` when ``iterations`` is absent.

A run that never reaches the target within its budget is *not dropped*: it is counted in
``not_reached`` and the note says so. The mean and its Student-t interval are over the
runs that reached the target only, i.e. conditional on reaching it; read them together
with ``reached / n``. A run without a validation-accuracy curve is counted in ``no_curve``.
"""

from __future__ import annotations

import math

import numpy as np

from nnbench.analysis.base import AnalysisError, require_columns

from nnbench.statistics import CONFIDENCE, t_interval

STUDY = "optimizers_tuned"
SPLIT, METRIC = "validation", "accuracy"
# Validation-accuracy targets per dataset: about what a well-tuned optimizer reaches within
# the configured budget (2000 iterations of batch 128 on 784-100x4-10, ~4 epochs; digits:
# the quick config's toy network), so that the slower optimizers may miss them.
DEFAULT_TARGETS = {"mnist": 0.97, "fashion-mnist": 0.85, "fashion_mnist": 0.85,
                   "digits": 0.90}

RUN_TARGET_COLUMNS = ("dataset", "optimizer", "seed", "run_id", "target", "reached",
                      "iterations", "seconds", "budget")
TARGET_COLUMNS = ("dataset", "optimizer", "target", "n", "reached", "not_reached", "no_curve",
                  "iterations", "iterations_low", "iterations_high", "seconds", "seconds_low",
                  "seconds_high", "note")


def run_times_to_target(runs, curves, targets=None, group: str = "optimizer",
                        split: str = SPLIT, metric: str = METRIC):
    """One row per run of ``runs``: whether and when its ``split``/``metric`` curve first
    reached ``targets[dataset]`` (columns :data:`RUN_TARGET_COLUMNS`; ``iterations`` and
    ``seconds`` NaN when not reached; ``reached`` is None without a curve; ``budget`` is the
    run's ``iterations``). Runs of a dataset without a target are left out; a target must
    lie in (0, 1]."""
    import pandas as pd

    targets = dict(DEFAULT_TARGETS if targets is None else targets)
    for dataset, target in targets.items():
        if not (isinstance(target, (int, float)) and 0 < target <= 1):
            raise AnalysisError(f"time-to-target target {target!r} for {dataset!r} is not "
                                "an accuracy in (0, 1]")
    require_columns(runs, ["run_id", "dataset", "seed", group], "time-to-target runs table")
    require_columns(curves, ["run_id", "step", "split", "metric", "value"],
                    "time-to-target curves table")
    rows = curves[(curves["split"] == split) & (curves["metric"] == metric)]
    rows = rows.assign(value=pd.to_numeric(rows["value"], errors="coerce").astype(float))
    by_run = dict(tuple(rows.groupby("run_id", sort=False)))
    out = []
    for run in runs.to_dict("records"):
        dataset = str(run["dataset"])
        if dataset not in targets:
            continue
        target = float(targets[dataset])
        curve = by_run.get(run["run_id"])
        budget = float(run.get("iterations", math.nan))
        reached, step = None, math.nan
        if curve is not None and not curve.empty:
            hits = curve.loc[curve["value"] >= target, "step"]
            reached = bool(len(hits))
            step = float(hits.min()) if reached else math.nan
        out.append({"dataset": dataset, "optimizer": run[group], "seed": run["seed"],
                    "run_id": run["run_id"], "target": target, "reached": reached,
                    "iterations": step, "seconds": step * _seconds_per_update(run),
                    "budget": budget})
    return pd.DataFrame(out, columns=list(RUN_TARGET_COLUMNS))


def _seconds_per_update(run: dict) -> float:
    iterations = float(run.get("iterations", math.nan))
    train_seconds = float(run.get("train_seconds", math.nan))
    if math.isfinite(iterations) and iterations > 0 and math.isfinite(train_seconds):
        return train_seconds / iterations
    rate = float(run.get("samples_per_second", math.nan))
    batch = float(run.get("batch_size", math.nan))
    if math.isfinite(rate) and rate > 0 and math.isfinite(batch):
        return batch / rate
    return math.nan


def time_to_target(runs, curves, targets=None, group: str = "optimizer",
                   confidence: float = CONFIDENCE, split: str = SPLIT, metric: str = METRIC):
    """Per dataset and ``group`` value (optimizer): mean iterations and seconds to the target
    with Student-t intervals over the runs (seeds) that reached it, and how many did not.

    Columns :data:`TARGET_COLUMNS`: ``n`` runs, ``reached``, ``not_reached`` (measured but
    never at the target), ``no_curve`` (no ``split``/``metric`` rows), the means and bounds,
    and a note naming the runs that did not reach the target.
    """
    import pandas as pd

    per_run = run_times_to_target(runs, curves, targets, group, split, metric)
    rows = []
    for (dataset, name), part in per_run.groupby(["dataset", "optimizer"], sort=True):
        reached = part[part["reached"].eq(True)]
        missed = part[part["reached"].eq(False)]
        no_curve = int(part["reached"].isna().sum())
        it_mean, it_low, it_high, _ = t_interval(reached["iterations"], confidence)
        s_mean, s_low, s_high, _ = t_interval(reached["seconds"], confidence)
        notes = []
        if len(missed):
            budget = missed["budget"].max()
            within = f" within {budget:g} iterations" if np.isfinite(budget) else ""
            notes.append(f"{len(missed)} of {len(part)} runs never reached "
                         f"{part['target'].iloc[0]:g}{within}")
        if no_curve:
            notes.append(f"{no_curve} run(s) without a {split} {metric} curve")
        if len(reached) and (len(missed) or no_curve):
            notes.append(f"mean over the {len(reached)} that reached it")
        rows.append({"dataset": dataset, "optimizer": name, "target": part["target"].iloc[0],
                     "n": len(part), "reached": len(reached), "not_reached": len(missed),
                     "no_curve": no_curve, "iterations": it_mean, "iterations_low": it_low,
                     "iterations_high": it_high, "seconds": s_mean, "seconds_low": s_low,
                     "seconds_high": s_high, "note": "; ".join(notes)})
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
