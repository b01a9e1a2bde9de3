"""Run records -> tidy tables per study (``results/<study>/*.csv``), and tuned choices.

Every run is described by the same flattened *run columns* (:data:`RUN_COLUMNS`,
fixed by docs/ARCHITECTURE.md) whatever the study's axes, so figures can group and
facet any table the same way:

* ``runs.csv``: run columns, ``status``, the code that made the run (:data:`CODE_COLUMNS`:
  commit, its date, dirty flag, lock and numerics hashes; ``versions_<package>``, ``blas``,
  ``platform``), then every numeric key of ``summary.json``;
* ``curves.csv``: run columns + ``step, epoch, split, metric, layer, value``;
* ``histograms.csv`` / ``minibatch_spread.csv`` when the runs wrote them (run columns
  prepended).

Tables are written to a temporary name and renamed into place, rows in the order the
runs are given (the grid's order), so the same records give byte-identical tables.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from nnbench.choice import GroupChoice, TunedChoice
from nnbench.files import atomic_open
from nnbench.grid import flatten_spec
from nnbench.records import RecordError, RunRecord, read_record, read_summary, run_folder
from nnbench.validation import Options, unknown_name_error
from nnbench.vocabulary import (CODE_COLUMNS, CURVES_COLUMNS, CURVES_FILE, DEFAULT_KIND, DEFAULT_TUNE_METRIC, EXTRA_TABLES,
                                GOALS, RUN_COLUMNS, RUNS_TABLE)

__all__ = ["RecordError", "RunRecord", "run_columns", "read_record", "aggregate_study", "study_records",
           "write_study_tables", "choose_best", "study_run_dirs", "status_line"]

_GOAL = Options(GOALS, what="goal")


def run_columns(study: str, record: RunRecord) -> dict[str, Any]:
    """The run columns of one record (None where a column does not apply to its kind)."""
    spec = record.spec
    optimizer = spec.get("optimizer")
    if isinstance(optimizer, str):
        optimizer = {"name": optimizer}
    hidden_sizes = spec.get("hidden_sizes") or []
    return {
        "study": study,
        "run_id": record.run_id,
        "kind": spec.get("kind", DEFAULT_KIND),
        "dataset": spec.get("dataset"),
        "seed": spec.get("seed"),
        "optimizer": optimizer.get("name") if optimizer else None,
        "lr": optimizer.get("lr") if optimizer else None,
        "init": spec.get("init"),
        "activation": spec.get("activation"),
        "batchnorm": spec.get("batchnorm"),
        "dropout": spec.get("dropout"),
        "weight_decay": spec.get("weight_decay"),
        "batch_size": spec.get("batch_size"),
        "width": hidden_sizes[0] if hidden_sizes else None,
        "depth": len(hidden_sizes) if hidden_sizes else None,
        "n_train": spec.get("n_train"),
    }


def provenance_columns(summary: Mapping[str, Any]) -> dict[str, str]:
    """The code a run used (its summary's ``code``, :func:`nnbench.provenance.code_identity`),
    as text columns for the report's provenance and citation.

    :data:`CODE_COLUMNS` under their own names (commit, commit_date, dirty, lock_sha256,
    numerics_fingerprint; left out when unknown), ``versions_<package>`` (nnbench, python,
    numpy, ...), ``blas``: NumPy's BLAS libraries (library, version, kernel), e.g.
    ``openblas 0.3.31 (Haswell)``, and ``platform``.
    """
    code = summary.get("code") or {}
    columns = {key: str(code[key]) for key in CODE_COLUMNS if code.get(key) is not None}
    versions = {"nnbench": code.get("nnbench"), **(code.get("versions") or {})}
    columns.update({f"versions_{name}": str(version) for name, version in versions.items()
                    if version is not None and name != "blas"})
    libraries = versions.get("blas") or []
    if libraries:
        columns["blas"] = "; ".join(
            f"{info.get('internal_api')} {info.get('version')} ({info.get('architecture')})" for info in libraries
        )
    if (code.get("platform") or {}).get("platform"):
        columns["platform"] = str(code["platform"]["platform"])
    return columns


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _read_record_table(path: Path):
    import pandas as pd

    # round_trip keeps every float exactly as written; layer stays an integer column with gaps
    dtypes = {"layer": "Int64", "split": "string", "metric": "string"}
    header = pd.read_csv(path, nrows=0).columns
    # pandas >= 3 parses floats exactly by default; older versions need round_trip
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    return pd.read_csv(path, dtype={key: value for key, value in dtypes.items() if key in header}, **exact)


def _with_run_columns(frame, columns: Mapping[str, Any]):
    """``frame`` with the run columns prepended.

    A table's own column wins over a run column of the same name: in
    ``minibatch_spread.csv``, ``batch_size`` is the size of the sampled minibatches,
    not the training batch size (which runs.csv has).
    """
    import pandas as pd

    frame = frame.copy()
    columns = {name: value for name, value in columns.items() if name not in frame.columns}
    for position, (name, value) in enumerate(columns.items()):
        frame.insert(position, name, pd.Series([value] * len(frame), index=frame.index, dtype=object))
    return frame


def _progress(done: int, total: int, study: str) -> None:
    import sys

    if sys.stderr.isatty():
        print(f"\raggregate {study}: {done}/{total} runs", end="" if done < total else "\n", file=sys.stderr, flush=True)


def aggregate_study(study: str, runs: Sequence[str | os.PathLike], out_dir: str | os.PathLike) -> list[Path]:
    """Write the tables of ``study`` from the run folders ``runs`` into ``out_dir``.

    ``runs`` are run folders (or files inside them) in the order rows should appear; a
    folder listed twice counts once. Writes ``runs.csv`` and ``curves.csv`` always, and
    each of :data:`EXTRA_TABLES` that at least one run has. Returns the paths written.
    Raises :class:`RecordError` when a record is missing or incomplete (before writing).
    """
    return write_study_tables(study, study_records(runs), out_dir)


def study_records(runs: Sequence[str | os.PathLike]) -> list[RunRecord]:
    """The records of the run folders ``runs`` (or files inside them), each once, in order;
    :class:`RecordError` when one is missing or incomplete. Reading every study's records
    first lets several studies be aggregated all or nothing."""
    records, seen = [], set()
    for path in runs:
        record = read_record(path)
        if record.path.resolve() in seen:
            continue
        seen.add(record.path.resolve())
        records.append(record)
    for record in records:
        if not (record.path / CURVES_FILE).is_file():
            raise RecordError(f"run record {str(record.path)!r} has no {CURVES_FILE}; delete the folder and rerun")
    return records


def write_study_tables(study: str, records: Sequence[RunRecord], out_dir: str | os.PathLike) -> list[Path]:
    """Write the tables of ``study`` from its ``records`` (:func:`study_records`) into
    ``out_dir`` (see :func:`aggregate_study`); returns the paths written."""
    import pandas as pd

    out_dir = Path(out_dir)
    # runs.csv: numeric summary keys in order of first appearance
    summary_keys: list[str] = []
    for record in records:
        for key, value in record.summary.items():
            if key not in summary_keys and key not in RUN_COLUMNS and _is_number(value):
                summary_keys.append(key)
    provenance_keys: list[str] = []
    for record in records:
        for key in provenance_columns(record.summary):
            if key not in provenance_keys:
                provenance_keys.append(key)
    rows = []
    for record in records:
        row = run_columns(study, record)
        row["status"] = record.summary.get("status")
        row.update(provenance_columns(record.summary))
        for key in summary_keys:
            value = record.summary.get(key)
            row[key] = value if _is_number(value) else None
        rows.append(row)
    runs_frame = pd.DataFrame(rows, columns=list(RUN_COLUMNS) + ["status"] + provenance_keys + summary_keys)
    written = []
    path = out_dir / RUNS_TABLE
    with atomic_open(path, newline="") as stream:
        runs_frame.to_csv(stream, index=False)
    written.append(path)

    # curves.csv and the extra tables, streamed run by run (they can be large)
    # (a run's curves.csv and the study's have the same name: vocabulary.CURVES_TABLE)
    for name in (CURVES_FILE,) + EXTRA_TABLES:
        sources = [record for record in records if (record.path / name).is_file()]
        if not sources and name != CURVES_FILE:
            continue
        path = out_dir / name
        with atomic_open(path, newline="") as stream:
            if not sources:
                stream.write(",".join(RUN_COLUMNS + CURVES_COLUMNS) + "\n")
            for index, record in enumerate(sources):
                frame = _with_run_columns(_read_record_table(record.path / name), run_columns(study, record))
                frame.to_csv(stream, index=False, header=index == 0)
                if name == CURVES_FILE:
                    _progress(index + 1, len(sources), study)
        written.append(path)
    return written


# ---------------------------------------------------------------- tuned choices


def _hashable(value: Any) -> Any:
    return tuple(_hashable(item) for item in value) if isinstance(value, list) else value


def _score(record: RunRecord, metric: str, goal: str) -> float:
    """The run's metric; a diverged run or a missing value scores worst."""
    value = record.summary.get(metric)
    worst = -math.inf if goal == "max" else math.inf
    if record.summary.get("status") != "ok" or not _is_number(value) or not math.isfinite(value):
        return worst
    return float(value)


def choose_best(runs: Sequence[str | os.PathLike], key: str, metric: str = DEFAULT_TUNE_METRIC,
                goal: str = "max") -> TunedChoice:
    """For each setting of a sweep's other varying keys, the value of ``key`` with the best mean ``metric``.

    ``runs`` are the sweep's run folders. Spec keys (dotted for nested ones, e.g.
    ``optimizer.name``) whose values differ between runs, other than ``key`` and
    ``seed``, define the groups. Within a group each value of ``key`` is scored by the
    mean of ``metric`` over its seeds (a diverged seed scores worst, so an unstable value
    loses); ties go to the smaller value.
    """
    goal = _GOAL.check("goal", goal)
    records = [read_record(path) for path in runs]
    if not records:
        raise RecordError(f"no runs to choose {key!r} from")
    flats = [flatten_spec({k: v for k, v in record.spec.items() if k != "run_id"}) for record in records]
    missing = [flat for flat in flats if key not in flat]
    if missing:
        raise unknown_name_error("spec key", key, sorted(missing[0]), where="the sweep's specs")
    all_keys = sorted({name for flat in flats for name in flat})
    varying = [name for name in all_keys if name not in (key, "seed")
               and len({json.dumps(flat.get(name), sort_keys=True) for flat in flats}) > 1]
    groups: dict[tuple, dict[Any, list[float]]] = {}
    group_values: dict[tuple, dict[str, Any]] = {}
    for record, flat in zip(records, flats):
        group = tuple(_hashable(flat.get(name)) for name in varying)
        group_values.setdefault(group, {name: flat.get(name) for name in varying})
        groups.setdefault(group, {}).setdefault(flat[key], []).append(_score(record, metric, goal))
    choices = []
    sign = 1.0 if goal == "max" else -1.0
    for group, by_value in groups.items():
        means = {value: sum(scores) / len(scores) for value, scores in by_value.items()}
        best = sorted(means, key=lambda value: (-sign * means[value], value))[0]
        choices.append(GroupChoice(
            group=group_values[group], value=best, score=_finite_or_none(means[best]), seeds=len(by_value[best]),
            scores=[{"value": value, "score": _finite_or_none(means[value]), "seeds": len(by_value[value])}
                    for value in sorted(means)]))
    return TunedChoice(key=key, metric=metric, goal=goal, group_keys=varying, choices=choices)


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def study_run_dirs(rows: Iterable[Any], results: str | os.PathLike) -> list[Path]:
    """The run folders of grid rows under ``results``."""
    return [run_folder(results, row.run_id) for row in rows]


# ---------------------------------------------------------------- the workflow's last line


def status_line(run_folders: Iterable[str | os.PathLike], report: str | os.PathLike) -> str:
    """``nnbench: N runs ok, M diverged[, K not run yet]; report: <report>`` (or ``; no report yet``).

    ``run_folders`` are the runs of the workflow (folders or their ``summary.json``); a
    run without a readable summary counts as not run yet.
    """
    counts = {"ok": 0, "diverged": 0, "missing": 0}
    for folder in run_folders:
        try:
            status = read_summary(folder).get("status")
        except RecordError:
            status = "missing"
        counts[status if status in counts else "missing"] += 1
    line = f"nnbench: {counts['ok']} runs ok, {counts['diverged']} diverged"
    if counts["missing"]:
        line += f", {counts['missing']} not run yet"
    report = Path(report)
    return line + (f"; report: {report}" if report.is_file() else "; no report yet")
