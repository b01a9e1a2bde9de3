"""Section "mini-batch" (slide 2.1, study 6): the minibatch loss as an estimate of the
full training loss (spread ~ 1/√N), and batch size vs learning speed and throughput."""

from __future__ import annotations

from nnbench.figures.captions import BAND_TEXT, INTERVAL_TEXT, diverged_note
from nnbench.figures.labels import batchnorm_color, column_label, curve_label
from nnbench.figures.plotting import interval_yerr, legend_outside, new_figure, plot_band
from nnbench.figures.sections import build_studies, per_dataset, write_final_table
from nnbench.formatting import fmt_number
from nnbench.statistics import mean_interval, prefixed
from nnbench.i18n import N_, _

TITLE = N_("Mini-batch: a noisy estimate of the full loss")
STUDIES = ("minibatch_noise", "batch_size")


def _when(step, first) -> str:
    return _("initial weights") if step == first else _("final weights (iteration {step})").format(step=int(step))


def spread_figure(spread):
    """Left: std of the minibatch loss vs N (log-log) at the initial and final weights with
    a c/√N reference through N = 1. Right: mean minibatch loss ± 1 std and the full loss."""
    import numpy as np

    first = spread["step"].min()
    palette = {first: batchnorm_color(False)}
    fig, axes = new_figure(1, 2, width=7.0, height=5.2)
    left, right = axes[0, 0], axes[0, 1]
    for k, (step, part) in enumerate(sorted(spread.groupby("step"), key=lambda kv: kv[0])):
        color = palette.get(step, batchnorm_color(True))
        stats = mean_interval(part, ["batch_size"], "std_loss")
        plot_band(left, stats, "batch_size", _when(step, first), color, marker="o")
        anchor = stats.sort_values("batch_size").iloc[0]
        sizes = np.array(sorted(stats["batch_size"]), dtype=float)
        left.plot(sizes, anchor["mean"] * np.sqrt(anchor["batch_size"] / sizes), "--",
                  color=color, linewidth=1.5,
                  label=_("c/√N reference") if k == 0 else None)
        means = part.groupby("batch_size")[["mean_loss", "std_loss", "full_loss"]].mean() \
            .reset_index()
        right.errorbar(means["batch_size"], means["mean_loss"], yerr=means["std_loss"],
                       color=color, marker="o", capsize=3, label=_when(step, first))
        right.axhline(means["full_loss"].mean(), color=color, linestyle=":", linewidth=2)
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel(_("minibatch size N"))
    left.set_ylabel(_("std of the minibatch loss (log scale)"))
    right.set_xscale("log", base=2)
    right.set_xlabel(_("minibatch size N"))
    right.set_ylabel(_("minibatch loss (mean ± 1 std)"))
    right.set_title(_("dotted: loss over the full training set"), fontsize=12)
    left.legend(fontsize=10)
    fig.tight_layout()
    return fig


def spread_slopes(spread) -> dict:
    """Least-squares slope of log std vs log N per logged step (-0.5 for 1/√N)."""
    import numpy as np

    slopes = {}
    for step, part in spread.groupby("step"):
        means = part.groupby("batch_size")["std_loss"].mean()
        means = means[means > 0]
        if len(means) >= 2:
            slopes[step] = float(np.polyfit(np.log(means.index.astype(float)),
                                            np.log(means.values), 1)[0])
    return slopes


def _size_color(sizes):
    import seaborn as sns

    ordered = sorted(set(int(s) for s in sizes))
    colors = sns.color_palette("cividis", max(2, len(ordered)))
    mapping = dict(zip(ordered, colors))
    return lambda size: mapping[int(size)]


def batch_loss_figures(curves, runs):
    """(loss vs epoch, loss vs seconds) figures, one band per batch size. Seconds of a
    logged point = epoch × train_seconds / epochs of its run (from runs.csv)."""
    split = "train" if ((curves["split"] == "train") & (curves["metric"] == "loss")).any() \
        else "minibatch"
    rows = curves[(curves["split"] == split) & (curves["metric"] == "loss")].copy()
    per_epoch = runs.set_index("run_id")["train_seconds"] / runs.set_index("run_id")["epochs"]
    rows["seconds"] = rows["epoch"] * rows["run_id"].map(per_epoch)
    color = _size_color(rows["batch_size"])
    figures = []
    for x, xlabel in (("epoch", _("epoch")), ("seconds", _("training seconds (estimated)"))):
        if x == "epoch":
            stats = mean_interval(rows, ["batch_size", "epoch"], "value")
        else:
            # runs of one batch size log at the same epochs; average seconds too
            stats = mean_interval(rows, ["batch_size", "epoch"], "value")
            seconds = rows.groupby(["batch_size", "epoch"])["seconds"].mean().rename("seconds")
            stats = stats.merge(seconds.reset_index(), on=["batch_size", "epoch"])
        fig, axes = new_figure(width=9.0, height=5.5)
        ax = axes[0, 0]
        for size in sorted(stats["batch_size"].unique()):
            plot_band(ax, stats[stats["batch_size"] == size], x, _("batch {size}").format(size=int(size)),
                        color(size))
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(_("{label} (log scale)").format(label=curve_label(split, "loss")))
        legend_outside(ax)
        fig.tight_layout()
        figures.append(fig)
    return figures, split


