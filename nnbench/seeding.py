"""Independent random streams of one run seed.

Every consumer of randomness in a run draws from its own stream, spawned from the run's
``seed`` and a fixed stream number (``numpy.random.default_rng([seed, stream])``), so
that no two consumers share bits: turning on a diagnostic, adding dropout or carving a
validation split never changes the weights or the batch order. The numbers are part of
the numerics: changing one changes results (bump the numerics version).
"""

from __future__ import annotations

__all__ = ["STREAMS", "rng"]

#: stream name -> stream number (fixed forever; add new names with new numbers)
STREAMS = {
    "minibatch_spread": 1,   # random minibatches of the minibatch_spread diagnostic
    "histogram_inputs": 2,   # N(0, 1) inputs and labels of kind activation_histogram
    "weights": 3,            # weight initialisation (MLP)
    "dropout": 4,            # dropout masks (MLP)
    "batch_order": 5,        # the per-epoch permutation (trainer)
    "validation_split": 6,   # which training samples form the validation split (loader)
}


def rng(seed: int, stream: str):
    """A ``numpy.random.Generator`` for ``stream`` of run seed ``seed``."""
    import numpy as np

    return np.random.default_rng([int(seed), STREAMS[stream]])
