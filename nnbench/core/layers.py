"""Layers in the book's shape: ``forward(x, train)`` then ``backward(dout) -> dx``.

Speed notes (see ../shared/PERFORMANCE.md): on the study's small networks the cost
of a step is per-operation overhead and elementwise work, so every layer writes
into buffers it owns (reallocated only when the batch size or dtype changes), uses
``out=`` everywhere and never upcasts (float32 stays float32).

Consequences for callers:
- a layer's ``forward`` returns its own buffer, overwritten by the next forward;
  copy it to keep it (``MLP.predict`` and friends already return copies);
- ``backward`` must follow the ``forward`` whose input it differentiates.

Parameter-bearing layers (Affine, BatchNorm) do not own their parameters: they
read them by key from a ``params`` dict shared with the network on every call
(so an optimizer updating the arrays in place, or a caller replacing an entry,
is seen at once) and write their gradients into a shared ``grads`` dict under
the same keys.
"""

from __future__ import annotations

import numpy as np

from nnbench.validation import FRACTION, POSITIVE


def _empty_like_shape(buffer, shape, dtype):
    """``buffer`` if it already has this shape and dtype, else a new empty array."""
    if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
        return np.empty(shape, dtype=dtype)
    return buffer


def _grad_buffer(grads, key, param):
    """The reusable gradient array ``grads[key]`` for ``param`` (made on first use)."""
    buffer = grads[key] = _empty_like_shape(grads.get(key), param.shape, param.dtype)
    return buffer


class _Layer:
    """Base: the work buffers named in ``_transient`` are not copied or pickled
    (``copy.deepcopy(net)`` stays cheap after a large evaluation batch); they are
    recreated on the next forward."""

    _transient: tuple = ()

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in self._transient:
            state[name] = None
        return state


class Affine(_Layer):
    """``out = x @ W + b`` with W of shape (fan_in, fan_out).

    Gradients: dW = x^T dout, db = sum over the batch of dout, dx = dout W^T.
    ``need_input_grad=False`` (the first layer) skips dx, which nobody uses.
    """

    _transient = ("x", "_out", "_dx")

    def __init__(self, params, weight_key, bias_key, grads=None, need_input_grad=True):
        self.params = params
        self.weight_key = weight_key
        self.bias_key = bias_key
        self.grads = {} if grads is None else grads
        self.need_input_grad = need_input_grad
        self.x = None
        self._out = None
        self._dx = None

    def forward(self, x, train=False):
        weight = self.params[self.weight_key]
        out = self._out = _empty_like_shape(self._out, (x.shape[0], weight.shape[1]), weight.dtype)
        np.matmul(x, weight, out=out)
        out += self.params[self.bias_key]
        self.x = x
        return out

    def forward_into(self, x, out):
        """Inference: ``x @ W + b`` written into ``out`` (keeps nothing for backward)."""
        np.matmul(x, self.params[self.weight_key], out=out)
        out += self.params[self.bias_key]
        return out

    def backward(self, dout):
        weight = self.params[self.weight_key]
        bias = self.params[self.bias_key]
        d_weight = _grad_buffer(self.grads, self.weight_key, weight)
        d_bias = _grad_buffer(self.grads, self.bias_key, bias)
        np.matmul(self.x.T, dout, out=d_weight)
        np.add.reduce(dout, axis=0, out=d_bias)  # np.sum's own reduction, without its wrapper
        if not self.need_input_grad:
            return None
        dx = self._dx = _empty_like_shape(self._dx, self.x.shape, dout.dtype)
        np.matmul(dout, weight.T, out=dx)
        return dx


class ReLU(_Layer):
    """``out = max(x, 0)``; derivative 1 where x > 0, else 0 (0 at x = 0)."""

    _transient = ("out", "_mask", "_dx", "_zeros")

    def __init__(self):
        self.out = None
        self._mask = None
        self._dx = None
        self._zeros = None

    def _zero_row(self, x):
        # max(x, 0) against a row of zeros rather than the scalar 0: numpy
        # takes its vectorised loop, twice as fast for float32 (numpy 2.4), same bits
        # (NaN, -0.0 and all; tests/core/test_core_gradients.py)
        zeros = self._zeros
        if zeros is None or zeros.shape != x.shape[-1:] or zeros.dtype != x.dtype:
            zeros = self._zeros = np.zeros(x.shape[-1:], x.dtype)
        return zeros

    def forward(self, x, train=False):
        out = self.out = _empty_like_shape(self.out, x.shape, x.dtype)
        np.maximum(x, self._zero_row(x), out=out)
        return out

    def forward_inplace(self, h, scratch=None):
        """Inference on ``h`` in place (the same arithmetic as ``forward``)."""
        return np.maximum(h, self._zero_row(h), out=h)

    def backward(self, dout):
        # The mask is rebuilt from the output (x > 0 exactly where out > 0), so the
        # forward pass stays one operation when no backward follows (inference).
        mask = self._mask = _empty_like_shape(self._mask, dout.shape, dout.dtype)
        np.greater(self.out, 0, out=mask)
        dx = self._dx = _empty_like_shape(self._dx, dout.shape, dout.dtype)
        np.multiply(dout, mask, out=dx)
        return dx

    @staticmethod
    def derivative(out):
        """Local derivative d out / d x, from the output (a new array)."""
        return (out > 0).astype(out.dtype)


