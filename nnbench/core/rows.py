"""Inputs that are converted a few rows at a time: *row sources*.

The trainer and ``MLP.evaluate`` read their inputs ``x`` a minibatch or a chunk at a
time. ``x`` is a NumPy array, or a *row source*: any object with a ``shape`` of
``(N, features)`` and a method ``rows_into(index, out)`` that writes rows ``index`` (a
slice, or an array of row numbers) into the float array ``out`` in ``out``'s dtype. A
row source lets a caller keep its data compact and convert only the rows a step needs:
``nnbench.data`` gives MNIST as uint8 pixels that stand for pixels / 255 in float32, so
no process holds a float32 copy of the 47 million training pixels (188 MB, and 0.1 to
0.5 s to make; docs/PERFORMANCE.md). Any other use (``np.asarray(x)``) is the row
source's own business.
"""

from __future__ import annotations

import numpy as np

__all__ = ["is_row_source", "rows_into"]


def is_row_source(x) -> bool:
    """True for a row source (not an array, has ``rows_into``)."""
    return not isinstance(x, np.ndarray) and callable(getattr(x, "rows_into", None))


def rows_into(x, index, out: np.ndarray) -> np.ndarray:
    """Rows ``index`` (a slice or an integer array) of ``x``, an array or a row source,
    written into ``out`` in ``out``'s dtype; returns ``out``."""
    if is_row_source(x):
        x.rows_into(index, out)
    elif isinstance(index, slice) or x.dtype != out.dtype:
        np.copyto(out, x[index])
    else:
        np.take(x, index, axis=0, out=out)  # no temporary
    return out
