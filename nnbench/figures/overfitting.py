"""Section "overfitting and dropout" (slide 1.1, study 8): train vs test accuracy, the gap
growing with capacity and shrinking with the dropout ratio. The weight-decay section
(:mod:`nnbench.figures.weight_decay`) reuses these functions."""

from __future__ import annotations

from nnbench.figures.captions import BAND_TEXT, BOOK_LABEL, INTERVAL_TEXT, diverged_note
from nnbench.figures.labels import batchnorm_label, column_label, curve_label, split_label
from nnbench.figures.plotting import (book_marker, interval_yerr, legend_outside, new_figure,
                                      plot_band)
from nnbench.figures.sections import build_studies, per_dataset, write_final_table
from nnbench.formatting import fmt_number
from nnbench.statistics import mean_interval, prefixed
from nnbench.i18n import N_, _

TITLE = N_("Overfitting and dropout")
STUDIES = ("overfitting_capacity", "overfitting_dropout", "overfitting_batchnorm")

# The book's numbers (one unseeded run, MNIST): (factor value, epoch, train acc, test acc).
BOOK = {"overfitting_weight_decay": (0.1, 200, 0.927, 0.721),
        "overfitting_dropout": (0.2, 301, 0.67, 0.548)}
_SPLIT_COLOR = {"train": 0, "test": 1}


def _split_color(split):
    import seaborn as sns

    return sns.color_palette("colorblind", 10)[_SPLIT_COLOR.get(split, 2)]


def _value_label(factor, value) -> str:
    if factor == "batchnorm":  # a level, not a number: "with BN" / "without BN"
        return batchnorm_label(value)
    return f"{column_label(factor)} {fmt_number(value)}"


def train_test_figure(curves, factor: str, values, *, book=None):
    """One panel per value of ``factor``: train and test accuracy vs epoch (mean over seeds,
    95% band). ``book`` = (value, epoch, train, test) is drawn as stars in its panel."""
    rows = curves[(curves["metric"] == "accuracy") & curves["split"].isin(["train", "test"])]
    fig, axes = new_figure(1, len(values), width=5.5, height=4.6, sharey=True)
    for ax, value in zip(axes.flat, values):
        part = rows[rows[factor].astype(float) == float(value)]
        stats = mean_interval(part, ["split", "epoch"], "value")
        for split in ("train", "test"):
            plot_band(ax, stats[stats["split"] == split], "epoch", split_label(split), _split_color(split))
        if book and abs(float(book[0]) - float(value)) < 1e-12:
            for k, (split, reference) in enumerate((("train", book[2]), ("test", book[3]))):
                book_marker(ax, book[1], reference, _split_color(split), label=k == 0)
        ax.set_title(_value_label(factor, value), fontsize=14)
        ax.set_xlabel(_("epoch"))
        ax.set_ylim(0, 1.02)
    axes[0, 0].set_ylabel(_("accuracy"))
    axes[0, -1].legend(loc="lower right", fontsize=11)
    fig.tight_layout()
    return fig


def gap_stats(runs, factor: str):
    """Per value of ``factor``: final train and test accuracy and their gap (mean, 95%
    t-interval over seeds)."""
    ok = runs[runs["status"] != "diverged"].copy()
    ok["final_gap"] = ok["final_train_acc"] - ok["final_test_acc"]
    ok[factor] = ok[factor].astype(float)
    frames = []
    for metric in ("final_train_acc", "final_test_acc", "final_gap"):
        stats = prefixed(mean_interval(ok, [factor], metric), metric)
        frames.append(stats.set_index(factor))
    table = frames[0].join(frames[1].drop(columns="n_seeds")).join(
        frames[2].drop(columns="n_seeds"))
    return table.reset_index().sort_values(factor)


def gap_figure(runs, factor: str):
    """Final train accuracy, test accuracy and their gap vs ``factor`` (values evenly
    spaced, labelled), mean over seeds with 95% interval bars."""
    stats = gap_stats(runs, factor)
    positions = range(len(stats))
    fig, axes = new_figure(width=8.0, height=5.0)
    ax = axes[0, 0]
    for metric, label, color in (("final_train_acc", curve_label("train", "accuracy"), _split_color("train")),
                                 ("final_test_acc", curve_label("test", "accuracy"), _split_color("test")),
                                 ("final_gap", _("gap (training − test)"), "black")):
        ax.errorbar(list(positions), stats[f"{metric}_mean"], yerr=interval_yerr(stats, f"{metric}_"),
                    marker="o", capsize=4, linewidth=2, color=color, label=label,
                    linestyle="--" if metric == "final_gap" else "-")
    ax.set_xticks(list(positions))
    ax.set_xticklabels([fmt_number(v) for v in stats[factor]])
    ax.set_xlabel(column_label(factor))
    ax.set_ylabel(_("final accuracy / gap"))
    legend_outside(ax)
    fig.tight_layout()
    return fig


