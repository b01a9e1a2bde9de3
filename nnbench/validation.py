"""Declarative parameter constraints, checked in one place (scikit-learn's style).

A constraint is an :class:`Interval` (numbers) or :class:`Options` (names); each knows
how to describe itself, so every "not allowed" message in nnbench has the same shape::

    <where>: <value> is not allowed; expected <what is allowed>
    <where>: unknown <what> <value> (did you mean <closest>?); allowed: <a, b, c>

:func:`unknown_name_error` builds the second kind for every "unknown X" in the package
(spec keys, config keys, optimizers, datasets, studies, hyperparameters, commands).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Iterable

from nnbench.errors import NnbenchError, closest

__all__ = ["Interval", "Options", "coerce_number", "unknown_name_error", "not_allowed", "check_params", "whole_number",
           "COUNT", "COUNT_OR_ZERO", "POSITIVE", "NON_NEGATIVE", "FRACTION", "REAL"]

_CLOSED = ("left", "right", "both", "neither")


def not_allowed(where: str, value: Any, expected: str, error: type[NnbenchError] = NnbenchError) -> NnbenchError:
    """``<where>: <value!r> is not allowed; expected <expected>`` as an ``error``."""
    return error(f"{where}: {value!r} is not allowed; expected {expected}")


def unknown_name_error(what: str, value: Any, allowed: Iterable[Any], *, where: str = "",
                       error: type[NnbenchError] = NnbenchError, hint: str | None = None,
                       advice: str | None = None) -> NnbenchError:
    """``[<where>: ]unknown <what> <value!r> (did you mean <closest>?); allowed: <a, b, ...>[; <advice>]``.

    ``hint`` replaces the closest-name guess (for aliases: ``lr`` -> ``optimizer.lr``);
    ``advice`` (a sentence on where the name belongs instead) replaces the guess and is
    appended after the allowed names.
    """
    allowed = [str(item) for item in allowed]
    if advice is not None:
        guess = None
    elif hint is not None:
        guess = hint
    else:
        guess = closest(value, allowed) if isinstance(value, str) else None
    suggestion = f" (did you mean {guess!r}?)" if guess else ""
    prefix = f"{where}: " if where else ""
    tail = f"; {advice}" if advice else ""
    return error(f"{prefix}unknown {what} {value!r}{suggestion}; allowed: {', '.join(allowed) or 'none'}{tail}")


def coerce_number(where: str, value: Any, error: type[NnbenchError] = NnbenchError) -> int | float:
    """A number from a number, a numpy scalar or a numeric string (YAML 1.1 reads ``1e-4``
    as a string); ``bool`` is not a number."""
    if isinstance(value, bool):
        raise not_allowed(where, value, "a number", error)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "dtype") and hasattr(value, "item"):  # numpy scalar
        return coerce_number(where, value.item(), error)
    if isinstance(value, str):
        text = value.strip()
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                pass
    raise not_allowed(where, value, "a number", error)


@dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (``numbers.Real`` or ``numbers.Integral``) between ``low`` and
    ``high`` (None = unbounded); ``closed`` says which ends belong to it."""

    kind: type
    low: float | None
    high: float | None
    closed: str = "both"

    def __post_init__(self):
        if self.closed not in _CLOSED:
            raise ValueError(f"closed must be one of {_CLOSED}, got {self.closed!r}")
        if self.kind not in (numbers.Real, numbers.Integral):
            raise ValueError("kind must be numbers.Real or numbers.Integral")

    @property
    def low_inclusive(self) -> bool:
        return self.closed in ("left", "both")

    @property
    def high_inclusive(self) -> bool:
        return self.closed in ("right", "both")

    def __contains__(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if self.kind is numbers.Integral and not float(value).is_integer():
            return False
        number = float(value)
        if not math.isfinite(number):
            return False
        if self.low is not None and (number < self.low or (number == self.low and not self.low_inclusive)):
            return False
        if self.high is not None and (number > self.high or (number == self.high and not self.high_inclusive)):
            return False
        return True

    def describe(self) -> str:
        """What the interval allows, in words: ``a finite number in [0, 1)``, ``a whole number >= 1``."""
        noun = "a whole number" if self.kind is numbers.Integral else "a finite number"
        if self.low is None and self.high is None:
            return noun
        if self.high is None:
            return f"{noun} {'>=' if self.low_inclusive else '>'} {self.low:g}"
        if self.low is None:
            return f"{noun} {'<=' if self.high_inclusive else '<'} {self.high:g}"
        left = "[" if self.low_inclusive else "("
        right = "]" if self.high_inclusive else ")"
        return f"{noun} in {left}{self.low:g}, {self.high:g}{right}"

    def check(self, where: str, value: Any, error: type[NnbenchError] = NnbenchError) -> int | float:
        """``value`` as an ``int`` (Integral) or ``float`` (Real) if it lies in the interval;
        else ``error`` naming ``where``, the value and :meth:`describe`. Numeric strings count."""
        try:
            number = coerce_number(where, value, error)
        except NnbenchError:
            raise not_allowed(where, value, self.describe(), error) from None
        if number not in self:
            raise not_allowed(where, value, self.describe(), error)
        if self.kind is numbers.Integral:
            return int(number)
        return float(number) + 0.0  # -0.0 -> 0.0, so equal values hash and print alike


@dataclass(frozen=True)
class Options:
    """One of a fixed set of names (``what`` names the kind of thing in messages)."""

    values: tuple
    what: str = "value"

    def __contains__(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    def describe(self) -> str:
        return f"one of {', '.join(map(str, self.values))}"

    def check(self, where: str, value: Any, error: type[NnbenchError] = NnbenchError) -> str:
        if value not in self:
            raise unknown_name_error(self.what, value, self.values, where=where, error=error)
        return value


def whole_number(where: str, value: Any, interval: Interval, error: type[NnbenchError] = NnbenchError) -> int:
    """``value`` as an ``int`` in ``interval``, where an int is required (for callers in
    code: 2.0, "2" or True is a mistake upstream, not a spelling to accept)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise not_allowed(where, value, interval.describe(), error)
    return int(interval.check(where, value, error))


def check_params(values: dict, constraints: dict, *, where: str = "", what: str = "parameter",
                 error: type[NnbenchError] = NnbenchError) -> dict:
    """Check every entry of ``values`` against ``constraints`` (name -> Interval/Options).

    An unknown name raises :func:`unknown_name_error`; a bad value names
    ``<where>.<name>`` (or ``<name>``). Returns the checked, converted values.
    """
    checked = {}
    for name, value in values.items():
        if name not in constraints:
            raise unknown_name_error(what, name, constraints, where=where, error=error)
        checked[name] = constraints[name].check(f"{where}.{name}" if where else name, value, error)
    return checked


# The intervals the package's parameters share, declared once: the run kinds' parameter
# tables, the network's and the layers' constructors and the trainer check against these.
COUNT = Interval(numbers.Integral, 1, None)          # sizes, budgets: 1, 2, ...
COUNT_OR_ZERO = Interval(numbers.Integral, 0, None)  # seeds, held-out samples
POSITIVE = Interval(numbers.Real, 0, None, closed="neither")
NON_NEGATIVE = Interval(numbers.Real, 0, None)
FRACTION = Interval(numbers.Real, 0, 1, closed="left")  # rates such as dropout: [0, 1)
REAL = Interval(numbers.Real, None, None)