class LeakyReLU(_Layer):
    """``out = x`` for x > 0, ``slope * x`` otherwise (slope 0.01 by default, in [0, 1))."""

    _transient = ("out", "_mask", "_dx")

    def __init__(self, slope=0.01):
        self.slope = FRACTION.check("LeakyReLU slope", slope)
        self.out = None
        self._mask = None
        self._dx = None

    def forward(self, x, train=False):
        out = self.out = _empty_like_shape(self.out, x.shape, x.dtype)
        # max(x, slope*x) is x for x > 0 and slope*x otherwise because slope < 1.
        np.multiply(x, self.slope, out=out)
        np.maximum(x, out, out=out)
        return out

    def forward_inplace(self, h, scratch):
        """Inference on ``h`` in place; ``scratch`` is an array of ``h``'s shape and dtype."""
        np.multiply(h, self.slope, out=scratch)
        return np.maximum(h, scratch, out=h)

    def backward(self, dout):
        mask = self._mask = _empty_like_shape(self._mask, dout.shape, np.bool_)
        np.greater(self.out, 0, out=mask)
        dx = self._dx = _empty_like_shape(self._dx, dout.shape, dout.dtype)
        np.multiply(dout, self.slope, out=dx)
        np.copyto(dx, dout, where=mask)
        return dx

    def derivative(self, out):
        """Local derivative d out / d x, from the output (a new array)."""
        return np.where(out > 0, 1, self.slope).astype(out.dtype)


class Sigmoid(_Layer):
    """``out = 1 / (1 + exp(-x))``, computed as ``0.5 * tanh(x / 2) + 0.5`` (no overflow);
    derivative ``out * (1 - out)``."""

    _transient = ("out", "_tmp", "_dx")

    def __init__(self):
        self.out = None
        self._tmp = None
        self._dx = None

    def forward(self, x, train=False):
        out = self.out = _empty_like_shape(self.out, x.shape, x.dtype)
        np.multiply(x, 0.5, out=out)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out

    def forward_inplace(self, h, scratch=None):
        """Inference on ``h`` in place (the same arithmetic as ``forward``)."""
        h *= 0.5
        np.tanh(h, out=h)
        h *= 0.5
        h += 0.5
        return h

    def backward(self, dout):
        tmp = self._tmp = _empty_like_shape(self._tmp, dout.shape, dout.dtype)
        np.subtract(1, self.out, out=tmp)
        tmp *= self.out
        dx = self._dx = _empty_like_shape(self._dx, dout.shape, dout.dtype)
        np.multiply(dout, tmp, out=dx)
        return dx

    @staticmethod
    def derivative(out):
        """Local derivative d out / d x, from the output (a new array)."""
        return out * (1 - out)


class Tanh(_Layer):
    """``out = tanh(x)``; derivative ``1 - out**2``."""

    _transient = ("out", "_tmp", "_dx")

    def __init__(self):
        self.out = None
        self._tmp = None
        self._dx = None

    def forward(self, x, train=False):
        out = self.out = _empty_like_shape(self.out, x.shape, x.dtype)
        np.tanh(x, out=out)
        return out

    def forward_inplace(self, h, scratch=None):
        """Inference on ``h`` in place (the same arithmetic as ``forward``)."""
        return np.tanh(h, out=h)

    def backward(self, dout):
        tmp = self._tmp = _empty_like_shape(self._tmp, dout.shape, dout.dtype)
        np.multiply(self.out, self.out, out=tmp)
        np.subtract(1, tmp, out=tmp)
        dx = self._dx = _empty_like_shape(self._dx, dout.shape, dout.dtype)
        np.multiply(dout, tmp, out=dx)
        return dx

    @staticmethod
    def derivative(out):
        """Local derivative d out / d x, from the output (a new array)."""
        return 1 - out * out


