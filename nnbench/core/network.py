"""The multi-layer perceptron of the study: per hidden layer
``Affine -> [BatchNorm] -> activation -> [Dropout]``, then ``Affine -> softmax cross-entropy``.
"""

from __future__ import annotations

import numbers

import numpy as np

from nnbench import seeding, vocabulary
from nnbench.core.initializers import initialize_weights, parse_init
from nnbench.core.layers import (
    DEFAULT_BATCHNORM_EPS,
    Affine,
    BatchNorm,
    Dropout,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SoftmaxCrossEntropy,
    Tanh,
)
from nnbench.core.rows import is_row_source, rows_into
from nnbench.errors import NnbenchError
from nnbench.validation import COUNT, COUNT_OR_ZERO, FRACTION, NON_NEGATIVE, POSITIVE, not_allowed, unknown_name_error

ACTIVATIONS = vocabulary.ACTIVATIONS
DTYPES = vocabulary.DTYPES
#: slope of leaky ReLU for negative inputs
LEAKY_RELU_SLOPE = 0.01
#: rows per chunk of :meth:`MLP.evaluate`: large enough for full-rate GEMMs, small
#: enough that the work buffers stay in cache-friendly megabytes
DEFAULT_EVAL_CHUNK = 1024

#: allowed values of the constructor's numeric arguments
CONSTRAINTS = {"size": COUNT, "dropout": FRACTION, "weight_decay": NON_NEGATIVE, "batchnorm_eps": POSITIVE,
               "seed": COUNT_OR_ZERO, "chunk_size": COUNT}


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


def _check_integer(where, value, constraint):
    """A whole number in ``constraint``, given as an int (not 2.0 or "2": sizes and seeds
    are counts, and a float there is a mistake upstream)."""
    if not _is_int(value):
        raise not_allowed(where, value, constraint.describe())
    return constraint.check(where, value)


#: Units whose columns differ by at most this fraction of the layer's largest absolute entry
#: count as one in :meth:`MLP.distinct_units`: equal float32 units drift about 3e-7 apart in
#: 2000 SGD updates (rounding), units of a random start differ at order 1.
DISTINCT_UNITS_RTOL = 1e-5


def _count_distinct(rows, rtol):
    """Groups of ``rows`` (2-D) within ``rtol`` times the largest absolute entry of one
    another's first member (greedy, in order): exact equality when that is 0."""
    if not np.all(np.isfinite(rows)):
        return int(np.unique(rows, axis=0).shape[0])  # a diverged layer: exact equality
    tolerance = rtol * float(np.max(np.abs(rows))) if rows.size else 0.0
    count = 0
    while len(rows):
        count += 1
        rows = rows[np.max(np.abs(rows - rows[0]), axis=1) > tolerance]
    return count


