"""What the report sections do alike: one pass per dataset, the final-metrics table of a
study, the comparison with the book's numbers, and a section built from its studies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from nnbench.figures.captions import BOOK_LABEL, INTERVAL_TEXT, describe_setup, final_metrics_caption
from nnbench.figures.labels import dataset_label, datasets_of
from nnbench.formatting import fmt_number, slug
from nnbench.i18n import N_, _
from nnbench.statistics import mean_interval
from nnbench.tables import final_metrics_table
from nnbench.vocabulary import CURVES_TABLE

__all__ = ["DatasetPart", "per_dataset", "curves_by_dataset", "no_curves", "write_final_table",
           "write_book_table", "book_table", "window_loss", "build_studies", "BOOK_WINDOW",
           "LOSS_MEASUREMENTS", "LOSS_DIFFERENCE_TEXT"]


@dataclass(frozen=True)
class DatasetPart:
    """The runs (and curves) of one dataset of a study, with its names for files and captions."""

    dataset: str
    runs: Any
    curves: Any = None

    @property
    def name(self) -> str:
        """The dataset in file names."""
        return slug(self.dataset)

    @property
    def label(self) -> str:
        """The dataset in titles and findings."""
        return dataset_label(self.dataset)

    @cached_property
    def setup(self) -> str:
        """:func:`~nnbench.figures.captions.describe_setup` of these runs."""
        return describe_setup(self.runs)


def per_dataset(runs, curves=None, *, datasets=None):
    """One :class:`DatasetPart` per dataset of ``runs`` (or of the frame ``datasets``), in
    the vocabulary's order (``curves`` None stays None)."""
    for dataset in datasets_of(runs if datasets is None else datasets):
        yield DatasetPart(dataset, runs[runs["dataset"] == dataset],
                          None if curves is None else curves[curves["dataset"] == dataset])


def write_final_table(writer, runs, study: str, *, of: str | None = None,
                      caption: str | None = None):
    """Write and return ``<study>_final``: :func:`~nnbench.tables.final_metrics_table` of
    ``runs``, captioned "Final metrics ``of``: ..." unless ``caption`` is given."""
    table = final_metrics_table(runs)
    caption = caption or final_metrics_caption(of or _("per configuration"), runs)
    writer.table(table, f"{study}_final", caption, study)
    return table


def curves_by_dataset(results, study: str):
    """``(runs, parts)``: the study's runs and a :class:`DatasetPart` per dataset with the
    curves of its runs that did not diverge; ``parts`` is None when there is no curves.csv."""
    runs, curves = results.runs(study), results.ok_curves(study)
    return runs, (None if curves is None else list(per_dataset(runs, curves)))


def no_curves(study: str) -> list[str]:
    """The finding of a study whose curves.csv is absent."""
    return [f"{study}: no {CURVES_TABLE}, its figures are skipped."]


#: Iterations whose minibatch losses the book tables average: 1900-1999 (the book reads
#: its smoothed curve at iteration 1900).
BOOK_WINDOW = (1900, 2000)
#: The two minibatch-loss measurements (docs/STUDY.md "Minibatch loss"): before the
#: update made on the batch (what a training loop logs) and right after it (the book's).
LOSS_MEASUREMENTS = (("before_update", "loss"), ("after_update", "loss_after_update"))
LOSS_DIFFERENCE_TEXT = N_(
    "The loss after the update is that of the very minibatch the optimizer has just "
    "stepped on, so it is lower than the loss before the update (a batch the current "
    "weights have not been fitted to), the more so the larger the step; the book's "
    "numbers are logged after the update, so they compare with that column.")


def write_book_table(writer, part: DatasetPart, study: str, hue: str, book: dict, label) -> list[str]:
    """Write ``<study>_<dataset>_book`` (:func:`book_table`) when any ``hue`` value of the
    book's is in ``part``; returns a finding comparing the two measurements (or none)."""
    table = book_table(part.curves, hue, book, label)
    if not len(table):
        return []
    first, last = BOOK_WINDOW[0], BOOK_WINDOW[1] - 1
    writer.table(table, f"{study}_{part.name}_book",
                 _("Minibatch loss, mean over iterations {first}-{last} of each run, measured before and after "
                   "the update made on that minibatch (mean over seeds with {interval}; n: seeds), beside the "
                   "book's loss at iteration {first} ({book}, logged after the update). {setup}.").format(
                     first=first, last=last, interval=_(INTERVAL_TEXT), book=_(BOOK_LABEL), setup=part.setup),
                 study)
    if "after_update_mean" not in table.columns:
        return []
    pair = _("{name} {before} before vs {after} after")
    pairs = ", ".join(pair.format(name=row[hue], before=fmt_number(row['before_update_mean']),
                                  after=fmt_number(row['after_update_mean']))
                      for _index, row in table.iterrows() if row["after_update_mean"] == row["after_update_mean"])
    return [_("{dataset}, {study}: mean minibatch loss over iterations {first}-{last}: {pairs}.").format(
        dataset=part.label, study=study, first=first, last=last, pairs=pairs)
            + " " + _(LOSS_DIFFERENCE_TEXT)] if pairs else []


def window_loss(curves, hue: str, metric: str, window=BOOK_WINDOW):
    """Per ``hue`` value: mean over seeds (95% interval, n) of each run's mean minibatch
    ``metric`` over the iterations ``window[0] <= step < window[1]``."""
    rows = curves[(curves["split"] == "minibatch") & (curves["metric"] == metric)
                  & (curves["step"] >= window[0]) & (curves["step"] < window[1])]
    per_run = rows.assign(value=rows["value"].astype(float)).groupby(
        [hue, "run_id"], sort=False)["value"].mean().reset_index()
    return mean_interval(per_run, hue, "value")


def book_table(curves, hue: str, book: dict, label, *, window=BOOK_WINDOW):
    """Our minibatch loss over ``window`` (both measurements, :data:`LOSS_MEASUREMENTS`;
    mean, interval, seeds) per ``hue`` value beside the book's loss at ``window[0]``
    (``book``: hue value -> loss). A measurement absent from ``curves`` is left out."""
    import pandas as pd

    stats = {name: window_loss(curves, hue, metric, window)
             for name, metric in LOSS_MEASUREMENTS}
    rows = []
    for value, book_value in book.items():
        row = {hue: label(value)}
        for name, frame in stats.items():
            part = frame[frame[hue].astype(str).str.lower() == value]
            if part.empty:
                continue
            row.update({f"{name}_mean": part["mean"].iloc[0], f"{name}_low": part["low"].iloc[0],
                        f"{name}_high": part["high"].iloc[0], f"{name}_n": int(part["n"].iloc[0])})
        if len(row) > 1:
            row[f"book_{window[0]} ({BOOK_LABEL})"] = book_value
            rows.append(row)
    return pd.DataFrame(rows)


def build_studies(results, writer, parts) -> list[str]:
    """Run ``builder(results, writer)`` for each ``(study, builder)`` of ``parts`` whose
    study has results; returns their findings in order."""
    findings = []
    for study, builder in parts:
        if results.has(study):
            findings += builder(results, writer)
    return findings
