"""Central-difference gradient checking shared by the core tests (float64 only)."""

import numpy as np

STEP = 1e-5


def numerical_gradient(function, array, step=STEP):
    """d function() / d array by central differences, perturbing ``array`` in place."""
    gradient = np.zeros_like(array, dtype=np.float64)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + step
        plus = function()
        array[index] = original - step
        minus = function()
        array[index] = original
        gradient[index] = (plus - minus) / (2 * step)
    return gradient


def relative_error(analytic, numeric):
    """||a - n|| / (||a|| + ||n||), 0 when both are zero."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    if scale == 0:
        return 0.0
    return float(np.linalg.norm(analytic - numeric) / scale)
