"""Section "optimizers" (slide 1.2, study 1 and 2): paths on f(x, y) = x²/20 + y²,
learning curves at the defaults, learning-rate sensitivity and the tuned comparison."""

from __future__ import annotations

from nnbench.choice import TunedChoice, choice_path
from nnbench.figures.captions import (BAND_TEXT, BOOK_LABEL, BOOK_STARS_TEXT, INTERVAL_TEXT, describe_setup,
                                      diverged_note, smoothing_text)
from nnbench.figures.labels import (OPTIMIZER_ORDER, canonical, column_label, curve_label, dataset_label,
                                    datasets_of, optimizer_color, optimizer_label, ordered)
from nnbench.figures.plotting import (interval_yerr, learning_curve_figure, legend_outside,
                                      new_figure)
from nnbench.figures.sections import (build_studies, curves_by_dataset, no_curves, per_dataset,
                                      write_book_table, write_final_table)
from nnbench.formatting import fmt_number
from nnbench.results import ResultsError
from nnbench.statistics import curve_stats, first_crossing, mean_interval, smoothing_window
from nnbench.core.objective import PATH_LEARNING_RATES, PATH_START, path_objective
from nnbench.i18n import N_, _

TITLE = N_("Optimizers: faster than plain gradient descent")
STUDIES = ("optimizer_paths", "optimizers", "optimizers_lr_sweep", "optimizers_tuned")

# The book's numbers (one unseeded run, MNIST): smoothed training loss at iteration 1900.
BOOK_LOSS_1900 = {"sgd": 0.150, "momentum": 0.050, "adagrad": 0.016, "adam": 0.032}
LOSS_THRESHOLD = 0.3  # "fastest to a loss of ..." in the generated text


