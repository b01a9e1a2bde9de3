"""Shared pieces of the figures: loading the aggregated tables, intervals, smoothing,
colours, captions and the writer that saves figures and tables with stable names.

Heavy libraries (pandas, matplotlib, seaborn) are imported inside functions so that
importing :mod:`nnbench.figures` stays cheap.
"""

from __future__ import annotations

import math
import re
import zlib
from pathlib import Path

from nnbench.errors import NnbenchError
from nnbench.files import atomic_open

INTERVAL_TEXT = "95% t-interval of the mean over seeds"
BOOK_LABEL = "book, one unseeded run"

# The run columns fixed by docs/ARCHITECTURE.md, in order.
RUN_COLUMNS = (
    "study", "run_id", "kind", "dataset", "seed", "optimizer", "lr", "init", "activation",
    "batchnorm", "dropout", "weight_decay", "batch_size", "width", "depth", "n_train",
)
# Run columns that describe a configuration (what may vary between the arms of a study).
CONFIG_COLUMNS = (
    "dataset", "optimizer", "lr", "init", "activation", "batchnorm", "dropout",
    "weight_decay", "batch_size", "width", "depth", "n_train",
)
STRING_COLUMNS = ("study", "run_id", "kind", "dataset", "optimizer", "init", "activation",
                  "split", "metric", "status")

OPTIMIZER_ORDER = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam")
OPTIMIZER_LABELS = {
    "sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
    "rmsprop": "RMSprop", "adadelta": "Adadelta", "adam": "Adam",
}
ACTIVATION_ORDER = ("sigmoid", "tanh", "relu", "leaky_relu")
ACTIVATION_LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
                     "leaky_relu": "leaky ReLU"}
INIT_NAMED_ORDER = ("constant", "1", "0.01", "xavier", "glorot", "he")
INIT_LABELS = {"constant": "equal (constant)", "xavier": "Xavier √(1/n)",
               "glorot": "Glorot √(2/(n_in+n_out))", "he": "He √(2/n)"}
DATASET_LABELS = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST",
                  "fashion-mnist": "Fashion-MNIST", "fashion": "Fashion-MNIST",
                  "digits": "digits (8x8)"}
# Input size per dataset, for the network's description in captions.
INPUT_SIZES = {"mnist": 784, "fashion_mnist": 784, "fashion-mnist": 784, "fashion": 784,
               "digits": 64}

# Indices into seaborn's colour-blind-safe "colorblind" palette, fixed so that an
# optimizer, an initializer or an activation has the same colour in every figure.
_OPTIMIZER_COLOR = {"sgd": 0, "momentum": 1, "nesterov": 2, "adagrad": 3, "rmsprop": 4,
                    "adadelta": 5, "adam": 6}
_INIT_COLOR = {"constant": 7, "1": 8, "0.01": 9, "xavier": 0, "he": 1, "glorot": 4}
_ACTIVATION_COLOR = {"sigmoid": 0, "tanh": 2, "relu": 3, "leaky_relu": 4}
_BN_COLOR = {False: 7, True: 2}


class ResultsError(NnbenchError):
    """An aggregated results table is missing, unreadable or lacks a required column."""


# --------------------------------------------------------------------------- naming

def slug(text) -> str:
    """A file-name-safe lower-case form of ``text`` (used in stable names)."""
    value = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return value or "none"


def dataset_label(name) -> str:
    """Display name of a dataset ('mnist' -> 'MNIST')."""
    if name is None or (isinstance(name, float) and math.isnan(name)) or name == "":
        return "no data"
    return DATASET_LABELS.get(str(name).lower(), str(name))


def optimizer_label(name) -> str:
    return OPTIMIZER_LABELS.get(str(name).lower(), str(name))


def activation_label(name) -> str:
    return ACTIVATION_LABELS.get(str(name).lower(), str(name))


def init_key(value) -> str:
    """Canonical string of an init value: named inits lower-case, stds as ``%g``."""
    text = str(value).strip()
    try:
        return f"{float(text):g}"
    except ValueError:
        return text.lower()


def init_label(value) -> str:
    key = init_key(value)
    if key in INIT_LABELS:
        return INIT_LABELS[key]
    try:
        float(key)
    except ValueError:
        return key
    return f"std {key}"


def init_sort_key(value):
    key = init_key(value)
    if key in INIT_NAMED_ORDER:
        return (0, INIT_NAMED_ORDER.index(key), 0.0)
    try:
        return (1, 0, -float(key))
    except ValueError:
        return (2, 0, 0.0, key)


