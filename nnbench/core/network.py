"""The multi-layer perceptron of the study: per hidden layer
``Affine -> [BatchNorm] -> activation -> [Dropout]``, then ``Affine -> softmax cross-entropy``.
"""

from __future__ import annotations

import numbers

import numpy as np

from nnbench.core.initializers import initialize_weights, parse_init
from nnbench.core.layers import (
    Affine,
    BatchNorm,
    Dropout,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SoftmaxCrossEntropy,
    Tanh,
)
from nnbench.errors import NnbenchError, closest

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
DTYPES = ("float32", "float64")
#: slope of leaky ReLU for negative inputs
LEAKY_RELU_SLOPE = 0.01


def _make_activation(name):
    if name == "relu":
        return ReLU()
    if name == "leaky_relu":
        return LeakyReLU(LEAKY_RELU_SLOPE)
    if name == "sigmoid":
        return Sigmoid()
    return Tanh()


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_number(name, value, low, high=None, high_inclusive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
        raise NnbenchError(f"{name} must be a finite number, got {value!r}")
    value = float(value)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if value < low or too_high:
        upper = "" if high is None else (f", {high}]" if high_inclusive else f", {high})")
        raise NnbenchError(f"{name} must be in [{low}{upper or ', inf)'}, got {value!r}")
    return value


class MLP:
    """A fully connected network trained with softmax cross-entropy.

    ``MLP(784, [100, 100, 100, 100], 10, activation="relu", init="he", init_value=None,
    batchnorm=False, dropout=0.0, weight_decay=0.0, dtype="float32", seed=0)``

    - ``activation``: one of ACTIVATIONS (leaky ReLU has slope LEAKY_RELU_SLOPE = 0.01).
    - ``init``: "he", "xavier" (sqrt(1/fan_in), the book's), "glorot", "constant", or a
      positive number = the std; ``init_value`` is the constant for "constant"
      (default 0.01) and must be None otherwise. Biases start at 0, BN gamma at 1 and
      beta at 0. Every weight matrix, the output layer's included, uses ``init``.
    - ``dropout``: the drop rate in [0, 1) after every hidden activation (inverted dropout).
    - ``weight_decay``: lambda >= 0; the loss gains lambda/2 * sum of squared weights
      (W matrices only, not biases or BN parameters).
    - ``dtype``: "float32" (default) or "float64"; inputs are converted to it.
    - ``seed``: drives one numpy Generator for the weights and the dropout masks, so the
      same seed gives bit-identical weights and, with the same data order, results.

    ``params`` maps "W1", "b1", ..., "WL", "bL" (and "gamma1", "beta1", ... with batch
    norm) to arrays; W is (fan_in, fan_out). The layers read them from this dict on every
    call, so in-place optimizer updates and replaced entries are both seen.
    """

    def __init__(
        self,
        input_size,
        hidden_sizes,
        output_size,
        activation="relu",
        init="he",
        init_value=None,
        batchnorm=False,
        dropout=0.0,
        weight_decay=0.0,
        dtype="float32",
        seed=0,
    ):
        hidden_sizes = [hidden_sizes] if _is_int(hidden_sizes) else list(hidden_sizes)
        sizes = [input_size, *hidden_sizes, output_size]
        for size in sizes:
            if not _is_int(size) or size <= 0:
                raise NnbenchError(
                    f"layer sizes must be positive integers, got {size!r} in "
                    f"input_size={input_size!r}, hidden_sizes={hidden_sizes!r}, output_size={output_size!r}"
                )
        if activation not in ACTIVATIONS:
            hint = closest(activation, ACTIVATIONS)
            raise NnbenchError(
                f"unknown activation {activation!r}: allowed are {', '.join(ACTIVATIONS)}"
                + (f"; did you mean {hint!r}?" if hint else "")
            )
        init = parse_init(init)
        dropout = _check_number("dropout", dropout, 0.0, 1.0)
        weight_decay = _check_number("weight_decay", weight_decay, 0.0)
        dtype_name = str(np.dtype(dtype)) if dtype in (np.float32, np.float64) else str(dtype)
        if dtype_name not in DTYPES:
            raise NnbenchError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        if not isinstance(batchnorm, (bool, np.bool_)):
            raise NnbenchError(f"batchnorm must be true or false, got {batchnorm!r}")
        if not _is_int(seed) or seed < 0:
            raise NnbenchError(f"seed must be a non-negative integer, got {seed!r}")

        self.sizes = sizes
        self.input_size, self.hidden_sizes, self.output_size = input_size, hidden_sizes, output_size
        self.activation = activation
        self.init = init
        self.init_value = init_value
        self.batchnorm = bool(batchnorm)
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.dtype = np.dtype(dtype_name)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        #: number of affine layers (hidden layers + the output layer)
        self.n_layers = len(sizes) - 1

        self.params: dict = {}
        self._grads: dict = {}
        self.layers: list = []
        #: the activation layer of each hidden layer, in order
        self.activation_layers: list = []
        for index in range(1, self.n_layers + 1):
            fan_in, fan_out = sizes[index - 1], sizes[index]
            self.params[f"W{index}"] = initialize_weights(
                init, fan_in, fan_out, self.rng, self.dtype, init_value
            )
            self.params[f"b{index}"] = np.zeros(fan_out, dtype=self.dtype)
            self.layers.append(
                Affine(self.params, f"W{index}", f"b{index}", self._grads, need_input_grad=index > 1)
            )
            if index == self.n_layers:
                break
            if self.batchnorm:
                self.params[f"gamma{index}"] = np.ones(fan_out, dtype=self.dtype)
                self.params[f"beta{index}"] = np.zeros(fan_out, dtype=self.dtype)
                self.layers.append(BatchNorm(self.params, f"gamma{index}", f"beta{index}", self._grads))
            act = _make_activation(activation)
            self.layers.append(act)
            self.activation_layers.append(act)
            if dropout > 0:
                self.layers.append(Dropout(dropout, self.rng))
        self.loss_layer = SoftmaxCrossEntropy()
        self.last_loss = float("nan")
        self._weight_keys = [f"W{index}" for index in range(1, self.n_layers + 1)]
        self._decay_scratch: dict = {}

    def __repr__(self):
        return (
            f"MLP({self.input_size}, {self.hidden_sizes}, {self.output_size}, activation={self.activation!r}, "
            f"init={self.init!r}, batchnorm={self.batchnorm}, dropout={self.dropout}, "
            f"weight_decay={self.weight_decay}, dtype={self.dtype.name!r}, seed={self.seed})"
        )

    # ------------------------------------------------------------------ inputs
    def _input(self, x):
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise NnbenchError(f"x must have shape (N, {self.input_size}), got {x.shape}")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        return x

    def _targets(self, t, n):
        t = np.asarray(t)
        integer_labels = t.ndim == 1 and t.shape[0] == n and np.issubdtype(t.dtype, np.integer)
        if not (integer_labels or t.shape == (n, self.output_size)):
            raise NnbenchError(
                f"t must be {n} integer class labels or an ({n}, {self.output_size}) one-hot array, "
                f"got {t.dtype} {t.shape}"
            )
        return t

    # ---------------------------------------------------------------- forward
    def _forward(self, x, train):
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def predict(self, x, train=False):
        """The logits, (N, output_size), a new array. ``train=True`` uses batch statistics
        and draws dropout masks (and moves the BN running averages)."""
        return self._forward(self._input(x), train).copy()

    def _weight_penalty(self):
        if self.weight_decay == 0:
            return 0.0
        total = 0.0
        for key in self._weight_keys:
            weights = self.params[key].ravel()
            total += float(np.dot(weights, weights))
        return 0.5 * self.weight_decay * total

    def loss(self, x, t, train=False):
        """Mean softmax cross-entropy plus weight_decay/2 * sum of squared weights (a float).

        ``train=True`` evaluates the training-mode network (batch statistics, a fresh
        dropout mask), which also moves the BN running averages and uses the Generator.
        """
        x = self._input(x)
        t = self._targets(t, x.shape[0])
        logits = self._forward(x, train)
        return self.loss_layer.forward(logits, t) + self._weight_penalty()

    def accuracy(self, x, t):
        """Fraction of samples whose largest logit is the true class (inference mode)."""
        x = self._input(x)
        t = self._targets(t, x.shape[0])
        labels = t if t.ndim == 1 else np.argmax(t, axis=1)
        predicted = np.argmax(self._forward(x, False), axis=1)
        return float(np.mean(predicted == labels))

    # --------------------------------------------------------------- backward
    def gradient(self, x, t):
        """Gradients of ``loss(x, t, train=True)`` for every key of ``params``.

        Runs the forward pass in training mode (batch statistics, a fresh dropout mask)
        and sets ``last_loss`` to that loss (a float). The returned arrays are buffers
        reused by the next call: copy them to keep them.
        """
        x = self._input(x)
        t = self._targets(t, x.shape[0])
        logits = self._forward(x, True)
        self.last_loss = self.loss_layer.forward(logits, t) + self._weight_penalty()
        dout = self.loss_layer.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        if self.weight_decay:
            for key in self._weight_keys:
                weights = self.params[key]
                scratch = self._decay_scratch.get(key)
                if scratch is None or scratch.shape != weights.shape or scratch.dtype != weights.dtype:
                    scratch = self._decay_scratch[key] = np.empty_like(weights)
                np.multiply(weights, self.weight_decay, out=scratch)
                self._grads[key] += scratch
        return {key: self._grads[key] for key in self.params}

    # ------------------------------------------------------------ diagnostics
    def hidden_activations(self, x, train=False):
        """The post-activation output of each hidden layer for ``x`` (before dropout),
        as a list of new (N, width) arrays in layer order."""
        self._forward(self._input(x), train)
        return [layer.out.copy() for layer in self.activation_layers]

    def dead_fraction(self, x):
        """Per hidden layer, the fraction of units whose activation derivative is exactly 0
        for every sample of ``x`` (inference mode).

        For ReLU that is a unit whose output is 0 for every sample (a dead ReLU); leaky
        ReLU never dies (always 0.0); sigmoid and tanh units count only when saturated
        to exactly 0/1 or -1/1 in floating point for every sample.
        """
        self._forward(self._input(x), False)
        fractions = []
        for layer in self.activation_layers:
            derivative = layer.derivative(layer.out)
            fractions.append(float(np.mean(np.all(derivative == 0, axis=0))))
        return fractions

    def distinct_units(self, x=None):
        """Per hidden layer, the number of distinct units (exact equality).

        Without ``x``: distinct columns of W_i (a unit's incoming weights). With ``x``:
        distinct columns of the layer's activations on ``x`` (inference mode). Equal
        (constant) initial weights give 1 for every layer, and training keeps it at 1.
        """
        if x is None:
            columns = [self.params[f"W{index}"].T for index in range(1, self.n_layers)]
        else:
            columns = [activations.T for activations in self.hidden_activations(x)]
        return [int(np.unique(column, axis=0).shape[0]) for column in columns]

    @property
    def running_statistics(self):
        """BN running averages, {"mean1": ..., "var1": ..., ...} (copies); empty without BN."""
        stats = {}
        index = 0
        for layer in self.layers:
            if isinstance(layer, Affine):
                index += 1
            elif isinstance(layer, BatchNorm):
                stats[f"mean{index}"] = layer.running_mean.copy()
                stats[f"var{index}"] = layer.running_var.copy()
        return stats

    @property
    def dropout_layers(self):
        """The Dropout layers in order (e.g. to set ``freeze_mask``)."""
        return [layer for layer in self.layers if isinstance(layer, Dropout)]
