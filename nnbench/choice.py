"""A tuned study's choice (``results/<study>/choice.json``): its form, path and JSON round trip.

Written by aggregation (``nnbench aggregate --choose``, the workflow's ``choose``
checkpoint) from a sweep, read by the grid (to expand the tuned study), the CLI and the
figures (to ring the chosen value). Base layer: imports only the vocabulary and errors.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

from nnbench.errors import NnbenchError
from nnbench.files import atomic_open
from nnbench.vocabulary import CHOICE_FILE

__all__ = ["ChoiceError", "GroupChoice", "TunedChoice", "choice_path"]


class ChoiceError(NnbenchError):
    """A choice file that is missing or not in the form :class:`TunedChoice` writes."""


def choice_path(results: str | os.PathLike, study: str) -> Path:
    """Where the choice of tuned study ``study`` lives under the results folder."""
    return Path(results) / study / CHOICE_FILE


@dataclass(frozen=True)
class GroupChoice:
    """The value chosen for one setting (``group``: dotted spec key -> value) of the sweep."""

    group: dict
    value: Any
    score: float | None  # mean metric over the seeds of the chosen value (None: all diverged)
    seeds: int
    scores: list = field(default_factory=list)  # [{value, score, seeds}] for every value tried

    def matches(self, flat_spec: Mapping[str, Any]) -> bool:
        """True when every group key has this group's value in ``flat_spec`` (dotted keys)."""
        return all(_same(flat_spec.get(key), value) for key, value in self.group.items())


@dataclass(frozen=True)
class TunedChoice:
    """For each setting of a sweep's other varying keys, the best value of ``key`` by ``metric``."""

    key: str
    metric: str
    goal: str
    group_keys: list
    choices: list  # of GroupChoice

    def value_for(self, flat_spec: Mapping[str, Any]) -> Any:
        """The chosen value for a run with these (dotted) spec values; KeyError if none matches."""
        for choice in self.choices:
            if choice.matches(flat_spec):
                return choice.value
        raise KeyError(self.key)

    def values_by(self, group_key: str, **where: Any) -> dict:
        """``{group[group_key]: value}`` over the choices whose group agrees with ``where``
        (a key absent from a group matches anything), e.g. the tuned lr per optimizer of
        one dataset: ``values_by("optimizer.name", dataset="mnist")``."""
        found = {}
        for choice in self.choices:
            if group_key in choice.group and all(choice.group.get(k, v) == v for k, v in where.items()):
                found[choice.group[group_key]] = choice.value
        return found

    def to_json(self) -> dict:
        data = asdict(self)
        data["choices"] = [asdict(choice) for choice in self.choices]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "choice") -> "TunedChoice":
        try:
            choices = [GroupChoice(group=dict(entry["group"]), value=entry["value"], score=entry.get("score"),
                                   seeds=int(entry.get("seeds", 0)), scores=list(entry.get("scores", [])))
                       for entry in data["choices"]]
            return cls(key=str(data["key"]), metric=str(data["metric"]), goal=str(data["goal"]),
                       group_keys=list(data.get("group_keys", [])), choices=choices)
        except (KeyError, TypeError, ValueError) as error:
            raise ChoiceError(f"{where} is not a tuned choice (missing or bad {error}); "
                              "rewrite it with nnbench aggregate --choose") from None

    def write(self, path: str | os.PathLike) -> Path:
        """Write the choice as indented JSON, atomically."""
        path = Path(path)
        with atomic_open(path, newline="") as stream:
            stream.write(json.dumps(self.to_json(), indent=2, sort_keys=True, allow_nan=False) + "\n")
        return path

    @classmethod
    def read(cls, path: str | os.PathLike) -> "TunedChoice":
        path = Path(path)
        if not path.is_file():
            raise ChoiceError(f"choice file {str(path)!r} does not exist; run the sweep it is chosen from first "
                              "(snakemake does this through its checkpoint)")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ChoiceError(f"choice file {str(path)!r} is not valid JSON ({error}); delete it and rerun") from None
        return cls.from_json(data, where=f"choice file {str(path)!r}")


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return list(left) == list(right)
    return left == right