def ordered(values, order) -> list:
    """``values`` (deduplicated) sorted by their position in ``order``, unknown ones last."""
    unique = list(dict.fromkeys(str(v).lower() for v in values))
    rank = {name: i for i, name in enumerate(order)}
    return sorted(unique, key=lambda v: (rank.get(v, len(rank)), v))


def _palette():
    import seaborn as sns

    return sns.color_palette("colorblind", 10)


def _fallback_index(name) -> int:
    # crc32, not hash(): stable across processes, so an unknown name keeps its colour.
    return zlib.crc32(str(name).encode()) % 10


def optimizer_color(name):
    return _palette()[_OPTIMIZER_COLOR.get(str(name).lower(), _fallback_index(name))]


def init_color(value):
    key = init_key(value)
    return _palette()[_INIT_COLOR.get(key, _fallback_index(key))]


def activation_color(name):
    return _palette()[_ACTIVATION_COLOR.get(str(name).lower(), _fallback_index(name))]


def batchnorm_color(flag):
    return _palette()[_BN_COLOR[bool(flag)]]


def as_bool(value) -> bool:
    """Read a batchnorm flag written as bool, 0/1 or text."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    try:
        return bool(value) and not (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False


def fmt_number(value, digits: int = 3) -> str:
    """Compact human form of a number for captions and tables ('' for NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    if number != 0 and (abs(number) < 1e-3 or abs(number) >= 1e5):
        return f"{number:.{digits - 1}e}"
    if float(number).is_integer() and abs(number) < 1e5:
        return str(int(number))
    if abs(number) >= 1000:
        return f"{number:.0f}"
    return f"{number:.{digits}g}" if abs(number) < 1 else f"{number:.{digits + 1}g}"


# --------------------------------------------------------------------------- statistics

def t_quantile(n):
    """Two-sided 95% Student-t quantile for ``n`` observations (NaN below 2)."""
    from scipy import stats

    import numpy as np

    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(n >= 2, stats.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)


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


# --------------------------------------------------------------------------- loading

class Results:
    """The aggregated tables under ``results_dir``, read lazily, one study at a time."""

    TABLES = ("runs", "curves", "histograms", "minibatch_spread")

    def __init__(self, results_dir):
        self.root = Path(results_dir)
        if not self.root.is_dir():
            raise ResultsError(
                f"results folder {str(self.root)!r} does not exist; run the workflow "
                "(snakemake) or `nnbench aggregate` first, or pass --results DIR")
        self._cache = {}

    def studies(self) -> list[str]:
        """Studies that have a ``runs.csv``."""
        return sorted(p.parent.name for p in self.root.glob("*/runs.csv"))

    def has(self, study: str, table: str = "runs") -> bool:
        return (self.root / study / f"{table}.csv").is_file()

    def table(self, study: str, table: str):
        """The ``table`` of ``study`` as a DataFrame (None when the file is absent)."""
        key = (study, table)
        if key not in self._cache:
            path = self.root / study / f"{table}.csv"
            self._cache[key] = _read_table(path) if path.is_file() else None
        return self._cache[key]

    def runs(self, study: str):
        return self.table(study, "runs")

    def ok_curves(self, study: str, table: str = "curves"):
        """Rows of ``table`` from runs whose status is not 'diverged'."""
        frame = self.table(study, table)
        runs = self.runs(study)
        if frame is None or runs is None:
            return frame
        bad = set(runs.loc[runs["status"] == "diverged", "run_id"])
        return frame[~frame["run_id"].isin(bad)] if bad else frame


def _read_table(path: Path):
    import pandas as pd

    dtypes = {name: "string" for name in STRING_COLUMNS}
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ResultsError(f"cannot read results table {str(path)!r}: {error}") from error
    frame = pd.read_csv(path, dtype={c: t for c, t in dtypes.items() if c in header},
                        keep_default_na=True)
    for column in ("study", "run_id"):
        if column not in frame.columns:
            raise ResultsError(
                f"results table {str(path)!r} has no {column!r} column; expected the run "
                f"columns {', '.join(RUN_COLUMNS)} (docs/ARCHITECTURE.md)")
    for column in STRING_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].fillna("").astype(str)
    if "init" in frame.columns:
        frame["init"] = frame["init"].map(lambda v: init_key(v) if v != "" else "")
    if "status" not in frame.columns and path.name == "runs.csv":
        frame["status"] = "ok"
    if "batchnorm" in frame.columns:
        frame["batchnorm"] = frame["batchnorm"].map(as_bool)
    return frame


