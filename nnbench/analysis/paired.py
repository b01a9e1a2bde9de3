"""Seed-matched paired differences between the levels of each factor of a factorial.

For a factor F and two of its levels a, b, a *pair* is two runs of the same dataset and
seed that share the level of every other factor and differ only in F (a -> b). The table
gives the mean of ``response(b) - response(a)`` over all such pairs with a percentile
bootstrap interval over the pairs (:func:`nnbench.analysis.base.bootstrap_interval`,
fixed RNG seed, so the table is deterministic). Pairing removes the variation due to the
other factors and to the seed (data order and initial weights), so the interval is that of
F's effect averaged over the other factors' levels.

A fractional design has no such pairs (changing one factor leaves the fraction): then
``n`` is 0, the estimate is NaN and ``note`` says so; the ANOVA (:mod:`.anova`) still
estimates the effect there.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from nnbench.analysis.anova import FACTORS, RESPONSE
from nnbench.analysis.base import BOOTSTRAP_SEED, N_BOOTSTRAP, bootstrap_interval, bootstrap_text, level_text, require_columns
from nnbench.statistics import CONFIDENCE

PAIRED_COLUMNS = ("dataset", "factor", "level_a", "level_b", "mean_a", "mean_b", "estimate",
                  "low", "high", "n", "n_seeds", "interval", "note")


def level_order(levels) -> list[str]:
    """Canonical level strings sorted numerically when they are numbers, else by name."""
    def key(text):
        try:
            return (0, float(text), "")
        except ValueError:
            return (1, 0.0, text)

    return sorted(set(levels), key=key)


def paired_differences(runs, factors=FACTORS, response: str = RESPONSE, by: str = "dataset",
                       confidence: float = CONFIDENCE, n_boot: int = N_BOOTSTRAP,
                       seed: int = BOOTSTRAP_SEED):
    """For each ``by`` group, factor and pair of its levels (a before b in
    :func:`level_order`), the mean seed-matched difference ``response(b) - response(a)``.

    Returns a DataFrame with columns :data:`PAIRED_COLUMNS`; ``n`` is the number of pairs,
    ``n_seeds`` the seeds they come from, ``mean_a``/``mean_b`` the arms' means over the
    paired runs. Runs whose response is not finite (diverged) form no pair.
    """
    import pandas as pd

    factors = list(factors)
    require_columns(runs, [by, "seed", response, *factors], "factorial runs table")
    data = runs[[by, "seed", *factors]].copy()
    for factor in factors:
        data[factor] = data[factor].map(level_text)
    data["y"] = pd.to_numeric(runs[response], errors="coerce").astype(float)
    data = data[np.isfinite(data["y"].to_numpy())]
    text = bootstrap_text(confidence, n_boot, seed)
    rows = []
    for group, part in data.groupby(by, sort=True):
        for factor in factors:
            others = [by, "seed", *[f for f in factors if f != factor]]
            # Duplicated cells (should not happen) are averaged rather than double-counted.
            cells = part.groupby(others + [factor], sort=False)["y"].mean().unstack(factor)
            for a, b in itertools.combinations(level_order(part[factor]), 2):
                both = cells[[a, b]].dropna()
                diffs = (both[b] - both[a]).to_numpy()
                estimate, low, high, n = bootstrap_interval(diffs, confidence, n_boot, seed)
                note = "" if n else (f"no runs differ in {factor} alone "
                                     "(fractional design or missing runs)")
                seeds = both.index.get_level_values("seed").nunique() if n else 0
                rows.append({
                    "dataset": group, "factor": factor, "level_a": a, "level_b": b,
                    "mean_a": float(both[a].mean()) if n else math.nan,
                    "mean_b": float(both[b].mean()) if n else math.nan,
                    "estimate": estimate, "low": low, "high": high, "n": n,
                    "n_seeds": int(seeds), "interval": text, "note": note})
    return pd.DataFrame(rows, columns=list(PAIRED_COLUMNS))
