"""Shared helpers for the run tests: tiny specs that finish in well under a second."""

from __future__ import annotations

import pytest


@pytest.fixture
def tiny_spec():
    """A digits run small enough for unit tests (a few hundred updates at most)."""
    return {
        "dataset": "digits",
        "n_train": 200,
        "hidden_sizes": [16, 16],
        "optimizer": {"name": "sgd", "lr": 0.1},
        "batch_size": 20,
        "iterations": 30,
        "eval_every": 10,
        "seed": 0,
    }