def varying_columns(runs, candidates=CONFIG_COLUMNS) -> list[str]:
    """Configuration columns that take more than one value in ``runs``."""
    return [c for c in candidates if c in runs.columns
            and runs[c].astype(str).nunique(dropna=False) > 1]


def describe_setup(runs) -> str:
    """Caption fragment from the data: dataset, network, budget and seeds of ``runs``."""
    import numpy as np

    parts = []

    def single(column):
        if column not in runs.columns:
            return None
        values = runs[column].dropna().astype(str).unique()
        return values[0] if len(values) == 1 else None

    datasets = sorted(set(runs.get("dataset", []).astype(str)) - {""}) if "dataset" in runs else []
    if datasets:
        parts.append(" and ".join(dataset_label(d) for d in datasets))
    width, depth = single("width"), single("depth")
    if width and depth:
        try:
            sizes = {INPUT_SIZES.get(d.lower()) for d in datasets} or {None}
            inputs = sizes.pop() if len(sizes) == 1 else None
            net = (f"{inputs or 'input'}-({int(float(width))} x {int(float(depth))})-10")
            activation = single("activation")
            if activation:
                net += f" {activation_label(activation)}"
            parts.append(net)
        except ValueError:
            pass
    n_train = single("n_train")
    if n_train and n_train not in ("nan", "0", "0.0"):
        try:
            parts.append(f"{int(float(n_train))} training samples")
        except ValueError:
            pass
    batch = single("batch_size")
    if batch and batch != "nan":
        parts.append(f"batch {int(float(batch))}")
    if "iterations" in runs.columns and runs["iterations"].notna().any():
        iterations = runs["iterations"].astype(float)
        low, high = iterations.min(), iterations.max()
        epochs = runs["epochs"].astype(float).max() if "epochs" in runs.columns else np.nan
        budget = f"{fmt_number(high)} iterations" if low == high else (
            f"{fmt_number(low)}-{fmt_number(high)} iterations")
        if not np.isnan(epochs):
            budget += f" (≈{fmt_number(epochs)} epochs)"
        parts.append(budget)
    seeds = runs.groupby([c for c in varying_columns(runs)] or ["study"])["seed"].nunique() \
        if "seed" in runs.columns else None
    if seeds is not None and len(seeds):
        low, high = int(seeds.min()), int(seeds.max())
        parts.append(f"{low} seeds" if low == high else f"{low}-{high} seeds per configuration")
    return ", ".join(parts)


def diverged_note(runs) -> str:
    """Caption fragment naming how many runs diverged (they are left out of the means)."""
    if runs is None or "status" not in runs.columns:
        return ""
    count = int((runs["status"] == "diverged").sum())
    if not count:
        return ""
    return (f" {count} diverged run{'s' if count != 1 else ''} (loss not finite) "
            "left out of the means; listed under provenance.")


# --------------------------------------------------------------------------- output

def setup_matplotlib():
    """Headless backend, large fonts for projection, reproducible SVG ids."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import seaborn as sns
    from matplotlib import pyplot as plt  # noqa: F401  (backend must be set first)

    sns.set_theme(context="talk", style="whitegrid", palette="colorblind")
    matplotlib.rcParams.update({
        "svg.hashsalt": "nnbench",  # stable element ids in the SVG
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "axes.titlesize": 16,
        "axes.labelsize": 15,
        "legend.fontsize": 12,
        "xtick.labelsize": 12,
        "ytick.labelsize": 12,
        "legend.frameon": True,
    })


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling and a rename."""
    with atomic_open(path, "wb") as stream:
        stream.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class Writer:
    """Saves figures and tables under ``out_dir`` and records them for the manifest."""

    def __init__(self, out_dir, section: str, progress=None):
        self.out_dir = Path(out_dir)
        self.section = section
        self.figures: list[dict] = []
        self.tables: list[dict] = []
        self._progress = progress

    def figure(self, fig, name: str, caption: str, study: str) -> None:
        """Save ``fig`` as PNG (150 dpi) and SVG named ``name``, then close it."""
        import io

        from matplotlib import pyplot as plt

        name = slug(name)
        files = {}
        for ext, kwargs in (("png", {"dpi": 150, "metadata": {"Software": None}}),
                            ("svg", {"metadata": {"Date": None, "Creator": None}})):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=ext, bbox_inches="tight", **kwargs)
            path = self.out_dir / "figures" / f"{name}.{ext}"
            atomic_write_bytes(path, buffer.getvalue())
            files[ext] = f"figures/{name}.{ext}"
        plt.close(fig)
        self.figures.append({"section": self.section, "study": study, "name": name,
                             "files": files, "caption": caption})
        if self._progress:
            self._progress(f"figure {name}")

    def table(self, frame, name: str, caption: str, study: str) -> None:
        """Save ``frame`` as CSV, Markdown and LaTeX (booktabs) named ``name``."""
        from nnbench import tables

        name = slug(name)
        files = tables.write_table(frame, self.out_dir / "tables", name, caption=caption)
        self.tables.append({"section": self.section, "study": study, "name": name,
                            "files": {k: f"tables/{Path(v).name}" for k, v in files.items()},
                            "caption": caption, "rows": int(len(frame))})
        if self._progress:
            self._progress(f"table {name}")