def paths_figure(paths):
    """Contour of f with each optimizer's path; ``paths`` has optimizer, lr, step, metric
    (x, y), value rows (split ``path``)."""
    import numpy as np

    points = paths[paths["metric"].isin(["x", "y"])].pivot_table(
        index=["optimizer", "lr", "step"], columns="metric", values="value").reset_index()
    optimizers = ordered(points["optimizer"], OPTIMIZER_ORDER)
    ncols = min(4, max(1, len(optimizers)))
    nrows = -(-len(optimizers) // ncols)
    fig, axes = new_figure(nrows, ncols, width=5.0, height=3.6, sharex=True, sharey=True)
    grid_x, grid_y = np.meshgrid(np.linspace(-10, 10, 201), np.linspace(-5, 5, 101))
    levels = np.array([0.05, 0.2, 0.5, 1, 2, 4, 7, 10, 15, 20, 25])
    for ax, name in zip(axes.flat, optimizers):
        ax.contour(grid_x, grid_y, path_objective(grid_x, grid_y), levels=levels, colors="0.7",
                   linewidths=0.8)
        path = points[points["optimizer"].map(canonical) == name].sort_values("step")
        lr = path["lr"].iloc[0] if len(path) else float("nan")
        ax.plot(path["x"], path["y"], "o-", color=optimizer_color(name), markersize=4,
                linewidth=1.8)
        ax.plot([0], [0], "+", color="black", markersize=12)
        ax.grid(False)
        ax.set_title(f"{optimizer_label(name)} (lr {fmt_number(lr)})")
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
    return learning_curve_figure(
        curves, "optimizer", split="minibatch", metric="loss", color=optimizer_color,
        label=label or optimizer_label, order=ordered(curves["optimizer"], OPTIMIZER_ORDER),
        window=window, book=book, book_x=1900, log_y=True, title=title,
        ylabel=curve_label("minibatch", "loss"))


def accuracy_figure(curves, *, label=None, title=""):
    """Test accuracy vs iteration, one band per optimizer."""
    return learning_curve_figure(
        curves, "optimizer", split="test", metric="accuracy", color=optimizer_color,
        label=label or optimizer_label, order=ordered(curves["optimizer"], OPTIMIZER_ORDER),
        title=title, ylabel=curve_label("test", "accuracy"))


def sensitivity_metric(runs) -> str:
    """The final metric the lr is chosen on: validation loss when recorded, else train loss."""
    for metric in ("final_validation_loss", "final_train_loss", "final_test_loss"):
        if metric in runs.columns and runs[metric].notna().any():
            return metric
    raise ResultsError("optimizers_lr_sweep/runs.csv has no final loss column "
                         "(expected final_validation_loss or final_train_loss)")


def sensitivity_stats(runs, metric):
    ok = runs[runs["status"] != "diverged"]
    stats = mean_interval(ok, ["optimizer", "lr"], metric)
    return stats


def best_lrs(stats, metric) -> dict:
    """optimizer -> the lr with the best mean ``metric`` (highest accuracy, lowest loss;
    ties to the smaller lr), as the tuned study chooses when no choice file is given."""
    best = {}
    maximize = metric.endswith("_acc")
    for name, part in stats.dropna(subset=["mean"]).groupby("optimizer"):
        order = part.assign(key=-part["mean"] if maximize else part["mean"]).sort_values(["key", "lr"])
        best[canonical(name)] = float(order.iloc[0]["lr"])
    return best


def read_choice(results, dataset):
    """(metric, {optimizer: lr}) that the tuned study chose for ``dataset`` from the
    sweep (its :class:`~nnbench.choice.TunedChoice`), or None when it has not run."""
    path = choice_path(results.root, "optimizers_tuned")
    if not path.is_file():
        return None
    choice = TunedChoice.read(path)
    chosen = choice.values_by("optimizer.name", dataset=dataset)
    return choice.metric, {canonical(name): float(lr) for name, lr in chosen.items()}


def lr_sensitivity_figure(runs, *, metric=None, chosen=None, title=""):
    """Final ``metric`` vs learning rate (log axis), one line per optimizer; the chosen lr
    (``chosen``: optimizer -> lr, else the best mean) is ringed; configurations where
    every seed diverged are crosses."""
    import numpy as np

    metric = metric or sensitivity_metric(runs)
    stats = sensitivity_stats(runs, metric)
    chosen = chosen if chosen is not None else best_lrs(stats, metric)
    fig, axes = new_figure(width=9.0, height=5.5)
    ax = axes[0, 0]
    is_accuracy = metric.endswith("_acc")
    top = 1.0 if is_accuracy or not len(stats) else np.nanmax(stats["high"].fillna(stats["mean"]))
    for name in ordered(runs["optimizer"], OPTIMIZER_ORDER):
        color = optimizer_color(name)
        part = stats[stats["optimizer"].map(canonical) == name].sort_values("lr")
        if len(part):
            ax.errorbar(part["lr"], part["mean"], yerr=interval_yerr(part), color=color, marker="o", capsize=3, linewidth=2,
                        label=optimizer_label(name))
            best = part[np.isclose(part["lr"], chosen.get(name, np.nan))]
            ax.scatter(best["lr"], best["mean"], s=250, facecolor="none", edgecolor=color,
                       linewidth=2.5, zorder=5)
        all_diverged = runs[(runs["optimizer"].map(canonical) == name)].groupby("lr")["status"] \
            .agg(lambda s: bool((s == "diverged").all()))
        for lr in all_diverged[all_diverged].index:
            ax.scatter([lr], [top], marker="x", s=120, color=color, zorder=5)
    ax.set_xscale("log")
    log_y = not is_accuracy  # losses span decades; accuracies live in [0, 1]
    if log_y:
        ax.set_yscale("log")
    else:
        ax.set_ylim(0, 1.05)  # a 2-seed t-interval can reach far outside [0, 1]
    ax.set_xlabel(_("{label} (log scale)").format(label=column_label("lr")))
    ax.set_ylabel(_("{label} (log scale)").format(label=column_label(metric)) if log_y else column_label(metric))
    ax.set_title(title)
    legend_outside(ax)
    fig.tight_layout()
    return fig


def _lr_label(curves):
    lrs = curves.groupby("optimizer")["lr"].first().to_dict()
    return lambda name: f"{optimizer_label(name)} (lr {fmt_number(lrs.get(name))})"


def _curve_findings(curves, dataset_text, study_text):
    """Generated sentences: lowest final smoothed loss, fastest to the threshold."""
    findings = []
    window = smoothing_window(curves[curves["split"] == "minibatch"])
    stats = curve_stats(curves, "optimizer", split="minibatch", metric="loss", window=window)
    if stats.empty:
        return findings
    last = stats.sort_values("step").groupby("optimizer").tail(1).sort_values("mean")
    best, worst = last.iloc[0], last.iloc[-1]
    findings.append(
        _("{dataset}, {view}: {best} ended with the lowest smoothed minibatch loss ({low} at iteration "
          "{step}), {worst} the highest ({high}).").format(
            dataset=dataset_text, view=study_text, best=optimizer_label(best['optimizer']),
            low=fmt_number(best['mean']), step=int(best['step']), worst=optimizer_label(worst['optimizer']),
            high=fmt_number(worst['mean'])))
    crossings = {name: first_crossing(part, LOSS_THRESHOLD)
                 for name, part in stats.groupby("optimizer")}
    reached = {k: v for k, v in crossings.items() if v is not None}
    if reached:
        fastest = min(reached, key=reached.get)
        never = [optimizer_label(k) for k, v in crossings.items() if v is None]
        text = _("{dataset}, {view}: fastest to a mean smoothed loss of {threshold}: {optimizer} (iteration "
                 "{step}).").format(dataset=dataset_text, view=study_text, threshold=LOSS_THRESHOLD,
                                    optimizer=optimizer_label(fastest), step=int(reached[fastest]))
        if never:
            text += " " + _("Never reached it within the budget: {optimizers}.").format(
                optimizers=", ".join(sorted(never)))
        findings.append(text)
    test = curve_stats(curves, "optimizer", split="test", metric="accuracy")
    if not test.empty:
        final = test.sort_values("step").groupby("optimizer").tail(1).sort_values("mean")
        top = final.iloc[-1]
        findings.append(_("{dataset}, {view}: highest final test accuracy with {optimizer} ({value}).").format(
            dataset=dataset_text, view=study_text, optimizer=optimizer_label(top['optimizer']),
            value=fmt_number(top['mean'])))
    return findings


def _learning_curve_study(results, writer, study, label_with_lr):
    runs, parts = curves_by_dataset(results, study)
    if parts is None:
        return no_curves(study)
    findings = []
    view = _("tuned learning rates") if study == "optimizers_tuned" else _("default hyperparameters")
    for part in parts:
        window, smooth = smoothing_text(part.curves, study)
        label = _lr_label(part.curves) if label_with_lr else None
        book = BOOK_LOSS_1900 if (part.dataset == "mnist" and study == "optimizers") else None
        book_text = (" " + _(BOOK_STARS_TEXT).format(book=_(BOOK_LABEL)) if book else "")
        title = f"{part.label}: {view}"
        writer.figure(
            loss_figure(part.curves, window=window, book=book, label=label, title=title),
            f"{study}_{part.name}_loss",
            _("Minibatch training loss vs iteration, {view}. {setup}. {band}; {smoothing}.").format(
                view=view, setup=part.setup, band=_(BAND_TEXT), smoothing=smooth)
            + book_text + diverged_note(part.runs), study)
        writer.figure(
            accuracy_figure(part.curves, label=label, title=title), f"{study}_{part.name}_test_accuracy",
            _("Test accuracy vs iteration, {view}. {setup}. {band}; not smoothed.").format(
                view=view, setup=part.setup, band=_(BAND_TEXT))
            + diverged_note(part.runs), study)
        if book:
            findings += write_book_table(writer, part, study, "optimizer", book, optimizer_label)
        findings += _curve_findings(part.curves, part.label, view)
    write_final_table(writer, runs, study, caption=(
        _("Final metrics per configuration ({study}): mean with {interval}, number of seeds, diverged runs, "
          "mean training seconds per run. {setup}.").format(study=study, interval=_(INTERVAL_TEXT),
                                                            setup=describe_setup(runs))))
    return findings


def _paths(results, writer):
    import pandas as pd

    curves = results.table("optimizer_paths", "curves")
    if curves is None:
        return no_curves("optimizer_paths")
    paths = curves[curves["split"] == "path"]
    runs = results.runs("optimizer_paths")
    chosen = [f"{optimizer_label(o)} {fmt_number(lr)}" for o, lr in
              runs.groupby("optimizer")["lr"].first().items()
              if o.lower() not in PATH_LEARNING_RATES]
    book_lrs = ", ".join(f"{optimizer_label(o)} {fmt_number(lr)}" for o, lr in PATH_LEARNING_RATES.items())
    start = ", ".join(fmt_number(v) for v in PATH_START)
    steps = int(paths["step"].max()) if len(paths) else 0
    writer.figure(
        paths_figure(paths), "optimizer_paths_contour",
        (_("Paths of the optimizers on f(x, y) = x²/20 + y² from ({start}), {steps} updates; contours of f "
           "drawn from the formula; + marks the minimum (0, 0). Learning rates are the book's for {book}; "
           "chosen here for {chosen}. Deterministic (no data, no seed).") if chosen else
         _("Paths of the optimizers on f(x, y) = x²/20 + y² from ({start}), {steps} updates; contours of f "
           "drawn from the formula; + marks the minimum (0, 0). Learning rates are the book's for {book}. "
           "Deterministic (no data, no seed).")).format(start=start, steps=steps, book=book_lrs,
                                                        chosen=", ".join(chosen)), "optimizer_paths")
    final = paths[paths["step"] == paths.groupby("run_id")["step"].transform("max")]
    table = final.pivot_table(index=["optimizer", "lr"], columns="metric", values="value") \
        .reset_index()
    table["optimizer"] = table["optimizer"].map(optimizer_label)
    table = table[[col for col in ("optimizer", "lr", "x", "y", "f") if col in table.columns]]
    if "f" in table.columns:
        table = table.sort_values("f")
    writer.table(pd.DataFrame(table), "optimizer_paths_final",
                 _("Position and f after the last of {steps} updates.").format(steps=steps), "optimizer_paths")
    if "f" not in table.columns or table.empty:
        return []
    best = table.iloc[0]
    return [_("Optimizer paths: after {steps} updates {closest} is closest to the minimum (f = {low}); "
              "{farthest} is farthest (f = {high}).").format(
        steps=steps, closest=best['optimizer'], low=fmt_number(best['f']),
        farthest=table.iloc[-1]['optimizer'], high=fmt_number(table.iloc[-1]['f']))]


def _sweep(results, writer):
    runs = results.runs("optimizers_lr_sweep")
    findings = []
    for part in per_dataset(runs):
        # ring the lrs the tuned study really chose, on the metric it chose them by
        metric, chosen = read_choice(results, part.dataset) or (sensitivity_metric(runs), None)
        writer.figure(
            lr_sensitivity_figure(part.runs, metric=metric, chosen=chosen,
                                  title=_("{dataset}: learning-rate sensitivity").format(dataset=part.label)),
            f"optimizers_lr_sweep_{part.name}_sensitivity",
            _("{metric} vs learning rate per optimizer (log grid; the lr is chosen on a validation split "
              "carved from the training set). {setup}. Points: mean over seeds; bars: {interval}; ringed: the "
              "lr the tuned study chose (best mean; a diverged seed counts as worst); crosses at the top: "
              "every seed diverged.").format(metric=column_label(metric), setup=part.setup,
                                              interval=_(INTERVAL_TEXT)) + diverged_note(part.runs),
            "optimizers_lr_sweep")
        stats = sensitivity_stats(part.runs, metric)
        if len(stats):
            lrs = chosen if chosen is not None else best_lrs(stats, metric)
            text = ", ".join(f"{optimizer_label(name)} {fmt_number(lrs[name])}"
                             for name in ordered(list(lrs), OPTIMIZER_ORDER))
            findings.append(_("{dataset}: learning rates chosen by the best mean {metric}: {rates}.").format(
                dataset=part.label, metric=column_label(metric), rates=text))
    write_final_table(writer, runs, "optimizers_lr_sweep", caption=(
        _("Learning-rate sweep: final metrics per optimizer and lr, mean with {interval}. {setup}.").format(
            interval=_(INTERVAL_TEXT), setup=describe_setup(runs))))
    return findings


def time_to_target_figure(table):
    """Iterations (left) and seconds (right) to the validation-accuracy target per optimizer,
    one group of bars per dataset: mean over the runs that reached it, 95% interval bars;
    each bar is labelled reached/n (a bar of 0 height with 0/n: no run reached it)."""
    import numpy as np

    datasets = datasets_of(table)
    names = ordered(table["optimizer"], OPTIMIZER_ORDER)
    fig, axes = new_figure(1, 2, width=7.0, height=4.8)
    width = 0.8 / max(1, len(names))
    for ax, (column, ylabel) in zip(axes.flat, (("iterations", _("iterations to target")),
                                                ("seconds", _("training seconds to target")))):
        for k, name in enumerate(names):
            part = table[table["optimizer"].str.lower() == name].set_index("dataset") \
                .reindex(datasets)
            x = np.arange(len(datasets)) + (k - (len(names) - 1) / 2) * width
            heights = part[column].fillna(0.0).to_numpy(dtype=float)
            ax.bar(x, heights, width, yerr=interval_yerr(part.rename(columns={
                       column: "mean", f"{column}_low": "low", f"{column}_high": "high"})),
                   color=optimizer_color(name), label=optimizer_label(name), capsize=3)
            for xi, height, reached, n in zip(x, heights, part["reached"], part["n"]):
                if n == n:
                    ax.text(xi, height, f"{int(reached)}/{int(n)}", ha="center", va="bottom",
                            fontsize=8)
        ax.set_xticks(range(len(datasets)))
        ax.set_xticklabels([dataset_label(d) for d in datasets])
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)  # a time is >= 0, whatever a 2-seed t-interval says
    legend_outside(axes[0, -1], fontsize=10)
    fig.tight_layout()
    return fig


