"""Run specs: defaults, validation, canonical form and the ``run_id``.

A spec is a plain mapping (read from YAML or JSON). :func:`resolve_spec` checks every
key and value, fills in the defaults of ``STUDY.md`` and returns the *canonical* form:
keys sorted, integers as ``int``, reals as ``float``, the optimizer's hyperparameters
spelled out with the optimizer's own defaults, diagnostics sorted. :func:`run_id`
hashes that canonical form, so two specs that mean the same run (keys in another
order, defaults written out or left implicit, ``1e-2`` or ``0.01``) get the same id
and the workflow runs them once.

Three kinds of run (``kind``):

* ``train`` (default): one network trained once on a dataset with one seed.
* ``optimizer_path``: an optimizer on f(x, y) = x^2/20 + y^2, recording every point.
* ``activation_histogram``: one forward and one backward pass through a stack of
  layers on N(0, 1) inputs, recording per-layer activation histograms.

Keys that don't apply to the chosen kind are rejected, so a typo never silently
becomes a default.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Mapping

from nnbench.errors import NnbenchError, closest

__all__ = ["SpecError", "SPEC_KEYS", "KINDS", "DIAGNOSTICS", "DEFAULTS", "resolve_spec", "run_id", "canonical_json", "read_spec"]


class SpecError(NnbenchError):
    """A run spec with an unknown key, an unknown name or a value out of range."""


KINDS = ("train", "optimizer_path", "activation_histogram")
DATASETS = ("mnist", "fashion-mnist", "digits")  # mirrors nnbench.data.DATASETS (spec must not load data)
DIAGNOSTICS = ("grad_norms", "activations", "dead_units", "distinct_units", "minibatch_spread")
DTYPES = ("float32", "float64")

# Defaults per kind. ``train`` follows STUDY.md: the book's network 784-100x4-10, ReLU,
# He, SGD at its default lr, batch 100; the budget defaults to 2000 iterations (studies
# 2 and 4) when neither ``epochs`` nor ``iterations`` is given.
DEFAULTS: dict[str, dict[str, Any]] = {
    "train": {
        "kind": "train",
        "dataset": None,  # required
        "n_train": None,  # all training samples
        "validation": 0,
        "hidden_sizes": [100, 100, 100, 100],
        "activation": "relu",
        "init": "he",
        "init_value": None,  # only for init: constant
        "batchnorm": False,
        "dropout": 0.0,
        "weight_decay": 0.0,
        "optimizer": {"name": "sgd"},
        "batch_size": 100,
        "epochs": None,
        "iterations": None,  # 2000 when neither budget is given
        "eval_every": None,  # 1 epoch, or 100 iterations, matching the budget
        "eval_samples": None,  # all
        "seed": 0,
        "dtype": "float32",
        "diagnostics": ["activations", "dead_units", "distinct_units", "grad_norms"],
    },
    "optimizer_path": {
        "kind": "optimizer_path",
        "optimizer": {"name": "sgd"},
        "iterations": 30,
        "start": [-7.0, 2.0],
    },
    "activation_histogram": {
        "kind": "activation_histogram",
        "activation": "sigmoid",
        "init": 1.0,
        "init_value": None,
        "input_size": 100,
        "n_samples": 1000,
        "hidden_sizes": [100, 100, 100, 100, 100],
        "bins": 30,
        "seed": 0,
    },
}

#: Every key any kind accepts.
SPEC_KEYS = tuple(sorted({key for defaults in DEFAULTS.values() for key in defaults}))

# The book's learning rates for the optimizer paths (study 1); the others use the
# optimizer's own default lr unless the spec gives one.
PATH_LEARNING_RATES = {"sgd": 0.95, "momentum": 0.1, "adagrad": 1.5, "adam": 0.3}

DEFAULT_ITERATIONS = 2000
DEFAULT_EVAL_EVERY = {"epochs": 1, "iterations": 100}

# Names people write for keys that live elsewhere in a spec: the hint says where.
_KEY_ALIASES = {
    "learning_rate": "optimizer: {name: ..., lr: ...}",
    "lr": "optimizer: {name: ..., lr: ...}",
    "momentum": "optimizer: {name: momentum, momentum: ...}",
    "lambda": "weight_decay",
    "l2": "weight_decay",
    "weight_init": "init",
    "initializer": "init",
    "width": "hidden_sizes",
    "layers": "hidden_sizes",
}


def _core_names():
    """Allowed optimizer, initializer and activation names, from the core (names only)."""
    from nnbench.core import ACTIVATIONS, INITIALIZERS, OPTIMIZERS

    return tuple(OPTIMIZERS), tuple(INITIALIZERS), tuple(ACTIVATIONS)


def _optimizer_class(name: str):
    from nnbench.core import OPTIMIZERS

    return OPTIMIZERS[name]


def optimizer_defaults(name: str) -> dict[str, float]:
    """The hyperparameters of optimizer ``name`` with their defaults, read from the core."""
    return {key: float(value) for key, value in _optimizer_class(name).defaults.items()}


# ---------------------------------------------------------------- value checks


def _fail(key: str, value: Any, allowed: str) -> SpecError:
    return SpecError(f"spec key {key!r}: {value!r} is not allowed; {allowed}")


def _to_number(key: str, value: Any) -> float | int:
    """A number from a number or a numeric string (YAML 1.1 reads ``1e-4`` as a string)."""
    if isinstance(value, bool):
        raise _fail(key, value, "expected a number")
    if isinstance(value, (int, float)):
        return value
    if hasattr(value, "dtype") and hasattr(value, "item"):  # numpy scalar
        return _to_number(key, value.item())
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            pass
    raise _fail(key, value, "expected a number")


def _real(key: str, value: Any, *, low: float | None = None, high: float | None = None,
          low_open: bool = False, high_open: bool = False, allowed: str | None = None) -> float:
    """A finite float within the given bounds."""
    number = float(_to_number(key, value))
    bad = not math.isfinite(number)
    if low is not None and (number < low or (low_open and number == low)):
        bad = True
    if high is not None and (number > high or (high_open and number == high)):
        bad = True
    if bad:
        if allowed is None and high is None and low is not None:
            allowed = f"expected a finite number {'>' if low_open else '>='} {low:g}"
        elif allowed is None:
            left = "(" if low_open else "["
            right = ")" if high_open else "]"
            allowed = f"expected a finite number in {left}{'-inf' if low is None else format(low, 'g')}, {high:g}{right}"
        raise _fail(key, value, allowed)
    return number + 0.0  # normalise -0.0 to 0.0 so it hashes like 0.0


def _integer(key: str, value: Any, *, low: int | None = None, allowed: str | None = None) -> int:
    """An int (an integral float such as 1e3 counts) not below ``low``."""
    number = _to_number(key, value)
    if isinstance(number, float):
        if not (math.isfinite(number) and number.is_integer()):
            raise _fail(key, value, allowed or "expected a whole number")
        number = int(number)
    if low is not None and number < low:
        raise _fail(key, value, allowed or f"expected a whole number >= {low}")
    return number


def _choice_error(key: str, value: Any, allowed: tuple[str, ...]) -> SpecError:
    hint = closest(value, allowed) if isinstance(value, str) else None
    suggestion = f" (did you mean {hint!r}?)" if hint else ""
    return SpecError(f"spec key {key!r}: unknown value {value!r}{suggestion}; allowed: {', '.join(allowed)}")


def _choice(key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _choice_error(key, value, allowed)
    return value


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(key, value, "expected true or false")
    return value


def _layer_sizes(key: str, value: Any) -> list[int]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) == 0:
        raise _fail(key, value, "expected a non-empty list of positive layer sizes, e.g. [100, 100]")
    return [_integer(f"{key}[{index}]", size, low=1, allowed="expected a positive whole number")
            for index, size in enumerate(value)]


def _init(key: str, value: Any) -> str | float:
    """An initializer name or a positive std."""
    _, names, _ = _core_names()
    if isinstance(value, str):
        if value in names:
            return value
        try:
            value = _to_number(key, value)
        except SpecError:
            raise _choice_error(key, value, tuple(names) + ("<std as a number>",)) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(key, value, f"expected one of {', '.join(names)} or a positive std")
    return _real(key, value, low=0.0, low_open=True,
                 allowed=f"a std must be a finite number > 0 (or one of {', '.join(names)})")


def _optimizer(key: str, value: Any, default: Mapping[str, Any],
               learning_rates: Mapping[str, float] | None = None) -> dict[str, Any]:
    """``{name, <every hyperparameter>}`` with the optimizer's defaults filled in.

    ``learning_rates`` overrides the optimizer's default lr per name (the book's lrs
    for the optimizer paths).
    """
    optimizers, _, _ = _core_names()
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, Mapping):
        raise _fail(key, value, "expected an optimizer name or a mapping {name: ..., lr: ...}")
    value = dict(value)
    name = _choice(f"{key}.name", value.pop("name", default["name"]), optimizers)
    hyperparameters = optimizer_defaults(name)
    if learning_rates and name in learning_rates and "lr" in hyperparameters:
        hyperparameters["lr"] = float(learning_rates[name])
    for hp_name, hp_value in value.items():
        if hp_name not in hyperparameters:
            hint = closest(hp_name, list(hyperparameters))
            suggestion = f" (did you mean {hint!r}?)" if hint else ""
            raise SpecError(f"spec key {key!r}: unknown hyperparameter {hp_name!r} for {name}{suggestion}; "
                            f"allowed: {', '.join(hyperparameters)}")
        # the core's allowed range: (low, high, low_inclusive), high exclusive
        low, high, low_inclusive = _optimizer_class(name).ranges[hp_name]
        hyperparameters[hp_name] = _real(f"{key}.{hp_name}", hp_value, low=low,
                                         high=None if high == math.inf else high,
                                         low_open=not low_inclusive, high_open=True)
    return {"name": name, **dict(sorted(hyperparameters.items()))}


def _diagnostics(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise _fail(key, value, f"expected a list drawn from {', '.join(DIAGNOSTICS)}")
    chosen = {_choice(key, item, DIAGNOSTICS) for item in value}
    return sorted(chosen)


# ---------------------------------------------------------------- resolve


def resolve_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``spec`` and return its canonical, fully resolved form.

    Raises :class:`SpecError` naming the key, the bad value and what is allowed for an
    unknown key (with the closest valid key), an unknown name, a value out of range, or
    a key that does not apply to the spec's ``kind``. The result is a new dict with
    sorted keys; resolving it again returns an equal dict (the operation is idempotent).
    """
    if not isinstance(spec, Mapping):
        raise SpecError(f"a run spec must be a mapping of keys to values, got {type(spec).__name__}")
    for key in spec:
        if not isinstance(key, str):
            raise SpecError(f"spec key {key!r} is not a string; allowed keys: {', '.join(SPEC_KEYS)}")
    kind = _choice("kind", spec.get("kind", "train"), KINDS)
    defaults = DEFAULTS[kind]
    for key in spec:
        if key not in defaults:
            if key in SPEC_KEYS:
                raise SpecError(f"spec key {key!r} does not apply to kind {kind!r}; "
                                f"keys for {kind}: {', '.join(sorted(defaults))}")
            hint = _KEY_ALIASES.get(key) or closest(key, sorted(defaults))
            suggestion = f" (did you mean {hint!r}?)" if hint else ""
            raise SpecError(f"unknown spec key {key!r}{suggestion}; keys for kind {kind}: {', '.join(sorted(defaults))}")
    merged = {**defaults, **{key: value for key, value in spec.items()}}
    resolver = {"train": _resolve_train, "optimizer_path": _resolve_optimizer_path,
                "activation_histogram": _resolve_activation_histogram}[kind]
    resolved = resolver(merged, defaults)
    resolved["kind"] = kind
    return dict(sorted(resolved.items()))


