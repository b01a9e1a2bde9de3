"""The run kinds, registered in one place: kind name -> :class:`RunKind`.

Each kind lives in its own module with its defaults, the resolution of its spec keys
and its execution (``train``, ``optimizer_path``,
``activation_histogram``). :mod:`nnbench.spec` checks the kind-independent part of a
spec and dispatches here; :mod:`nnbench.runs` executes through :attr:`RunKind.execute`.
What a run costs is :mod:`nnbench.workload`'s (its GEMM work, and from it the wall time a
cluster job asks for).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from nnbench.runkinds import activation_histogram, optimizer_path, train
from nnbench.vocabulary import RUN_KINDS as KIND_NAMES

__all__ = ["RunKind", "RUN_KINDS", "recorded_metrics"]


@dataclass(frozen=True)
class RunKind:
    """One kind of run.

    ``defaults``: every key the kind accepts with its default; ``resolve(merged)``: the
    canonical values of the defaults updated by a spec (raises SpecError);
    ``execute(spec, *, data_dir, cache_dir, progress)``: a :class:`nnbench.records.RunOutput`.
    """

    name: str
    defaults: Mapping[str, Any]
    resolve: Callable[[Mapping[str, Any]], dict]
    execute: Callable[..., Any]


def _kind(module) -> RunKind:
    return RunKind(name=module.DEFAULTS["kind"], defaults=module.DEFAULTS, resolve=module.resolve,
                   execute=module.execute)


_MODULES = {module.DEFAULTS["kind"]: module for module in (train, optimizer_path, activation_histogram)}
#: kind name -> RunKind, in the vocabulary's order (train first: the default kind).
RUN_KINDS: dict[str, RunKind] = {name: _kind(_MODULES[name]) for name in KIND_NAMES}


def recorded_metrics(spec: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """``(summary metrics, curve split/metric)`` a run of the resolved ``spec`` records; empty
    for a kind that does not say (only ``train`` runs can be plotted by a user study)."""
    module = _MODULES[spec["kind"]]
    return module.recorded_metrics(spec) if hasattr(module, "recorded_metrics") else (set(), set())
