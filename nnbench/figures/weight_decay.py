"""Section "weight decay" (slide 2.4, study 8): train vs test accuracy with
L_new = L_old + λ/2 Σ w², and the final gap vs λ."""

from __future__ import annotations

from nnbench.figures import overfitting
from nnbench.i18n import N_

TITLE = N_("Weight decay")
STUDIES = ("overfitting_weight_decay",)

train_test_figure = overfitting.train_test_figure
gap_figure = overfitting.gap_figure


def build(results, writer) -> list[str]:
    if not results.has("overfitting_weight_decay"):
        return []
    return overfitting.technique(results, writer, "overfitting_weight_decay", "weight_decay",
                                 0.1)
