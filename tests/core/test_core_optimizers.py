"""Each optimizer against its paper's update rule, written out independently here."""

import math
import re

import numpy as np
import pytest

from nnbench import vocabulary
from nnbench.core import OPTIMIZERS, make_optimizer
from nnbench.errors import NnbenchError
from nnbench.validation import Interval

# A short sequence of gradients for a 3-element parameter, reused by every optimizer.
GRADIENTS = [np.array([0.5, -2.0, 1e-3]), np.array([0.4, 1.0, -3.0]), np.array([-0.1, 0.3, 2.0])]
START = np.array([1.0, -1.0, 0.25])


def run_optimizer(name, **hyperparameters):
    """Parameter values after each update of the named optimizer (float64)."""
    optimizer = make_optimizer(name, **hyperparameters)
    params = {"w": START.copy()}
    history = []
    for gradient in GRADIENTS:
        optimizer.update(params, {"w": gradient.copy()})
        history.append(params["w"].copy())
    return history


def reference(rule, state):
    """Apply ``rule(w, g, state, step)`` to the gradient sequence; values after each update."""
    w = START.copy()
    history = []
    for step, g in enumerate(GRADIENTS, start=1):
        w = rule(w, g, state, step)
        history.append(w.copy())
    return history


def assert_histories_equal(ours, expected):
    for got, want in zip(ours, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_sgd_first_step_by_hand_and_sequence():
    # w = 1 - 0.1 * 0.5 = 0.95; w = -1 - 0.1 * (-2) = -0.8; 0.25 - 0.1 * 0.001 = 0.2499
    first = run_optimizer("sgd", lr=0.1)[0]
    np.testing.assert_allclose(first, [0.95, -0.8, 0.2499], rtol=1e-15)

    def rule(w, g, state, step):
        return w - 0.1 * g

    assert_histories_equal(run_optimizer("sgd", lr=0.1), reference(rule, {}))


def test_momentum():
    # step 1: v = -0.1 * g, w = w + v -> [0.95, -0.8, 0.2499]
    # step 2: v = 0.9 * v - 0.1 * g2 = [-0.045 - 0.04, 0.18 - 0.1, ...] -> w1 = 0.95 - 0.085
    history = run_optimizer("momentum", lr=0.1, momentum=0.9)
    assert history[1][0] == pytest.approx(0.865, rel=1e-14)
    assert history[1][1] == pytest.approx(-0.8 + 0.08, rel=1e-14)

    def rule(w, g, state, step):
        state["v"] = 0.9 * state.get("v", 0.0) - 0.1 * g
        return w + state["v"]

    assert_histories_equal(history, reference(rule, {}))


def test_nesterov_sutskever_bengio_form():
    # Bengio et al. 2013 eq. 7: w <- w + mu^2 v_old - (1 + mu) lr g, then v <- mu v_old - lr g.
    # step 1 (v_old = 0): w1 = 1 - 1.9 * 0.1 * 0.5 = 0.905; v = -0.05
    # step 2: w = 0.905 + 0.81 * (-0.05) - 1.9 * 0.1 * 0.4 = 0.905 - 0.0405 - 0.076 = 0.7885
    history = run_optimizer("nesterov", lr=0.1, momentum=0.9)
    assert history[0][0] == pytest.approx(0.905, rel=1e-14)
    assert history[1][0] == pytest.approx(0.7885, rel=1e-14)

    def rule(w, g, state, step):
        v_old = state.get("v", 0.0)
        w = w + 0.81 * v_old - 1.9 * 0.1 * g
        state["v"] = 0.9 * v_old - 0.1 * g
        return w

    assert_histories_equal(history, reference(rule, {}))


def test_adagrad_eps_outside_the_root():
    # step 1: h = g^2, w = w - lr g / (|g| + eps): 1 - 0.5 * 0.5 / (0.5 + 1e-7)
    history = run_optimizer("adagrad", lr=0.5, eps=1e-7)
    assert history[0][0] == pytest.approx(1 - 0.25 / (0.5 + 1e-7), rel=1e-14)

    def rule(w, g, state, step):
        state["h"] = state.get("h", 0.0) + g * g
        return w - 0.5 * g / (np.sqrt(state["h"]) + 1e-7)

    assert_histories_equal(history, reference(rule, {}))


def test_rmsprop_eps_outside_the_root():
    # step 1: h = 0.01 g^2 -> w = 1 - 0.01 * 0.5 / (0.1 * 0.5 + 1e-7)
    history = run_optimizer("rmsprop", lr=0.01, decay=0.99, eps=1e-7)
    assert history[0][0] == pytest.approx(1 - 0.005 / (0.05 + 1e-7), rel=1e-13)

    def rule(w, g, state, step):
        state["h"] = 0.99 * state.get("h", 0.0) + 0.01 * g * g
        return w - 0.01 * g / (np.sqrt(state["h"]) + 1e-7)

    assert_histories_equal(history, reference(rule, {}))


@pytest.mark.parametrize("lr", [1.0, 0.5])
def test_adadelta_zeiler_algorithm_1(lr):
    # step 1: Eg = 0.05 g^2; dx = -sqrt(eps) / sqrt(0.05 g^2 + eps) * g; w += lr dx
    history = run_optimizer("adadelta", lr=lr, rho=0.95, eps=1e-6)
    g = 0.5
    assert history[0][0] == pytest.approx(1 - lr * math.sqrt(1e-6) / math.sqrt(0.05 * g * g + 1e-6) * g, rel=1e-13)

    def rule(w, g, state, step):
        state["Eg"] = 0.95 * state.get("Eg", 0.0) + 0.05 * g * g
        dx = -np.sqrt(state.get("Edx", 0.0) + 1e-6) / np.sqrt(state["Eg"] + 1e-6) * g
        state["Edx"] = 0.95 * state.get("Edx", 0.0) + 0.05 * dx * dx
        return w + lr * dx

    assert_histories_equal(history, reference(rule, {}))


def test_adam_kingma_ba_algorithm_1():
    # step 1 with bias correction: m_hat = g, v_hat = g^2 -> w = w - lr g / (|g| + eps)
    history = run_optimizer("adam", lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    assert history[0][0] == pytest.approx(1 - 0.1 * 0.5 / (0.5 + 1e-8), rel=1e-13)
    assert history[0][2] == pytest.approx(0.25 - 0.1 * 1e-3 / (1e-3 + 1e-8), rel=1e-13)

    def rule(w, g, state, step):
        state["m"] = 0.9 * state.get("m", 0.0) + 0.1 * g
        state["v"] = 0.999 * state.get("v", 0.0) + 0.001 * g * g
        m_hat = state["m"] / (1 - 0.9**step)
        v_hat = state["v"] / (1 - 0.999**step)
        return w - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8)

    assert_histories_equal(history, reference(rule, {}))


def test_defaults_are_the_studys():
    expected = {
        "sgd": {"lr": 0.01},
        "momentum": {"lr": 0.01, "momentum": 0.9},
        "nesterov": {"lr": 0.01, "momentum": 0.9},
        "adagrad": {"lr": 0.01, "eps": 1e-7},
        "rmsprop": {"lr": 0.01, "decay": 0.99, "eps": 1e-7},
        "adadelta": {"lr": 1.0, "rho": 0.95, "eps": 1e-6},
        "adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    }
    assert set(OPTIMIZERS) == set(expected)
    for name, defaults in expected.items():
        assert make_optimizer(name).hyperparameters == defaults


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_float32_stays_float32_and_state_is_per_key(name):
    optimizer = make_optimizer(name)
    params = {"a": np.ones((3, 2), np.float32), "b": np.zeros(2, np.float32)}
    grads = {"a": np.full((3, 2), 0.5, np.float32), "b": np.full(2, -1.0, np.float32)}
    before = {key: value.copy() for key, value in params.items()}
    arrays = {key: value for key, value in params.items()}
    for _ in range(3):
        optimizer.update(params, grads)
    for key in params:
        assert params[key] is arrays[key]  # updated in place
        assert params[key].dtype == np.float32
        assert not np.array_equal(params[key], before[key])
    # grads are not modified by the update
    np.testing.assert_array_equal(grads["a"], 0.5)


def test_unknown_optimizer_name():
    expected = (r"^unknown optimizer 'adamm' \(did you mean 'adam'\?\); "
                r"allowed: sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, "
                r"an import path package.module:Class$")
    with pytest.raises(NnbenchError, match=expected):
        make_optimizer("adamm")


def test_unknown_hyperparameter_lists_allowed():
    expected = r"^adam: unknown hyperparameter 'beta' \(did you mean 'beta2'\?\); allowed: lr, beta1, beta2, eps$"
    with pytest.raises(NnbenchError, match=expected):
        make_optimizer("adam", beta=0.9)
    with pytest.raises(NnbenchError, match="'momentum'"):
        make_optimizer("sgd", momentum=0.9)


@pytest.mark.parametrize(
    "name, settings",
    [("sgd", {"lr": 0}), ("sgd", {"lr": -1}), ("momentum", {"momentum": 1.0}), ("adam", {"eps": 0}),
     ("rmsprop", {"decay": -0.1}), ("adam", {"lr": float("nan")}), ("adam", {"lr": "fast"}), ("sgd", {"lr": True})],
)
def test_bad_hyperparameter_values(name, settings):
    ((key, value),) = settings.items()
    expected = rf"^{name}\.{key}: {re.escape(repr(value))} is not allowed; expected a finite number "
    with pytest.raises(NnbenchError, match=expected):
        make_optimizer(name, **settings)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_ranges_are_intervals_holding_the_defaults(name):
    cls = OPTIMIZERS[name]
    assert list(cls.ranges) == list(cls.defaults)
    for key, default in cls.defaults.items():
        assert isinstance(cls.ranges[key], Interval)
        assert default in cls.ranges[key]
    assert 0 not in cls.ranges["lr"] and 1e-9 in cls.ranges["lr"]


def test_interval_bounds_of_coefficients_and_eps():
    assert 0.0 in OPTIMIZERS["momentum"].ranges["momentum"] and 1.0 not in OPTIMIZERS["momentum"].ranges["momentum"]
    assert 0.0 not in OPTIMIZERS["adam"].ranges["eps"]
    assert make_optimizer("adam", beta1="0.5").beta1 == 0.5  # numeric text, as YAML 1.1 reads 1e-4


def test_optimizer_names_are_the_vocabularys():
    assert tuple(OPTIMIZERS) == vocabulary.OPTIMIZERS


def test_name_is_case_insensitive():
    assert type(make_optimizer("Adam")) is OPTIMIZERS["adam"]


def test_path_gradient_is_the_objectives_derivative():
    from nnbench.core.objective import path_gradient, path_objective

    x, y, h = -3.0, 1.5, 1e-6
    gx, gy = path_gradient(x, y)
    assert abs(gx - (path_objective(x + h, y) - path_objective(x - h, y)) / (2 * h)) < 1e-6
    assert abs(gy - (path_objective(x, y + h) - path_objective(x, y - h)) / (2 * h)) < 1e-6


def _tiled(arrays):
    """Copies of ``arrays`` as views tiling one flat float32 array, as MLP lays out its
    parameters and gradients."""
    flat = np.concatenate([array.ravel() for array in arrays]).astype(np.float32)
    views, start = [], 0
    for array in arrays:
        views.append(flat[start:start + array.size].reshape(array.shape))
        start += array.size
    return views


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_one_pass_update_of_tiled_parameters_is_bit_identical_key_by_key(name):
    # The built-in rules are elementwise: over the flat array that MLP's parameters tile,
    # one pass gives every element the bits that the update key by key gives it, and the
    # state stays readable per key (a view of the flat state).
    rng = np.random.default_rng(3)
    shapes = {"W1": (5, 4), "b1": (4,), "gamma1": (4,), "W2": (4, 3), "b2": (3,)}
    start = {key: rng.standard_normal(shape).astype(np.float32) for key, shape in shapes.items()}
    gradients = [{key: rng.standard_normal(shape).astype(np.float32) for key, shape in shapes.items()}
                 for _ in range(4)]
    separate, tiled = make_optimizer(name), make_optimizer(name)
    params_separate = {key: value.copy() for key, value in start.items()}
    params_tiled = dict(zip(shapes, _tiled(list(start.values())), strict=True))
    grads_tiled = dict(zip(shapes, _tiled(list(gradients[0].values())), strict=True))
    for step, grads in enumerate(gradients):
        for key in shapes:
            grads_tiled[key][...] = grads[key]  # written in place, as the layers do
        if step == 2:  # a caller replaces an entry: back to key by key, the state kept
            params_tiled = {**params_tiled, "b2": params_tiled["b2"].copy()}
        if step == 3:  # a new flat layout: its flat state starts from the state so far
            params_tiled = dict(zip(shapes, _tiled([params_tiled[key] for key in shapes]), strict=True))
        separate.update(params_separate, grads)
        tiled.update(params_tiled, grads_tiled)
        for key in shapes:
            assert params_tiled[key].tobytes() == params_separate[key].tobytes(), (name, step, key)
            for ours, theirs in zip(tiled.state.get(key, ()), separate.state.get(key, ()), strict=True):
                assert ours.tobytes() == theirs.tobytes(), (name, step, key)
    if separate.state:  # the state of the one-pass steps lives in views of one flat array
        assert tiled.state["W1"][0].base is tiled.state["b1"][0].base
    assert tiled._whole_layout[3] is params_tiled["W1"].base  # the last step was one pass


def test_one_pass_update_is_not_inherited_by_a_subclass():
    # A subclass may change the rule (e.g. a per-array norm), so only a class that says
    # `elementwise = True` itself is updated in one pass over a flat array.
    from nnbench.core.optimizers import SGD

    seen = []

    class PerArray(SGD):
        def _update_one(self, key, param, grad):
            seen.append(key)
            super()._update_one(key, param, grad)

    params = dict(zip(("w", "b"), _tiled([np.ones((2, 2)), np.ones(2)]), strict=True))
    grads = dict(zip(("w", "b"), _tiled([np.ones((2, 2)), np.ones(2)]), strict=True))
    PerArray().update(params, grads)
    assert seen == ["w", "b"]


def test_mlp_parameters_and_gradients_tile_one_flat_array_each():
    from nnbench.core import MLP

    net = MLP(6, [5, 4], 3, batchnorm=True, seed=1)
    grads = net.gradient(np.ones((2, 6)), np.array([0, 2]))
    flat_params, flat_grads = net.params["W1"].base, grads["W1"].base
    assert flat_params.size == flat_grads.size == sum(param.size for param in net.params.values())
    assert all(net.params[key].base is flat_params and grads[key].base is flat_grads for key in net.params)
