"""What every analysis table shares beyond :mod:`nnbench.statistics` (the one home of the
confidence level and the Student-t interval): the analyses' error, the column checks, the
texts that say how an interval was computed, and the percentile bootstrap (fixed RNG
seed, so tables are deterministic).
"""

from __future__ import annotations

import math

import numpy as np

from nnbench.errors import NnbenchError
from nnbench.i18n import N_, _
from nnbench.statistics import CONFIDENCE, finite_mean, t_interval

__all__ = ["N_BOOTSTRAP", "BOOTSTRAP_SEED", "t_interval_text",
           "bootstrap_text", "bootstrap_interval", "AnalysisError", "require_columns", "finite",
           "level_text"]

# Percentile bootstrap: resamples and the RNG seed that make every interval reproducible.
N_BOOTSTRAP = 10_000
BOOTSTRAP_SEED = 20240611


def t_interval_text(confidence: float = CONFIDENCE) -> str:
    """How a :func:`t_interval` was computed, for captions and table columns."""
    return f"{confidence:.0%} Student-t interval of the mean over seeds"


#: How a bootstrap interval was computed (a catalog message: captions show it in their language).
BOOTSTRAP_TEXT = N_("{level} percentile bootstrap interval of the mean ({resamples} resamples of the {unit}, "
                    "RNG seed {seed})")


def bootstrap_text(confidence: float = CONFIDENCE, n_boot: int = N_BOOTSTRAP,
                   seed: int = BOOTSTRAP_SEED, unit: str = N_("pairs")) -> str:
    """How a :func:`bootstrap_interval` was computed, for captions and table columns, in
    the current language (:mod:`nnbench.i18n`; English outside a language context)."""
    return _(BOOTSTRAP_TEXT).format(level=f"{confidence:.0%}", resamples=n_boot, unit=_(unit), seed=seed)


class AnalysisError(NnbenchError):
    """An analysis input table lacks a column or a parameter is out of range."""


def require_columns(frame, columns, what: str) -> None:
    """Raise :class:`AnalysisError` naming the first of ``columns`` absent from ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(
            f"{what} has no column {missing[0]!r}; it needs {', '.join(columns)} "
            f"(it has {', '.join(map(str, frame.columns))})")


def finite(values) -> np.ndarray:
    """``values`` as a float array without NaN and infinities (diverged runs)."""
    return finite_mean(values)[0]


def bootstrap_interval(values, confidence: float = CONFIDENCE, n_boot: int = N_BOOTSTRAP,
                       seed: int = BOOTSTRAP_SEED) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of the finite ``values`` with a percentile bootstrap interval of
    the mean: ``n_boot`` resamples with replacement, drawn from ``numpy.random.default_rng(seed)``
    so the same values always give the same interval. NaN bounds below two values."""
    array, mean, n = finite_mean(values)
    if n < 2:
        return mean, math.nan, math.nan, n
    rng = np.random.default_rng(seed)
    # Resample in chunks so that memory stays bounded for long inputs.
    means = np.empty(n_boot)
    chunk = max(1, 2_000_000 // n)
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        means[start:stop] = array[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return mean, float(low), float(high), n


def level_text(value) -> str:
    """One canonical string per factor level, so levels read from CSV (``'0.01'``, ``0.01``,
    ``'True'``, ``True``) compare equal: numbers as ``%g``, booleans as ``true``/``false``."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    text = str(value).strip()
    if text.lower() in ("true", "false"):
        return text.lower()
    try:
        return f"{float(text):g}"
    except ValueError:
        return text.lower()
