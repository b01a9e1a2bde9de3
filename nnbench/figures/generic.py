"""Studies of the user's own (docs/CONFIG.md "A study"), after the lecture's sections.

A user study declares ``plot: {metric, x, hue, facet}`` in the config (checked by
:mod:`nnbench.config` and :mod:`nnbench.grid` before any run). Per dataset this section
draws the metric against ``x``, one line per ``hue`` value and one panel per ``facet``
value, as the mean over seeds with its 95% t-interval (:mod:`nnbench.statistics`, as the
lecture's sections); writes the final-metrics table; and, when the study varies two or
more configuration columns, a heatmap of the mean over the first two (``x`` and ``hue``
when both are columns). A study without a ``plot`` (no config given) gets its table only.
"""

from __future__ import annotations

from nnbench.figures.captions import BAND_TEXT, INTERVAL_TEXT, diverged_note
from nnbench.figures.labels import column_label, name_color, name_label
from nnbench.figures.plotting import interval_yerr, legend_outside, new_figure, plot_band
from nnbench.figures.sections import per_dataset, write_final_table
from nnbench.formatting import fmt_number
from nnbench.results import varying_columns
from nnbench.statistics import curve_stats, mean_interval
from nnbench.i18n import N_, _

TITLE = N_("Studies of your own")
STUDIES = ()
#: The name of the single line or panel when no hue or facet is declared.
_ALL = "all runs"


def _values(frame, column):
    """The distinct values of ``column`` in a stable order (numbers ascending, else as text)."""
    if column is None:
        return [_ALL]
    values = list(dict.fromkeys(frame[column].tolist()))
    try:
        return sorted(values, key=float)
    except (TypeError, ValueError):
        return sorted(values, key=str)


def _with_columns(frame, hue, facet):
    """``frame`` with ``_hue`` and ``_facet`` columns (a constant where none is declared)."""
    return frame.assign(_hue=frame[hue] if hue else _ALL, _facet=frame[facet] if facet else _ALL)


def _label(column, value) -> str:
    if column is None:
        return str(value)
    return f"{column} {name_label(column, value)}"


def _metric_text(metric: str) -> str:
    return metric.replace("/", " ").replace("_", " ")


def _log_scale(values) -> bool:
    """A numeric axis spanning more than a decade of positive values is drawn on a log scale."""
    try:
        numbers = [float(value) for value in values]
    except (TypeError, ValueError):
        return False
    return len(numbers) > 1 and min(numbers) > 0 and max(numbers) / min(numbers) >= 10


def plot_figure(frame, *, metric: str, x: str, hue=None, facet=None, curves: bool, title=""):
    """Mean over seeds with 95% interval of ``metric`` against ``x``: bands over steps for
    a curve (``frame``: curve rows of one split/metric) or error bars per value of ``x``
    for a summary metric (``frame``: runs); one line per ``hue``, one panel per ``facet``."""
    frame = _with_columns(frame, hue, facet)
    facets = _values(frame, facet)
    fig, axes = new_figure(1, len(facets), width=6.5, height=4.8, sharey=True)
    for ax, facet_value in zip(axes[0], facets):
        part = frame[frame["_facet"] == facet_value]
        for hue_value in _values(part, hue):
            rows = part[part["_hue"] == hue_value]
            color, label = name_color(hue, hue_value), _label(hue, hue_value)
            if curves:
                stats = curve_stats(rows, "_hue", split=rows["split"].iloc[0], metric=rows["metric"].iloc[0], x=x)
                plot_band(ax, stats, x, label, color)
            else:
                stats = mean_interval(rows, [x], metric)
                numeric = stats[x].map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all()
                stats = stats.sort_values(x) if numeric else stats.assign(_text=stats[x].astype(str)).sort_values("_text")
                positions = stats[x] if numeric else stats[x].map(lambda v: name_label(x, v))
                ax.errorbar(positions, stats["mean"], yerr=interval_yerr(stats), color=color, marker="o",
                            capsize=3, linewidth=2, label=label)
        if not curves and _log_scale(frame[x].dropna().unique()):
            ax.set_xscale("log")
        ax.set_xlabel(_("iteration") if x == "step" else column_label(x))
        ax.set_title(_label(facet, facet_value) if facet else title)
    axes[0, 0].set_ylabel(_metric_text(metric))
    if hue:
        legend_outside(axes[0, -1])
    if facet and title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def heatmap_figure(stats, *, rows: str, columns: str, metric: str, title=""):
    """Mean ``metric`` per (``rows``, ``columns``) value, annotated (``stats``: mean_interval's)."""
    table = stats.pivot_table(index=rows, columns=columns, values="mean", aggfunc="mean")
    table = table.reindex(index=_values(stats, rows), columns=_values(stats, columns))
    fig, axes = new_figure(width=7.5, height=5.5)
    ax = axes[0, 0]
    image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(table.columns)), [name_label(columns, v) for v in table.columns], rotation=30,
                  ha="right")
    ax.set_yticks(range(len(table.index)), [name_label(rows, v) for v in table.index])
    for (i, j), value in _cells(table):
        ax.text(j, i, fmt_number(value), ha="center", va="center", color="white", fontsize=11)
    ax.set_xlabel(column_label(columns))
    ax.set_ylabel(column_label(rows))
    ax.grid(False)
    fig.colorbar(image, ax=ax, label=_("mean {metric}").format(metric=_metric_text(metric)))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _cells(table):
    import math

    for i, row in enumerate(table.to_numpy(dtype=float)):
        for j, value in enumerate(row):
            if not math.isnan(value):
                yield (i, j), value


