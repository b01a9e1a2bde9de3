"""Has the factorial's budget let the ranking of settings settle?

Given the factorial's runs at the chosen budget and runs of a subsample of the same
settings at a longer budget (4x, say), each setting's mean ``response`` over seeds is
computed at both budgets and the two are compared by Spearman's rank correlation over the
settings present in both, per dataset. A correlation near 1 means a longer budget would
rank the settings the same, so the factorial's conclusions about which settings are better
do not depend on the budget.

Interval: Fisher's z transform of Spearman's rho with the variance ``1.06 / (n - 3)``
(Fieller, Hartley and Pearson 1957), i.e. ``tanh(atanh(rho) +- z_{0.975} sqrt(1.06/(n-3)))``;
NaN for fewer than 4 settings or |rho| = 1 (a perfect ranking has no spread to transform:
low = high = rho is reported instead).
"""

from __future__ import annotations

import math

import numpy as np

from nnbench.analysis.anova import FACTORS, RESPONSE
from nnbench.analysis.base import AnalysisError, level_text, require_columns
from nnbench.statistics import CONFIDENCE

RANK_COLUMNS = ("dataset", "n", "rho", "low", "high", "budget", "long_budget", "interval")
RANK_INTERVAL_TEXT = "Fisher z interval of Spearman's rho, variance 1.06/(n-3)"


def spearman_interval(x, y, confidence: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """(rho, low, high, n): Spearman's rank correlation of the paired finite values of
    ``x`` and ``y`` with its Fisher-z interval (see the module docstring)."""
    from scipy import stats

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan, math.nan, math.nan, n
    rho = float(stats.spearmanr(x, y).statistic)
    if abs(rho) >= 1.0:
        return rho, rho, rho, n
    if n < 4:
        return rho, math.nan, math.nan, n
    half = stats.norm.ppf(0.5 + confidence / 2) * math.sqrt(1.06 / (n - 3))
    z = math.atanh(rho)
    return rho, math.tanh(z - half), math.tanh(z + half), n


def _budget(runs) -> float:
    return float(runs["iterations"].median()) if "iterations" in runs.columns else math.nan


def budget_rank_check(runs, long_runs, settings=FACTORS, response: str = RESPONSE,
                      by: str = "dataset", confidence: float = CONFIDENCE):
    """Spearman rank correlation, per ``by`` group, between the settings' mean ``response``
    over seeds in ``runs`` (the chosen budget) and in ``long_runs`` (the longer budget on
    a subsample of the settings). A setting is the tuple of ``settings`` columns.

    Returns a DataFrame with columns :data:`RANK_COLUMNS` (``n``: settings in both tables;
    ``budget``/``long_budget``: median ``iterations`` of each table when it has that column).
    """
    import pandas as pd

    settings = list(settings)
    for frame, what in ((runs, "runs table"), (long_runs, "long-budget runs table")):
        require_columns(frame, [by, response, *settings], what)
    if not settings:
        raise AnalysisError("budget_rank_check needs at least one setting column; got none")

    def means(frame):
        data = frame[[by, *settings]].map(level_text) if settings else frame[[by]]
        data[by] = frame[by].to_numpy()
        data["y"] = pd.to_numeric(frame[response], errors="coerce").astype(float) \
            .replace([np.inf, -np.inf], np.nan).to_numpy()
        return data.groupby([by, *settings], sort=True)["y"].mean()

    both = pd.concat({"short": means(runs), "long": means(long_runs)}, axis=1, join="inner")
    rows = []
    for group in sorted(set(runs[by]) | set(long_runs[by])):
        part = both.xs(group, level=by) if group in both.index.get_level_values(by) else both[:0]
        rho, low, high, n = spearman_interval(part["short"], part["long"], confidence)
        rows.append({"dataset": group, "n": n, "rho": rho, "low": low, "high": high,
                     "budget": _budget(runs[runs[by] == group]),
                     "long_budget": _budget(long_runs[long_runs[by] == group]),
                     "interval": RANK_INTERVAL_TEXT})
    return pd.DataFrame(rows, columns=list(RANK_COLUMNS))