class MLP:
    """A fully connected network trained with softmax cross-entropy.

    ``MLP(784, [100, 100, 100, 100], 10, activation="relu", init="he", init_value=None,
    batchnorm=False, dropout=0.0, weight_decay=0.0, dtype="float32", seed=0,
    batchnorm_eps=1e-5)``

    - ``activation``: one of ACTIVATIONS (leaky ReLU has slope LEAKY_RELU_SLOPE = 0.01).
    - ``init``: "he", "xavier" (sqrt(1/fan_in), the book's), "glorot", "constant", or a
      positive number = the std; ``init_value`` is the constant for "constant"
      (default 0.01) and must be None otherwise. Biases start at 0, BN gamma at 1 and
      beta at 0. Every weight matrix, the output layer's included, uses ``init``.
    - ``batchnorm``: a BatchNorm layer after every hidden affine layer, with
      ``batchnorm_eps`` (> 0; default 1e-5, the book's code uses 1e-6) added to the
      variance.
    - ``dropout``: the drop rate in [0, 1) after every hidden activation (inverted dropout).
    - ``weight_decay``: lambda >= 0; the loss gains lambda/2 * sum of squared weights
      (W matrices only, not biases or BN parameters).
    - ``dtype``: "float32" (default) or "float64"; inputs are converted to it.
    - ``seed``: the run seed. The weights draw from its stream ``"weights"`` and the
      dropout masks from its stream ``"dropout"`` (``nnbench.seeding.rng``), two
      independent Generators: the same seed gives bit-identical weights whatever the
      dropout rate, and, with the same data order, bit-identical results.

    ``params`` maps "W1", "b1", ..., "WL", "bL" (and "gamma1", "beta1", ... with batch
    norm) to arrays; W is (fan_in, fan_out). The layers read them from this dict on every
    call, so in-place optimizer updates and replaced entries are both seen. The arrays are
    views of one flat array, end to end in this order, and so are the gradients: the
    built-in optimizers update all of them in one pass.
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
        batchnorm_eps=DEFAULT_BATCHNORM_EPS,
    ):
        hidden_sizes = [hidden_sizes] if _is_int(hidden_sizes) else list(hidden_sizes)
        size = CONSTRAINTS["size"]
        input_size = _check_integer("input_size", input_size, size)
        hidden_sizes = [_check_integer(f"hidden_sizes[{index}]", width, size)
                        for index, width in enumerate(hidden_sizes)]
        output_size = _check_integer("output_size", output_size, size)
        sizes = [input_size, *hidden_sizes, output_size]
        if activation not in ACTIVATIONS:
            raise unknown_name_error("activation", activation, ACTIVATIONS)
        init = parse_init(init)
        dropout = CONSTRAINTS["dropout"].check("dropout", dropout)
        weight_decay = CONSTRAINTS["weight_decay"].check("weight_decay", weight_decay)
        batchnorm_eps = CONSTRAINTS["batchnorm_eps"].check("batchnorm_eps", batchnorm_eps)
        dtype_name = str(np.dtype(dtype)) if dtype in (np.float32, np.float64) else str(dtype)
        if dtype_name not in DTYPES:
            raise unknown_name_error("dtype", dtype, DTYPES)
        if not isinstance(batchnorm, (bool, np.bool_)):
            raise not_allowed("batchnorm", batchnorm, "true or false")
        seed = _check_integer("seed", seed, CONSTRAINTS["seed"])

        self.sizes = sizes
        self.input_size, self.hidden_sizes, self.output_size = input_size, hidden_sizes, output_size
        self.activation = activation
        self.init = init
        self.init_value = init_value
        self.batchnorm = bool(batchnorm)
        self.batchnorm_eps = batchnorm_eps
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.dtype = np.dtype(dtype_name)
        self.seed = seed
        # Independent streams: adding dropout or a diagnostic never moves the weights.
        weights_rng = seeding.rng(seed, "weights")
        #: the Generator of the dropout masks (stream "dropout" of ``seed``)
        self.dropout_rng = seeding.rng(seed, "dropout")
        #: number of affine layers (hidden layers + the output layer)
        self.n_layers = len(sizes) - 1

        self._build_layers(weights_rng)
        self.loss_layer = SoftmaxCrossEntropy()
        self.last_loss = float("nan")
        self._weight_keys = [f"W{index}" for index in range(1, self.n_layers + 1)]
        self._decay_scratch: dict = {}
        self._eval_buffers = None

    def _build_layers(self, weights_rng):
        """The parameters and the layers: per hidden layer Affine, [BatchNorm], activation,
        [Dropout]; then the output Affine (weights drawn in layer order from ``weights_rng``)."""
        self.params: dict = {}
        self._grads: dict = {}
        self.layers: list = []
        #: the activation layer of each hidden layer, in order
        self.activation_layers: list = []
        for index in range(1, self.n_layers + 1):
            fan_in, fan_out = self.sizes[index - 1], self.sizes[index]
            self.params[f"W{index}"] = initialize_weights(
                self.init, fan_in, fan_out, weights_rng, self.dtype, self.init_value
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
                self.layers.append(BatchNorm(self.params, f"gamma{index}", f"beta{index}", self._grads,
                                             eps=self.batchnorm_eps))
            act = _make_activation(self.activation)
            self.layers.append(act)
            self.activation_layers.append(act)
            if self.dropout > 0:
                self.layers.append(Dropout(self.dropout, self.dropout_rng))
        self._pack_parameters()

    def _pack_parameters(self):
        """Lay the parameters, in ``params``' order, end to end in one flat array, and their
        gradients likewise in another: ``params[key]`` and the gradient buffers become views
        of them (same shapes and values). An elementwise optimizer then updates all of them
        in one pass over the flat arrays (``nnbench.core.optimizers``: the same arithmetic
        on every element, a tenth of the calls)."""
        total = sum(param.size for param in self.params.values())
        flat_params = np.empty(total, dtype=self.dtype)
        flat_grads = np.zeros(total, dtype=self.dtype)
        start = 0
        for key, param in self.params.items():
            stop = start + param.size
            view = flat_params[start:stop].reshape(param.shape)
            view[...] = param
            self.params[key] = view
            self._grads[key] = flat_grads[start:stop].reshape(param.shape)
            start = stop

    def __repr__(self):
        return (
            f"MLP({self.input_size}, {self.hidden_sizes}, {self.output_size}, activation={self.activation!r}, "
            f"init={self.init!r}, batchnorm={self.batchnorm}, dropout={self.dropout}, "
            f"weight_decay={self.weight_decay}, dtype={self.dtype.name!r}, seed={self.seed}"
            + (f", batchnorm_eps={self.batchnorm_eps}" if self.batchnorm else "") + ")"
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

    def evaluate(self, x, t, chunk_size=DEFAULT_EVAL_CHUNK):
        """``(loss, accuracy)`` of the inference-mode network on ``(x, t)``, floats.

        The loss is :meth:`loss` ``(x, t, train=False)`` (mean softmax cross-entropy plus
        weight_decay/2 * sum of squared weights) and the accuracy :meth:`accuracy`, from
        one forward pass made ``chunk_size`` rows at a time through work buffers that are
        allocated on the first call and reused by every later one (reallocated only for a
        new ``chunk_size``): no temporary grows with the number of samples, the layers'
        training buffers are left alone, and the per-sample losses are summed in float64.
        Equal to ``loss``/``accuracy`` up to that summation order (bit-identical from call
        to call for the same ``chunk_size``). BN running averages and the dropout
        Generator are not touched. ``x`` may be a row source (:mod:`nnbench.core.rows`):
        its chunks are converted one at a time.
        """
        if not is_row_source(x):
            x = np.asarray(x)
        if len(x.shape) != 2 or x.shape[1] != self.input_size:
            raise NnbenchError(f"x must have shape (N, {self.input_size}), got {tuple(x.shape)}")
        n = x.shape[0]
        if n == 0:
            raise not_allowed("x", "0 samples", "at least one row")
        t = self._targets(t, n)
        chunk_size = _check_integer("chunk_size", chunk_size, CONSTRAINTS["chunk_size"])
        if t.ndim == 1 and not (0 <= t.min() and t.max() < self.output_size):
            raise NnbenchError(f"t: labels must be in [0, {self.output_size}), got values from {t.min()} to {t.max()}")
        buffers = self._evaluation_buffers(chunk_size)
        # BN's inference divisor once per call (a vector per layer), not once per chunk
        stds = [layer.inference_std() if isinstance(layer, BatchNorm) else None for layer in self.layers]
        classes = self.output_size
        loss_sum = 0.0
        correct = 0
        converting = is_row_source(x) or x.dtype != self.dtype
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            rows = stop - start
            if not converting:
                h = x[start:stop]
            else:  # converted chunk by chunk, never the whole split
                if buffers["input"] is None:
                    buffers["input"] = np.empty((chunk_size, self.input_size), self.dtype)
                h = rows_into(x, slice(start, stop), buffers["input"][:rows])
            affine_index = 0
            for layer, std in zip(self.layers, stds, strict=True):
                if isinstance(layer, Affine):
                    h = layer.forward_into(h, buffers["outputs"][affine_index][:rows])
                    affine_index += 1
                elif std is not None:
                    layer.forward_inplace(h, std=std)
                else:
                    layer.forward_inplace(h, buffers["scratch"][:h.size].reshape(h.shape))
            logits = h
            # accuracy first: shifting the logits below could create ties
            if t.ndim == 1:
                labels = t[start:stop]
            else:
                labels = np.argmax(t[start:stop], axis=1, out=buffers["labels"][:rows])
            predicted = np.argmax(logits, axis=1, out=buffers["predicted"][:rows])
            hits = np.equal(predicted, labels, out=buffers["hits"][:rows])
            correct += int(np.count_nonzero(hits))
            # loss: logsumexp(z) - z[t] from z - max(z), as SoftmaxCrossEntropy computes it
            log_sum = buffers["row"][:rows]
            np.max(logits, axis=1, keepdims=True, out=log_sum)
            logits -= log_sum
            exp = buffers["exp"][:rows]
            np.exp(logits, out=exp)
            np.sum(exp, axis=1, keepdims=True, out=log_sum)
            np.log(log_sum, out=log_sum)
            if t.ndim == 1:
                flat_index = np.multiply(buffers["row_starts"][:rows], classes, out=buffers["index"][:rows])
                flat_index += labels
                picked = np.take(logits.reshape(-1), flat_index, out=buffers["picked"][:rows])
                np.subtract(log_sum[:, 0], picked, out=picked)
                loss_sum += float(np.sum(picked, dtype=np.float64))
            else:
                np.subtract(log_sum, logits, out=exp)
                np.multiply(exp, t[start:stop], out=exp)
                loss_sum += float(np.sum(exp, dtype=np.float64))
        return loss_sum / n + self._weight_penalty(), correct / n

    def _evaluation_buffers(self, chunk_size):
        """:meth:`evaluate`'s work arrays for ``chunk_size`` rows (made once, then reused)."""
        buffers = self._eval_buffers
        if buffers is not None and buffers["chunk_size"] == chunk_size:
            return buffers
        dtype = self.dtype
        widest_hidden = max(self.hidden_sizes, default=0)
        self._eval_buffers = buffers = {
            "chunk_size": chunk_size,
            "input": None,  # made when an input needs converting to the network's dtype
            "outputs": [np.empty((chunk_size, width), dtype) for width in self.sizes[1:]],
            "scratch": np.empty(chunk_size * widest_hidden, dtype),
            "exp": np.empty((chunk_size, self.output_size), dtype),
            "row": np.empty((chunk_size, 1), dtype),
            "picked": np.empty(chunk_size, dtype),
            "row_starts": np.arange(chunk_size, dtype=np.intp),
            "index": np.empty(chunk_size, np.intp),
            "labels": np.empty(chunk_size, np.intp),
            "predicted": np.empty(chunk_size, np.intp),
            "hits": np.empty(chunk_size, np.bool_),
        }
        return buffers

    def __getstate__(self):
        # evaluate's work buffers are rebuilt on demand: copies and pickles stay small
        state = self.__dict__.copy()
        state["_eval_buffers"] = None
        return state

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
        return self.dead_fraction_of([layer.out for layer in self.activation_layers])

    def dead_fraction_of(self, activations):
        """:meth:`dead_fraction` from the hidden layers' activations of an inference-mode
        pass (:meth:`hidden_activations`), so that one forward pass serves both."""
        fractions = []
        for layer, out in zip(self.activation_layers, activations, strict=True):
            derivative = layer.derivative(out)
            fractions.append(float(np.mean(np.all(derivative == 0, axis=0))))
        return fractions

    def distinct_units(self, x=None):
        """Per hidden layer, the number of distinct units: groups of units whose columns
        differ by at most :data:`DISTINCT_UNITS_RTOL` times the layer's largest absolute entry.

        Without ``x``: columns of W_i (a unit's incoming weights). With ``x``: columns of the
        layer's activations on ``x`` (inference mode). Equal (constant) initial weights give
        1 for every layer, and training keeps it at 1: in float64 the units stay exactly
        equal, in float32 the matrix products' rounding (a BLAS kernel handles some columns in
        a different block) leaves them a few ulp apart, which this tolerance does not count.
        """
        if x is None:
            columns = [self.params[f"W{index}"].T for index in range(1, self.n_layers)]
        else:
            columns = [activations.T for activations in self.hidden_activations(x)]
        return [_count_distinct(column, DISTINCT_UNITS_RTOL) for column in columns]

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
