"""Section "factorial summary" (study 9): initializer x optimizer x batchnorm x dropout x
weight decay on both datasets: heatmaps, main effects, interactions, best and worst."""

from __future__ import annotations

import itertools

from nnbench.figures.captions import INTERVAL_TEXT, describe_setup, diverged_note
from nnbench.figures.labels import (OPTIMIZER_ORDER, batchnorm_label, column_label, dataset_label, datasets_of,
                                    init_color, init_label, init_sort_key, optimizer_color, optimizer_label)
from nnbench.figures.plotting import interval_yerr, legend_outside, new_figure
from nnbench.figures.sections import per_dataset, write_final_table
from nnbench.formatting import as_bool, fmt_number
from nnbench.statistics import mean_interval, prefixed
from nnbench.i18n import N_, _

TITLE = N_("Factorial summary: which techniques matter together")
STUDIES = ("factorial", "factorial_long")
FACTORS = ("optimizer", "init", "batchnorm", "dropout", "weight_decay")
METRIC = "final_test_acc"
# The budget check's wording: a rank correlation whose 95% lower bound reaches this counts
# as "ranks the settings about the same" (the table gives the numbers either way).
SETTLED_RHO = 0.8


def factors_of(runs) -> list[str]:
    """The factors of the design that take more than one value."""
    return [f for f in FACTORS if f in runs.columns and runs[f].astype(str).nunique() > 1]


def level_label(factor, value, *, short: bool = False) -> str:
    """A level as a reader names it on its own ("without BN", "std 0.01"; ``short``: "He"
    for "He √(2/n)")."""
    if factor == "optimizer":
        return optimizer_label(value)
    if factor == "init":
        return init_label(value, short=short)
    if factor == "batchnorm":
        return batchnorm_label(value)
    return fmt_number(value)


def _sorted_levels(factor, values):
    values = list(dict.fromkeys(values))
    if factor == "optimizer":
        rank = {o: i for i, o in enumerate(OPTIMIZER_ORDER)}
        return sorted(values, key=lambda v: (rank.get(str(v).lower(), 99), str(v)))
    if factor == "init":
        return sorted(values, key=init_sort_key)
    if factor == "batchnorm":
        return sorted(values, key=as_bool)

    def numeric(value):
        try:
            return (0, float(value), "")
        except (TypeError, ValueError):
            return (1, 0.0, str(value))
    return sorted(values, key=numeric)


def _ok(runs, metric=METRIC):
    ok = runs[runs["status"] != "diverged"]
    return ok[ok[metric].notna()]


def heatmap_figure(runs, metric: str = METRIC):
    """Mean ``metric`` per optimizer x initializer, faceted by BN (columns) and dataset
    (rows), averaged over seeds and the other factors."""
    import seaborn as sns

    ok = _ok(runs, metric)
    datasets = datasets_of(ok)
    flags = sorted(ok["batchnorm"].unique())
    fig, axes = new_figure(len(datasets), len(flags), width=6.5, height=4.8)
    low, high = ok[metric].min(), ok[metric].max()
    for i, dataset in enumerate(datasets):
        for j, flag in enumerate(flags):
            part = ok[(ok["dataset"] == dataset) & (ok["batchnorm"] == flag)]
            table = part.groupby(["optimizer", "init"])[metric].mean().unstack("init")
            table = table.reindex(index=_sorted_levels("optimizer", table.index),
                                  columns=_sorted_levels("init", table.columns))
            table.index = [optimizer_label(o) for o in table.index]
            table.columns = [init_label(v, short=True) for v in table.columns]
            sns.heatmap(table, ax=axes[i, j], annot=True, fmt=".3f", cmap="cividis",
                        vmin=low, vmax=high, cbar=j == len(flags) - 1,
                        annot_kws={"fontsize": 11})
            axes[i, j].set_title(f"{dataset_label(dataset)}, {level_label('batchnorm', flag)}",
                                 fontsize=14)
            axes[i, j].set_xlabel(column_label("init"))
            axes[i, j].set_ylabel(column_label("optimizer") if j == 0 else "")
    fig.tight_layout()
    return fig


