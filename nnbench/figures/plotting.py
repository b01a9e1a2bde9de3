"""Drawing helpers shared by the sections: the matplotlib set-up, figure creation, mean
lines with their interval bands, the book's reference markers and learning curves.

matplotlib and seaborn are imported inside the functions so that importing
:mod:`nnbench.figures` stays cheap.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nnbench.errors import NnbenchError
from nnbench.figures.captions import BOOK_LABEL
from nnbench.i18n import SOURCE_LANGUAGE, _, check_language
from nnbench.labels import curve_label
from nnbench.statistics import curve_stats

__all__ = ["FontError", "HANGUL_FONT_PACKAGE", "hangul_font_files", "setup_matplotlib", "new_figure", "legend_outside", "plot_band", "interval_yerr",
           "book_marker", "draw_curves", "learning_curve_figure"]


#: The PyPI package whose NanumGothic (SIL Open Font License) draws Hangul in the figures.
HANGUL_FONT_PACKAGE = "koreanize_matplotlib"
#: Languages whose script DejaVu Sans (matplotlib's own font) lacks, and the font files
#: (in HANGUL_FONT_PACKAGE's fonts/ folder) that have it.
_SCRIPT_FONTS = {"ko": ("NanumGothic.ttf", "NanumGothicBold.ttf")}


class FontError(NnbenchError):
    """A language's figures need a font that is not installed."""


def hangul_font_files() -> list[Path]:
    """The NanumGothic files of the koreanize-matplotlib package, found without importing
    it (its import changes matplotlib's settings for the whole process)."""
    import importlib.util

    spec = importlib.util.find_spec(HANGUL_FONT_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    files = [Path(folders[0]) / "fonts" / name for name in _SCRIPT_FONTS["ko"]] if folders else []
    if not files or not all(path.is_file() for path in files):
        raise FontError("Korean figures need the NanumGothic font of the package koreanize-matplotlib, "
                        "which is not installed: pip install koreanize-matplotlib (it is in "
                        "requirements.lock)")
    return files


def setup_matplotlib(lang: str = SOURCE_LANGUAGE):
    """Headless backend, large fonts for projection, reproducible SVG ids and PDF files
    with TrueType fonts; for a language that needs one, its script's font after
    DejaVu Sans (matplotlib takes each glyph from the first font that has it)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import seaborn as sns
    from matplotlib import font_manager
    from matplotlib import pyplot as plt  # noqa: F401  (backend must be set first)

    check_language(lang)
    # fontTools names every table of a font it cannot subset into a PDF (NanumGothic's
    # hinting tables): not news to a reader of the figures' log
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    sns.set_theme(context="talk", style="whitegrid", palette="colorblind")
    families = ["DejaVu Sans"]
    if lang in _SCRIPT_FONTS:
        for path in hangul_font_files():
            font_manager.fontManager.addfont(str(path))
        families.append(font_manager.FontProperties(fname=str(hangul_font_files()[0])).get_name())
    matplotlib.rcParams.update({
        # a list of families, not "sans-serif": matplotlib falls back glyph by glyph only
        # along font.family itself
        "font.family": families,
        "pdf.fonttype": 42,  # TrueType in the PDF: text stays text (searchable, editable)
        "axes.unicode_minus": True,
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
               zorder=5, label=f"★ {_(BOOK_LABEL)}" if label else None)


def draw_curves(ax, stats, hue: str, *, color, label, order=None, x: str = "step"):
    """One band per ``hue`` value, in ``order`` (default: sorted)."""
    values = list(dict.fromkeys(stats[hue])) if order is None else [
        v for v in order if v in set(stats[hue])]
    for value in values:
        plot_band(ax, stats[stats[hue] == value], x, label(value), color(value))


def learning_curve_figure(curves, hue: str, *, split: str, metric: str, color, label,
                          order=None, window: int = 1, book=None, book_x=None, title="",
                          log_y=False, x: str = "step", xlabel=None, ylabel=None):
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
    ax.set_xlabel(xlabel or _("iteration"))
    label = ylabel or curve_label(split, metric)
    ax.set_ylabel(_("{label} (log scale)").format(label=label) if log_y else label)
    ax.set_title(title)
    legend_outside(ax)
    fig.tight_layout()
    return fig
