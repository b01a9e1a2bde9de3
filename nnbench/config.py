"""A study config: load, coerce numbers, validate against the schema, fill defaults.

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
  keys (:func:`nnbench.aggregate.choose_best`).

:func:`prepare_config` turns numbers that YAML 1.1 reads as strings (``1e-4``) into
numbers, validates the config against ``nnbench/schemas/config.schema.yaml`` (shipped
with the package), fills in the defaults and makes the cross-key checks the schema
cannot express. Expanding a prepared config into runs is :mod:`nnbench.grid`'s job.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from nnbench.errors import NnbenchError
from nnbench.files import atomic_open
from nnbench.validation import coerce_number, unknown_name_error
from nnbench.vocabulary import (CONFIG_COLUMNS, CURVE_METRICS, CURVE_SPLITS, DEFAULT_TUNE_METRIC, KEY_ALIASES, STUDIES,
                                USER_STUDY_PATTERN)

__all__ = ["ConfigError", "SCHEMA_PATH", "load_config", "load_schema", "prepare_config", "select_studies",
           "validate_config", "coerce_numbers", "tuned_studies", "write_effective_config", "job_environment",
           "read_config_file"]


class ConfigError(NnbenchError):
    """A study config with an unknown key, a bad value or a study that cannot be expanded."""


#: The JSON schema the config is validated against (the single source of the config's form).
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "config.schema.yaml"

# A number as YAML 1.2 would read it; YAML 1.1 (PyYAML) leaves `1e-4` or `1E5` a string.
# (Only these: a name such as `infinity` or `1_000` stays text.)
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")

# Keys that are not spec keys but have a home elsewhere in a study.
_ADVICE = {"dataset": "list datasets under the study's `datasets:`",
           "seed": "list seeds under the study's `seeds:`",
           "kind": "a study has one kind: put it under `fixed:`"}


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
        return coerce_number("config value", value, ConfigError)
    return value


def load_config(path: str | os.PathLike) -> dict:
    """Read, validate and complete the config file at ``path`` (see :func:`prepare_config`)."""
    return prepare_config(read_config_file(path))


def read_config_file(path: str | os.PathLike, error: type[NnbenchError] = ConfigError) -> Any:
    """The YAML (or JSON) document of a config file as written, not yet prepared; ``error``
    (naming the file) when it is missing or not YAML."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise error(f"config file {str(path)!r} does not exist; give the path of a YAML file such as "
                    "config/config.yaml (or the resources/config.json the workflow wrote)")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as problem:
        raise error(f"config file {str(path)!r} is not valid YAML: {problem}".replace("\n", " ")) from None


def select_studies(config: Mapping[str, Any], config_files: Iterable[str | os.PathLike]) -> dict:
    """The workflow's config with the command line's study selection applied.

    ``config`` is snakemake's: the ``config_files`` (its ``--configfile``s, else the default
    config/config.yaml) with ``--config KEY=VALUE`` on top. Without a ``studies`` mapping
    in it, the files give every key that ``--config`` did not set. ``--config
    studies=[a,b]`` (or ``studies=a``) replaces the files' ``studies:`` mapping by a list
    of names: the result keeps the files' definitions of those studies only, plus the
    studies a selected tuned study takes its values from (``tune.from``). An unknown name
    raises a :class:`ConfigError` naming it and the studies available.
    """
    import yaml

    base: dict = {}
    for path in config_files:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
        if isinstance(loaded, Mapping):
            base = {**base, **loaded, "studies": {**base.get("studies", {}), **(loaded.get("studies") or {})}}
    merged = {**base, **config}
    selection = merged.get("studies")
    if isinstance(selection, Mapping) or selection is None:
        return merged
    names = [selection] if isinstance(selection, str) else list(selection)
    available = base.get("studies") or {}
    for name in names:
        if not isinstance(name, str) or name not in available:
            raise unknown_name_error("study", name, available, where="--config studies", error=ConfigError)
    chosen = list(dict.fromkeys(names))
    for name in chosen:  # tuned studies need their source (appended, so the loop visits it too)
        source = (available[name].get("tune") or {}).get("from")
        if source in available and source not in chosen:
            chosen.append(source)
    return {**merged, "studies": {name: available[name] for name in available if name in chosen}}


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


