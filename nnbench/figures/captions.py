"""Caption text that says, from the data, what a figure or table shows and how.

The fixed phrases (the interval, the book's reference runs) are defined once here so
that every caption words them the same way; :func:`describe_setup` reads the dataset,
network, budget and seeds off the runs instead of repeating the config.
"""

from __future__ import annotations

from nnbench.figures.labels import activation_label, dataset_label
from nnbench.formatting import fmt_number
from nnbench.i18n import N_, _
from nnbench.results import varying_columns
from nnbench.statistics import logged_step_spacing, smoothing_window
from nnbench.vocabulary import CURVES_TABLE, INPUT_SIZES

__all__ = ["INTERVAL_TEXT", "BOOK_LABEL", "BAND_TEXT", "BOOK_STARS_TEXT", "describe_setup", "diverged_note",
           "smoothing_text", "final_metrics_caption"]

INTERVAL_TEXT = N_("95% t-interval of the mean over seeds")
BOOK_LABEL = N_("book, one unseeded run")
#: The book's reference points on a loss figure (:data:`BOOK_LABEL`'s runs at iteration 1900).
BOOK_STARS_TEXT = N_("Stars: loss at iteration 1900, {book}.")
#: How a learning-curve band is drawn (figures from :func:`nnbench.statistics.mean_interval`).
BAND_TEXT = N_("Line: mean over seeds; band: 95% t-interval of the mean over seeds")


def describe_setup(runs) -> str:
    """Caption fragment from the data: dataset, network, budget and seeds of ``runs``."""
    import numpy as np

    parts = []

    def single(column):
        if column not in runs.columns:
            return None
        values = runs[column].dropna().astype(str).unique()
        return values[0] if len(values) == 1 else None

    datasets = sorted(set(runs.get("dataset", []).astype(str)) - {""}) if "dataset" in runs else []
    if datasets:
        parts.append(_(" and ").join(dataset_label(d) for d in datasets))
    width, depth = single("width"), single("depth")
    if width and depth:
        try:
            sizes = {INPUT_SIZES.get(d.lower()) for d in datasets} or {None}
            inputs = sizes.pop() if len(sizes) == 1 else None
            net = (f"{inputs or 'input'}-({int(float(width))} x {int(float(depth))})-10")
            activation = single("activation")
            if activation:
                net += f" {activation_label(activation)}"
            parts.append(net)
        except ValueError:
            pass
    n_train = single("n_train")
    if n_train and n_train not in ("nan", "0", "0.0"):
        try:
            parts.append(_("{count} training samples").format(count=int(float(n_train))))
        except ValueError:
            pass
    batch = single("batch_size")
    if batch and batch != "nan":
        parts.append(_("batch {size}").format(size=int(float(batch))))
    if "iterations" in runs.columns and runs["iterations"].notna().any():
        iterations = runs["iterations"].astype(float)
        low, high = iterations.min(), iterations.max()
        epochs = runs["epochs"].astype(float).max() if "epochs" in runs.columns else np.nan
        budget = _("{count} iterations").format(count=fmt_number(high)) if low == high else (
            _("{low}-{high} iterations").format(low=fmt_number(low), high=fmt_number(high)))
        if not np.isnan(epochs):
            budget += _(" (≈{count} epochs)").format(count=fmt_number(epochs))
        parts.append(budget)
    seeds = runs.groupby([c for c in varying_columns(runs)] or ["study"])["seed"].nunique() \
        if "seed" in runs.columns else None
    if seeds is not None and len(seeds):
        low, high = int(seeds.min()), int(seeds.max())
        parts.append(_("{count} seeds").format(count=low) if low == high
                     else _("{low}-{high} seeds per configuration").format(low=low, high=high))
    return ", ".join(parts)


def diverged_note(runs) -> str:
    """Caption fragment naming how many runs diverged (they are left out of the means)."""
    if runs is None or "status" not in runs.columns:
        return ""
    count = int((runs["status"] == "diverged").sum())
    if not count:
        return ""
    return " " + (_("1 diverged run (loss not finite) left out of the means; listed under provenance.")
                  if count == 1 else
                  _("{count} diverged runs (loss not finite) left out of the means; listed under "
                    "provenance.").format(count=count))


def smoothing_text(curves, study: str) -> tuple[int, str]:
    """Smoothing window for the minibatch curves and the caption sentence saying so."""
    part = curves[curves["split"] == "minibatch"]
    window = smoothing_window(part)
    if window <= 1:
        return 1, _("not smoothed")
    spacing = logged_step_spacing(part)
    return window, _("each run smoothed with a trailing moving average over {window} logged points "
                     "(≈{iterations} iterations), raw values in {table}").format(
        window=window, iterations=fmt_number(window * spacing), table=f"{study}/{CURVES_TABLE}")


def final_metrics_caption(of: str, runs) -> str:
    """Caption of a final-metrics table (:func:`nnbench.tables.final_metrics_table`);
    ``of`` says what a row is, e.g. "per batch size"."""
    return _("Final metrics {of}: mean with {interval}, seeds, diverged runs, seconds per run. "
             "{setup}.").format(of=of, interval=_(INTERVAL_TEXT), setup=describe_setup(runs))
