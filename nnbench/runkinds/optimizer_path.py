"""Run kind ``optimizer_path`` (study 1): an optimizer on f(x, y) = x²/20 + y² from ``start``.

The function, its gradient, the start, the number of updates and the book's learning
rates live in :mod:`nnbench.core.objective`; the record has one ``curves.csv`` row per
coordinate per point (``split=path``, ``metric`` in x, y, f; step 0 = the start).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from nnbench.core.objective import PATH_ITERATIONS, PATH_LEARNING_RATES, PATH_START, path_gradient, path_objective
from nnbench.errors import SpecError
from nnbench.records import CurveRow, RunOutput
from nnbench.runkinds import spec_values as values
from nnbench.validation import not_allowed

DEFAULTS: dict[str, Any] = {
    "kind": "optimizer_path",
    "optimizer": {"name": "sgd"},  # at the book's lr (PATH_LEARNING_RATES) unless the spec gives one
    "iterations": PATH_ITERATIONS,
    "start": list(PATH_START),
}


def resolve(merged: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["optimizer"] = values.optimizer("optimizer", merged["optimizer"], DEFAULTS["optimizer"]["name"],
                                        PATH_LEARNING_RATES)
    out.update(values.parameters({"iterations": values.COUNT}, merged))
    start = merged["start"]
    if isinstance(start, (str, bytes)) or not isinstance(start, (list, tuple)) or len(start) != 2:
        raise not_allowed(values.where("start"), start, "a point [x, y], e.g. [-7, 2]", SpecError)
    out["start"] = [values.number(f"start[{index}]", coordinate, values.REAL) for index, coordinate in enumerate(start)]
    return out


def execute(spec: Mapping[str, Any], **_context) -> RunOutput:
    """The optimizer's path from ``start``: one row per coordinate per point."""
    import numpy as np

    optimizer = values.build_optimizer(spec["optimizer"])
    params = {"x": np.array([spec["start"][0]], dtype=np.float64), "y": np.array([spec["start"][1]], dtype=np.float64)}

    def point_rows(step: int) -> list[CurveRow]:
        x, y = float(params["x"][0]), float(params["y"][0])
        return [CurveRow(step, 0.0, "path", "x", "", x), CurveRow(step, 0.0, "path", "y", "", y),
                CurveRow(step, 0.0, "path", "f", "", path_objective(x, y))]

    rows = point_rows(0)
    status = "ok"
    steps = 0
    with np.errstate(all="ignore"):
        for step in range(1, spec["iterations"] + 1):
            grad_x, grad_y = path_gradient(params["x"], params["y"])
            optimizer.update(params, {"x": grad_x, "y": grad_y})
            rows.extend(point_rows(step))
            steps = step
            if not all(math.isfinite(row.value) for row in rows[-3:]):
                status = "diverged"
                break
    x, y = float(params["x"][0]), float(params["y"][0])
    summary = {"status": status, "iterations": steps, "final_x": x, "final_y": y, "final_f": path_objective(x, y)}
    return RunOutput(summary=summary, rows=rows)
