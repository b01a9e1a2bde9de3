"""Measurements the studies take from gradients (the network's own diagnostics are
methods of :class:`nnbench.core.MLP`: hidden_activations, dead_fraction, distinct_units)."""

from __future__ import annotations

import numpy as np


def layer_grad_norms(grads):
    """L2 (Frobenius) norm of dL/dW for each affine layer, ["W1", "W2", ...] in order,
    computed in float64."""
    norms = []
    index = 1
    while f"W{index}" in grads:
        gradient = np.asarray(grads[f"W{index}"], dtype=np.float64)
        norms.append(float(np.sqrt(np.sum(gradient * gradient))))
        index += 1
    return norms
