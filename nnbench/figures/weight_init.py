"""Section "weight initialisation" (slide 2.2, study 4): learning curves per init and the
evidence that equal initial weights never break the symmetry between units."""

from __future__ import annotations

from nnbench.figures import common as c

TITLE = "Weight initialisation"
STUDIES = ("weight_init",)

# The book's numbers (one unseeded run, MNIST): training loss at iteration 1900.
BOOK_LOSS_1900 = {"0.01": 2.305, "xavier": 0.377, "he": 0.286}


def _order(values):
    return sorted(set(values), key=c.init_sort_key)


def loss_figure(curves, *, window=1, book=None, title=""):
    """Minibatch loss vs iteration per init (mean over seeds, 95% band)."""
    return c.learning_curve_figure(
        curves, "init", split="minibatch", metric="loss", color=c.init_color,
        label=c.init_label, order=_order(curves["init"]), window=window, book=book,
        book_x=1900, log_y=True, title=title, ylabel="minibatch loss (log scale)")


def distinct_units_figure(curves):
    """Distinct units per hidden layer vs iteration, one panel per init (mean over seeds):
    with equal weights every unit of a layer stays identical (1 distinct unit)."""
    rows = curves[curves["metric"] == "distinct_units"].copy()
    rows["layer"] = rows["layer"].astype(float).astype(int)
    inits = _order(rows["init"])
    fig, axes = c.new_figure(1, len(inits), width=4.6, height=4.4, sharey=True)
    import seaborn as sns

    layer_colors = sns.color_palette("cividis", max(2, rows["layer"].nunique()))
    for ax, init in zip(axes.flat, inits):
        part = rows[rows["init"] == init]
        stats = c.mean_interval(part, ["layer", "step"], "value")
        for k, layer in enumerate(sorted(stats["layer"].unique())):
            # markers differ per layer so identical curves stay distinguishable
            c.plot_band(ax, stats[stats["layer"] == layer], "step", f"layer {layer}",
                        layer_colors[k], marker="osD^v<>ph*"[k % 10])
        ax.set_title(c.init_label(init), fontsize=13)
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
    axes[0, 0].set_ylabel("distinct units (log scale)")
    c.legend_outside(axes[0, -1], fontsize=10)
    fig.tight_layout()
    return fig


def _book_table(curves, window):
    import pandas as pd

    stats = c.curve_stats(curves, "init", split="minibatch", metric="loss", window=window)
    rows = []
    for init, book_value in BOOK_LOSS_1900.items():
        part = stats[stats["init"] == init]
        if part.empty:
            continue
        at = part.iloc[(part["step"] - 1900).abs().argsort()[:1]].iloc[0]
        rows.append({"init": c.init_label(init), "iteration": int(at["step"]),
                     "loss_mean": at["mean"], "loss_low": at["low"], "loss_high": at["high"],
                     "n_seeds": int(at["n"]),
                     "book_loss_1900 (book, one unseeded run)": book_value})
    return pd.DataFrame(rows)


def build(results, writer) -> list[str]:
    from nnbench.tables import final_metrics_table

    findings = []
    runs = results.runs("weight_init")
    curves = results.ok_curves("weight_init")
    if curves is None:
        return ["weight_init: no curves.csv, its figures are skipped."]
    for dataset in c.datasets_of(runs):
        part = curves[curves["dataset"] == dataset]
        dataset_runs = runs[runs["dataset"] == dataset]
        setup = c.describe_setup(dataset_runs)
        label, name = c.dataset_label(dataset), c.slug(dataset)
        window, smooth = c.smoothing_text(part, "weight_init")
        book = BOOK_LOSS_1900 if dataset == "mnist" else None
        writer.figure(
            loss_figure(part, window=window, book=book, title=label),
            f"weight_init_{name}_loss",
            f"Minibatch training loss vs iteration per initial weight scale (std 0.01, "
            f"Xavier √(1/n), He √(2/n), equal weights). {setup}. Line: mean over seeds; band: "
            f"{c.INTERVAL_TEXT}; {smooth}."
            + (f" Stars: loss at iteration 1900, {c.BOOK_LABEL}." if book else "")
            + c.diverged_note(dataset_runs), "weight_init")
        if book:
            table = _book_table(part, window)
            if len(table):
                writer.table(table, f"weight_init_{name}_book",
                             f"Smoothed minibatch loss near iteration 1900 (ours: mean and "
                             f"{c.INTERVAL_TEXT}) beside the book's ({c.BOOK_LABEL}). {setup}.",
                             "weight_init")
        stats = c.curve_stats(part, "init", split="minibatch", metric="loss", window=window)
        if len(stats):
            last = stats.sort_values("step").groupby("init").tail(1).sort_values("mean")
            findings.append(
                f"{label}: lowest final smoothed loss with {c.init_label(last.iloc[0]['init'])} "
                f"({c.fmt_number(last.iloc[0]['mean'])}), highest with "
                f"{c.init_label(last.iloc[-1]['init'])} ({c.fmt_number(last.iloc[-1]['mean'])}).")
        if (part["metric"] == "distinct_units").any():
            writer.figure(
                distinct_units_figure(part), f"weight_init_{name}_distinct_units",
                f"Number of distinct units (distinct weight columns) per hidden layer vs "
                f"iteration, per init. {setup}. Line: mean over seeds; band: "
                f"{c.INTERVAL_TEXT}. Equal initial weights give every unit the same gradient, "
                "so a layer that starts with 1 distinct unit keeps 1.", "weight_init")
            distinct = part[part["metric"] == "distinct_units"]
            equal = distinct[distinct["init"] == "constant"]
            if len(equal):
                most = equal["value"].max()
                findings.append(
                    f"{label}: with equal initial weights the largest number of distinct units "
                    f"in any layer at any logged step is {c.fmt_number(most)}"
                    + (" — the symmetry is never broken." if most <= 1 else "."))
    writer.table(final_metrics_table(runs), "weight_init_final",
                 f"Final metrics per init: mean with {c.INTERVAL_TEXT}, seeds, diverged runs, "
                 f"seconds per run. {c.describe_setup(runs)}.", "weight_init")
    return findings
