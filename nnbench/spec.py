"""Run specs: key checking, the canonical form and the ``run_id``.

A spec is a plain mapping (read from YAML or JSON). :func:`resolve_spec` checks every
key, fills in the defaults of the spec's ``kind`` and returns the *canonical* form:
keys sorted, integers as ``int``, reals as ``float``, the optimizer's hyperparameters
spelled out with the optimizer's own defaults, diagnostics sorted. :func:`run_id`
hashes that canonical form together with the numerics fingerprint of the code
(:func:`nnbench.provenance.numerics_fingerprint`): two specs that mean the same run
(keys in another order, defaults written out or left implicit, ``1e-2`` or ``0.01``)
get the same id and the workflow runs them once, and a change to the code that computes
numbers gives every run a new id, so the workflow reruns it.

The kinds (``train``, ``optimizer_path``, ``activation_histogram``) and their keys,
defaults and value checks live in :mod:`nnbench.runkinds`; this module does what is
the same for every kind. Keys that don't apply to the chosen kind are rejected, so a
typo never silently becomes a default.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from nnbench.errors import SpecError
from nnbench.provenance import numerics_fingerprint
from nnbench.runkinds import RUN_KINDS
from nnbench.validation import Options, unknown_name_error
from nnbench.vocabulary import DEFAULT_KIND, KEY_ALIASES

__all__ = ["SpecError", "SPEC_KEYS", "DEFAULTS", "resolve_spec", "run_id", "canonical_json", "read_spec"]

#: kind -> every key that kind accepts with its default.
DEFAULTS: dict[str, Mapping[str, Any]] = {name: kind.defaults for name, kind in RUN_KINDS.items()}
#: Every key any kind accepts.
SPEC_KEYS = tuple(sorted({key for defaults in DEFAULTS.values() for key in defaults}))

_KIND = Options(tuple(RUN_KINDS), what="kind")


def alias_hint(alias: str) -> str:
    """Where a key people write lives in a spec: ``lr`` -> ``optimizer: {name: ..., lr: ...}``."""
    key = KEY_ALIASES[alias]
    if "." not in key:
        return key
    head, tail = key.split(".", 1)
    return f"{head}: {{name: ..., {tail}: ...}}"


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
            raise unknown_name_error("spec key", key, SPEC_KEYS, error=SpecError)
    kind = RUN_KINDS[_KIND.check("spec key 'kind'", spec.get("kind", DEFAULT_KIND), SpecError)]
    for key in spec:
        if key in kind.defaults:
            continue
        if key in SPEC_KEYS:
            raise SpecError(f"spec key {key!r} does not apply to kind {kind.name!r}; "
                            f"keys for {kind.name}: {', '.join(sorted(kind.defaults))}")
        raise unknown_name_error("spec key", key, sorted(kind.defaults), error=SpecError,
                                 hint=alias_hint(key) if key in KEY_ALIASES else None)
    resolved = kind.resolve({**kind.defaults, **spec})
    resolved["kind"] = kind.name
    return dict(sorted(resolved.items()))


# ---------------------------------------------------------------- run_id


def canonical_json(resolved: Mapping[str, Any]) -> str:
    """The canonical JSON text of a resolved spec (sorted keys, no spaces, ``repr`` floats)."""
    return json.dumps(resolved, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def run_id(resolved: Mapping[str, Any], numerics: str | None = None) -> str:
    """12 hex characters of the SHA-256 of the resolved spec's canonical JSON and the
    numerics fingerprint of the code that runs it.

    ``numerics`` defaults to this package's :func:`~nnbench.provenance.numerics_fingerprint`.
    Stable across processes, machines and clones (no dependence on dict order, hash
    randomisation or where the code lies); it changes when a byte of the numerics sources
    does. ``resolved`` should come from :func:`resolve_spec`; a spec that is not yet
    resolved is resolved first so that equivalent spellings share an id.
    """
    canonical = resolve_spec({key: value for key, value in resolved.items() if key != "run_id"})
    numerics = numerics_fingerprint() if numerics is None else numerics
    named = f"{canonical_json(canonical)}\n{numerics}"
    return hashlib.sha256(named.encode("ascii")).hexdigest()[:12]


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