def plot_band(ax, stats, x: str, label: str, color, *, linestyle="-", marker=None):
    """Mean line with a shaded 95% interval band (``stats`` from :func:`mean_interval`)."""
    stats = stats.sort_values(x)
    ax.plot(stats[x], stats["mean"], color=color, label=label, linestyle=linestyle,
            marker=marker, linewidth=2)
    if stats["low"].notna().any():
        ax.fill_between(stats[x], stats["low"], stats["high"], color=color, alpha=0.2,
                        linewidth=0)


def book_marker(ax, x, y, color, *, label: bool):
    """A book reference value: a black-edged star, labelled once per axes."""
    ax.scatter([x], [y], marker="*", s=260, color=color, edgecolor="black", linewidth=1.2,
               zorder=5, label=f"★ {BOOK_LABEL}" if label else None)


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


def draw_curves(ax, stats, hue: str, *, color, label, order=None, x: str = "step"):
    """One band per ``hue`` value, in ``order`` (default: sorted)."""
    values = list(dict.fromkeys(stats[hue])) if order is None else [
        v for v in order if v in set(stats[hue])]
    for value in values:
        plot_band(ax, stats[stats[hue] == value], x, label(value), color(value))


def first_crossing(stats, threshold: float, x: str = "step"):
    """First ``x`` where the mean curve is at or below ``threshold`` (None if never)."""
    below = stats[stats["mean"] <= threshold].sort_values(x)
    return None if below.empty else float(below[x].iloc[0])


def new_figure(nrows=1, ncols=1, *, width=7.5, height=5.0, **kwargs):
    """A figure with a grid of axes sized for projection."""
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                             squeeze=False, **kwargs)
    return fig, axes


def datasets_of(frame) -> list[str]:
    """Dataset values in ``frame`` (MNIST first), '' for data-free studies."""
    values = sorted(set(frame["dataset"].astype(str))) if "dataset" in frame else [""]
    return sorted(values, key=lambda d: (d != "mnist", d))


def legend_outside(ax, **kwargs):
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, **kwargs)


def learning_curve_figure(curves, hue: str, *, split: str, metric: str, color, label,
                          order=None, window: int = 1, book=None, book_x=None, title="",
                          log_y=False, x: str = "step", xlabel="iteration", ylabel=None):
    """A mean-over-seeds band per ``hue`` value of one curve; ``book`` maps a hue value to
    the book's reference value drawn as a star at ``book_x``."""
    stats = curve_stats(curves, hue, split=split, metric=metric, window=window, x=x)
    fig, axes = new_figure(width=9.0, height=5.5)
    ax = axes[0, 0]
    draw_curves(ax, stats, hue, color=color, label=label, order=order, x=x)
    for i, (value, reference) in enumerate((book or {}).items()):
        if value in set(stats[hue]):
            book_marker(ax, book_x, reference, color(value), label=i == 0)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or f"{split} {metric}" + (" (log scale)" if log_y else ""))
    ax.set_title(title)
    legend_outside(ax)
    fig.tight_layout()
    return fig


def smoothing_text(curves, study: str) -> tuple[int, str]:
    """Smoothing window for the minibatch curves and the caption sentence saying so."""
    part = curves[curves["split"] == "minibatch"]
    window = smoothing_window(part)
    if window <= 1:
        return 1, "not smoothed"
    spacing = logged_step_spacing(part)
    return window, (f"each run smoothed with a trailing moving average over {window} logged "
                    f"points (≈{fmt_number(window * spacing)} iterations), raw values in "
                    f"{study}/curves.csv")
