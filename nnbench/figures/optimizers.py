"""Section "optimizers" (slide 1.2, study 1 and 2): paths on f(x, y) = x²/20 + y²,
learning curves at the defaults, learning-rate sensitivity and the tuned comparison."""

from __future__ import annotations

from nnbench.figures import common as c

TITLE = "Optimizers: faster than plain gradient descent"
STUDIES = ("optimizer_paths", "optimizers", "optimizers_lr_sweep", "optimizers_tuned")

# The book's numbers (one unseeded run, MNIST): smoothed training loss at iteration 1900.
BOOK_LOSS_1900 = {"sgd": 0.150, "momentum": 0.050, "adagrad": 0.016, "adam": 0.032}
BOOK_PATH_LRS = {"sgd": 0.95, "momentum": 0.1, "adagrad": 1.5, "adam": 0.3}
LOSS_THRESHOLD = 0.3  # "fastest to a loss of ..." in the generated text


def objective(x, y):
    """The study's test function f(x, y) = x²/20 + y²."""
    return x ** 2 / 20.0 + y ** 2


def paths_figure(paths):
    """Contour of f with each optimizer's path; ``paths`` has optimizer, lr, step, metric
    (x, y), value rows (split ``path``)."""
    import numpy as np

    points = paths[paths["metric"].isin(["x", "y"])].pivot_table(
        index=["optimizer", "lr", "step"], columns="metric", values="value").reset_index()
    optimizers = c.ordered(points["optimizer"], c.OPTIMIZER_ORDER)
    ncols = min(4, max(1, len(optimizers)))
    nrows = -(-len(optimizers) // ncols)
    fig, axes = c.new_figure(nrows, ncols, width=5.0, height=3.6, sharex=True, sharey=True)
    grid_x, grid_y = np.meshgrid(np.linspace(-10, 10, 201), np.linspace(-5, 5, 101))
    levels = np.array([0.05, 0.2, 0.5, 1, 2, 4, 7, 10, 15, 20, 25])
    for ax, name in zip(axes.flat, optimizers):
        ax.contour(grid_x, grid_y, objective(grid_x, grid_y), levels=levels, colors="0.7",
                   linewidths=0.8)
        path = points[points["optimizer"].str.lower() == name].sort_values("step")
        lr = path["lr"].iloc[0] if len(path) else float("nan")
        ax.plot(path["x"], path["y"], "o-", color=c.optimizer_color(name), markersize=4,
                linewidth=1.8)
        ax.plot([0], [0], "+", color="black", markersize=12)
        ax.grid(False)
        ax.set_title(f"{c.optimizer_label(name)} (lr {c.fmt_number(lr)})")
        ax.set_xlim(-10, 10)
        ax.set_ylim(-5, 5)
    for ax in axes.flat[len(optimizers):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("y")
    for ax in axes[-1, :]:
        ax.set_xlabel("x")
    fig.tight_layout()
    return fig


def loss_figure(curves, *, window: int = 1, book=None, label=None, title=""):
    """Minibatch training loss (smoothed per run, mean over seeds with 95% band) vs
    iteration, one line per optimizer; ``book`` maps optimizer -> loss at 1900."""
    stats = c.curve_stats(curves, "optimizer", split="minibatch", metric="loss", window=window)
    fig, axes = c.new_figure(width=9.0, height=5.5)
    ax = axes[0, 0]
    label = label or c.optimizer_label
    c.draw_curves(ax, stats, "optimizer", color=c.optimizer_color, label=label,
                  order=c.ordered(stats["optimizer"], c.OPTIMIZER_ORDER))
    for i, (name, value) in enumerate((book or {}).items()):
        c.book_marker(ax, 1900, value, c.optimizer_color(name), label=i == 0)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("minibatch loss (log scale)")
    ax.set_title(title)
    c.legend_outside(ax)
    fig.tight_layout()
    return fig


def accuracy_figure(curves, *, label=None, title=""):
    """Test accuracy vs iteration, one band per optimizer."""
    stats = c.curve_stats(curves, "optimizer", split="test", metric="accuracy")
    fig, axes = c.new_figure(width=9.0, height=5.5)
    ax = axes[0, 0]
    c.draw_curves(ax, stats, "optimizer", color=c.optimizer_color,
                  label=label or c.optimizer_label,
                  order=c.ordered(stats["optimizer"], c.OPTIMIZER_ORDER))
    ax.set_xlabel("iteration")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    c.legend_outside(ax)
    fig.tight_layout()
    return fig


def sensitivity_metric(runs) -> str:
    """The final metric the lr is chosen on: validation loss when recorded, else train loss."""
    for metric in ("final_validation_loss", "final_train_loss", "final_test_loss"):
        if metric in runs.columns and runs[metric].notna().any():
            return metric
    raise c.ResultsError("optimizers_lr_sweep/runs.csv has no final loss column "
                         "(expected final_validation_loss or final_train_loss)")


def sensitivity_stats(runs, metric):
    ok = runs[runs["status"] != "diverged"]
    stats = c.mean_interval(ok, ["optimizer", "lr"], metric)
    return stats


def best_lrs(stats, metric) -> dict:
    """optimizer -> the lr with the best mean ``metric`` (highest accuracy, lowest loss;
    ties to the smaller lr), as the tuned study chooses when no choice file is given."""
    best = {}
    maximize = metric.endswith("_acc")
    for name, part in stats.dropna(subset=["mean"]).groupby("optimizer"):
        order = part.assign(key=-part["mean"] if maximize else part["mean"]).sort_values(["key", "lr"])
        best[str(name).lower()] = float(order.iloc[0]["lr"])
    return best


def read_choice(results, dataset):
    """(metric, {optimizer: lr}) that the tuned study chose for ``dataset`` from the
    sweep (``optimizers_tuned/choice.json``), or None when it has not run."""
    import json

    path = results.root / "optimizers_tuned" / "choice.json"
    if not path.is_file():
        return None
    choice = json.loads(path.read_text())
    chosen = {}
    for entry in choice.get("choices", []):
        group = entry.get("group", {})
        if group.get("dataset", dataset) == dataset and group.get("optimizer.name"):
            chosen[str(group["optimizer.name"]).lower()] = float(entry["value"])
    return choice.get("metric"), chosen


def lr_sensitivity_figure(runs, *, metric=None, chosen=None, title=""):
    """Final ``metric`` vs learning rate (log axis), one line per optimizer; the chosen lr
    (``chosen``: optimizer -> lr, else the best mean) is ringed; configurations where
    every seed diverged are crosses."""
    import numpy as np

    metric = metric or sensitivity_metric(runs)
    stats = sensitivity_stats(runs, metric)
    chosen = chosen if chosen is not None else best_lrs(stats, metric)
    fig, axes = c.new_figure(width=9.0, height=5.5)
    ax = axes[0, 0]
    is_accuracy = metric.endswith("_acc")
    top = 1.0 if is_accuracy or not len(stats) else np.nanmax(stats["high"].fillna(stats["mean"]))
    for name in c.ordered(runs["optimizer"], c.OPTIMIZER_ORDER):
        color = c.optimizer_color(name)
        part = stats[stats["optimizer"].str.lower() == name].sort_values("lr")
        if len(part):
            ax.errorbar(part["lr"], part["mean"],
                        yerr=[(part["mean"] - part["low"]).fillna(0),
                              (part["high"] - part["mean"]).fillna(0)],
                        color=color, marker="o", capsize=3, linewidth=2,
                        label=c.optimizer_label(name))
            best = part[np.isclose(part["lr"], chosen.get(name, np.nan))]
            ax.scatter(best["lr"], best["mean"], s=250, facecolor="none", edgecolor=color,
                       linewidth=2.5, zorder=5)
        all_diverged = runs[(runs["optimizer"].str.lower() == name)].groupby("lr")["status"] \
            .agg(lambda s: bool((s == "diverged").all()))
        for lr in all_diverged[all_diverged].index:
            ax.scatter([lr], [top], marker="x", s=120, color=color, zorder=5)
    ax.set_xscale("log")
    log_y = not is_accuracy  # losses span decades; accuracies live in [0, 1]
    if log_y:
        ax.set_yscale("log")
    else:
        ax.set_ylim(0, 1.05)  # a 2-seed t-interval can reach far outside [0, 1]
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel(metric.replace("final_", "final ").replace("_acc", "_accuracy").replace("_", " ")
                  + (" (log)" if log_y else ""))
    ax.set_title(title)
    c.legend_outside(ax)
    fig.tight_layout()
    return fig


def _lr_label(curves):
    lrs = curves.groupby("optimizer")["lr"].first().to_dict()
    return lambda name: f"{c.optimizer_label(name)} (lr {c.fmt_number(lrs.get(name))})"


def _curve_findings(curves, dataset, study_text):
    """Generated sentences: lowest final smoothed loss, fastest to the threshold."""
    findings = []
    window = c.smoothing_window(curves[curves["split"] == "minibatch"])
    stats = c.curve_stats(curves, "optimizer", split="minibatch", metric="loss", window=window)
    if stats.empty:
        return findings
    last = stats.sort_values("step").groupby("optimizer").tail(1).sort_values("mean")
    best, worst = last.iloc[0], last.iloc[-1]
    findings.append(
        f"{c.dataset_label(dataset)}, {study_text}: {c.optimizer_label(best['optimizer'])} "
        f"ended with the lowest smoothed minibatch loss ({c.fmt_number(best['mean'])} at "
        f"iteration {int(best['step'])}), {c.optimizer_label(worst['optimizer'])} the highest "
        f"({c.fmt_number(worst['mean'])}).")
    crossings = {name: c.first_crossing(part, LOSS_THRESHOLD)
                 for name, part in stats.groupby("optimizer")}
    reached = {k: v for k, v in crossings.items() if v is not None}
    if reached:
        fastest = min(reached, key=reached.get)
        never = [c.optimizer_label(k) for k, v in crossings.items() if v is None]
        text = (f"{c.dataset_label(dataset)}, {study_text}: fastest to a mean smoothed loss "
                f"of {LOSS_THRESHOLD}: {c.optimizer_label(fastest)} "
                f"(iteration {int(reached[fastest])}).")
        if never:
            text += f" Never reached it within the budget: {', '.join(sorted(never))}."
        findings.append(text)
    test = c.curve_stats(curves, "optimizer", split="test", metric="accuracy")
    if not test.empty:
        final = test.sort_values("step").groupby("optimizer").tail(1).sort_values("mean")
        top = final.iloc[-1]
        findings.append(f"{c.dataset_label(dataset)}, {study_text}: highest final test "
                        f"accuracy with {c.optimizer_label(top['optimizer'])} "
                        f"({c.fmt_number(top['mean'])}).")
    return findings


def _book_table(curves, window):
    import pandas as pd

    stats = c.curve_stats(curves, "optimizer", split="minibatch", metric="loss", window=window)
    rows = []
    for name, book_value in BOOK_LOSS_1900.items():
        part = stats[stats["optimizer"].str.lower() == name]
        if part.empty:
            continue
        at = part.iloc[(part["step"] - 1900).abs().argsort()[:1]].iloc[0]
        rows.append({"optimizer": c.optimizer_label(name), "iteration": int(at["step"]),
                     "loss_mean": at["mean"], "loss_low": at["low"], "loss_high": at["high"],
                     "n_seeds": int(at["n"]), "book_loss_1900 (book, one unseeded run)":
                     book_value})
    return pd.DataFrame(rows)


def _learning_curve_study(results, writer, study, label_with_lr):
    from nnbench.tables import final_metrics_table

    findings = []
    runs = results.runs(study)
    curves = results.ok_curves(study)
    if curves is None:
        return [f"{study}: no curves.csv, learning curves skipped."]
    view = "tuned learning rates" if study == "optimizers_tuned" else "default hyperparameters"
    for dataset in c.datasets_of(runs):
        part = curves[curves["dataset"] == dataset]
        dataset_runs = runs[runs["dataset"] == dataset]
        window = c.smoothing_window(part[part["split"] == "minibatch"])
        spacing = c.logged_step_spacing(part[part["split"] == "minibatch"])
        setup = c.describe_setup(dataset_runs)
        label = _lr_label(part) if label_with_lr else None
        book = BOOK_LOSS_1900 if (dataset == "mnist" and study == "optimizers") else None
        smooth_text = (f"each run smoothed with a trailing moving average over {window} logged "
                       f"points (≈{c.fmt_number(window * spacing)} iterations), raw values in "
                       f"{study}/curves.csv" if window > 1 else "not smoothed")
        book_text = (f" Stars: loss at iteration 1900, {c.BOOK_LABEL}." if book else "")
        name_ds = c.slug(dataset)
        writer.figure(
            loss_figure(part, window=window, book=book, label=label,
                        title=f"{c.dataset_label(dataset)}: {view}"),
            f"{study}_{name_ds}_loss",
            f"Minibatch training loss vs iteration, {view}. {setup}. Line: mean over seeds; "
            f"band: {c.INTERVAL_TEXT}; {smooth_text}.{book_text}"
            + c.diverged_note(dataset_runs), study)
        writer.figure(
            accuracy_figure(part, label=label, title=f"{c.dataset_label(dataset)}: {view}"),
            f"{study}_{name_ds}_test_accuracy",
            f"Test accuracy vs iteration, {view}. {setup}. Line: mean over seeds; band: "
            f"{c.INTERVAL_TEXT}; not smoothed." + c.diverged_note(dataset_runs), study)
        if book:
            table = _book_table(part, window)
            if len(table):
                writer.table(table, f"{study}_{name_ds}_book",
                             f"Smoothed minibatch loss near iteration 1900 (ours: mean and "
                             f"{c.INTERVAL_TEXT}) beside the book's ({c.BOOK_LABEL}). {setup}.",
                             study)
        findings += _curve_findings(part, dataset, view)
    writer.table(final_metrics_table(runs), f"{study}_final",
                 f"Final metrics per configuration ({study}): mean with {c.INTERVAL_TEXT}, "
                 "number of seeds, diverged runs, mean training seconds per run. "
                 + c.describe_setup(runs) + ".", study)
    return findings


def _paths(results, writer):
    import pandas as pd

    curves = results.table("optimizer_paths", "curves")
    if curves is None:
        return ["optimizer_paths: no curves.csv, the path figure is skipped."]
    paths = curves[curves["split"] == "path"]
    runs = results.runs("optimizer_paths")
    chosen = [f"{c.optimizer_label(o)} {c.fmt_number(lr)}" for o, lr in
              runs.groupby("optimizer")["lr"].first().items()
              if o.lower() not in BOOK_PATH_LRS]
    steps = int(paths["step"].max()) if len(paths) else 0
    writer.figure(
        paths_figure(paths), "optimizer_paths_contour",
        f"Paths of the optimizers on f(x, y) = x²/20 + y² from (-7, 2), {steps} updates; "
        "contours of f drawn from the formula; + marks the minimum (0, 0). Learning rates are "
        "the book's for SGD 0.95, Momentum 0.1, AdaGrad 1.5, Adam 0.3"
        + (f"; chosen here for {', '.join(chosen)}" if chosen else "")
        + ". Deterministic (no data, no seed).", "optimizer_paths")
    final = paths[paths["step"] == paths.groupby("run_id")["step"].transform("max")]
    table = final.pivot_table(index=["optimizer", "lr"], columns="metric", values="value") \
        .reset_index()
    table["optimizer"] = table["optimizer"].map(c.optimizer_label)
    table = table[[col for col in ("optimizer", "lr", "x", "y", "f") if col in table.columns]]
    if "f" in table.columns:
        table = table.sort_values("f")
    writer.table(pd.DataFrame(table), "optimizer_paths_final",
                 f"Position and f after the last of {steps} updates.", "optimizer_paths")
    if "f" not in table.columns or table.empty:
        return []
    best = table.iloc[0]
    return [f"Optimizer paths: after {steps} updates {best['optimizer']} is closest to the "
            f"minimum (f = {c.fmt_number(best['f'])}); "
            f"{table.iloc[-1]['optimizer']} is farthest (f = {c.fmt_number(table.iloc[-1]['f'])})."]


def _sweep(results, writer):
    from nnbench.tables import final_metrics_table

    runs = results.runs("optimizers_lr_sweep")
    findings = []
    for dataset in c.datasets_of(runs):
        part = runs[runs["dataset"] == dataset]
        # ring the lrs the tuned study really chose, on the metric it chose them by
        metric, chosen = read_choice(results, dataset) or (sensitivity_metric(runs), None)
        writer.figure(
            lr_sensitivity_figure(part, metric=metric, chosen=chosen,
                                  title=f"{c.dataset_label(dataset)}: lr sensitivity"),
            f"optimizers_lr_sweep_{c.slug(dataset)}_sensitivity",
            f"{metric.replace('_', ' ')} vs learning rate per optimizer (log grid; the lr is "
            f"chosen on a validation split carved from the training set). {c.describe_setup(part)}."
            f" Points: mean over seeds; bars: {c.INTERVAL_TEXT}; ringed: the lr the tuned study "
            "chose (best mean; a diverged seed counts as worst); "
            "crosses at the top: every seed diverged." + c.diverged_note(part),
            "optimizers_lr_sweep")
        stats = sensitivity_stats(part, metric)
        if len(stats):
            lrs = chosen if chosen is not None else best_lrs(stats, metric)
            text = ", ".join(f"{c.optimizer_label(name)} {c.fmt_number(lrs[name])}"
                             for name in c.ordered(list(lrs), c.OPTIMIZER_ORDER))
            findings.append(f"{c.dataset_label(dataset)}: learning rates chosen by the best mean "
                            f"{metric.replace('_', ' ')}: {text}.")
    writer.table(final_metrics_table(runs), "optimizers_lr_sweep_final",
                 f"Learning-rate sweep: final metrics per optimizer and lr, mean with "
                 f"{c.INTERVAL_TEXT}. {c.describe_setup(runs)}.", "optimizers_lr_sweep")
    return findings


def build(results, writer) -> list[str]:
    """All figures and tables of the section; returns the generated findings."""
    findings = []
    if results.has("optimizer_paths"):
        findings += _paths(results, writer)
    if results.has("optimizers"):
        findings += _learning_curve_study(results, writer, "optimizers", label_with_lr=False)
    if results.has("optimizers_lr_sweep"):
        findings += _sweep(results, writer)
    if results.has("optimizers_tuned"):
        findings += _learning_curve_study(results, writer, "optimizers_tuned",
                                          label_with_lr=True)
    return findings