def throughput_figure(runs):
    """Training samples per second vs batch size (mean over seeds with 95% interval)."""
    ok = runs[runs["status"] != "diverged"]
    stats = mean_interval(ok, ["batch_size"], "samples_per_second").sort_values("batch_size")
    fig, axes = new_figure(width=8.0, height=5.0)
    ax = axes[0, 0]
    color = _size_color(stats["batch_size"])
    ax.bar([str(int(s)) for s in stats["batch_size"]], stats["mean"], yerr=interval_yerr(stats),
           color=[color(s) for s in stats["batch_size"]], capsize=4)
    ax.set_xlabel(column_label("batch_size"))
    ax.set_ylabel(_("training samples / second"))
    fig.tight_layout()
    return fig


def _noise(results, writer):
    findings = []
    spread = results.ok_curves("minibatch_noise", "minibatch_spread")
    runs = results.runs("minibatch_noise")
    if spread is None or spread.empty:
        return [_("minibatch_noise: no minibatch_spread.csv, the spread figure is skipped.")]
    for part in per_dataset(runs, spread, datasets=spread):
        draws = int(part.curves["draws"].median())
        writer.figure(
            spread_figure(part.curves), f"minibatch_noise_{part.name}_spread",
            _("Spread of the loss of {draws} random minibatches of each size N around the loss over the full "
              "training set, at the initial and final weights. {setup}. Left: std over draws, mean over seeds "
              "with {interval} as band, dashed c/√N through N = 1. Right: mean ± 1 std over draws (averaged "
              "over seeds).").format(draws=draws, setup=part.setup, interval=_(INTERVAL_TEXT)),
            "minibatch_noise")
        slopes = spread_slopes(part.curves)
        if slopes:
            first = min(slopes)
            text = "; ".join(f"{_when(step, first)} {slope:.2f}" for step, slope in
                             sorted(slopes.items()))
            findings.append(_("{dataset}: slope of log(std) vs log(N): {slopes} (1/√N would be -0.50).").format(
                dataset=part.label, slopes=text))
    table = prefixed(mean_interval(spread, ["dataset", "step", "batch_size"], "std_loss"), "std_loss")
    writer.table(table, "minibatch_noise_spread",
                 _("Std of the minibatch loss per minibatch size N and logged step (mean over seeds with "
                   "{interval}).").format(interval=_(INTERVAL_TEXT)), "minibatch_noise")
    return findings


def _batch_size(results, writer):
    findings = []
    runs = results.runs("batch_size")
    for part in per_dataset(runs, results.ok_curves("batch_size")):
        if part.curves is not None and len(part.curves):
            (by_epoch, by_seconds), split = batch_loss_figures(part.curves, part.runs)
            loss = curve_label(split, "loss")
            fields = dict(loss=loss[:1].upper() + loss[1:], setup=part.setup, band=_(BAND_TEXT))
            writer.figure(by_epoch, f"batch_size_{part.name}_loss_epoch",
                          _("{loss} vs epoch per batch size. {setup}. {band}.").format(**fields)
                          + diverged_note(part.runs), "batch_size")
            writer.figure(by_seconds, f"batch_size_{part.name}_loss_seconds",
                          _("{loss} vs training seconds per batch size; seconds are estimated as epoch × "
                            "train_seconds / epochs of each run (runs.csv), i.e. assuming a constant rate. "
                            "{setup}. {band}.").format(**fields), "batch_size")
        if "samples_per_second" in part.runs.columns:
            writer.figure(throughput_figure(part.runs), f"batch_size_{part.name}_throughput",
                          _("Training throughput per batch size. {setup}. Bars: mean over seeds; error bars: "
                            "{interval}. Single-threaded BLAS per job.").format(
                              setup=part.setup, interval=_(INTERVAL_TEXT)),
                          "batch_size")
            findings.append(_throughput_finding(part))
    write_final_table(writer, runs, "batch_size", of=_("per batch size"))
    return findings


def _throughput_finding(part) -> str:
    rates = part.runs.groupby("batch_size")["samples_per_second"].mean()
    ok = part.runs[part.runs["status"] != "diverged"]
    losses = ok.groupby("batch_size")["final_train_loss"].mean() \
        if "final_train_loss" in ok.columns else None
    text = _("{dataset}: batch {fastest} processed the most samples per second ({most}), batch {slowest} the "
             "fewest ({fewest}).").format(dataset=part.label, fastest=int(rates.idxmax()), most=fmt_number(rates.max()),
                                          slowest=int(rates.idxmin()), fewest=fmt_number(rates.min()))
    if losses is not None and losses.notna().any():
        text += " " + _("After the same number of epochs, batch {size} reached the lowest final training loss "
                        "({loss}).").format(size=int(losses.idxmin()), loss=fmt_number(losses.min()))
    return text


def build(results, writer) -> list[str]:
    return build_studies(results, writer, (("minibatch_noise", _noise), ("batch_size", _batch_size)))
