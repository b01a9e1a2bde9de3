"""The run record: what a run produced, written to its folder and read back.

A record is one folder (docs/ARCHITECTURE.md "Run record"): ``spec.json``,
``curves.csv``, ``summary.json`` and the kind's extra tables; the file names and
columns come from :mod:`nnbench.vocabulary`. The folder is written under a temporary
sibling name and renamed into place when complete, so a killed run never leaves a
folder that looks finished. ``curves.csv`` is byte-identical for the same spec: rows in
a fixed order, floats written with ``repr`` (the shortest text that reads back to the
same double); timings live only in ``summary.json``.

Aggregation reads records through :func:`read_record`; figures never read run folders.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from nnbench.errors import NnbenchError
from nnbench.vocabulary import CURVES_COLUMNS, CURVES_FILE, RECORD_FILES, RUNS_FOLDER, SPEC_FILE, SUMMARY_FILE

__all__ = ["CurveRow", "RunOutput", "RunRecord", "RecordError", "RunError", "write_record", "read_record",
           "read_summary", "record_is_complete", "run_folder", "record_folder", "check_replaceable", "spec_file_text", "json_safe",
           "csv_text"]


class RunError(NnbenchError):
    """A run that cannot start: bad ``threads``, an ``out`` folder that must not be replaced."""


class RecordError(NnbenchError):
    """A run record folder that is missing, incomplete or unreadable."""


class CurveRow(NamedTuple):
    """One row of ``curves.csv`` (the columns of :data:`nnbench.vocabulary.CURVES_COLUMNS`)."""

    step: int
    epoch: float
    split: str
    metric: str
    layer: int | str  # 1-based layer index, or "" for whole-network metrics
    value: float

    def order(self):
        """The sort key of ``curves.csv``: step, then split, metric, layer (whole-network first)."""
        return (self.step, self.split, self.metric, -1 if self.layer == "" else self.layer)


@dataclass
class RunOutput:
    """What a run kind produced, before it is written: its summary, curve rows and extra tables
    (file name -> (columns, rows))."""

    summary: dict[str, Any]
    rows: list[CurveRow] = field(default_factory=list)
    tables: dict[str, tuple[tuple[str, ...], list[tuple]]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    """One finished run's folder with its resolved spec and summary."""

    path: Path
    run_id: str
    spec: dict
    summary: dict


# ---------------------------------------------------------------- writing


def spec_file_text(spec: Mapping[str, Any]) -> str:
    """The JSON text of a spec file (sorted keys, one key per line): ``spec.json`` of a
    record and the workflow's ``resources/specs/<run_id>.json``."""
    return json.dumps(spec, indent=2, sort_keys=True, allow_nan=False) + "\n"


def _format_row(row: tuple) -> str:
    return ",".join(repr(value) if isinstance(value, float) else str(value) for value in row)


def csv_text(columns, rows) -> str:
    """A CSV file's text: header, then one line per row, floats ``repr``-exact."""
    lines = [",".join(columns)]
    lines.extend(_format_row(row) for row in rows)
    return "\n".join(lines) + "\n"


