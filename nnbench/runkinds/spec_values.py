"""Checks of the spec values several run kinds share (layer sizes, init, optimizer, ...).

Each check takes the spec key and the value, returns the canonical value (``int``,
``float``, sorted lists, the optimizer's hyperparameters spelled out) or raises
:class:`~nnbench.errors.SpecError` in the shape of :mod:`nnbench.validation`:
``spec key '<key>': <value> is not allowed; expected ...`` or ``spec key '<key>':
unknown <what> '<value>' (did you mean ...?); allowed: ...``.
"""

from __future__ import annotations

import numbers
from typing import Any, Mapping

from nnbench.errors import SpecError
from nnbench.validation import (COUNT, COUNT_OR_ZERO, FRACTION, NON_NEGATIVE, POSITIVE, REAL, Interval, Options,
                                coerce_number, not_allowed, unknown_name_error)
from nnbench.vocabulary import ACTIVATIONS, DIAGNOSTICS, INITIALIZERS, OPTIMIZERS


ACTIVATION = Options(ACTIVATIONS, what="activation")
DIAGNOSTIC = Options(DIAGNOSTICS, what="diagnostic")


def where(key: str) -> str:
    """How messages name a spec key: ``spec key 'optimizer.lr'``."""
    return f"spec key {key!r}"


def number(key: str, value: Any, interval: Interval) -> int | float:
    return interval.check(where(key), value, SpecError)


def optional_number(key: str, value: Any, interval: Interval) -> int | float | None:
    return None if value is None else number(key, value, interval)


def option(key: str, value: Any, options: Options) -> str:
    return options.check(where(key), value, SpecError)


