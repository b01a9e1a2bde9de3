"""What the report sections do alike: one pass per dataset, the final-metrics table of a
study, the comparison with the book's numbers, and a section built from its studies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from nnbench.figures.captions import BOOK_LABEL, INTERVAL_TEXT, describe_setup, final_metrics_caption
from nnbench.figures.labels import dataset_label, datasets_of
from nnbench.formatting import slug
from nnbench.statistics import curve_stats
from nnbench.tables import final_metrics_table
from nnbench.vocabulary import CURVES_TABLE

__all__ = ["DatasetPart", "per_dataset", "curves_by_dataset", "no_curves", "write_final_table",
           "write_book_table", "book_table", "build_studies"]


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


def write_final_table(writer, runs, study: str, *, of: str = "per configuration",
                      caption: str | None = None):
    """Write and return ``<study>_final``: :func:`~nnbench.tables.final_metrics_table` of
    ``runs``, captioned "Final metrics ``of``: ..." unless ``caption`` is given."""
    table = final_metrics_table(runs)
    writer.table(table, f"{study}_final", caption or final_metrics_caption(of, runs), study)
    return table


def curves_by_dataset(results, study: str):
    """``(runs, parts)``: the study's runs and a :class:`DatasetPart` per dataset with the
    curves of its runs that did not diverge; ``parts`` is None when there is no curves.csv."""
    runs, curves = results.runs(study), results.ok_curves(study)
    return runs, (None if curves is None else list(per_dataset(runs, curves)))


def no_curves(study: str) -> list[str]:
    """The finding of a study whose curves.csv is absent."""
    return [f"{study}: no {CURVES_TABLE}, its figures are skipped."]


def write_book_table(writer, part: DatasetPart, study: str, hue: str, book: dict, label, *,
                     window: int) -> None:
    """Write ``<study>_<dataset>_book`` (:func:`book_table`) when any ``hue`` value of the
    book's is in ``part``."""
    table = book_table(part.curves, hue, book, label, window=window)
    if len(table):
        writer.table(table, f"{study}_{part.name}_book",
                     f"Smoothed minibatch loss near iteration 1900 (ours: mean and "
                     f"{INTERVAL_TEXT}) beside the book's ({BOOK_LABEL}). {part.setup}.", study)


def book_table(curves, hue: str, book: dict, label, *, window: int, at: int = 1900):
    """Our smoothed minibatch loss near iteration ``at`` (mean, interval, seeds) per ``hue``
    value beside the book's loss there (``book``: hue value -> loss)."""
    import pandas as pd

    stats = curve_stats(curves, hue, split="minibatch", metric="loss", window=window)
    rows = []
    for value, book_value in book.items():
        part = stats[stats[hue].str.lower() == value]
        if part.empty:
            continue
        near = part.iloc[(part["step"] - at).abs().argsort()[:1]].iloc[0]
        rows.append({hue: label(value), "iteration": int(near["step"]),
                     "loss_mean": near["mean"], "loss_low": near["low"], "loss_high": near["high"],
                     "n_seeds": int(near["n"]), f"book_loss_{at} ({BOOK_LABEL})": book_value})
    return pd.DataFrame(rows)


def build_studies(results, writer, parts) -> list[str]:
    """Run ``builder(results, writer)`` for each ``(study, builder)`` of ``parts`` whose
    study has results; returns their findings in order."""
    findings = []
    for study, builder in parts:
        if results.has(study):
            findings += builder(results, writer)
    return findings