def _time_to_target(results, writer):
    from nnbench.analysis.time_to_target import time_to_target

    runs, curves = results.runs("optimizers_tuned"), results.table("optimizers_tuned", "curves")
    if curves is None:
        return no_curves("optimizers_tuned")
    table = time_to_target(runs, curves)
    if table.empty:
        return [_("optimizers_tuned: no dataset with a time-to-target target; table skipped.")]
    targets = ", ".join(f"{dataset_label(d)} {fmt_number(t)}" for d, t in
                        table.groupby("dataset", sort=False)["target"].first().items())
    fields = dict(targets=targets, interval=_(INTERVAL_TEXT), setup=describe_setup(runs))
    writer.table(table, "optimizers_tuned_time_to_target", _(
        "Time to target of the tuned optimizers: the first evaluation (every eval_every iterations, on the "
        "validation split) at which the validation accuracy reaches the target ({targets}); iterations and "
        "training seconds, mean over the runs that reached it with {interval} (runs); reached / n counts the "
        "runs that did, not_reached those that never did within the budget, no_curve those without a "
        "validation curve. {setup}.").format(**fields), "optimizers_tuned")
    writer.figure(time_to_target_figure(table), "optimizers_tuned_time_to_target", _(
        "Time to target of the tuned optimizers: the first evaluation (every eval_every iterations, on the "
        "validation split) at which the validation accuracy reaches the target ({targets}): bars, iterations "
        "and training seconds, mean over the runs that reached it with {interval} (runs); reached / n counts "
        "the runs that did, not_reached those that never did within the budget, no_curve those without a "
        "validation curve. {setup}.").format(**fields), "optimizers_tuned")
    findings = []
    for dataset, part in table.groupby("dataset", sort=False):
        reached = part[part["reached"] > 0].sort_values("iterations")
        fields = dict(dataset=dataset_label(dataset), target=fmt_number(part['target'].iloc[0]))
        if len(reached):
            best = reached.iloc[0]
            text = _("{dataset}, time to {target} validation accuracy: fastest {optimizer} ({iterations} "
                     "iterations, {seconds} s; {reached}/{n} runs).").format(
                optimizer=optimizer_label(best['optimizer']), iterations=fmt_number(best['iterations']),
                seconds=fmt_number(best['seconds']), reached=int(best['reached']), n=int(best['n']), **fields)
        else:
            text = _("{dataset}, time to {target} validation accuracy: no run reached it.").format(**fields)
        never = [optimizer_label(o) for o, r in zip(part["optimizer"], part["reached"]) if r == 0]
        findings.append(text + (" " + _("Never reached by {optimizers}.").format(optimizers=", ".join(never))
                                if never else ""))
    return findings


def build(results, writer) -> list[str]:
    """All figures and tables of the section; returns the generated findings."""
    return build_studies(results, writer, (
        ("optimizer_paths", _paths),
        ("optimizers", lambda r, w: _learning_curve_study(r, w, "optimizers", label_with_lr=False)),
        ("optimizers_lr_sweep", _sweep),
        ("optimizers_tuned", lambda r, w: _learning_curve_study(r, w, "optimizers_tuned",
                                                                label_with_lr=True)),
        ("optimizers_tuned", _time_to_target)))
