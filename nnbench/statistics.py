"""Statistics over seeds: the mean with a 95% Student-t interval, and per-run smoothing.

Every interval in the figures, the tables and the analysis is :func:`mean_interval`'s,
so "95% t-interval of the mean over seeds" means one computation everywhere. Imports
nothing from nnbench; numpy, scipy and pandas are imported inside the functions so that
importing this module stays cheap.
"""

from __future__ import annotations

__all__ = ["CONFIDENCE", "t_quantile", "t_interval", "finite_mean", "mean_interval", "prefixed", "curve_stats", "first_crossing", "smooth_runs",
           "smoothing_window", "logged_step_spacing"]


#: The confidence level of every interval.
CONFIDENCE = 0.95


def t_quantile(n, confidence: float = CONFIDENCE):
    """Two-sided Student-t quantile (95% by default) for ``n`` observations (NaN below 2)."""
    import numpy as np
    from scipy import stats

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(n >= 2, stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)), np.nan)


def finite_mean(values):
    """(the finite ``values`` as a flat float array, their mean, their count); diverged
    runs' NaN and infinities are left out, and the mean is NaN when none remain."""
    import math

    import numpy as np

    array = np.asarray(values, dtype=float).ravel()
    array = array[np.isfinite(array)]
    return array, (float(array.mean()) if array.size else math.nan), int(array.size)


def t_interval(values, confidence: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the finite ``values`` with a two-sided Student-t interval:
    the same computation as :func:`mean_interval` for one group. ``low``/``high`` are NaN
    below two values (no spread to estimate); ``mean`` is NaN without any."""
    import math

    array, mean, n = finite_mean(values)
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(t_quantile(n, confidence)) * float(array.std(ddof=1)) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def mean_interval(frame, by, value: str):
    """Mean of ``value`` per group with a 95% t-interval over the rows of the group.

    Returns a DataFrame with the ``by`` columns and ``mean, low, high, n`` (``low`` and
    ``high`` are NaN for a single row). Non-finite values (diverged runs) are ignored.
    """
    import numpy as np

    by = [by] if isinstance(by, str) else list(by)
    data = frame[by + [value]].copy()
    data[value] = data[value].astype(float).replace([np.inf, -np.inf], np.nan)
    grouped = data.groupby(by, sort=False, dropna=False)[value]
    stats_frame = grouped.agg(["mean", "std", "count"]).reset_index()
    half = t_quantile(stats_frame["count"]) * stats_frame["std"] / np.sqrt(
        stats_frame["count"].clip(lower=1))
    stats_frame["low"] = stats_frame["mean"] - half
    stats_frame["high"] = stats_frame["mean"] + half
    stats_frame = stats_frame.rename(columns={"count": "n"}).drop(columns="std")
    return stats_frame


def prefixed(stats, prefix: str, n: str = "n_seeds"):
    """:func:`mean_interval`'s columns renamed ``<prefix>_mean``, ``_low``, ``_high`` (the
    interval triple the tables show as ``mean [low, high]``) and ``n`` renamed ``n``."""
    return stats.rename(columns={"mean": f"{prefix}_mean", "low": f"{prefix}_low",
                                 "high": f"{prefix}_high", "n": n})


def curve_stats(curves, hue: str, *, split: str, metric: str, window: int = 1,
                x: str = "step", extra_by=()):
    """Per-``hue`` mean over seeds of one curve (smoothed per run first when window > 1)."""
    import numpy as np

    rows = curves[(curves["split"] == split) & (curves["metric"] == metric)]
    if rows.empty:
        return rows.assign(mean=[], low=[], high=[], n=[])
    rows = rows.assign(value=rows["value"].astype(float).replace([np.inf, -np.inf], np.nan))
    value = "value"
    if window > 1:
        rows = smooth_runs(rows, window)
        value = "value_smooth"
    return mean_interval(rows, [hue, *extra_by, x], value)


def first_crossing(stats, threshold: float, x: str = "step"):
    """First ``x`` where the mean curve is at or below ``threshold`` (None if never)."""
    below = stats[stats["mean"] <= threshold].sort_values(x)
    return None if below.empty else float(below[x].iloc[0])


def smooth_runs(curves, window: int, value: str = "value", by=("run_id",)):
    """Trailing moving average of ``value`` over ``window`` logged points, per run.

    The raw column is kept; the smoothed one is ``value + '_smooth'``.
    """
    curves = curves.sort_values(list(by) + ["step"]).copy()
    curves[value + "_smooth"] = (
        curves.groupby(list(by), sort=False)[value]
        .transform(lambda s: s.rolling(window, min_periods=1).mean())
    )
    return curves


def smoothing_window(curves, target_points: int = 40) -> int:
    """Window (in logged points) so a run's curve is averaged over ~1/``target_points`` of it."""
    if curves.empty:
        return 1
    per_run = curves.groupby("run_id").size().median()
    return max(1, int(per_run // target_points))


def logged_step_spacing(curves) -> float:
    """Median distance in iterations between consecutive logged points of a run."""
    import numpy as np

    diffs = curves.sort_values(["run_id", "step"]).groupby("run_id")["step"].diff().dropna()
    return float(np.median(diffs)) if len(diffs) else 1.0