#: BatchNorm's default eps (PyTorch's; the book's code uses 1e-6, study batch_norm runs at it).
DEFAULT_BATCHNORM_EPS = 1e-5


class BatchNorm(_Layer):
    """Batch normalisation (Ioffe & Szegedy 2015) over the batch axis.

    Training: ``xn = (x - mean) / sqrt(var + eps)`` with the batch mean and the biased
    batch variance, ``out = gamma * xn + beta``, and the running averages move as
    ``running = momentum * running + (1 - momentum) * batch`` (momentum 0.9).
    Inference: the running averages replace the batch statistics. The running mean
    starts at 0 and the running variance at 1 (PyTorch's choice; the book starts the
    variance at 0, which makes a network evaluated before any update meaningless).
    """

    _transient = ("_n", "centered", "normalized", "_out", "_tmp", "_dx", "_mean", "_var", "inv_std")

    def __init__(self, params, gamma_key, beta_key, grads=None, momentum=0.9, eps=DEFAULT_BATCHNORM_EPS):
        eps = POSITIVE.check("BatchNorm eps", eps)
        self.params = params
        self.gamma_key = gamma_key
        self.beta_key = beta_key
        self.grads = {} if grads is None else grads
        self.momentum = momentum
        self.eps = eps
        gamma = params[gamma_key]
        self.running_mean = np.zeros_like(gamma)
        self.running_var = np.ones_like(gamma)
        self._n = None
        self._dtype = None
        self._mean = None

    def _allocate(self, shape, dtype):
        self._n, self._dtype = shape[0], dtype
        self.centered = np.empty(shape, dtype)
        self.normalized = np.empty(shape, dtype)
        self._out = np.empty(shape, dtype)
        self._tmp = np.empty(shape, dtype)
        self._dx = np.empty(shape, dtype)
        width = shape[1]
        self._mean = np.empty(width, dtype)
        self._var = np.empty(width, dtype)
        self.inv_std = np.empty(width, dtype)

    def forward(self, x, train=False):
        if x.shape[0] != self._n or x.dtype != self._dtype or x.shape[1] != self._mean.shape[0]:
            self._allocate(x.shape, x.dtype)
        gamma = self.params[self.gamma_key]
        beta = self.params[self.beta_key]
        out = self._out
        if train:
            mean, var, inv_std = self._mean, self._var, self.inv_std
            np.mean(x, axis=0, out=mean)
            np.subtract(x, mean, out=self.centered)
            np.multiply(self.centered, self.centered, out=self._tmp)
            np.mean(self._tmp, axis=0, out=var)
            np.add(var, self.eps, out=inv_std)
            np.sqrt(inv_std, out=inv_std)
            np.reciprocal(inv_std, out=inv_std)
            np.multiply(self.centered, inv_std, out=self.normalized)
            self.running_mean *= self.momentum
            self.running_mean += (1 - self.momentum) * mean
            self.running_var *= self.momentum
            self.running_var += (1 - self.momentum) * var
            normalized = self.normalized
        else:
            normalized = self._tmp
            np.subtract(x, self.running_mean, out=normalized)
            normalized /= self.inference_std()
        np.multiply(normalized, gamma, out=out)
        out += beta
        return out

    def inference_std(self):
        """``sqrt(running_var + eps)``, the inference-mode divisor (a new vector)."""
        return np.sqrt(self.running_var + self.eps)

    def forward_inplace(self, h, scratch=None, std=None):
        """Inference on ``h`` in place, the same arithmetic as ``forward(h, False)``;
        ``std`` is :meth:`inference_std` when the caller computed it once for many chunks."""
        h -= self.running_mean
        h /= self.inference_std() if std is None else std
        h *= self.params[self.gamma_key]
        h += self.params[self.beta_key]
        return h

    def backward(self, dout):
        gamma = self.params[self.gamma_key]
        beta = self.params[self.beta_key]
        d_gamma = _grad_buffer(self.grads, self.gamma_key, gamma)
        d_beta = _grad_buffer(self.grads, self.beta_key, beta)
        n = dout.shape[0]
        tmp, dx = self._tmp, self._dx
        np.sum(dout, axis=0, out=d_beta)
        np.multiply(dout, self.normalized, out=tmp)
        np.sum(tmp, axis=0, out=d_gamma)
        # dx = gamma / std * (dout - (d_beta + xn * d_gamma) / n)
        np.multiply(self.normalized, d_gamma / n, out=tmp)
        tmp += d_beta / n
        np.subtract(dout, tmp, out=dx)
        dx *= gamma * self.inv_std
        return dx


