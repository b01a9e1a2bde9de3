"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019, Algorithm 2, with
the schedule multiplier eta_t = 1). At step t = 1, 2, ... for each parameter w with gradient g:

    m <- beta1 * m + (1 - beta1) * g;    v <- beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t);          v_hat = v / (1 - beta2**t)
    w <- w - (lr * m_hat / (sqrt(v_hat) + eps) + weight_decay * w)   (m, v start at 0)

The decay acts on w directly, not through the adaptive gradient (the paper's point).
A plain class: hyperparameters are keyword arguments with defaults (nnbench reads them
from the signature), ``update(params, grads)`` changes ``params`` in place.
"""

import numpy as np


class AdamW:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-4):
        self.lr, self.beta1, self.beta2, self.eps, self.weight_decay = lr, beta1, beta2, eps, weight_decay
        self.m, self.v, self.t = {}, {}, 0

    def update(self, params, grads):
        self.t += 1
        for key, w in params.items():
            g = grads[key]
            m = self.m[key] = self.beta1 * self.m.get(key, 0.0) + (1 - self.beta1) * g
            v = self.v[key] = self.beta2 * self.v.get(key, 0.0) + (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            w -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps) + self.weight_decay * w).astype(w.dtype)
