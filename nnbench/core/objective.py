"""Study 1's test function for the optimizers: f(x, y) = x²/20 + y², its gradient, and
the book's start, number of updates and learning rates (ch06, ``optimizer_compare_naive``).

Numerics (a file of ``nnbench.provenance.NUMERICS_SOURCES``): the ``optimizer_path`` run
kind computes its records with these; the figures draw the contours of the same formula.
"""

from __future__ import annotations

#: The book's learning rates for the optimizer paths; other optimizers use their own default.
PATH_LEARNING_RATES = {"sgd": 0.95, "momentum": 0.1, "adagrad": 1.5, "adam": 0.3}
PATH_START = (-7.0, 2.0)
PATH_ITERATIONS = 30


def path_objective(x, y):
    """Study 1's test function f(x, y) = x²/20 + y² (numbers or arrays)."""
    return x * x / 20.0 + y * y


def path_gradient(x, y):
    """(df/dx, df/dy) of :func:`path_objective`."""
    return x / 10.0, 2.0 * y