def main_effects(runs, metric: str = METRIC):
    """Per dataset, factor and level: mean ``metric`` with a 95% t-interval over seeds of
    the per-seed marginal means (each seed averaged over the other factors)."""
    import pandas as pd

    ok = _ok(runs, metric)
    frames = []
    for factor in factors_of(ok):
        per_seed = ok.groupby(["dataset", factor, "seed"])[metric].mean().reset_index()
        stats = mean_interval(per_seed, ["dataset", factor], metric)
        stats = stats.rename(columns={factor: "level"})
        stats.insert(1, "factor", factor)
        stats["level"] = stats["level"].astype(str)
        frames.append(stats)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def main_effects_figure(runs, metric: str = METRIC):
    """One panel per factor: level means with 95% interval bars, one line per dataset."""
    effects = main_effects(runs, metric)
    factors = list(dict.fromkeys(effects["factor"]))
    ncols = min(3, len(factors))
    nrows = -(-len(factors) // ncols)
    fig, axes = new_figure(nrows, ncols, width=5.2, height=4.2, sharey=True)
    import seaborn as sns

    palette = sns.color_palette("colorblind", 10)
    dataset_colors = {d: palette[8 + k % 2] if k < 2 else palette[k] for k, d in
                      enumerate(datasets_of(effects))}
    for ax, factor in zip(axes.flat, factors):
        part = effects[effects["factor"] == factor]
        levels = _sorted_levels(factor, part["level"].unique())
        position = {level: k for k, level in enumerate(levels)}
        for dataset in datasets_of(part):
            rows = part[part["dataset"] == dataset].copy()
            rows["x"] = rows["level"].map(position)
            rows = rows.sort_values("x")
            ax.errorbar(rows["x"], rows["mean"], yerr=interval_yerr(rows), marker="o", capsize=4, linewidth=2, color=dataset_colors[dataset],
                        label=dataset_label(dataset))
        ax.set_xticks(range(len(levels)))
        ax.set_xticklabels([level_label(factor, v, short=True) for v in levels],
                           rotation=30, fontsize=11)
        ax.set_title(column_label(factor), fontsize=14)
    for ax in axes.flat[len(factors):]:
        ax.axis("off")
    axes[0, 0].set_ylabel(column_label(metric))
    axes[0, 0].legend(fontsize=11)
    fig.tight_layout()
    return fig


def interaction_strengths(runs, metric: str = METRIC):
    """Per dataset and pair of factors: RMS of the two-way interaction of the cell means
    (cell - row mean - column mean + grand mean), in units of ``metric``."""
    import numpy as np
    import pandas as pd

    ok = _ok(runs, metric)
    rows = []
    for dataset in datasets_of(ok):
        part = ok[ok["dataset"] == dataset]
        for a, b in itertools.combinations(factors_of(part), 2):
            cells = part.groupby([a, b])[metric].mean().unstack(b)
            inter = cells.sub(cells.mean(axis=1), axis=0).sub(cells.mean(axis=0), axis=1) \
                + cells.values[~np.isnan(cells.values)].mean()
            rows.append({"dataset": dataset, "factor_a": a, "factor_b": b,
                         "rms_interaction": float(np.sqrt(np.nanmean(inter.values ** 2)))})
    return pd.DataFrame(rows).sort_values(["dataset", "rms_interaction"],
                                          ascending=[True, False]) if rows else pd.DataFrame()


def interactions_figure(runs, metric: str = METRIC):
    """Left: interaction strength of every pair of factors. Right: interaction plot of
    the strongest pair (mean ``metric`` per cell)."""
    strengths = interaction_strengths(runs, metric)
    fig, axes = new_figure(1, 2, width=7.0, height=5.2)
    left, right = axes[0, 0], axes[0, 1]
    labels = [f"{column_label(a)} × {column_label(b)}" for a, b in
              zip(strengths["factor_a"], strengths["factor_b"])]
    left.barh(labels[::-1], strengths["rms_interaction"].values[::-1], color="0.45")
    left.set_xlabel(_("RMS interaction (accuracy)"))
    left.tick_params(axis="y", labelsize=10)
    if len(strengths):
        top = strengths.iloc[0]
        a, b = top["factor_a"], top["factor_b"]
        ok = _ok(runs, metric)
        cells = ok.groupby([a, b])[metric].mean().unstack(b)
        levels_b = _sorted_levels(b, cells.columns)
        cells = cells.reindex(index=_sorted_levels(a, cells.index), columns=levels_b)
        for level in cells.index:
            color = (optimizer_color(level) if a == "optimizer" else
                     init_color(level) if a == "init" else None)
            right.plot(range(len(levels_b)), cells.loc[level].values, marker="o",
                       linewidth=2, color=color, label=level_label(a, level))
        right.set_xticks(range(len(levels_b)))
        right.set_xticklabels([level_label(b, v) for v in levels_b], rotation=20, fontsize=11)
        right.set_xlabel(column_label(b))
        right.set_ylabel(column_label(metric))
        right.set_title(_("strongest: {pair}").format(pair=f"{column_label(a)} × {column_label(b)}"), fontsize=13)
        legend_outside(right, fontsize=10)
    fig.tight_layout()
    return fig


def best_worst(runs, metric: str = METRIC, count: int = 5):
    """The ``count`` best and worst configurations per dataset by mean ``metric``."""
    import pandas as pd

    ok = _ok(runs, metric)
    factors = factors_of(ok)
    frames = []
    for dataset in datasets_of(ok):
        part = ok[ok["dataset"] == dataset]
        stats = prefixed(mean_interval(part, factors, metric), metric).sort_values(
            f"{metric}_mean", ascending=False)
        best = stats.head(count).assign(rank="best")
        worst = stats.tail(count).assign(rank="worst")
        frames.append(pd.concat([best, worst]).assign(dataset=dataset))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(table):
        for factor in ("optimizer", "init", "batchnorm"):
            if factor in table.columns:
                table[factor] = [level_label(factor, v) for v in table[factor]]
        table = table[["dataset", "rank"] + [col for col in table.columns
                                             if col not in ("dataset", "rank")]]
    return table


def build(results, writer) -> list[str]:
    if not results.has("factorial"):
        return [_("factorial: no runs.csv; the summary and its analysis are skipped.")]
    runs = results.runs("factorial")
    if METRIC not in runs.columns:
        return [_("factorial: runs.csv has no {column} column; the summary is skipped.").format(column=METRIC)]
    findings = []
    setup = describe_setup(runs)
    note = diverged_note(runs)
    writer.figure(heatmap_figure(runs), "factorial_heatmap",
                  _("Mean final test accuracy per optimizer x initializer, faceted by batch norm and dataset, "
                    "averaged over seeds, dropout and weight decay. {setup}.").format(setup=setup) + note,
                  "factorial")
    writer.figure(main_effects_figure(runs), "factorial_main_effects",
                  _("Main effect of each factor on the final test accuracy: mean over all runs at that level; "
                    "bars: 95% t-interval over seeds of the per-seed means (each averaged over the other "
                    "factors). {setup}.").format(setup=setup) + note, "factorial")
    effects = main_effects(runs)
    for dataset in per_dataset(runs):
        writer.figure(interactions_figure(dataset.runs), f"factorial_{dataset.name}_interactions",
                      _("{dataset}: two-way interactions of the factors on the final test accuracy (RMS of "
                        "cell mean − row mean − column mean + grand mean), and the interaction plot of the "
                        "strongest pair (cell means over seeds and the other factors). {setup}.").format(
                          dataset=dataset.label, setup=setup) + note, "factorial")
        part = effects[effects["dataset"] == dataset.dataset]
        if len(part):
            spans = part.groupby("factor")["mean"].agg(lambda s: s.max() - s.min())
            factor = spans.idxmax()
            levels = part[part["factor"] == factor].sort_values("mean")
            findings.append(
                _("{dataset}: the largest main effect is the {factor} (mean test accuracy from {low} with "
                  "{low_level} to {high} with {high_level}).").format(
                    dataset=dataset.label, factor=column_label(factor), low=fmt_number(levels['mean'].iloc[0]),
                    low_level=level_label(factor, levels['level'].iloc[0]),
                    high=fmt_number(levels['mean'].iloc[-1]),
                    high_level=level_label(factor, levels['level'].iloc[-1])))
    strengths = interaction_strengths(runs)
    if len(strengths):
        writer.table(strengths, "factorial_interactions",
                     _("Strength of every two-way interaction on the final test accuracy (RMS of the "
                       "interaction terms of the cell means), per dataset."),
                     "factorial")
        for dataset, part in strengths.groupby("dataset"):
            top = part.iloc[0]
            findings.append(_("{dataset}: strongest interaction {first} × {second} (RMS {rms}).").format(
                dataset=dataset_label(dataset), first=column_label(top['factor_a']),
                second=column_label(top['factor_b']), rms=fmt_number(top['rms_interaction'])))
    table = best_worst(runs)
    if len(table):
        writer.table(table, "factorial_best_worst",
                     _("The five best and five worst configurations per dataset by mean final test accuracy, "
                       "with {interval}. {setup}.").format(interval=_(INTERVAL_TEXT), setup=setup), "factorial")
        for dataset, part in table.groupby("dataset"):
            best = part[part["rank"] == "best"].iloc[0]
            config = ", ".join(
                str(best[f]) if f == "batchnorm" else
                f"{column_label(f)} {best[f] if isinstance(best[f], str) else fmt_number(best[f])}"
                for f in factors_of(runs) if f in best)
            findings.append(_("{dataset}: best configuration {config} (test accuracy {accuracy}).").format(
                dataset=dataset_label(dataset), config=config, accuracy=fmt_number(best[METRIC + '_mean'])))
    findings += _analysis(results, writer, runs, setup)
    write_final_table(writer, runs, "factorial", of=_("of every configuration"))
    return findings


def _analysis(results, writer, runs, setup) -> list[str]:
    """ANOVA, paired differences and the budget check (nnbench.analysis) as tables."""
    from nnbench.analysis.anova import factorial_anova
    from nnbench.analysis.convergence import budget_rank_check
    from nnbench.analysis.paired import paired_differences
    from nnbench.analysis.base import bootstrap_text

    findings = []
    ok = runs[runs["status"] != "diverged"] if "status" in runs.columns else runs
    anova = factorial_anova(ok)
    writer.table(anova, "factorial_anova",
                 _("Factorial ANOVA of the final test accuracy per dataset (Type II sums of squares; main "
                   "effects and all two-way interactions, higher-order interactions pooled into the residual; "
                   "diverged runs left out): F, p and partial eta squared with its 95 percent interval from the "
                   "noncentral F distribution (Steiger 2004); n runs. {setup}.").format(setup=setup), "factorial")
    effects = anova[(anova["term"] != "Residual") & anova["partial_eta_sq"].notna()]
    for dataset, part in effects.groupby("dataset", sort=False):
        top = part.sort_values("partial_eta_sq", ascending=False).head(3)
        text = "; ".join(f"{_term_label(row['term'])} {fmt_number(row['partial_eta_sq'])} "
                         f"[{fmt_number(row['low'])}, {fmt_number(row['high'])}]"
                         for _index, row in top.iterrows())
        findings.append(_("{dataset}: largest effects on the final test accuracy (partial eta squared, 95 percent "
                          "interval): {effects} (n = {count} runs).").format(
            dataset=dataset_label(dataset), effects=text, count=int(top['n'].iloc[0])))
    paired = paired_differences(ok)
    writer.table(paired, "factorial_paired",
                 _("Seed-matched paired differences of the final test accuracy between two levels of each "
                   "factor (level b minus level a; a pair: same dataset and seed, every other factor equal); "
                   "interval: {interval}; n pairs. {setup}.").format(interval=bootstrap_text(), setup=setup),
                 "factorial")
    if results.has("factorial_long"):
        long_runs = results.runs("factorial_long")
        long_ok = long_runs[long_runs["status"] != "diverged"] if "status" in long_runs.columns \
            else long_runs
        check = budget_rank_check(ok, long_ok)
        writer.table(check, "factorial_budget_check",
                     _("Budget check: Spearman's rank correlation rho between the settings' mean final test "
                       "accuracy (over seeds) at the factorial's budget and at a longer one (study "
                       "factorial_long, a subsample of the settings), with a 95 percent interval (Fisher z, variance "
                       "1.06/(n−3)); n settings in both."),
                     "factorial_long")
        for _index, row in check.iterrows():
            if row["n"]:
                settled = row["low"] == row["low"] and row["low"] >= SETTLED_RHO
                findings.append((
                    _("{dataset}: budget check over {count} settings, ranks at {budget} vs {long_budget} "
                      "iterations: Spearman rho {rho} [{low}, {high}]: its lower bound is at least {settled}, so "
                      "a longer budget ranks the settings about the same.") if settled else
                    _("{dataset}: budget check over {count} settings, ranks at {budget} vs {long_budget} "
                      "iterations: Spearman rho {rho} [{low}, {high}]: its lower bound is below {settled}, so a "
                      "longer budget may rank the settings differently; read the factorial's effects as effects "
                      "at its budget.")).format(
                    dataset=dataset_label(row['dataset']), count=int(row['n']), budget=fmt_number(row['budget']),
                    long_budget=fmt_number(row['long_budget']), rho=fmt_number(row['rho']),
                    low=fmt_number(row['low']), high=fmt_number(row['high']), settled=SETTLED_RHO))
    else:
        findings.append(_("No budget check: study factorial_long (the settings at a longer budget) is not in "
                          "the results."))
    return findings


def _term_label(term: str) -> str:
    """'init:batchnorm' -> 'initializer × batch norm'."""
    return " × ".join(column_label(part) for part in term.split(":"))
