"""From a study config to the list of runs it asks for.

A config (``config/config.yaml``) declares ``studies:``; each study is

* ``fixed``: spec keys shared by all its runs (dotted keys such as ``optimizer.lr`` set
  one field of a nested mapping),
* ``axes``: spec key -> list of values, crossed (cartesian product); a numeric axis may
  be written ``{logspace: [start, stop, num]}``,
* ``paired``: lists zipped together instead of crossed (a list of such groups crosses
  the groups),
* ``datasets`` and ``seeds`` (default: the config's top-level lists), crossed with the
  rest; ignored for kinds whose spec has no ``dataset`` / ``seed``,
* ``tune`` (optional): take the value of ``tune.key`` from another study, the best one
  by ``tune.metric`` (mean over seeds) for each setting of that study's other varying
  keys. Such a study can only be expanded once that choice exists (see
  :func:`nnbench.aggregate.choose_best`).

:func:`prepare_config` turns numbers that YAML 1.1 reads as strings (``1e-4``) into
numbers, validates the config against ``nnbench/schemas/config.schema.yaml`` (shipped with the package) and fills
in the defaults; :func:`expand` resolves every run spec with
:func:`nnbench.spec.resolve_spec`, so a bad config fails before any job runs, with a
message naming the study and the key.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from nnbench.errors import NnbenchError, closest
from nnbench.files import atomic_open

__all__ = [
    "ConfigError", "GridRow", "STUDY_NAMES", "SCHEMA_PATH", "load_config", "prepare_config",
    "validate_config", "expand", "expand_study", "tuned_studies", "pending_count",
    "unique_runs", "write_specs", "flatten_spec", "coerce_numbers",
]


class ConfigError(NnbenchError):
    """A study config with an unknown key, a bad value or a study that cannot be expanded."""


#: The studies of STUDY.md, in the report's order (docs/ARCHITECTURE.md fixes the names).
STUDY_NAMES = (
    "optimizer_paths", "optimizers", "optimizers_lr_sweep", "optimizers_tuned",
    "activation_histograms", "weight_init", "vanishing_gradient", "minibatch_noise",
    "batch_size", "batch_norm", "overfitting_weight_decay", "overfitting_dropout",
    "overfitting_capacity", "factorial",
)

#: The JSON schema the workflow validates against (the single source of the config's form).
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "config.schema.yaml"

# A number as YAML 1.2 would read it; YAML 1.1 (PyYAML) leaves `1e-4` or `1E5` a string.
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class GridRow:
    """One run of one study: its resolved spec, its ``run_id`` and the axis values that chose it."""

    study: str
    run_id: str
    spec: dict
    axes: dict  # axis name (dataset, axis keys, paired keys, seed) -> value, in expansion order


# ---------------------------------------------------------------- loading and validation


def coerce_numbers(value: Any) -> Any:
    """A copy of ``value`` where every string that spells a number is that number.

    YAML 1.1 reads ``1e-4`` (no dot) as a string; users mean a number. Integers stay
    ``int``; anything with a dot or an exponent becomes ``float``. Mapping keys are kept.
    """
    if isinstance(value, Mapping):
        return {key: coerce_numbers(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [coerce_numbers(item) for item in value]
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        text = value.strip()
        return int(text) if _INTEGER.match(text) else float(text)
    return value


def load_config(path: str | os.PathLike) -> dict:
    """Read, validate and complete the config file at ``path`` (see :func:`prepare_config`)."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist; give the path of a YAML file such as config/config.yaml")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ConfigError(f"config file {str(path)!r} is not valid YAML: {error}".replace("\n", " ")) from None
    return prepare_config(raw)


def load_schema() -> dict:
    """The config JSON schema, read from :data:`SCHEMA_PATH`."""
    import yaml

    if not SCHEMA_PATH.is_file():
        raise ConfigError(f"config schema {str(SCHEMA_PATH)!r} not found; the nnbench installation is incomplete "
                          "(reinstall the package)")
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _location(path: Iterable[Any]) -> str:
    """``['studies', 'x', 'axes', 'init', 3]`` -> ``"study 'x', axes.init[3]"``."""
    path = list(path)
    prefix = ""
    if len(path) >= 2 and path[0] == "studies":
        prefix, path = f"study {path[1]!r}", path[2:]
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    if prefix and text:
        return f"{prefix}, key {text}"
    return prefix or (f"key {text}" if text else "top level")


# Names people write for spec keys.
_ALIASES = {"lambda": "weight_decay", "lamda": "weight_decay", "wd": "weight_decay", "l2": "weight_decay",
            "lr": "optimizer.lr", "learning_rate": "optimizer.lr", "bn": "batchnorm", "batch_norm": "batchnorm",
            "std": "init", "weight_init": "init", "width": "hidden_sizes", "depth": "hidden_sizes"}


