"""The NumPy training core: layers, initializers, optimizers, the MLP and the trainer.

Public API::

    from nnbench.core import MLP, make_optimizer, train, layer_grad_norms
    from nnbench.core import OPTIMIZERS, INITIALIZERS, ACTIVATIONS, DTYPES

``OPTIMIZERS`` maps each name to its class (``cls.defaults``, ``cls.ranges``); the name
tuples are ``nnbench.vocabulary``'s.
"""

from nnbench.core.diagnostics import layer_grad_norms
from nnbench.core.initializers import DEFAULT_CONSTANT, INITIALIZERS, init_std
from nnbench.core.network import ACTIVATIONS, DEFAULT_BATCHNORM_EPS, DEFAULT_EVAL_CHUNK, DTYPES, LEAKY_RELU_SLOPE, MLP
from nnbench.core.optimizers import OPTIMIZERS, make_optimizer
from nnbench.core.trainer import TrainResult, train

__all__ = [
    "ACTIVATIONS",
    "DEFAULT_BATCHNORM_EPS",
    "DEFAULT_CONSTANT",
    "DEFAULT_EVAL_CHUNK",
    "DTYPES",
    "INITIALIZERS",
    "LEAKY_RELU_SLOPE",
    "MLP",
    "OPTIMIZERS",
    "TrainResult",
    "init_std",
    "layer_grad_norms",
    "make_optimizer",
    "train",
]