class Dropout(_Layer):
    """Inverted dropout (Srivastava et al. 2014): in training each unit is kept with
    probability 1 - rate and scaled by 1 / (1 - rate); at inference it is the identity.

    A fresh mask is drawn from ``rng`` (a numpy Generator) on every training forward,
    unless ``freeze_mask`` is True and a mask of the right shape exists (used by the
    gradient checks, which need the same mask for every evaluation of the loss).
    """

    _transient = ("_out", "_dx")

    def __init__(self, rate, rng):
        self.rate = FRACTION.check("dropout rate", rate)
        self.rng = rng
        self.freeze_mask = False
        self.mask = None
        self._out = None
        self._dx = None

    def forward(self, x, train=False):
        if not train:
            return x
        mask = self.mask
        if not (self.freeze_mask and mask is not None and mask.shape == x.shape and mask.dtype == x.dtype):
            mask = self.mask = _empty_like_shape(mask, x.shape, x.dtype)
            self.rng.random(out=mask, dtype=x.dtype)
            np.greater_equal(mask, self.rate, out=mask)
            mask *= 1 / (1 - self.rate)
        out = self._out = _empty_like_shape(self._out, x.shape, x.dtype)
        np.multiply(x, mask, out=out)
        return out

    def forward_inplace(self, h, scratch=None):
        """Inference: the identity."""
        return h

    def backward(self, dout):
        dx = self._dx = _empty_like_shape(self._dx, dout.shape, dout.dtype)
        np.multiply(dout, self.mask, out=dx)
        return dx


class SoftmaxCrossEntropy(_Layer):
    """Fused softmax + mean cross-entropy, numerically stable.

    ``loss = mean_n( logsumexp(z_n) - z_n[t_n] )`` computed from ``z - max(z)``, so
    logits of 1e4 neither overflow nor take log(0). Targets are integer class labels
    (shape (N,)) or rows of class probabilities such as one-hot vectors (shape (N, K)),
    for which ``loss = mean_n sum_k t_nk (logsumexp(z_n) - z_nk)``.
    Gradient: ``(softmax(z) * sum_k t_nk - t) / N``.
    """

    _transient = ("_n", "shifted", "exp", "_dx", "_row_max", "_row_sum", "_rows", "t")

    def __init__(self):
        self._n = None
        self._dtype = None
        self.t = None

    def _allocate(self, shape, dtype):
        self._n, self._dtype = shape[0], dtype
        self.shifted = np.empty(shape, dtype)
        self.exp = np.empty(shape, dtype)
        self._dx = np.empty(shape, dtype)
        self._row_max = np.empty((shape[0], 1), dtype)
        self._row_sum = np.empty((shape[0], 1), dtype)
        self._rows = np.arange(shape[0])

    def forward(self, logits, t):
        """The mean loss as a Python float; keeps what backward needs."""
        if self._n is None or logits.shape != self.exp.shape or logits.dtype != self._dtype:
            self._allocate(logits.shape, logits.dtype)
        shifted, exp, row_sum = self.shifted, self.exp, self._row_sum
        np.max(logits, axis=1, keepdims=True, out=self._row_max)
        np.subtract(logits, self._row_max, out=shifted)
        np.exp(shifted, out=exp)
        np.sum(exp, axis=1, keepdims=True, out=row_sum)
        log_sum = np.log(row_sum)
        self.t = t
        if t.ndim == 1:
            per_sample = log_sum[:, 0] - shifted[self._rows, t]
            return float(per_sample.mean())
        # Probability targets: sum_k t_k (logsumexp - z_k), with the 0 * inf case avoided
        # because logsumexp - z_k is finite for finite logits.
        return float(np.sum(t * (log_sum - shifted)) / logits.shape[0])

    def backward(self):
        """d loss / d logits, for the last forward (a buffer reused across calls)."""
        n = self._n
        t = self.t
        dx = self._dx
        scale = np.reciprocal(self._row_sum)
        if t.ndim == 1:
            scale *= 1 / n
            np.multiply(self.exp, scale, out=dx)
            dx[self._rows, t] -= 1 / n
        else:
            scale *= t.sum(axis=1, keepdims=True, dtype=dx.dtype) / n
            np.multiply(self.exp, scale, out=dx)
            dx -= t / n
        return dx