def _describe(error) -> str:
    """A one-line explanation of a jsonschema error: what is wrong and what is allowed."""
    validator = error.validator
    if validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = sorted(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        parts = []
        for key in error.instance:
            if key in allowed or any(re.search(pattern, str(key)) for pattern in patterns):
                continue
            hint = {"dataset": " (list datasets under the study's `datasets:`)",
                    "seed": " (list seeds under the study's `seeds:`)",
                    "kind": " (a study has one kind: put it under `fixed:`)"}.get(key, "")
            if not hint and key in _ALIASES:
                hint = f" (did you mean {_ALIASES[key]!r}?)"
            if not hint:
                match = closest(key, allowed)
                hint = f" (did you mean {match!r}?)" if match else ""
            parts.append(f"unknown key {key!r}{hint}")
        return "; ".join(parts) + f"; allowed: {', '.join(allowed)}"
    if validator == "enum" and "propertyNames" in error.schema_path:
        match = closest(error.instance, error.validator_value)
        hint = f" (did you mean {match!r}?)" if match else ""
        return f"unknown study {error.instance!r}{hint}; studies: {', '.join(error.validator_value)}"
    if validator == "enum":
        allowed = [str(item) for item in error.validator_value]
        match = closest(error.instance, allowed) if isinstance(error.instance, str) else None
        hint = f" (did you mean {match!r}?)" if match else ""
        return f"{error.instance!r} is not allowed{hint}; allowed: {', '.join(allowed)}"
    if validator in ("oneOf", "anyOf") and error.context:
        # Say what each alternative wanted, most specific first.
        from jsonschema.exceptions import best_match

        inner = best_match(error.context)
        description = error.schema.get("description")
        text = _describe(inner)
        return f"{text}" + (f" ({description})" if description else "")
    return error.message


def validate_config(config: Mapping[str, Any]) -> None:
    """Check ``config`` (numbers already coerced) against the JSON schema.

    Raises :class:`ConfigError` naming the study, the key, the bad value and what is
    allowed; when there are several problems it reports the first and counts the rest.
    """
    from jsonschema import validators
    from jsonschema.exceptions import best_match

    schema = load_schema()
    validator = validators.validator_for(schema)(schema)
    errors = list(validator.iter_errors(config))
    if not errors:
        return
    error = best_match(errors)
    # best_match may stop at a oneOf/anyOf; its context holds the alternatives' errors.
    where_error = error
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    raise ConfigError(f"config error in {_location(where_error.absolute_path)}: {_describe(error)}{more}")


def _logspace(start: float, stop: float, num: int) -> list[float]:
    import numpy as np

    return [float(value) for value in np.logspace(start, stop, int(num))]


def _expand_generators(values: Any) -> Any:
    """An axis written ``{logspace: [a, b, n]}`` -> its list of values."""
    if isinstance(values, Mapping) and "logspace" in values:
        return _logspace(*values["logspace"])
    return values


def _paired_groups(study: Mapping[str, Any]) -> list[dict]:
    paired = study.get("paired")
    if paired is None:
        return []
    return [paired] if isinstance(paired, Mapping) else list(paired)


def prepare_config(raw: Any) -> dict:
    """Coerce numbers, validate against the schema, fill defaults and expand generators.

    Returns a new config; the input is not modified. Idempotent: preparing a prepared
    config gives the same config. Raises :class:`ConfigError` for anything wrong that
    can be seen without resolving the run specs.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"a config must be a mapping with a `studies:` key, got {type(raw).__name__}")
    config = coerce_numbers(raw)
    validate_config(config)
    defaults = {key: value.get("default") for key, value in load_schema()["properties"].items() if "default" in value}
    for key, value in defaults.items():
        config.setdefault(key, copy.deepcopy(value))
    studies = {}
    for name, study in config["studies"].items():
        study = dict(study)
        study.setdefault("fixed", {})
        study["axes"] = {key: _expand_generators(values) for key, values in study.get("axes", {}).items()}
        groups = [{key: _expand_generators(values) for key, values in group.items()} for group in _paired_groups(study)]
        if groups:
            study["paired"] = groups
        study.setdefault("seeds", list(config["seeds"]))
        study.setdefault("datasets", list(config["datasets"]))
        if "tune" in study:
            study["tune"] = {"metric": "final_validation_acc", "goal": "max", **study["tune"]}
        _check_study(name, study, config)
        studies[name] = study
    config["studies"] = studies
    return config


def _check_study(name: str, study: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Cross-key checks the schema cannot express."""
    # An axis may override a `fixed` value (handy with YAML merges); two axes may not share a key.
    seen: dict[str, str] = {}
    for where, keys in [("axes", list(study["axes"]))] + [
            (f"paired[{index}]", list(group)) for index, group in enumerate(study.get("paired", []))]:
        for key in keys:
            if key in seen:
                raise ConfigError(f"config error in study {name!r}: key {key!r} is given in both {seen[key]} and {where}; "
                                  "give it in one place")
            seen[key] = where
    for index, group in enumerate(study.get("paired", [])):
        lengths = {key: len(values) for key, values in group.items()}
        if len(set(lengths.values())) > 1:
            raise ConfigError(f"config error in study {name!r}, key paired[{index}]: paired lists must have the same "
                              f"length, got {', '.join(f'{key}: {length}' for key, length in lengths.items())}")
    tune = study.get("tune")
    if tune:
        source = tune["from"]
        if source == name or source not in config["studies"]:
            others = [other for other in config["studies"] if other != name]
            match = closest(source, others)
            hint = f" (did you mean {match!r}?)" if match else ""
            raise ConfigError(f"config error in study {name!r}, key tune.from: {source!r} is not another study of this "
                              f"config{hint}; studies: {', '.join(others)}")
        if "tune" in config["studies"][source]:
            raise ConfigError(f"config error in study {name!r}, key tune.from: study {source!r} is itself tuned; "
                              "tune from a plain sweep")
        source_study = config["studies"][source]
        swept = set(source_study.get("axes", {})) | {key for group in _paired_groups(source_study) for key in group}
        if tune["key"] not in swept:
            raise ConfigError(f"config error in study {name!r}, key tune.key: {tune['key']!r} is not an axis of study "
                              f"{source!r}; its axes: {', '.join(sorted(swept)) or 'none'}")
        if tune["key"] in seen:
            raise ConfigError(f"config error in study {name!r}: key {tune['key']!r} is tuned (tune.key) and also an "
                              f"axis ({seen[tune['key']]}); remove it there")


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


def _get_dotted(spec: Mapping[str, Any], key: str) -> Any:
    value: Any = spec
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


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
    from nnbench.spec import DEFAULTS

    fixed = study["fixed"]
    kind = fixed.get("kind", "train")
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
    from nnbench.spec import SpecError, resolve_spec, run_id

    try:
        resolved = resolve_spec(spec)
    except SpecError as error:
        where = ", ".join(f"{key}={value}" for key, value in axis_values.items())
        raise ConfigError(f"config error in study {name!r}" + (f" (run {where})" if where else "") + f": {error}") from None
    return resolved, run_id(resolved)


def _choice_for(name: str, study: Mapping[str, Any], choices: Mapping[str, Any], flat: Mapping[str, Any],
                axis_values: Mapping[str, Any]) -> Any:
    """The tuned value for one run of a tuned study: the choice whose group matches the run."""
    key = study["tune"]["key"]
    for choice in choices.get("choices", []):
        if all(_same(flat.get(group_key), group_value) for group_key, group_value in choice["group"].items()):
            return choice["value"]
    where = ", ".join(f"{k}={v}" for k, v in axis_values.items())
    raise ConfigError(f"study {name!r}: study {study['tune']['from']!r} has no run to choose {key!r} from for the run "
                      f"{where}; add that setting to {study['tune']['from']!r}")


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return list(left) == list(right)
    return left == right


def tuned_studies(config: Mapping[str, Any]) -> list[str]:
    """Names of the studies whose runs depend on another study's results (``tune:``)."""
    return [name for name, study in config["studies"].items() if study.get("tune")]


def expand_study(config: Mapping[str, Any], name: str, choices: Mapping[str, Any] | None = None) -> list[GridRow]:
    """The runs of study ``name`` of a prepared config.

    A tuned study needs ``choices`` (the JSON written by :func:`nnbench.aggregate.choose_best`
    for its source study); without them it raises :class:`ConfigError`. A run listed twice
    in one study (two spellings of the same spec) appears once.
    """
    if name not in config["studies"]:
        match = closest(name, list(config["studies"]))
        hint = f" (did you mean {match!r}?)" if match else ""
        raise ConfigError(f"unknown study {name!r}{hint}; this config has: {', '.join(config['studies'])}")
    study = config["studies"][name]
    tune = study.get("tune")
    if tune and choices is None:
        raise ConfigError(f"study {name!r} takes {tune['key']!r} from the results of {tune['from']!r}; "
                          "run that study first (snakemake does this through a checkpoint)")
    rows, seen = [], set()
    for axis_values, spec in _combinations(name, study):
        if tune:
            placeholder, _ = _resolve(name, axis_values, spec)
            value = _choice_for(name, study, choices, flatten_spec(placeholder), axis_values)
            _set_dotted(spec, tune["key"], value)
            axis_values = {**axis_values, tune["key"]: value}
        resolved, identifier = _resolve(name, axis_values, spec)
        if identifier in seen:
            continue
        seen.add(identifier)
        rows.append(GridRow(study=name, run_id=identifier, spec=resolved, axes=dict(axis_values)))
    return rows


def pending_count(config: Mapping[str, Any], name: str) -> int:
    """How many runs study ``name`` will have (for a tuned study, before its choice exists)."""
    return len(_combinations(name, config["studies"][name]))


def expand(config: Mapping[str, Any], studies: Iterable[str] | None = None,
           choices: Mapping[str, Mapping[str, Any]] | None = None) -> list[GridRow]:
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


def spec_text(spec: Mapping[str, Any]) -> str:
    """The JSON text of a spec file (sorted keys, one key per line)."""
    return json.dumps(spec, indent=2, sort_keys=True, allow_nan=False) + "\n"


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
            stream.write(spec_text(spec))
        written.append(path)
    return written


def format_value(value: Any) -> str:
    """A compact text form of an axis value for tables (``[100, 100]``, ``0.001``)."""
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_value(item) for item in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
