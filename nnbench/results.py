"""Reading the aggregated tables ``results/<study>/*.csv`` that :mod:`nnbench.aggregate` writes.

The figures, the tables, the report and the analysis read results only through
:class:`Results`: it knows the file names and which columns are text
(:mod:`nnbench.vocabulary`), and it reads ``init`` and ``batchnorm`` back in one
canonical form. It never reads run folders.
"""

from __future__ import annotations

from pathlib import Path

from nnbench.errors import NnbenchError
from nnbench.formatting import as_bool, init_key
from nnbench.validation import unknown_name_error
from nnbench.vocabulary import (CONFIG_COLUMNS, CURVES_TABLE, EXTRA_TABLES, RUN_COLUMNS, RUNS_TABLE,
                                STRING_COLUMNS)

__all__ = ["ResultsError", "Results", "TABLES", "varying_columns"]

#: Table name (as :meth:`Results.table` takes it) -> file name under ``results/<study>/``.
TABLES = {Path(name).stem: name for name in (RUNS_TABLE, CURVES_TABLE, *EXTRA_TABLES)}


class ResultsError(NnbenchError):
    """An aggregated results table is missing, unreadable or lacks a required column."""


class Results:
    """The aggregated tables under ``results_dir``, read lazily, one study at a time."""

    def __init__(self, results_dir, *, must_exist: bool = True):
        """``must_exist=False``: a folder not made yet holds no study (a figures section
        job that reads none may run before the first table is written)."""
        self.root = Path(results_dir)
        if must_exist and not self.root.is_dir():
            raise ResultsError(
                f"results folder {str(self.root)!r} does not exist; run the workflow "
                "(snakemake) or `nnbench aggregate` first, or pass --results DIR")
        self._cache = {}

    def studies(self) -> list[str]:
        """Studies that have a ``runs.csv``."""
        return sorted(p.parent.name for p in self.root.glob(f"*/{RUNS_TABLE}"))

    def path(self, study: str, table: str) -> Path:
        """Where ``table`` (a key of :data:`TABLES`) of ``study`` is."""
        if table not in TABLES:
            raise unknown_name_error("results table", table, TABLES, error=ResultsError)
        return self.root / study / TABLES[table]

    def has(self, study: str, table: str = "runs") -> bool:
        return self.path(study, table).is_file()

    def table(self, study: str, table: str):
        """The ``table`` of ``study`` as a DataFrame (None when the file is absent)."""
        key = (study, table)
        if key not in self._cache:
            path = self.path(study, table)
            self._cache[key] = _read_results_table(path) if path.is_file() else None
        return self._cache[key]

    def runs(self, study: str):
        return self.table(study, "runs")

    def ok_curves(self, study: str, table: str = "curves"):
        """Rows of ``table`` from runs whose status is not 'diverged'."""
        frame = self.table(study, table)
        runs = self.runs(study)
        if frame is None or runs is None:
            return frame
        bad = set(runs.loc[runs["status"] == "diverged", "run_id"])
        return frame[~frame["run_id"].isin(bad)] if bad else frame


def _read_results_table(path: Path):
    import pandas as pd

    try:
        header = pd.read_csv(path, nrows=0).columns
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ResultsError(f"cannot read results table {str(path)!r}: {error}") from error
    frame = pd.read_csv(path, dtype={c: "string" for c in STRING_COLUMNS if c in header},
                        keep_default_na=True)
    for column in ("study", "run_id"):
        if column not in frame.columns:
            raise ResultsError(
                f"results table {str(path)!r} has no {column!r} column; expected the run "
                f"columns {', '.join(RUN_COLUMNS)} (docs/ARCHITECTURE.md)")
    for column in STRING_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].fillna("").astype(str)
    if "init" in frame.columns:
        frame["init"] = frame["init"].map(lambda v: init_key(v) if v != "" else "")
    if "status" not in frame.columns and path.name == RUNS_TABLE:
        frame["status"] = "ok"
    if "batchnorm" in frame.columns:
        frame["batchnorm"] = frame["batchnorm"].map(as_bool)
    return frame


def varying_columns(runs, candidates=CONFIG_COLUMNS) -> list[str]:
    """Configuration columns that take more than one value in ``runs``."""
    return [c for c in candidates if c in runs.columns
            and runs[c].astype(str).nunique(dropna=False) > 1]