def technique(results, writer, study: str, factor: str, highlight):
    """Figures, tables and findings of one overfitting study whose axis is ``factor``;
    ``highlight`` picks the non-baseline value drawn beside the baseline (None: all)."""
    findings = []
    runs = results.runs(study)
    for part in per_dataset(runs, results.ok_curves(study)):
        values = sorted(part.runs[factor].astype(float).unique())
        if highlight is not None and len(values) > 2:
            closest = min(values[1:], key=lambda v: abs(v - highlight))
            shown = [values[0], closest]
        else:
            shown = values
        book = BOOK.get(study) if part.dataset == "mnist" else None
        if part.curves is not None and len(part.curves):
            writer.figure(
                train_test_figure(part.curves, factor, shown, book=book), f"{study}_{part.name}_curves",
                _("Training and test accuracy vs epoch for {values}. {setup}. {band}; not smoothed.").format(
                    values=", ".join(_value_label(factor, v) for v in shown), setup=part.setup, band=_(BAND_TEXT))
                + (" " + _("Stars: {book} at epoch {epoch}.").format(book=_(BOOK_LABEL), epoch=book[1]) if book else "")
                + diverged_note(part.runs), study)
        if {"final_train_acc", "final_test_acc"} <= set(part.runs.columns):
            writer.figure(
                gap_figure(part.runs, factor), f"{study}_{part.name}_gap",
                _("Final training accuracy, test accuracy and their gap vs {factor}. {setup}. Points: mean "
                  "over seeds; bars: {interval}.").format(factor=column_label(factor), setup=part.setup,
                                                          interval=_(INTERVAL_TEXT))
                + diverged_note(part.runs), study)
            findings += _gap_findings(part, factor)
        if book:
            findings += _book_findings(part, factor, book)
    write_final_table(writer, runs, study, of=_("per {factor}").format(factor=column_label(factor)))
    return findings


def _gap_findings(part, factor) -> list[str]:
    stats = gap_stats(part.runs, factor)
    if len(stats) < 2:
        return []
    lo, hi = stats.iloc[0], stats.iloc[-1]
    grows = hi["final_gap_mean"] > lo["final_gap_mean"]
    values = dict(dataset=part.label, low=fmt_number(lo["final_gap_mean"]), low_at=_value_label(factor, lo[factor]),
                  high=fmt_number(hi["final_gap_mean"]), high_at=_value_label(factor, hi[factor]),
                  best=_value_label(factor, stats.loc[stats["final_test_acc_mean"].idxmax(), factor]))
    return [(_("{dataset}: the train-test gap grows from {low} at {low_at} to {high} at {high_at}; best test "
               "accuracy at {best}.") if grows else
             _("{dataset}: the train-test gap shrinks from {low} at {low_at} to {high} at {high_at}; best test "
               "accuracy at {best}.")).format(**values)]


def _book_findings(part, factor, book) -> list[str]:
    ours = part.runs[(part.runs[factor].astype(float) - book[0]).abs() < 1e-12]
    ours = ours[ours["status"] != "diverged"]
    if not len(ours):
        return []
    return [_("{dataset}, {value}: ours training {train} / test {test} (mean of {seeds} seeds) vs the book's "
              "{book_train} / {book_test} ({book}).").format(
        dataset=part.label, value=_value_label(factor, book[0]), train=fmt_number(ours["final_train_acc"].mean()),
        test=fmt_number(ours["final_test_acc"].mean()), seeds=len(ours), book_train=book[2], book_test=book[3],
        book=_(BOOK_LABEL))]


def build(results, writer) -> list[str]:
    return build_studies(results, writer, (
        ("overfitting_capacity", lambda r, w: technique(r, w, "overfitting_capacity", "width", None)),
        ("overfitting_dropout", lambda r, w: technique(r, w, "overfitting_dropout", "dropout", 0.2)),
        ("overfitting_batchnorm", lambda r, w: technique(r, w, "overfitting_batchnorm", "batchnorm", None))))
