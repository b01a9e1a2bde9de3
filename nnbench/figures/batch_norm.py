"""Section "batch normalisation" (slide 2.3, study 7): training accuracy vs epoch for 16
initial weight scales, with and without BN, as 4 x 4 small multiples."""

from __future__ import annotations

from nnbench.figures.captions import BAND_TEXT, diverged_note
from nnbench.figures.labels import batchnorm_color, batchnorm_label, curve_label, init_label, init_sort_key
from nnbench.figures.plotting import new_figure, plot_band
from nnbench.figures.sections import per_dataset, write_final_table
from nnbench.formatting import as_bool, fmt_number
from nnbench.statistics import mean_interval
from nnbench.i18n import N_, _

TITLE = N_("Batch normalisation")
STUDIES = ("batch_norm",)
BOOK_STD = 0.29  # the book's run where the network without BN wins
BOOK_EPS = 1e-6  # the book's BatchNormalization eps (10e-7)


def _bn_label(flag) -> str:
    return batchnorm_label(flag)


def grid_figure(curves, *, split="train", metric="accuracy"):
    """Small multiples (4 columns) of ``split`` ``metric`` vs epoch, one panel per initial
    weight std (largest first), with / without BN as two bands (mean over seeds)."""
    rows = curves[(curves["split"] == split) & (curves["metric"] == metric)]
    stds = sorted(rows["init"].unique(), key=init_sort_key)
    ncols = 4
    nrows = max(1, -(-len(stds) // ncols))
    fig, axes = new_figure(nrows, ncols, width=4.0, height=3.0, sharex=True, sharey=True)
    stats = mean_interval(rows, ["init", "batchnorm", "epoch"], "value")
    for ax, std in zip(axes.flat, stds):
        for flag in (False, True):
            part = stats[(stats["init"] == std) & (stats["batchnorm"] == flag)]
            if len(part):
                plot_band(ax, part, "epoch", _bn_label(flag), batchnorm_color(flag))
            elif flag in set(curves["batchnorm"].map(as_bool)):
                # every seed of this panel diverged (their curves are left out): say so
                ax.text(0.5, 0.9 if flag else 0.8, _("{label}: diverged").format(label=_bn_label(flag)), transform=ax.transAxes,
                        ha="center", fontsize=11, color=batchnorm_color(flag))
        ax.set_title(init_label(std), fontsize=13)
        ax.set_ylim(0, 1.02)
        ax.tick_params(labelsize=10)
    for ax in axes.flat[len(stds):]:
        ax.axis("off")
    fig.supxlabel(_("epoch"))
    fig.supylabel(curve_label(split, metric))
    # One entry per line style over all panels: a panel can lack a line (diverged runs).
    legend = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    fig.legend(list(legend.values()), list(legend), loc="upper center", ncol=2, bbox_to_anchor=(0.5, 1.03))
    fig.tight_layout()
    return fig


def final_comparison(runs, metric="final_train_acc"):
    """Mean final ``metric`` per init std with and without BN (columns False / True)."""
    ok = runs[runs["status"] != "diverged"]
    table = ok.groupby(["init", "batchnorm"])[metric].mean().unstack("batchnorm")
    return table


def eps_text(runs) -> str:
    """Which BN eps the runs used, from runs.csv's ``batchnorm_eps`` (written by runs with
    BN); '' when the column is absent."""
    if "batchnorm_eps" not in runs.columns:
        return ""
    values = sorted(set(runs["batchnorm_eps"].dropna().astype(float)))
    if not values:
        return ""
    text = ", ".join(fmt_number(v) for v in values)
    if values == [BOOK_EPS]:
        return _("Batch norm eps {eps} (the book's value)").format(eps=text)
    return _("Batch norm eps {eps} (the book's code uses {book})").format(eps=text, book=fmt_number(BOOK_EPS))


def build(results, writer) -> list[str]:
    findings = []
    runs = results.runs("batch_norm")
    eps = eps_text(runs)
    if eps:
        findings.append(_("{eps}: at the smallest init scales the first layer's pre-BN variance is of "
                          "the order of eps, so eps decides the result there.").format(eps=eps))
    for part in per_dataset(runs, results.ok_curves("batch_norm")):
        if part.curves is not None and len(part.curves):
            writer.figure(
                grid_figure(part.curves), f"batch_norm_{part.name}_grid",
                _("Training accuracy vs epoch, with and without batch normalisation, one panel per "
                  "initial weight std (logspace(0, -4, 16)). {setup}.").format(setup=part.setup)
                + (f" {eps}." if eps else "") + f" {_(BAND_TEXT)}."
                + diverged_note(part.runs), "batch_norm")
        metric = "final_train_acc"
        if metric not in part.runs.columns:
            continue
        table = final_comparison(part.runs, metric)
        if False in table.columns and True in table.columns:
            both = table.dropna()
            wins = int((both[True] > both[False]).sum())
            findings.append(_("{dataset}: with BN the final training accuracy is higher at {wins} of "
                              "{count} initial weight scales.").format(dataset=part.label, wins=wins,
                                                                       count=len(both)))
            numeric = both.assign(std=[float(s) for s in both.index])
            if len(numeric):
                near = numeric.iloc[(numeric["std"] - BOOK_STD).abs().argsort()[:1]]
                std, off, on = near["std"].iloc[0], near[False].iloc[0], near[True].iloc[0]
                if abs(std - BOOK_STD) < 0.05:
                    values = dict(std=fmt_number(std), off=fmt_number(off), on=fmt_number(on))
                    findings.append((_("At std {std} (the book's case) the final training accuracy is {off} "
                                       "without BN vs {on} with BN: here the network without BN wins, so BN "
                                       "does not always help.") if off > on else
                                     _("At std {std} (the book's case) the final training accuracy is {off} "
                                       "without BN vs {on} with BN: here BN helps.")).format(**values))
    write_final_table(writer, runs, "batch_norm", of=_("per initial weight std and BN flag"))
    return findings