def _final_values(runs, curves, metric):
    """The runs with a ``metric`` column: a summary metric as it is, a curve's last value per run."""
    if "/" not in metric:
        return runs
    split, name = metric.split("/")
    rows = curves[(curves["split"] == split) & (curves["metric"] == name)]
    last = rows.sort_values("step").groupby("run_id")["value"].last()
    return runs.assign(**{metric: runs["run_id"].map(last)})


def _study(results, writer, study: str, plot) -> list[str]:
    runs = results.runs(study)
    if not plot:
        table = write_final_table(writer, runs, study, of=_("per configuration of study {study}").format(study=study))
        return [_("Study {study}: {runs} runs in {configurations} configurations (no plot declared: pass the "
                  "config to `nnbench figures --config`).").format(study=study, runs=len(runs),
                                                                    configurations=len(table))]
    metric, x, hue, facet = plot["metric"], plot.get("x"), plot.get("hue"), plot.get("facet")
    is_curve = "/" in metric
    curves = results.ok_curves(study) if is_curve else None
    findings = []
    ok = runs[runs["status"] != "diverged"]
    for part in per_dataset(ok, curves):
        if is_curve:
            split, name = metric.split("/")
            frame = part.curves[(part.curves["split"] == split) & (part.curves["metric"] == name)]
            if "layer" in frame and frame["layer"].astype(str).str.len().gt(0).any():
                first = sorted(frame["layer"].dropna().unique())[0]
                frame = frame[frame["layer"] == first]  # a per-layer metric: its first hidden layer
        else:
            frame = part.runs
        if frame.empty:
            continue
        description = (_("{metric} vs {x}, one line per {hue}, one panel per {facet}") if hue and facet else
                       _("{metric} vs {x}, one line per {hue}") if hue else
                       _("{metric} vs {x}, one panel per {facet}") if facet else
                       _("{metric} vs {x}")).format(metric=_metric_text(metric), x=x, hue=hue, facet=facet)
        writer.figure(
            plot_figure(frame, metric=metric, x=x, hue=hue, facet=facet, curves=is_curve,
                        title=f"{part.label}: {study}"),
            f"{study}_{part.name}_plot",
            (_("Study {study}: {description}. {setup}. {band}.") if is_curve else
             _("Study {study}: {description}. {setup}. Points: mean over seeds; bars: {interval}.")).format(
                study=study, description=description, setup=part.setup, band=_(BAND_TEXT),
                interval=_(INTERVAL_TEXT))
            + diverged_note(runs[runs["dataset"] == part.dataset]), study)
        values = _final_values(part.runs, part.curves, metric)
        factors = [column for column in (x, hue, facet) if column in values.columns and column != "dataset"]
        factors += [column for column in varying_columns(values) if column not in factors and column != "dataset"]
        if len(factors) >= 2:
            rows_key, columns_key = factors[1], factors[0]
            stats = mean_interval(values, [rows_key, columns_key], metric)
            others = factors[2:]
            writer.figure(
                heatmap_figure(stats, rows=rows_key, columns=columns_key, metric=metric,
                               title=f"{part.label}: {study}"),
                f"{study}_{part.name}_heatmap",
                (_("Study {study}: mean {metric} over seeds and over {others} per {rows} and {columns}. "
                   "{setup}.") if others else
                 _("Study {study}: mean {metric} over seeds per {rows} and {columns}. {setup}.")).format(
                    study=study, metric=_metric_text(metric), others=", ".join(others), rows=rows_key,
                    columns=columns_key, setup=part.setup), study)
        best = mean_interval(values, factors or ["dataset"], metric).dropna(subset=["mean"])
        if len(best):
            top = best.sort_values("mean", ascending=not _higher_is_better(metric)).iloc[0]
            setting = ", ".join(f"{column} {name_label(column, top[column])}" for column in factors) or _("all runs")
            findings.append(_("{dataset}, study {study}: best mean {metric} {value} with {setting} ({count} "
                              "seeds).").format(dataset=part.label, study=study, metric=_metric_text(metric),
                                                value=fmt_number(top['mean']), setting=setting,
                                                count=int(top['n'])))
    write_final_table(writer, runs, study, of=_("per configuration of study {study}").format(study=study))
    return findings


def _higher_is_better(metric: str) -> bool:
    return metric.endswith("acc") or metric.endswith("accuracy") or metric.endswith("samples_per_second")


def build(results, writer, studies, plots=None) -> list[str]:
    """Figures and tables of each study in ``studies`` (``plots``: study -> its config
    ``plot`` mapping); returns generated findings."""
    findings = []
    for study in studies:
        findings += _study(results, writer, study, (plots or {}).get(study))
    return findings
