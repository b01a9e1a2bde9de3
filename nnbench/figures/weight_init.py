"""Section "weight initialisation" (slide 2.2, study 4): learning curves per init and the
evidence that equal initial weights never break the symmetry between units."""

from __future__ import annotations

from nnbench.figures.captions import BAND_TEXT, BOOK_LABEL, BOOK_STARS_TEXT, diverged_note, smoothing_text
from nnbench.figures.labels import curve_label, init_color, init_label, init_sort_key
from nnbench.figures.plotting import learning_curve_figure, legend_outside, new_figure, plot_band
from nnbench.figures.sections import curves_by_dataset, no_curves, write_book_table, write_final_table
from nnbench.formatting import fmt_number
from nnbench.statistics import curve_stats, mean_interval
from nnbench.i18n import N_, _

TITLE = N_("Weight initialisation")
STUDIES = ("weight_init",)

# The book's numbers (one unseeded run, MNIST): training loss at iteration 1900.
BOOK_LOSS_1900 = {"0.01": 2.305, "xavier": 0.377, "he": 0.286}


def _order(values):
    return sorted(set(values), key=init_sort_key)


def loss_figure(curves, *, window=1, book=None, title=""):
    """Minibatch loss vs iteration per init (mean over seeds, 95% band)."""
    return learning_curve_figure(
        curves, "init", split="minibatch", metric="loss", color=init_color,
        label=init_label, order=_order(curves["init"]), window=window, book=book,
        book_x=1900, log_y=True, title=title, ylabel=curve_label("minibatch", "loss"))


def distinct_units_figure(curves):
    """Distinct units per hidden layer vs iteration, one panel per init (mean over seeds):
    with equal weights every unit of a layer stays identical (1 distinct unit)."""
    rows = curves[curves["metric"] == "distinct_units"].copy()
    rows["layer"] = rows["layer"].astype(float).astype(int)
    inits = _order(rows["init"])
    fig, axes = new_figure(1, len(inits), width=4.6, height=4.4, sharey=True)
    import seaborn as sns

    layer_colors = sns.color_palette("cividis", max(2, rows["layer"].nunique()))
    for ax, init in zip(axes.flat, inits):
        part = rows[rows["init"] == init]
        stats = mean_interval(part, ["layer", "step"], "value")
        for k, layer in enumerate(sorted(stats["layer"].unique())):
            # markers differ per layer so identical curves stay distinguishable
            plot_band(ax, stats[stats["layer"] == layer], "step", _("layer {layer}").format(layer=layer),
                        layer_colors[k], marker="osD^v<>ph*"[k % 10])
        ax.set_title(init_label(init), fontsize=13)
        ax.set_yscale("log")
        ax.set_xlabel(_("iteration"))
    axes[0, 0].set_ylabel(_("distinct units (log scale)"))
    legend_outside(axes[0, -1], fontsize=10)
    fig.tight_layout()
    return fig


def build(results, writer) -> list[str]:
    runs, parts = curves_by_dataset(results, "weight_init")
    if parts is None:
        return no_curves("weight_init")
    findings = []
    for part in parts:
        window, smooth = smoothing_text(part.curves, "weight_init")
        book = BOOK_LOSS_1900 if part.dataset == "mnist" else None
        writer.figure(
            loss_figure(part.curves, window=window, book=book, title=part.label),
            f"weight_init_{part.name}_loss",
            _("Minibatch training loss vs iteration per initial weight scale (std 0.01, Xavier √(1/n), He "
              "√(2/n), equal weights). {setup}. {band}; {smoothing}.").format(
                setup=part.setup, band=_(BAND_TEXT), smoothing=smooth)
            + (" " + _(BOOK_STARS_TEXT).format(book=_(BOOK_LABEL)) if book else "")
            + diverged_note(part.runs), "weight_init")
        if book:
            findings += write_book_table(writer, part, "weight_init", "init", book, init_label)
        stats = curve_stats(part.curves, "init", split="minibatch", metric="loss", window=window)
        if len(stats):
            last = stats.sort_values("step").groupby("init").tail(1).sort_values("mean")
            findings.append(
                _("{dataset}: lowest final smoothed loss with {best} ({best_loss}), highest with {worst} "
                  "({worst_loss}).").format(dataset=part.label, best=init_label(last.iloc[0]["init"]),
                                            best_loss=fmt_number(last.iloc[0]["mean"]),
                                            worst=init_label(last.iloc[-1]["init"]),
                                            worst_loss=fmt_number(last.iloc[-1]["mean"])))
        if (part.curves["metric"] == "distinct_units").any():
            writer.figure(
                distinct_units_figure(part.curves), f"weight_init_{part.name}_distinct_units",
                _("Number of distinct units (distinct weight columns) per hidden layer vs iteration, per init. "
                  "{setup}. {band}. Equal initial weights give every unit the same gradient, so a layer that "
                  "starts with 1 distinct unit keeps 1.").format(setup=part.setup, band=_(BAND_TEXT)),
                "weight_init")
            findings += _symmetry_findings(part)
    write_final_table(writer, runs, "weight_init", of=_("per initial weights"))
    return findings


def _symmetry_findings(part) -> list[str]:
    distinct = part.curves[part.curves["metric"] == "distinct_units"]
    equal = distinct[distinct["init"] == "constant"]
    if not len(equal):
        return []
    most = equal["value"].max()
    return [(_("{dataset}: with equal initial weights the largest number of distinct units in any layer at "
               "any logged step is {count} — the symmetry is never broken.") if most <= 1 else
             _("{dataset}: with equal initial weights the largest number of distinct units in any layer at "
               "any logged step is {count}.")).format(dataset=part.label, count=fmt_number(most))]