def _describe(error) -> str:
    """A one-line explanation of a jsonschema error: what is wrong and what is allowed."""
    validator = error.validator
    if validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = sorted(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        unknown = [key for key in error.instance
                   if key not in allowed and not any(re.search(pattern, str(key)) for pattern in patterns)]
        key = unknown[0]
        text = str(unknown_name_error("key", key, allowed, hint=KEY_ALIASES.get(key), advice=_ADVICE.get(key)))
        if len(unknown) > 1:
            text += f" (also unknown: {', '.join(map(repr, unknown[1:]))})"
        return text
    if validator == "enum":
        what = "study" if "propertyNames" in error.schema_path else "value"
        return str(unknown_name_error(what, error.instance, error.validator_value))
    if validator == "contains" and "const" in (error.validator_value or {}):
        return f"{error.instance!r} lacks {error.validator_value['const']!r}, which it must list"
    if validator in ("oneOf", "anyOf") and error.context:
        # Say what each alternative wanted, most specific first; a list of names first of all
        # (its did-you-mean), when the other alternative is a name pattern (a user's own).
        from jsonschema.exceptions import best_match

        if "propertyNames" in error.schema_path:
            return (str(unknown_name_error("study", error.instance, STUDIES))
                    + f"; or a study of your own, named like {USER_STUDY_PATTERN}")
        description = error.schema.get("description")
        names = [sub for sub in error.context if sub.validator == "enum"]
        chosen = names[0] if names and any(sub.validator == "pattern" for sub in error.context) else \
            best_match(error.context)
        return _describe(chosen) + (f" ({description})" if description else "")
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
    # A name that is neither a built-in nor of a user's own form: describe the choice (the
    # built-in names with a did-you-mean, and the form), not only the failed pattern.
    if error.validator in ("pattern", "enum") and error.parent is not None and error.parent.validator == "anyOf" \
            and any(sub.validator == "pattern" for sub in error.parent.context):
        error = error.parent
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    raise ConfigError(f"config error in {_location(error.absolute_path)}: {_describe(error)}{more}")


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
            study["tune"] = {"metric": DEFAULT_TUNE_METRIC, "goal": "max", **study["tune"]}
        _check_study(name, study, config)
        studies[name] = study
    config["studies"] = studies
    return config


#: What a user study's ``plot.x`` may be besides a run column, for a curve metric.
CURVE_X = ("step", "epoch")


def is_user_study(name: str) -> bool:
    """A study of the user's own (not one of the lecture's :data:`~nnbench.vocabulary.STUDIES`)."""
    return name not in STUDIES


def _check_plot(name: str, study: dict) -> None:
    """A user study declares ``plot:``; its keys name run columns and a metric runs can record.

    Fills in ``plot.x`` (``step`` for a curve metric) and leaves what the runs record
    (e.g. a validation split) to :func:`nnbench.grid.expand_study`, which sees the specs.
    """
    where = f"config error in study {name!r}"
    plot = study.get("plot")
    if not is_user_study(name):
        if plot is not None:
            raise ConfigError(f"{where}, key plot: a study of the lecture has its own report section; "
                              "`plot:` is for a study of your own (any other name)")
        return
    if plot is None:
        message = str(unknown_name_error("study", name, STUDIES))
        raise ConfigError(f"{where}: {message}; or, for a study of your own (a name matching "
                          f"{USER_STUDY_PATTERN}), declare what it draws: plot: {{metric: ..., x: ..., hue: ...}}")
    metric = plot["metric"]
    if "/" in metric:
        split, curve_metric = metric.split("/")
        if split not in CURVE_SPLITS:
            raise unknown_name_error("split", split, CURVE_SPLITS, where=f"{where}, key plot.metric",
                                     error=ConfigError)
        if curve_metric not in CURVE_METRICS:
            raise unknown_name_error("curve metric", curve_metric, CURVE_METRICS,
                                     where=f"{where}, key plot.metric", error=ConfigError)
        plot.setdefault("x", "step")
        x_allowed = CURVE_X
    else:
        x_allowed = CONFIG_COLUMNS
        if "x" not in plot:
            raise ConfigError(f"{where}, key plot.x: a summary metric ({metric}) needs an x; allowed: "
                              f"{', '.join(CONFIG_COLUMNS)}")
    if plot["x"] not in x_allowed:
        raise unknown_name_error("plot x", plot["x"], x_allowed, where=f"{where}, key plot.x", error=ConfigError)
    for key in ("hue", "facet"):
        if key in plot and plot[key] not in CONFIG_COLUMNS:
            raise unknown_name_error("run column", plot[key], CONFIG_COLUMNS, where=f"{where}, key plot.{key}",
                                     error=ConfigError)
    used = [plot[key] for key in ("x", "hue", "facet") if key in plot]
    if len(set(used)) < len(used):
        raise ConfigError(f"{where}, key plot: x, hue and facet must be different columns, got {', '.join(used)}")


def _check_study(name: str, study: dict, config: Mapping[str, Any]) -> None:
    """Cross-key checks the schema cannot express."""
    if "plot" in study or is_user_study(name):
        study["plot"] = dict(study["plot"]) if "plot" in study else None
        _check_plot(name, study)
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
        where = f"config error in study {name!r}, key tune.from"
        if source == name:
            raise ConfigError(f"{where}: a study cannot tune from itself; name the sweep it chooses from")
        if source not in config["studies"]:
            raise unknown_name_error("study", source, [other for other in config["studies"] if other != name],
                                     where=where, error=ConfigError)
        if "tune" in config["studies"][source]:
            raise ConfigError(f"{where}: study {source!r} is itself tuned; tune from a plain sweep")
        source_study = config["studies"][source]
        swept = set(source_study.get("axes", {})) | {key for group in _paired_groups(source_study) for key in group}
        if tune["key"] not in swept:
            raise unknown_name_error(f"axis of study {source!r}", tune["key"], sorted(swept),
                                     where=f"config error in study {name!r}, key tune.key", error=ConfigError)
        if tune["key"] in seen:
            raise ConfigError(f"config error in study {name!r}: key {tune['key']!r} is tuned (tune.key) and also an "
                              f"axis ({seen[tune['key']]}); remove it there")


def tuned_studies(config: Mapping[str, Any]) -> list[str]:
    """Names of the studies whose runs depend on another study's results (``tune:``)."""
    return [name for name, study in config["studies"].items() if study.get("tune")]


def write_effective_config(config: Mapping[str, Any], path: str | os.PathLike) -> bool:
    """Write the prepared ``config`` as JSON (the report's provenance) when it differs from
    what ``path`` holds; True when written. Unchanged, the file keeps its time stamp."""
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    path = Path(path)
    if path.is_file() and path.read_text() == text:
        return False
    with atomic_open(path) as stream:
        stream.write(text)
    return True


def job_environment(config: Mapping[str, Any], environ: Mapping[str, str], python: str) -> dict[str, str]:
    """The variables the workflow sets for its jobs, given the current ``environ``.

    Where data comes from is not part of any run, so it travels in the environment, not
    in a shell command or a param: moving the data never reruns anything. Jobs find
    ``nnbench`` next to the ``python`` running snakemake (a venv need not be active);
    under --sdm conda the job's environment is put first on PATH and wins.
    """
    updates = {"NNBENCH_CACHE": os.path.abspath(config["cache_dir"])}
    if config["data_dir"]:
        updates["NNBENCH_DATA"] = os.path.abspath(os.path.expanduser(config["data_dir"]))
    bin_dir, path = os.path.dirname(python), environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        updates["PATH"] = os.pathsep.join([bin_dir, path])
    return updates
