"""How values are written for people and file names, and read back from the tables.

Numbers in captions and table cells (:func:`fmt_number`), file-name-safe stable names
(:func:`slug`), and the canonical text of the two run columns that come in several
spellings: ``init`` (``0.010`` and ``0.01`` are one std) and ``batchnorm`` (bool, 0/1 or
text). Imports nothing from nnbench, so the tables, the figures, the results reader and
the report can all use it without a cycle.
"""

from __future__ import annotations

import math
import re

__all__ = ["fmt_number", "slug", "init_key", "as_bool"]


def fmt_number(value, digits: int = 3) -> str:
    """Compact human form of a number for captions and tables ('' for NaN)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    if number != 0 and (abs(number) < 1e-3 or abs(number) >= 1e5):
        return f"{number:.{digits - 1}e}"
    if float(number).is_integer() and abs(number) < 1e5:
        return str(int(number))
    if abs(number) >= 1000:
        return f"{number:.0f}"
    return f"{number:.{digits}g}" if abs(number) < 1 else f"{number:.{digits + 1}g}"


def slug(text) -> str:
    """A file-name-safe lower-case form of ``text`` (used in stable names)."""
    value = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return value or "none"


def init_key(value) -> str:
    """Canonical string of an init value: named inits lower-case, stds as ``%g``."""
    text = str(value).strip()
    try:
        return f"{float(text):g}"
    except ValueError:
        return text.lower()


def as_bool(value) -> bool:
    """Read a batchnorm flag written as bool, 0/1 or text."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    try:
        return bool(value) and not (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False