def parameters(table: Mapping[str, Interval | Options], merged: Mapping[str, Any],
               optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """The canonical values of a kind's plain parameters: ``table`` maps each key to the
    values it allows (an :class:`Interval` or :class:`Options`), checked here and nowhere
    else in the run; a key of ``optional`` may also be None."""
    out = {}
    for key, allowed in table.items():
        value = merged[key]
        if value is None and key in optional:
            out[key] = None
        else:
            out[key] = option(key, value, allowed) if isinstance(allowed, Options) else number(key, value, allowed)
    return out


def boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise not_allowed(where(key), value, "true or false", SpecError)
    return value


def layer_sizes(key: str, value: Any) -> list[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) == 0:
        raise not_allowed(where(key), value, "a non-empty list of layer sizes, e.g. [100, 100]", SpecError)
    return [number(f"{key}[{index}]", size, COUNT) for index, size in enumerate(value)]


def init(key: str, value: Any) -> str | float:
    """An initializer name or a positive std (a number, or a string that spells one)."""
    if isinstance(value, str) and value in INITIALIZERS:
        return value
    expected = f"one of {', '.join(INITIALIZERS)} or a std: {POSITIVE.describe()}"
    try:
        std = coerce_number(where(key), value, SpecError)
    except SpecError:
        if isinstance(value, str):
            raise unknown_name_error("initializer", value, INITIALIZERS + ("<std as a number>",),
                                     where=where(key), error=SpecError) from None
        raise not_allowed(where(key), value, expected, SpecError) from None
    if std not in POSITIVE:
        raise not_allowed(where(key), value, expected, SpecError)
    return number(key, std, POSITIVE)


def init_value(merged: Mapping[str, Any], chosen_init: str | float) -> float | None:
    """``init_value``: the equal weight of ``init: constant`` (the core's default spelled out)."""
    value = merged.get("init_value")
    if chosen_init != "constant":
        if value is not None:
            raise not_allowed(where("init_value"), value, "no init_value (it applies only to init: constant)",
                              SpecError)
        return None
    if value is None:
        from nnbench.core import DEFAULT_CONSTANT

        return float(DEFAULT_CONSTANT)
    return number("init_value", value, REAL)


def diagnostics(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise not_allowed(where(key), value, f"a list drawn from {', '.join(DIAGNOSTICS)}", SpecError)
    return sorted({option(key, item, DIAGNOSTIC) for item in value})


# ---------------------------------------------------------------- optimizers


def _optimizer_class(name: str):
    from nnbench.core import OPTIMIZERS as CLASSES

    return CLASSES[name]


#: The key of a user's optimizer mapping that holds its module file's SHA-256 (part of the
#: resolved spec, so editing the module changes the run_id and reruns its runs).
SOURCE_KEY = "source_sha256"


def _user_optimizer(key: str, name: str) -> tuple[dict, dict, dict]:
    """``(defaults, ranges, {SOURCE_KEY: hash})`` of the user's optimizer ``name``
    (``package.module:Class``); SpecError naming ``key`` if it cannot be used."""
    from nnbench.core.optimizers import load_optimizer_class, optimizer_hyperparameters, source_file_sha256

    cls = load_optimizer_class(name, where=where(f"{key}.name"), error=SpecError)
    defaults, ranges = optimizer_hyperparameters(cls, where=where(f"{key}.name"), error=SpecError)
    return defaults, ranges, {SOURCE_KEY: source_file_sha256(cls)[2]}


def optimizer(key: str, value: Any, default_name: str,
              learning_rates: Mapping[str, float] | None = None) -> dict[str, Any]:
    """``{name, <every hyperparameter>}`` with the optimizer's own defaults filled in.

    ``learning_rates`` overrides the optimizer's default lr per name (the book's lrs for
    the optimizer paths). A name ``package.module:Class`` is a user's optimizer: its
    hyperparameters are its class's (``defaults``/``ranges``, else ``__init__``'s keyword
    defaults) and its module file's hash is added under :data:`SOURCE_KEY`.
    """
    from nnbench.core.optimizers import IMPORT_PATH_TEXT, is_import_path

    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping):
        raise not_allowed(where(key), value, "an optimizer name or a mapping {name: ..., lr: ...}", SpecError)
    value = dict(value)
    name = value.pop("name", default_name)
    source = {}
    if is_import_path(name):
        value.pop(SOURCE_KEY, None)  # a resolved spec's hash is recomputed from the file as it is now
        defaults, ranges, source = _user_optimizer(key, name)
        hyperparameters = {hp: (float(default) if not isinstance(default, int) else default)
                           for hp, default in defaults.items()}
    else:
        if name not in OPTIMIZERS:
            raise unknown_name_error("optimizer", name, OPTIMIZERS + (IMPORT_PATH_TEXT,), where=where(f"{key}.name"),
                                     error=SpecError)
        cls = _optimizer_class(name)
        hyperparameters = {hp: float(default) for hp, default in cls.defaults.items()}
        ranges = cls.ranges
    if learning_rates and name in learning_rates and "lr" in hyperparameters:
        hyperparameters["lr"] = float(learning_rates[name])
    for hp_name, hp_value in value.items():
        if hp_name not in hyperparameters:
            raise unknown_name_error(f"{name} hyperparameter", hp_name, hyperparameters, where=where(key),
                                     error=SpecError)
        interval = ranges[hp_name]
        if isinstance(hyperparameters[hp_name], int) and interval.kind is numbers.Real and source:
            interval = Interval(numbers.Integral, interval.low, interval.high, interval.closed)
        hyperparameters[hp_name] = number(f"{key}.{hp_name}", hp_value, interval)
    return {"name": name, **dict(sorted(hyperparameters.items())), **source}


def optimizer_source(resolved_optimizer: Mapping[str, Any]) -> dict[str, str] | None:
    """A user's optimizer's provenance: ``{class, module, file, sha256}`` (None for a built-in)."""
    from nnbench.core.optimizers import is_import_path, load_optimizer_class, source_file_sha256

    name = resolved_optimizer.get("name")
    if not is_import_path(name):
        return None
    module, path, digest = source_file_sha256(load_optimizer_class(name, error=SpecError))
    import os

    relative = os.path.relpath(path)
    return {"class": name, "module": module, "file": path if relative.startswith("..") else relative,
            "sha256": digest}


def build_optimizer(resolved_optimizer: Mapping[str, Any]):
    """The core optimizer a resolved spec's ``optimizer`` mapping names."""
    from nnbench.core import make_optimizer

    hyperparameters = {key: value for key, value in resolved_optimizer.items() if key not in ("name", SOURCE_KEY)}
    return make_optimizer(resolved_optimizer["name"], **hyperparameters)
