"""From a prepared study config to the list of runs it asks for.

:func:`expand` crosses each study's datasets, axes, paired lists and seeds
(:mod:`nnbench.config` describes the form) and resolves every run spec with
:func:`nnbench.spec.resolve_spec`, so a bad config fails before any job runs, with a
message naming the study and the key. A tuned study (``tune:``) takes the value of its
tuned key from the source study's :class:`~nnbench.choice.TunedChoice`.
:func:`unique_runs` and :func:`write_specs` give the workflow one spec file per run.
"""

from __future__ import annotations

import copy
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from nnbench.choice import TunedChoice
from nnbench.config import ConfigError, load_config, prepare_config, tuned_studies
from nnbench.files import atomic_open
from nnbench.records import spec_file_text
from nnbench.spec import DEFAULTS, SpecError, resolve_spec, run_id
from nnbench.validation import unknown_name_error
from nnbench.vocabulary import DEFAULT_KIND

__all__ = ["GridRow", "expand", "expand_study", "pending_count", "unique_runs", "write_specs", "flatten_spec",
           "format_value", "study_run_ids",
           # re-exported: what a grid user needs from nnbench.config
           "ConfigError", "load_config", "prepare_config", "tuned_studies"]


@dataclass(frozen=True)
class GridRow:
    """One run of one study: its resolved spec, its ``run_id`` and the axis values that chose it."""

    study: str
    run_id: str
    spec: dict
    axes: dict  # axis name (dataset, axis keys, paired keys, seed) -> value, in expansion order


# ---------------------------------------------------------------- expansion


def _set_dotted(spec: dict, key: str, value: Any) -> None:
    """``spec['optimizer']['lr'] = value`` for ``key='optimizer.lr'`` (a plain key otherwise)."""
    if "." not in key:
        spec[key] = copy.deepcopy(value)
        return
    head, tail = key.split(".", 1)
    parent = spec.get(head)
    if parent is None:
        parent = {}
    elif isinstance(parent, str):  # `optimizer: adam` with an `optimizer.lr` axis
        parent = {"name": parent}
    else:
        parent = dict(parent)
    parent[tail] = copy.deepcopy(value)
    spec[head] = parent


def flatten_spec(spec: Mapping[str, Any]) -> dict:
    """A resolved spec with nested mappings spelled as dotted keys (``optimizer.lr``)."""
    flat = {}
    for key, value in spec.items():
        if isinstance(value, Mapping):
            for sub_key, sub_value in flatten_spec(value).items():
                flat[f"{key}.{sub_key}"] = sub_value
        else:
            flat[key] = value
    return flat


def _combinations(name: str, study: Mapping[str, Any]) -> list[tuple[dict, dict]]:
    """``(axis values, unresolved spec)`` for every run of ``study``, in expansion order."""
    fixed = study["fixed"]
    kind = fixed.get("kind", DEFAULT_KIND)
    accepted = DEFAULTS.get(kind, DEFAULTS["train"])
    dimensions: list[list[dict]] = []
    if "dataset" in accepted and "dataset" not in fixed:
        dimensions.append([{"dataset": dataset} for dataset in study["datasets"]])
    for key, values in study["axes"].items():
        dimensions.append([{key: value} for value in values])
    for group in study.get("paired", []):
        keys = list(group)
        dimensions.append([dict(zip(keys, values)) for values in zip(*(group[key] for key in keys))])
    if "seed" in accepted and "seed" not in fixed:
        dimensions.append([{"seed": seed} for seed in study["seeds"]])
    combinations = []
    for combination in itertools.product(*dimensions):
        axis_values: dict = {}
        for part in combination:
            axis_values.update(part)
        spec: dict = {}
        settings = list(fixed.items()) + list(axis_values.items())
        # whole values first, then dotted keys, so `optimizer.lr` refines any `optimizer`
        for key, value in sorted(settings, key=lambda item: "." in item[0]):
            _set_dotted(spec, key, value)
        combinations.append((axis_values, spec))
    return combinations


def _resolve(name: str, axis_values: Mapping[str, Any], spec: Mapping[str, Any]) -> tuple[dict, str]:
    try:
        resolved = resolve_spec(spec)
    except SpecError as error:
        where = ", ".join(f"{key}={value}" for key, value in axis_values.items())
        raise ConfigError(f"config error in study {name!r}" + (f" (run {where})" if where else "") + f": {error}") from None
    return resolved, run_id(resolved)


