"""Lion, EvoLved Sign Momentum (Chen et al. 2023, "Symbolic Discovery of Optimization
Algorithms", Algorithm 1). Each step, for each parameter w with gradient g:

    c = beta1 * m + (1 - beta1) * g                   (the update's direction)
    w <- w - lr * (sign(c) + weight_decay * w)
    m <- beta2 * m + (1 - beta2) * g                  (m starts at 0)

Every coordinate moves by exactly lr (plus decay), so Lion wants a learning rate 3-10x
smaller than AdamW's. ``defaults`` and ``ranges`` are optional; declared here, nnbench
checks a spec's values against them before any run starts.
"""

import numbers

import numpy as np

from nnbench.validation import Interval

_UNIT = Interval(numbers.Real, 0.0, 1.0, closed="left")


class Lion:
    defaults = {"lr": 1e-4, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0}
    ranges = {"lr": Interval(numbers.Real, 0.0, None, closed="neither"), "beta1": _UNIT, "beta2": _UNIT,
              "weight_decay": Interval(numbers.Real, 0.0, None)}

    def __init__(self, **hyperparameters):
        for key, value in {**self.defaults, **hyperparameters}.items():
            setattr(self, key, value)
        self.m = {}

    def update(self, params, grads):
        for key, w in params.items():
            g = grads[key]
            m = self.m.get(key, np.zeros_like(w))
            c = self.beta1 * m + (1 - self.beta1) * g
            w -= (self.lr * (np.sign(c) + self.weight_decay * w)).astype(w.dtype)
            self.m[key] = self.beta2 * m + (1 - self.beta2) * g