def _activation(value: Any) -> str:
    _, _, activations = _core_names()
    return _choice("activation", value, activations)


def _init_value(merged: Mapping[str, Any], init: str | float) -> float | None:
    value = merged.get("init_value")
    if init != "constant":
        if value is not None:
            raise _fail("init_value", value, "init_value applies only to init: constant")
        return None
    if value is None:
        from nnbench.core import DEFAULT_CONSTANT  # the core's default equal weight, spelled out

        return float(DEFAULT_CONSTANT)
    return _real("init_value", value)


def _resolve_train(merged: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if merged.get("dataset") is None:
        raise SpecError(f"spec key 'dataset' is required for kind train; allowed: {', '.join(DATASETS)}")
    out["dataset"] = _choice("dataset", merged["dataset"], DATASETS)
    out["n_train"] = None if merged["n_train"] is None else _integer("n_train", merged["n_train"], low=1)
    out["validation"] = _integer("validation", merged["validation"] if merged["validation"] is not None else 0, low=0)
    if out["n_train"] is not None and out["validation"] >= out["n_train"]:
        raise _fail("validation", merged["validation"],
                    f"the validation split must be smaller than n_train ({out['n_train']})")
    out["hidden_sizes"] = _layer_sizes("hidden_sizes", merged["hidden_sizes"])
    out["activation"] = _activation(merged["activation"])
    out["init"] = _init("init", merged["init"])
    out["init_value"] = _init_value(merged, out["init"])
    out["batchnorm"] = _boolean("batchnorm", merged["batchnorm"])
    out["dropout"] = _real("dropout", merged["dropout"], low=0.0, high=1.0, high_open=True)
    out["weight_decay"] = _real("weight_decay", merged["weight_decay"], low=0.0,
                                allowed="weight decay lambda must be a finite number >= 0")
    out["optimizer"] = _optimizer("optimizer", merged["optimizer"], defaults["optimizer"])
    out["batch_size"] = _integer("batch_size", merged["batch_size"], low=1)
    epochs, iterations = merged["epochs"], merged["iterations"]
    if epochs is not None and iterations is not None:
        raise SpecError(f"spec keys 'epochs' ({epochs!r}) and 'iterations' ({iterations!r}) both given; "
                        "give one budget: epochs or iterations")
    if epochs is None and iterations is None:
        iterations = DEFAULT_ITERATIONS
    out["epochs"] = None if epochs is None else _integer("epochs", epochs, low=1)
    out["iterations"] = None if iterations is None else _integer("iterations", iterations, low=1)
    unit = "epochs" if out["epochs"] is not None else "iterations"
    eval_every = merged["eval_every"]
    out["eval_every"] = DEFAULT_EVAL_EVERY[unit] if eval_every is None else _integer(
        "eval_every", eval_every, low=1, allowed=f"expected a whole number of {unit} >= 1")
    out["eval_samples"] = None if merged["eval_samples"] is None else _integer("eval_samples", merged["eval_samples"], low=1)
    out["seed"] = _integer("seed", merged["seed"], low=0)
    out["dtype"] = _choice("dtype", merged["dtype"], DTYPES)
    out["diagnostics"] = _diagnostics("diagnostics", merged["diagnostics"])
    return out


def _resolve_optimizer_path(merged: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["optimizer"] = _optimizer("optimizer", merged["optimizer"], defaults["optimizer"], PATH_LEARNING_RATES)
    out["iterations"] = _integer("iterations", merged["iterations"], low=1)
    start = merged["start"]
    if isinstance(start, (str, bytes)) or not isinstance(start, (list, tuple)) or len(start) != 2:
        raise _fail("start", start, "expected a point [x, y], e.g. [-7, 2]")
    out["start"] = [_real(f"start[{index}]", coordinate) for index, coordinate in enumerate(start)]
    return out


def _resolve_activation_histogram(merged: dict[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["activation"] = _activation(merged["activation"])
    out["init"] = _init("init", merged["init"])
    out["init_value"] = _init_value(merged, out["init"])
    out["input_size"] = _integer("input_size", merged["input_size"], low=1)
    out["n_samples"] = _integer("n_samples", merged["n_samples"], low=1)
    out["hidden_sizes"] = _layer_sizes("hidden_sizes", merged["hidden_sizes"])
    out["bins"] = _integer("bins", merged["bins"], low=1)
    out["seed"] = _integer("seed", merged["seed"], low=0)
    return out


# ---------------------------------------------------------------- run_id


def canonical_json(resolved: Mapping[str, Any]) -> str:
    """The canonical JSON text of a resolved spec (sorted keys, no spaces, ``repr`` floats)."""
    return json.dumps(resolved, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def run_id(resolved: Mapping[str, Any]) -> str:
    """12 hex characters of the SHA-256 of the resolved spec's canonical JSON.

    Stable across processes and machines (no dependence on dict order or hash
    randomisation). ``resolved`` should come from :func:`resolve_spec`; a spec that is
    not yet resolved is resolved first so that equivalent spellings share an id.
    """
    canonical = resolve_spec({key: value for key, value in resolved.items() if key != "run_id"})
    return hashlib.sha256(canonical_json(canonical).encode("ascii")).hexdigest()[:12]


# ---------------------------------------------------------------- reading spec files


def read_spec(path) -> dict[str, Any]:
    """Read a spec mapping from a YAML or JSON file (``-`` reads standard input).

    Raises :class:`SpecError` for a missing or unreadable file, a parse error or a
    document that is not a mapping. The mapping is not yet resolved.
    """
    import os
    import sys

    name = os.fspath(path)
    if name == "-":
        text, where = sys.stdin.read(), "standard input"
    else:
        try:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise SpecError(f"spec file {name!r} not found; give the path of a YAML or JSON spec, or - for stdin") from None
        except (OSError, UnicodeDecodeError) as error:
            raise SpecError(f"spec file {name!r} cannot be read: {error}") from None
        where = name
    if name.endswith(".json"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise SpecError(f"spec file {where!r} is not valid JSON: {error}") from None
    else:
        import yaml

        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            message = " ".join(str(error).split())  # one line
            raise SpecError(f"spec file {where!r} is not valid YAML: {message}") from None
    if document is None:
        raise SpecError(f"spec file {where!r} is empty; a spec is a mapping such as 'dataset: digits'")
    if not isinstance(document, dict):
        raise SpecError(f"spec file {where!r} holds a {type(document).__name__}, not a mapping of spec keys")
    return document
