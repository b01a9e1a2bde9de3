"""Run kind ``activation_histogram`` (study 3): one forward and one backward pass through
a stack of layers on N(0, 1) inputs, recording per-layer activation histograms.

The record: ``curves.csv`` rows ``split=forward`` (``activation_mean``,
``activation_std``, ``mean_abs_grad`` per layer; for sigmoid and tanh also
``saturated_fraction`` and ``central_fraction``, the fractions of the layer's activations
within ``vocabulary.ACTIVATION_MARGIN`` of a bound and of the centre) and ``histograms.csv``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from nnbench.records import CurveRow, RunOutput
from nnbench.runkinds import spec_values as values
from nnbench.seeding import rng
from nnbench.vocabulary import ACTIVATION_MARGIN, ACTIVATION_RANGES, HISTOGRAM_COLUMNS, HISTOGRAMS_FILE

DEFAULTS: dict[str, Any] = {
    "kind": "activation_histogram",
    "activation": "sigmoid",
    "init": 1.0,
    "init_value": None,
    "input_size": 100,
    "n_samples": 1000,
    "hidden_sizes": [100, 100, 100, 100, 100],
    "bins": 30,
    "seed": 0,
}
#: Classes of the softmax output whose random labels give the backward pass a loss.
N_CLASSES = 10


#: The plain parameters and the values they allow (spec_values.parameters checks them).
PARAMETERS = {"activation": values.ACTIVATION, "input_size": values.COUNT, "n_samples": values.COUNT,
              "bins": values.COUNT, "seed": values.COUNT_OR_ZERO}


def resolve(merged: Mapping[str, Any]) -> dict[str, Any]:
    out = values.parameters(PARAMETERS, merged)
    out["init"] = values.init("init", merged["init"])
    out["init_value"] = values.init_value(merged, out["init"])
    out["hidden_sizes"] = values.layer_sizes("hidden_sizes", merged["hidden_sizes"])
    return out


def execute(spec: Mapping[str, Any], **_context) -> RunOutput:
    """Forward N(0, 1) inputs through bias-free layers; histogram each layer's output.

    The network is the core's MLP (biases start at zero, so its hidden layers are the
    bias-free layers of study 3) with a 10-class softmax output. The backward pass is
    the gradient of the mean softmax cross-entropy against uniformly random labels;
    ``mean_abs_grad`` of layer l is the mean |dL/dW_l| of that hidden layer's weights.
    """
    import numpy as np

    from nnbench.core import MLP

    inputs = rng(spec["seed"], "histogram_inputs")
    x = inputs.standard_normal((spec["n_samples"], spec["input_size"]))
    labels = inputs.integers(0, N_CLASSES, size=spec["n_samples"])
    net = MLP(spec["input_size"], spec["hidden_sizes"], N_CLASSES, activation=spec["activation"],
              init=spec["init"], init_value=spec["init_value"], batchnorm=False, dropout=0.0,
              weight_decay=0.0, dtype="float64", seed=spec["seed"])
    with np.errstate(all="ignore"):
        activations = [np.asarray(a, dtype=np.float64) for a in net.hidden_activations(x, train=False)]
        grads = net.gradient(x, labels)
    low, high = _histogram_range(spec["activation"], activations)
    rows: list[CurveRow] = []
    histogram_rows: list[tuple] = []
    for index, activation in enumerate(activations, 1):
        rows.append(CurveRow(0, 0.0, "forward", "activation_mean", index, float(activation.mean())))
        rows.append(CurveRow(0, 0.0, "forward", "activation_std", index, float(activation.std())))
        rows.append(CurveRow(0, 0.0, "forward", "mean_abs_grad", index, float(np.mean(np.abs(grads[f"W{index}"])))))
        if spec["activation"] in ACTIVATION_RANGES:
            bottom, centre, top = ACTIVATION_RANGES[spec["activation"]]
            saturated = (activation < bottom + ACTIVATION_MARGIN) | (activation > top - ACTIVATION_MARGIN)
            rows.append(CurveRow(0, 0.0, "forward", "saturated_fraction", index, float(np.mean(saturated))))
            central = np.abs(activation - centre) < ACTIVATION_MARGIN
            rows.append(CurveRow(0, 0.0, "forward", "central_fraction", index, float(np.mean(central))))
        counts, edges = np.histogram(activation.ravel(), bins=spec["bins"], range=(low, high))
        histogram_rows.extend((index, float(edges[b]), float(edges[b + 1]), int(counts[b])) for b in range(len(counts)))
    finite = all(math.isfinite(row.value) for row in rows)
    summary = {"status": "ok" if finite else "diverged", "iterations": 0, "layers": len(activations),
               "bin_low": low, "bin_high": high}
    return RunOutput(summary=summary, rows=rows, tables={HISTOGRAMS_FILE: (HISTOGRAM_COLUMNS, histogram_rows)})


def _histogram_range(activation: str, activations) -> tuple[float, float]:
    """[0, 1] for sigmoid, [-1, 1] for tanh, [0, max over all layers] for ReLU-like."""
    import numpy as np

    if activation == "sigmoid":
        return 0.0, 1.0
    if activation == "tanh":
        return -1.0, 1.0
    finite = [a[np.isfinite(a)] for a in activations]
    high = max((float(a.max()) for a in finite if a.size), default=1.0)
    low = min((float(a.min()) for a in finite if a.size), default=0.0)
    low = min(low, 0.0)  # ReLU: 0; leaky ReLU: its (small) negative minimum
    if not high > low:
        high = low + 1.0
    return low, high
