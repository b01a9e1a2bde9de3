"""What the figures call things, in which order they draw them and in which colour.

Names and their display order come from :mod:`nnbench.vocabulary`, their labels (in the
current language) from :mod:`nnbench.labels`; this module adds only what is a choice of
the figures: the colour of each name (fixed, so an optimizer, an initializer or an
activation has the same colour in every figure) and the order of the initial weight
scales in legends.
"""

from __future__ import annotations

import zlib

from nnbench.formatting import fmt_number, init_key
from nnbench.labels import (activation_label, batchnorm_label, column_label, curve_label, dataset_label,
                            init_label, optimizer_label, split_label)
from nnbench.vocabulary import ACTIVATIONS, DATASETS, OPTIMIZERS

__all__ = ["OPTIMIZER_ORDER", "ACTIVATION_ORDER", "INIT_ORDER", "dataset_label", "optimizer_label",
           "activation_label", "init_label", "batchnorm_label", "column_label", "curve_label", "split_label", "init_sort_key", "ordered", "datasets_of",
           "optimizer_color", "init_color", "activation_color", "batchnorm_color", "name_label", "name_color",
           "canonical"]

OPTIMIZER_ORDER = OPTIMIZERS
ACTIVATION_ORDER = ACTIVATIONS
#: Legend order of the initial weights: the book's, from the scale that fails to the one
#: that works best (equal weights, std 1, std 0.01, then the named scales); other stds
#: follow, largest first. Its named entries are exactly the vocabulary's initializers.
INIT_ORDER = ("constant", "1", "0.01", "xavier", "glorot", "he")

# Indices into seaborn's colour-blind-safe "colorblind" palette (10 colours).
_OPTIMIZER_COLOR = {name: index for index, name in enumerate(OPTIMIZERS)}
_INIT_COLOR = {"constant": 7, "1": 8, "0.01": 9, "xavier": 0, "he": 1, "glorot": 4}
_ACTIVATION_COLOR = {"sigmoid": 0, "tanh": 2, "relu": 3, "leaky_relu": 4}
_BN_COLOR = {False: 7, True: 2}


def init_sort_key(value):
    key = init_key(value)
    if key in INIT_ORDER:
        return (0, INIT_ORDER.index(key), 0.0)
    try:
        return (1, 0, -float(key))
    except ValueError:
        return (2, 0, 0.0, key)


def canonical(value, order=OPTIMIZER_ORDER) -> str:
    """A known name in its canonical (lower-case) spelling; any other, such as a user's
    optimizer 'my_package.optim:Lion', exactly as written (the tables hold it so)."""
    text = str(value)
    return text.lower() if text.lower() in order else text


def ordered(values, order) -> list:
    """``values`` (deduplicated) sorted by their position in ``order``, unknown ones last."""
    rank = {name: i for i, name in enumerate(order)}
    unique = list(dict.fromkeys(canonical(v, order) for v in values))
    return sorted(unique, key=lambda v: (rank.get(v, len(rank)), v))


def datasets_of(frame) -> list[str]:
    """Dataset values in ``frame`` in the vocabulary's order, '' for data-free studies."""
    values = sorted(set(frame["dataset"].astype(str))) if "dataset" in frame else [""]
    rank = {name: i for i, name in enumerate(DATASETS)}
    return sorted(values, key=lambda d: (rank.get(d, len(rank)), d))


def _palette():
    import seaborn as sns

    return sns.color_palette("colorblind", 10)


def _fallback_index(name) -> int:
    # crc32, not hash(): stable across processes, so an unknown name keeps its colour.
    return zlib.crc32(str(name).encode()) % 10


#: Palette entries no built-in optimizer uses: a user's optimizer takes one of these first.
_SPARE_OPTIMIZER_COLORS = tuple(sorted(set(range(10)) - set(_OPTIMIZER_COLOR.values())))


def optimizer_color(name):
    """A built-in's fixed colour; a user's optimizer a stable one of the spare colours."""
    key = str(name).lower()
    if key in _OPTIMIZER_COLOR:
        return _palette()[_OPTIMIZER_COLOR[key]]
    return _palette()[_SPARE_OPTIMIZER_COLORS[_fallback_index(name) % len(_SPARE_OPTIMIZER_COLORS)]]


def name_label(column: str | None, value) -> str:
    """The label of a value of a run column (``optimizer``, ``activation``, ``init``,
    ``dataset``, ``batchnorm``; a number or other text as it is)."""
    labels = {"optimizer": optimizer_label, "activation": activation_label, "init": init_label,
              "dataset": dataset_label, "batchnorm": batchnorm_label}
    if column in labels:
        return labels[column](value)
    return fmt_number(value) if isinstance(value, float) else str(value)


def name_color(column: str | None, value):
    """The fixed colour of a value of ``column`` where it has one, else a stable one."""
    colors = {"optimizer": optimizer_color, "activation": activation_color, "init": init_color}
    if column in colors:
        return colors[column](value)
    return _palette()[_fallback_index(value)]


def init_color(value):
    key = init_key(value)
    return _palette()[_INIT_COLOR.get(key, _fallback_index(key))]


def activation_color(name):
    return _palette()[_ACTIVATION_COLOR.get(str(name).lower(), _fallback_index(name))]


def batchnorm_color(flag):
    return _palette()[_BN_COLOR[bool(flag)]]
