"""Optimizers: one small class per update rule, ``update(params, grads)`` in place.

Shape as in the book (``common/optimizer.py``) and scikit-learn's
``neural_network/_stochastic_optimizers.py``. Each class's docstring writes its rule
for one parameter array ``w`` with gradient ``g``; all arithmetic is elementwise,
in the parameters' dtype, into per-parameter state and scratch buffers created on
the first update (so no temporaries on the hot path). Defaults are STUDY.md's.

Use :func:`make_optimizer` to build one by name with validation of every
hyperparameter; ``OPTIMIZERS`` maps names to classes (keys: ``nnbench.vocabulary.OPTIMIZERS``).
Each class's ``defaults`` (name -> default value) and ``ranges`` (name -> allowed
:class:`nnbench.validation.Interval`) are what the spec layer reads too, so a
hyperparameter is checked against the same interval wherever it is written.
"""

from __future__ import annotations

import numbers
import operator
import re

import numpy as np

from nnbench import vocabulary
from nnbench.errors import NnbenchError
from nnbench.validation import Interval, check_params, unknown_name_error


#: the key under which an elementwise optimizer keeps the state of all parameters at once
_WHOLE = "<all parameters>"


def _tiled_array(arrays):
    """The 1-D array that ``arrays`` tile exactly, end to end in this order (each a
    C-contiguous view of it, as ``MLP`` lays out its parameters and gradients), or None."""
    base = arrays[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    address = base.ctypes.data
    for array in arrays:
        if array.base is not base or not array.flags.c_contiguous or array.ctypes.data != address:
            return None
        address += array.nbytes
    return base if address == base.ctypes.data + base.nbytes else None


class Optimizer:
    """Base class: hyperparameters are given as keywords and checked against ``defaults``.

    A rule that is ``elementwise`` (every built-in one: each element of ``w`` is updated
    from the same element of ``g`` and of the state alone) updates parameters that are
    views tiling one flat array (``MLP``'s, with gradients laid out alike) in one pass
    over the flat arrays: the same operations on every element as key by key, with a
    tenth of the calls. ``state[key]`` is then a view of the flat state.
    """

    name = ""
    #: True when the rule works element by element (allows the one-pass update); a class
    #: declares it itself, it is not inherited (a subclass may change the rule)
    elementwise = False
    #: hyperparameter -> default value (STUDY.md)
    defaults: dict = {}
    #: hyperparameter -> allowed values (same keys as ``defaults``)
    ranges: dict[str, Interval] = {}

    def __init__(self, **hyperparameters):
        # Unknown names and out-of-range values raise the package's one message shape,
        # e.g. "adam.lr: 0 is not allowed; expected a finite number > 0".
        values = check_params({**self.defaults, **hyperparameters}, self.ranges,
                              where=self.name, what="hyperparameter")
        self.hyperparameters = values
        for key, value in values.items():
            setattr(self, key, value)
        self.state: dict = {}
        self._scratch: dict = {}
        self.steps = 0
        # the last one-pass update's (params, their arrays, the grads' arrays, flat params, flat grads)
        self._whole_layout = None
        self._whole_state = None  # the flat state arrays behind state[key] in the one-pass update

    def _buffers(self, key, param, count):
        """``count`` zero-initialised state arrays for ``key`` (created on first use)."""
        if key == _WHOLE:
            return self._flat_buffers(param, count)
        arrays = self.state.get(key)
        if arrays is None or arrays[0].shape != param.shape or arrays[0].dtype != param.dtype:
            arrays = self.state[key] = tuple(np.zeros_like(param) for _ in range(count))
        return arrays

    def _flat_buffers(self, flat_param, count):
        """The one-pass update's state: flat arrays holding every key's state (its values
        so far, zeros where a key has none), with ``state[key]`` views of them."""
        arrays = self._whole_state
        if arrays is not None and arrays[0].shape == flat_param.shape and arrays[0].dtype == flat_param.dtype:
            return arrays
        arrays = self._whole_state = tuple(np.zeros_like(flat_param) for _ in range(count))
        start = 0
        for key, param in self._whole_layout[0].items():
            stop = start + param.size
            views = tuple(array[start:stop].reshape(param.shape) for array in arrays)
            old = self.state.get(key)
            if old is not None and len(old) == count and old[0].shape == param.shape and old[0].dtype == param.dtype:
                for view, values in zip(views, old):
                    view[...] = values
            self.state[key] = views
            start = stop
        return arrays

    def _scratch_for(self, key, param, count=1):
        arrays = self._scratch.get(key)
        if arrays is None or arrays[0].shape != param.shape or arrays[0].dtype != param.dtype:
            arrays = self._scratch[key] = tuple(np.empty_like(param) for _ in range(count))
        return arrays

    def update(self, params, grads):
        """Update every array of ``params`` in place from ``grads`` (same keys)."""
        self.steps += 1
        self._start_step()
        whole = self._whole_arrays(params, grads) if vars(type(self)).get("elementwise") else None
        if whole is not None:
            self._update_one(_WHOLE, *whole)
            return
        for key, param in params.items():
            self._update_one(key, param, grads[key])

    def _whole_arrays(self, params, grads):
        """``(flat params, flat grads)`` when ``params`` and ``grads`` are views tiling one
        flat array each, in the same order with the same shapes; else None."""
        layout = self._whole_layout
        param_arrays = tuple(params.values())
        grad_arrays = tuple(grads[key] for key in params)
        if (layout is not None and len(param_arrays) == len(layout[1])
                and all(map(operator.is_, param_arrays, layout[1])) and all(map(operator.is_, grad_arrays, layout[2]))):
            return layout[3], layout[4]  # the arrays of the last update (checked then, views never move)
        if not param_arrays:
            return None
        flat_params, flat_grads = _tiled_array(param_arrays), _tiled_array(grad_arrays)
        if (flat_params is None or flat_grads is None or flat_params.dtype != flat_grads.dtype
                or any(param.shape != grad.shape for param, grad in zip(param_arrays, grad_arrays))):
            return None
        # a new layout: its flat state is made afresh from state[key] (the values so far)
        self._whole_layout = (dict(params), param_arrays, grad_arrays, flat_params, flat_grads)
        self._whole_state = None
        return flat_params, flat_grads

    def _start_step(self):
        """Per-step work shared by all parameters (after ``steps`` is incremented)."""

    def _update_one(self, key, param, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in self.hyperparameters.items())
        return f"{type(self).__name__}({settings})"


_LR = Interval(numbers.Real, 0.0, None, closed="neither")
_UNIT = Interval(numbers.Real, 0.0, 1.0, closed="left")  # momentum-like coefficients in [0, 1)
_EPS = Interval(numbers.Real, 0.0, None, closed="neither")  # eps > 0: eps 0 gives 0/0 on a zero gradient


class SGD(Optimizer):
    """Plain stochastic gradient descent (Robbins & Monro 1951).

    ``w <- w - lr * g``
    """

    name = "sgd"
    defaults = {"lr": 0.01}
    ranges = {"lr": _LR}
    elementwise = True

    def _update_one(self, key, param, grad):
        (step,) = self._scratch_for(key, param)
        np.multiply(grad, self.lr, out=step)
        param -= step


class Momentum(SGD):
    """Classical momentum (Polyak 1964), the book's form.

    ``v <- momentum * v - lr * g``;  ``w <- w + v``  (v starts at 0)
    """

    name = "momentum"
    defaults = {"lr": 0.01, "momentum": 0.9}
    ranges = {"lr": _LR, "momentum": _UNIT}
    elementwise = True

    def _update_one(self, key, param, grad):
        (velocity,) = self._buffers(key, param, 1)
        (step,) = self._scratch_for(key, param)
        velocity *= self.momentum
        np.multiply(grad, self.lr, out=step)
        velocity -= step
        param += velocity


class Nesterov(SGD):
    """Nesterov's accelerated gradient as reformulated by Sutskever et al. (2013) and
    Bengio, Boulanger-Lewandowski & Pascanu (2013, arXiv:1212.0901, eq. 7), where the
    stored parameters are the look-ahead point and the gradient is taken there:

    ``v_new = momentum * v - lr * g``;
    ``w <- w + momentum**2 * v - (1 + momentum) * lr * g``  (with the *old* v),
    which equals ``w <- w + momentum * v_new - lr * g``; v starts at 0.

    The book's code (``common/optimizer.py``) applies ``momentum**2`` to the already
    updated velocity, which is not the paper's rule; we follow the paper.
    """

    name = "nesterov"
    defaults = {"lr": 0.01, "momentum": 0.9}
    ranges = {"lr": _LR, "momentum": _UNIT}
    elementwise = True

    def _update_one(self, key, param, grad):
        (velocity,) = self._buffers(key, param, 1)
        lr_grad, step = self._scratch_for(key, param, 2)
        np.multiply(grad, self.lr, out=lr_grad)
        velocity *= self.momentum
        velocity -= lr_grad
        np.multiply(velocity, self.momentum, out=step)
        step -= lr_grad
        param += step


class AdaGrad(SGD):
    """AdaGrad (Duchi, Hazan & Singer 2011), the book's form with eps outside the root.

    ``h <- h + g * g``;  ``w <- w - lr * g / (sqrt(h) + eps)``  (h starts at 0)
    """

    name = "adagrad"
    defaults = {"lr": 0.01, "eps": 1e-7}
    ranges = {"lr": _LR, "eps": _EPS}
    elementwise = True

    def _update_one(self, key, param, grad):
        (accumulator,) = self._buffers(key, param, 1)
        denominator, step = self._scratch_for(key, param, 2)
        np.multiply(grad, grad, out=step)
        accumulator += step
        np.sqrt(accumulator, out=denominator)
        denominator += self.eps
        np.multiply(grad, self.lr, out=step)
        step /= denominator
        param -= step


class RMSprop(SGD):
    """RMSprop (Tieleman & Hinton 2012, Coursera lecture 6.5), the book's form with eps
    outside the root.

    ``h <- decay * h + (1 - decay) * g * g``;  ``w <- w - lr * g / (sqrt(h) + eps)``
    (h starts at 0)
    """

    name = "rmsprop"
    defaults = {"lr": 0.01, "decay": 0.99, "eps": 1e-7}
    ranges = {"lr": _LR, "decay": _UNIT, "eps": _EPS}
    elementwise = True

    def _update_one(self, key, param, grad):
        (mean_square,) = self._buffers(key, param, 1)
        denominator, step = self._scratch_for(key, param, 2)
        mean_square *= self.decay
        np.multiply(grad, grad, out=step)
        step *= 1 - self.decay
        mean_square += step
        np.sqrt(mean_square, out=denominator)
        denominator += self.eps
        np.multiply(grad, self.lr, out=step)
        step /= denominator
        param -= step


class Adadelta(SGD):
    """Adadelta (Zeiler 2012, Algorithm 1), with a learning rate scaling the update
    (lr 1.0 is the paper's algorithm).

    ``Eg <- rho * Eg + (1 - rho) * g * g``;
    ``dx = - sqrt(Edx + eps) / sqrt(Eg + eps) * g``;
    ``Edx <- rho * Edx + (1 - rho) * dx * dx``  (the unscaled dx, as in the paper);
    ``w <- w + lr * dx``  (Eg and Edx start at 0)
    """

    name = "adadelta"
    defaults = {"lr": 1.0, "rho": 0.95, "eps": 1e-6}
    ranges = {"lr": _LR, "rho": _UNIT, "eps": _EPS}
    elementwise = True

    def _update_one(self, key, param, grad):
        mean_square_grad, mean_square_delta = self._buffers(key, param, 2)
        delta, tmp = self._scratch_for(key, param, 2)
        rho = self.rho
        mean_square_grad *= rho
        np.multiply(grad, grad, out=tmp)
        tmp *= 1 - rho
        mean_square_grad += tmp
        # delta = -sqrt(Edx + eps) / sqrt(Eg + eps) * g
        np.add(mean_square_delta, self.eps, out=delta)
        np.add(mean_square_grad, self.eps, out=tmp)
        delta /= tmp
        np.sqrt(delta, out=delta)
        delta *= grad
        np.negative(delta, out=delta)
        mean_square_delta *= rho
        np.multiply(delta, delta, out=tmp)
        tmp *= 1 - rho
        mean_square_delta += tmp
        if self.lr != 1.0:
            delta *= self.lr
        param += delta


class Adam(SGD):
    """Adam (Kingma & Ba 2015, Algorithm 1), with bias correction and eps outside the root.

    At step t = 1, 2, ...:
    ``m <- beta1 * m + (1 - beta1) * g``;  ``v <- beta2 * v + (1 - beta2) * g * g``;
    ``m_hat = m / (1 - beta1**t)``;  ``v_hat = v / (1 - beta2**t)``;
    ``w <- w - lr * m_hat / (sqrt(v_hat) + eps)``  (m and v start at 0)
    """

    name = "adam"
    defaults = {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    ranges = {"lr": _LR, "beta1": _UNIT, "beta2": _UNIT, "eps": _EPS}
    elementwise = True

    def _start_step(self):
        # Bias corrections are scalars, computed once per step in float64.
        self._m_correction = 1.0 / (1.0 - self.beta1**self.steps)
        self._v_correction = 1.0 / (1.0 - self.beta2**self.steps)

    def _update_one(self, key, param, grad):
        first, second = self._buffers(key, param, 2)
        denominator, step = self._scratch_for(key, param, 2)
        first *= self.beta1
        np.multiply(grad, 1 - self.beta1, out=step)
        first += step
        second *= self.beta2
        np.multiply(grad, grad, out=step)
        step *= 1 - self.beta2
        second += step
        np.multiply(second, self._v_correction, out=denominator)
        np.sqrt(denominator, out=denominator)
        denominator += self.eps
        np.multiply(first, self.lr * self._m_correction, out=step)
        step /= denominator
        param -= step


_CLASSES = {cls.name: cls for cls in (SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adadelta, Adam)}
#: name -> class, in the vocabulary's order (a name without a class fails at import)
OPTIMIZERS = {name: _CLASSES[name] for name in vocabulary.OPTIMIZERS}


#: A user's optimizer: ``package.module:Class`` (the module importable from the current
#: folder or an installed package).
IMPORT_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")
IMPORT_PATH_TEXT = "an import path package.module:Class"


def is_import_path(name) -> bool:
    """True for ``package.module:Class`` (a user's optimizer), False for a built-in name."""
    return isinstance(name, str) and IMPORT_PATH.match(name) is not None


def load_optimizer_class(path: str, *, where: str = "optimizer", error=NnbenchError):
    """The class ``package.module:Class`` names, with a callable ``update``.

    The current folder is put on ``sys.path`` first, so a module next to the config (or
    the spec) imports as well as an installed package. A module that does not import, a
    missing class or a class without ``update`` raises ``error`` in one line.
    """
    import importlib
    import inspect
    import os
    import sys

    module_name, class_name = path.split(":")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as failure:  # any import failure of a user's module is their input error
        reason = " ".join(f"{type(failure).__name__}: {failure}".split())
        raise error(f"{where}: module {module_name!r} does not import ({reason}); expected a module in the "
                    "current folder (next to your config) or an installed package") from None
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls):
        classes = sorted(name for name, value in vars(module).items()  # the module's optimizers
                         if inspect.isclass(value) and callable(getattr(value, "update", None))
                         and not name.startswith("_"))
        raise unknown_name_error(f"class in module {module_name!r}", class_name, classes, where=where, error=error)
    if not callable(getattr(cls, "update", None)):
        raise error(f"{where}: class {path!r} has no callable update(params, grads); an optimizer updates "
                    "params in place from grads")
    return cls


def optimizer_hyperparameters(cls, *, where: str = "optimizer", error=NnbenchError) -> tuple[dict, dict]:
    """``(defaults, ranges)`` of an optimizer class: its ``defaults`` and ``ranges`` dicts
    when declared, else the keyword defaults of ``__init__`` (every value a number)."""
    import inspect

    defaults = getattr(cls, "defaults", None)
    if not isinstance(defaults, dict) or not defaults:
        defaults = {}
        for parameter in inspect.signature(cls.__init__).parameters.values():
            if parameter.name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            if parameter.default is parameter.empty:
                raise error(f"{where}: __init__ parameter {parameter.name!r} of {cls.__name__} has no default; "
                            "expected every hyperparameter as a keyword with a default")
            defaults[parameter.name] = parameter.default
    for name, value in defaults.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise error(f"{where}: default of hyperparameter {name!r} of {cls.__name__} is {value!r}; "
                        "expected a number")
    ranges = getattr(cls, "ranges", None)
    ranges = dict(ranges) if isinstance(ranges, dict) else {}
    return dict(defaults), {name: ranges.get(name, _ANY_REAL) for name in defaults}


_ANY_REAL = Interval(numbers.Real, None, None)


def source_file_sha256(cls) -> tuple[str, str, str]:
    """``(module, file, sha256 of the file)`` of the module defining ``cls``: editing it
    changes what the class does, so the hash is part of a run's identity."""
    import hashlib
    import inspect

    path = inspect.getsourcefile(cls) or inspect.getfile(cls)
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    return cls.__module__, path, digest


def make_optimizer(name, **hyperparameters):
    """A new optimizer by name (see ``OPTIMIZERS``) with its hyperparameters as keywords.

    ``name`` may also be a user's class by import path ``package.module:Class``
    (:func:`load_optimizer_class`), built as ``Class(**hyperparameters)``.
    Missing hyperparameters take STUDY.md's defaults; an unknown name or
    hyperparameter, or a value out of range, raises NnbenchError listing what is allowed.
    """
    if is_import_path(name):
        return load_optimizer_class(name)(**hyperparameters)
    key = str(name).strip().lower()
    cls = OPTIMIZERS.get(key)
    if cls is None:
        raise unknown_name_error("optimizer", name, list(OPTIMIZERS) + [IMPORT_PATH_TEXT])
    return cls(**hyperparameters)