def _choice_for(name: str, study: Mapping[str, Any], choice: TunedChoice, flat: Mapping[str, Any],
                axis_values: Mapping[str, Any]) -> Any:
    """The tuned value for one run of a tuned study: the choice whose group matches the run."""
    try:
        return choice.value_for(flat)
    except KeyError:
        where = ", ".join(f"{k}={v}" for k, v in axis_values.items())
        raise ConfigError(f"study {name!r}: study {study['tune']['from']!r} has no run to choose "
                          f"{study['tune']['key']!r} from for the run {where}; add that setting to "
                          f"{study['tune']['from']!r}") from None


def expand_study(config: Mapping[str, Any], name: str, choice: TunedChoice | None = None) -> list[GridRow]:
    """The runs of study ``name`` of a prepared config.

    A tuned study needs ``choice`` (written by :func:`nnbench.aggregate.choose_best` for
    its source study); without it it raises :class:`ConfigError`. A run listed twice in
    one study (two spellings of the same spec) appears once.
    """
    if name not in config["studies"]:
        raise unknown_name_error("study", name, config["studies"], error=ConfigError)
    study = config["studies"][name]
    tune = study.get("tune")
    if tune and choice is None:
        raise ConfigError(f"study {name!r} takes {tune['key']!r} from the results of {tune['from']!r}; "
                          "run that study first (snakemake does this through a checkpoint)")
    rows, seen = [], set()
    for axis_values, spec in _combinations(name, study):
        if tune:
            placeholder, _ = _resolve(name, axis_values, spec)
            value = _choice_for(name, study, choice, flatten_spec(placeholder), axis_values)
            _set_dotted(spec, tune["key"], value)
            axis_values = {**axis_values, tune["key"]: value}
        resolved, identifier = _resolve(name, axis_values, spec)
        if identifier in seen:
            continue
        seen.add(identifier)
        rows.append(GridRow(study=name, run_id=identifier, spec=resolved, axes=dict(axis_values)))
    if study.get("plot"):
        _check_plot_metric(name, study["plot"]["metric"], rows)
    return rows


def _check_plot_metric(name: str, metric: str, rows: list[GridRow]) -> None:
    """A user study's ``plot.metric`` must be recorded by every one of its runs (before any runs)."""
    from nnbench.runkinds import recorded_metrics

    recorded = None
    for row in rows:
        summary, curves = recorded_metrics(row.spec)
        both = summary | curves
        recorded = both if recorded is None else recorded & both
    if recorded is not None and metric not in recorded:
        raise ConfigError(f"config error in study {name!r}, key plot.metric: {metric!r} is not recorded by every "
                          f"run of the study; recorded: {', '.join(sorted(recorded)) or 'nothing (kind train only)'}")


def pending_count(config: Mapping[str, Any], name: str) -> int:
    """How many runs study ``name`` will have (for a tuned study, before its choice exists)."""
    return len(_combinations(name, config["studies"][name]))


def expand(config: Mapping[str, Any], studies: Iterable[str] | None = None,
           choices: Mapping[str, TunedChoice] | None = None) -> list[GridRow]:
    """All runs of the config's studies (or of ``studies``), study by study.

    ``config`` may be raw (as read from YAML) or prepared. ``choices`` maps a tuned study
    to its choice; tuned studies without one are left out (see :func:`tuned_studies`).
    Raises :class:`ConfigError` for a bad config or a run spec that does not resolve.
    """
    config = prepare_config(config)
    names = list(config["studies"]) if studies is None else list(studies)
    choices = choices or {}
    rows: list[GridRow] = []
    for name in names:
        if config["studies"].get(name, {}).get("tune") and name not in choices:
            continue
        rows.extend(expand_study(config, name, choices.get(name)))
    return rows


def unique_runs(rows: Iterable[GridRow]) -> dict[str, dict]:
    """``run_id -> resolved spec``, each run once (runs shared by studies run once)."""
    runs: dict[str, dict] = {}
    for row in rows:
        runs.setdefault(row.run_id, row.spec)
    return runs


def write_specs(runs: Mapping[str, Mapping[str, Any]], directory: str | os.PathLike) -> list[Path]:
    """Write ``<directory>/<run_id>.json`` for every run whose file is missing.

    The file name is the hash of its content, so an existing file is never rewritten
    (its modification time stays, and snakemake reruns nothing). Each file is written
    to a temporary name and renamed into place. Returns the paths written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for identifier, spec in runs.items():
        path = directory / f"{identifier}.json"
        if path.exists():
            continue
        with atomic_open(path) as stream:
            stream.write(spec_file_text(spec))
        written.append(path)
    return written


def study_run_ids(rows_by_study: Mapping[str, Iterable[GridRow]]) -> list[str]:
    """The distinct run_ids of the given studies' rows, sorted."""
    return sorted({row.run_id for rows in rows_by_study.values() for row in rows})


def format_value(value: Any) -> str:
    """A compact text form of an axis value for tables (``[100, 100]``, ``0.001``)."""
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