def json_safe(value):
    """Non-finite floats become null (JSON has no NaN); numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if hasattr(value, "item") and hasattr(value, "dtype"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_record(out: Path, spec: Mapping[str, Any], record: RunOutput, summary: Mapping[str, Any]) -> None:
    """Write the record into ``<out>.tmp-<pid>`` and move it into place when complete.

    ``spec`` is the resolved spec with its ``run_id``.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    if temporary.exists():
        shutil.rmtree(temporary)
    try:
        temporary.mkdir()
        (temporary / SPEC_FILE).write_text(spec_file_text(spec), encoding="utf-8")
        rows = sorted(record.rows, key=CurveRow.order)
        (temporary / CURVES_FILE).write_text(csv_text(CURVES_COLUMNS, rows), encoding="utf-8")
        for name, (columns, table_rows) in sorted(record.tables.items()):
            (temporary / name).write_text(csv_text(columns, table_rows), encoding="utf-8")
        # summary.json last: its presence marks a complete record even inside the temp folder
        (temporary / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n",
                                              encoding="utf-8")
        _replace_folder(temporary, out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def check_replaceable(out: Path) -> None:
    """Refuse an ``out`` that cannot be written or that exists and is not a run record.

    Checked before the run starts, so a long run never fails at the end for a bad path,
    and never deletes user data.
    """
    cwd = Path.cwd().resolve()
    if out.resolve() == cwd or out.resolve() in cwd.parents:
        # replacing it would pull the folder out from under the caller
        raise RunError(f"--out-dir {str(out)!r} is the current folder or one above it; give a new folder "
                       "such as results/runs/<name>")
    ancestor = out.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise RunError(f"--out-dir {str(out)!r}: {str(ancestor)!r} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise RunError(f"--out-dir {str(out)!r}: no permission to write in {str(ancestor)!r}")
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise RunError(f"--out-dir {str(out)!r} exists and is not a folder; give the run record's folder")
        foreign = sorted(entry.name for entry in out.iterdir() if entry.name not in RECORD_FILES)
        if foreign:
            raise RunError(f"--out-dir {str(out)!r} exists and holds files that are not part of a run record "
                           f"({', '.join(foreign[:3])}); refusing to replace it; choose an empty or new folder")


def _replace_folder(temporary: Path, out: Path) -> None:
    """Move ``temporary`` to ``out``, replacing an existing record."""
    if not out.exists():
        os.replace(temporary, out)
        return
    check_replaceable(out)
    old = out.with_name(f"{out.name}.old-{os.getpid()}")
    os.replace(out, old)
    os.replace(temporary, out)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- reading


def run_folder(results: str | os.PathLike, run_id: str) -> Path:
    """Where the record of run ``run_id`` lives under the results folder."""
    return Path(results) / RUNS_FOLDER / run_id


def record_folder(path: str | os.PathLike) -> Path:
    """A run folder from the folder itself or one of its files (``.../summary.json``)."""
    path = Path(path)
    return path.parent if path.suffix in (".json", ".csv") else path


def record_is_complete(folder: str | os.PathLike, run_id: str) -> bool:
    """Whether ``folder`` holds the finished record of run ``run_id``: a readable
    ``summary.json`` (written last, then the folder renamed into place) naming it."""
    file = Path(folder) / SUMMARY_FILE
    try:
        return json.loads(file.read_text(encoding="utf-8")).get("run_id") == run_id
    except (OSError, ValueError, AttributeError):
        return False


def read_summary(path: str | os.PathLike) -> dict:
    """``summary.json`` of the run folder ``path``; :class:`RecordError` naming the folder
    when it is missing (the run did not finish) or not JSON."""
    return _read_json(record_folder(path), SUMMARY_FILE)


def _read_json(folder: Path, name: str) -> dict:
    file = folder / name
    if not file.is_file():
        raise RecordError(f"run record {str(folder)!r} has no {name}: the run did not finish; "
                          "rerun it (snakemake reruns incomplete runs)")
    try:
        return json.loads(file.read_text())
    except json.JSONDecodeError as error:
        raise RecordError(f"run record file {str(file)!r} is not valid JSON ({error}); delete the folder and rerun") from None


def read_record(path: str | os.PathLike) -> RunRecord:
    """Read ``spec.json`` and ``summary.json`` of the run folder ``path``.

    Raises :class:`RecordError` naming the folder when a file is missing or not JSON.
    """
    folder = record_folder(path)
    spec, summary = _read_json(folder, SPEC_FILE), _read_json(folder, SUMMARY_FILE)
    identifier = summary.get("run_id") or spec.get("run_id") or folder.name
    return RunRecord(path=folder, run_id=identifier, spec=spec, summary=summary)
