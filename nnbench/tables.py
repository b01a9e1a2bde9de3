"""Tables of final metrics per configuration, written as CSV, Markdown and LaTeX (booktabs).

A table is a plain DataFrame. Interval columns come in triples ``<m>_mean``,
``<m>_low``, ``<m>_high`` (95% t-interval over seeds); the CSV keeps them as numbers,
the Markdown, LaTeX and HTML forms show ``mean [low, high]``.
"""

from __future__ import annotations

import math
from pathlib import Path

from nnbench.files import atomic_open
from nnbench.formatting import fmt_number
from nnbench.results import varying_columns
from nnbench.statistics import mean_interval, prefixed

# Final metrics summarised per configuration, in display order, with their headings.
FINAL_METRICS = (
    ("final_train_loss", "train loss"),
    ("final_train_acc", "train acc"),
    ("final_validation_acc", "validation acc"),
    ("final_test_loss", "test loss"),
    ("final_test_acc", "test acc"),
)


def final_metrics_table(runs, config_columns=None, metrics=FINAL_METRICS):
    """Final metrics per configuration: mean and 95% t-interval over seeds, seeds, time.

    ``config_columns`` defaults to the configuration columns that vary in ``runs``.
    Diverged runs count in ``n_diverged`` and are left out of the means.
    """
    import numpy as np

    if config_columns is None:
        config_columns = varying_columns(runs)
    config_columns = list(config_columns) or ["study"]
    ok = runs[runs["status"] != "diverged"] if "status" in runs.columns else runs
    groups = runs.groupby(config_columns, sort=True, dropna=False)
    table = groups.size().rename("n_runs").reset_index()
    table["n_diverged"] = (
        groups["status"].agg(lambda s: int((s == "diverged").sum())).values
        if "status" in runs.columns else 0)
    for metric, _heading in metrics:
        if metric not in runs.columns or runs[metric].isna().all():
            continue
        if ok.empty:
            continue
        stats = prefixed(mean_interval(ok, config_columns, metric), metric, n=f"{metric}_n")
        table = table.merge(stats.drop(columns=f"{metric}_n"), on=config_columns, how="left")
    time_column = "train_seconds" if "train_seconds" in runs.columns else (
        "wall_seconds" if "wall_seconds" in runs.columns else None)
    if time_column:
        seconds = runs.groupby(config_columns, dropna=False)[time_column].mean()
        table = table.merge(seconds.rename("seconds_per_run").reset_index(),
                            on=config_columns, how="left")
    if "n_runs" in table.columns:
        table = table.rename(columns={"n_runs": "n_seeds"})
        if "seed" in runs.columns:
            table["n_seeds"] = groups["seed"].nunique().values
    return table.replace([np.inf, -np.inf], np.nan)


def _interval_metrics(columns) -> list[str]:
    return [c[: -len("_mean")] for c in columns
            if c.endswith("_mean") and f"{c[:-5]}_low" in columns and f"{c[:-5]}_high" in columns]


def _cell(value) -> str:
    if isinstance(value, (bool,)):
        return "yes" if value else "no"
    if isinstance(value, float) or hasattr(value, "dtype"):
        try:
            if math.isnan(float(value)):
                return ""
        except (TypeError, ValueError):
            return str(value)
        return fmt_number(value)
    return str(value)


def _plain_heading(column: str) -> str:
    return column.replace("_", " ")


def display_rows(frame, heading=None, interval_heading=None):
    """Headings and rows of strings: interval triples merged into ``mean [low, high]``.

    ``heading(column)`` names a column (default: its name with spaces) and
    ``interval_heading(metric)`` a merged interval (default: 'test acc (95% CI)'); the
    report passes a reader's words in its language (:mod:`nnbench.labels`)."""
    heading = heading or _plain_heading
    interval_heading = interval_heading or (
        lambda metric: metric.replace("final_", "").replace("_", " ") + " (95% CI)")
    columns = list(frame.columns)
    interval = _interval_metrics(columns)
    skip = {f"{m}_{part}" for m in interval for part in ("low", "high")}
    headings, getters = [], []
    for column in columns:
        if column in skip:
            continue
        if column.endswith("_mean") and column[:-5] in interval:
            metric = column[:-5]
            headings.append(interval_heading(metric))

            def get(row, metric=metric):
                mean, low, high = (row[f"{metric}_{p}"] for p in ("mean", "low", "high"))
                if mean is None or (isinstance(mean, float) and math.isnan(mean)):
                    return ""
                if low is None or (isinstance(low, float) and math.isnan(low)):
                    return fmt_number(mean)
                return f"{fmt_number(mean)} [{fmt_number(low)}, {fmt_number(high)}]"
            getters.append(get)
        else:
            headings.append(heading(column))
            getters.append(lambda row, column=column: _cell(row[column]))
    rows = [[get(row) for get in getters] for _, row in frame.iterrows()]
    return headings, rows


def to_markdown(frame, caption: str = "") -> str:
    """A GitHub-flavoured Markdown table (``|`` in cells escaped)."""
    headings, rows = display_rows(frame)

    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    out = []
    if caption:
        out += [caption, ""]
    out.append(line(headings))
    out.append("|" + "|".join(" --- " for _ in headings) + "|")
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n"


_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                  "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "\\": r"\textbackslash{}"}


def latex_escape(text) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def to_latex(frame, caption: str = "", label: str = "") -> str:
    """A LaTeX ``table`` with booktabs rules (``\\toprule``, ``\\midrule``, ``\\bottomrule``)."""
    headings, rows = display_rows(frame)
    out = ["% needs \\usepackage{booktabs}", "\\begin{table}[htbp]", "\\centering"]
    if caption:
        out.append(f"\\caption{{{latex_escape(caption)}}}")
    if label:
        out.append(f"\\label{{tab:{latex_escape(label)}}}")
    out.append("\\begin{tabular}{" + "l" * len(headings) + "}")
    out.append("\\toprule")
    out.append(" & ".join(latex_escape(h) for h in headings) + " \\\\")
    out.append("\\midrule")
    out += [" & ".join(latex_escape(c) for c in row) + " \\\\" for row in rows]
    out += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(out) + "\n"


#: The files of every table, in the order the report links them.
TABLE_FORMATS = ("csv", "md", "tex")


def write_table(frame, out_dir, name: str, caption: str = "") -> dict:
    """Write ``name``.csv, .md and .tex (:data:`TABLE_FORMATS`) under ``out_dir``; returns
    {format: path}."""
    out_dir = Path(out_dir)
    texts = {"csv": frame.to_csv(index=False, float_format="%.6g"),
             "md": to_markdown(frame, caption),
             "tex": to_latex(frame, caption, name)}
    files = {}
    for ext, text in texts.items():
        files[ext] = out_dir / f"{name}.{ext}"
        # newline="": the text's own line ends, on every platform
        with atomic_open(files[ext], newline="") as stream:
            stream.write(text)
    return {k: str(v) for k, v in files.items()}
