"""Drawing helpers shared by the sections: the matplotlib set-up, figure creation, mean
lines with their interval bands, the book's reference markers and learning curves.

matplotlib and seaborn are imported inside the functions so that importing
:mod:`nnbench.figures` stays cheap.
"""

from __future__ import annotations

from nnbench.figures.captions import BOOK_LABEL
from nnbench.statistics import curve_stats

__all__ = ["setup_matplotlib", "new_figure", "legend_outside", "plot_band", "interval_yerr",
           "book_marker", "draw_curves", "learning_curve_figure"]


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


def new_figure(nrows=1, ncols=1, *, width=7.5, height=5.0, **kwargs):
    """A figure with a grid of axes sized for projection."""
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                             squeeze=False, **kwargs)
    return fig, axes


def legend_outside(ax, **kwargs):
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0, **kwargs)


def plot_band(ax, stats, x: str, label: str, color, *, linestyle="-", marker=None):
    """Mean line with a shaded 95% interval band (``stats`` from
    :func:`nnbench.statistics.mean_interval`)."""
    stats = stats.sort_values(x)
    ax.plot(stats[x], stats["mean"], color=color, label=label, linestyle=linestyle,
            marker=marker, linewidth=2)
    if stats["low"].notna().any():
        ax.fill_between(stats[x], stats["low"], stats["high"], color=color, alpha=0.2,
                        linewidth=0)


def interval_yerr(stats, prefix: str = "") -> list:
    """``yerr`` for ``errorbar``/``bar`` from the columns ``<prefix>mean``, ``low``, ``high``
    (no bar where the interval is undefined)."""
    mean = stats[f"{prefix}mean"]
    return [(mean - stats[f"{prefix}low"]).fillna(0), (stats[f"{prefix}high"] - mean).fillna(0)]


def book_marker(ax, x, y, color, *, label: bool):
    """A book reference value: a black-edged star, labelled once per axes."""
    ax.scatter([x], [y], marker="*", s=260, color=color, edgecolor="black", linewidth=1.2,
               zorder=5, label=f"★ {BOOK_LABEL}" if label else None)


def draw_curves(ax, stats, hue: str, *, color, label, order=None, x: str = "step"):
    """One band per ``hue`` value, in ``order`` (default: sorted)."""
    values = list(dict.fromkeys(stats[hue])) if order is None else [
        v for v in order if v in set(stats[hue])]
    for value in values:
        plot_band(ax, stats[stats[hue] == value], x, label(value), color(value))


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
