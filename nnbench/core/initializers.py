"""Weight initializers: the standard deviation of a zero-mean normal, or one constant.

Names (``INITIALIZERS``):

- ``"he"``: std = sqrt(2 / fan_in) (He et al. 2015; the slide's 2/sqrt(n) is a typo).
- ``"xavier"``: std = sqrt(1 / fan_in), the book's "Xavier".
- ``"glorot"``: std = sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio 2010).
- ``"constant"``: every weight equal to ``init_value`` (default ``DEFAULT_CONSTANT``),
  for the demonstration that equal weights never break symmetry.
- a positive number: the std itself (e.g. ``0.01`` or ``1``).

Weights are drawn in float64 and then rounded to the network's dtype, so a float32
and a float64 network built from the same seed start from the same weights up to
rounding. Biases always start at zero (done by the network, not here).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from nnbench import vocabulary
from nnbench.errors import closest
from nnbench.validation import Interval, not_allowed, unknown_name_error

INITIALIZERS = vocabulary.INITIALIZERS
#: a number given as ``init`` is the std
INIT_STD = Interval(numbers.Real, 0.0, None, closed="neither")
_ANY_NUMBER = Interval(numbers.Real, None, None)
_ALLOWED = f"one of {', '.join(INITIALIZERS)} or {INIT_STD.describe()} (the std)"

# Used by "constant" when no init_value is given: small enough that a 100-unit ReLU
# net neither explodes nor dies at once, so the symmetry demonstration trains visibly.
DEFAULT_CONSTANT = 0.01


def parse_init(init):
    """Validate ``init`` and return it as a name from INITIALIZERS or a positive float std.

    Numbers may come as strings from a config file ("0.01").
    """
    if isinstance(init, str):
        name = init.strip().lower()
        if name in INITIALIZERS:
            return name
        try:
            init = float(name)
        except ValueError:
            raise unknown_name_error("init", init, [*INITIALIZERS, f"{INIT_STD.describe()} (the std)"],
                                     hint=closest(name, INITIALIZERS)) from None
    if isinstance(init, bool) or not isinstance(init, numbers.Real):
        raise not_allowed("init", init, _ALLOWED)
    return INIT_STD.check("init", init)


def init_std(init, fan_in, fan_out):
    """The std of the normal distribution for a (fan_in, fan_out) weight matrix; None for "constant"."""
    init = parse_init(init)
    if init == "constant":
        return None
    if init == "he":
        return math.sqrt(2.0 / fan_in)
    if init == "xavier":
        return math.sqrt(1.0 / fan_in)
    if init == "glorot":
        return math.sqrt(2.0 / (fan_in + fan_out))
    return float(init)


def initialize_weights(init, fan_in, fan_out, rng, dtype="float32", init_value=None):
    """A new (fan_in, fan_out) weight matrix of ``dtype`` drawn with ``rng`` (a numpy Generator).

    ``init_value`` is the constant for ``init="constant"`` (default DEFAULT_CONSTANT) and
    must be None for every other init.
    """
    name = parse_init(init)
    if name != "constant" and init_value is not None:
        raise not_allowed("init_value", init_value, f"none unless init is 'constant' (init is {init!r})")
    if name == "constant":
        value = DEFAULT_CONSTANT if init_value is None else _ANY_NUMBER.check("init_value", init_value)
        return np.full((fan_in, fan_out), value, dtype=dtype)
    std = init_std(name, fan_in, fan_out)
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype, copy=False)
