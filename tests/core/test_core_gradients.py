"""Numerical gradient checks (central differences, float64) of every layer and of whole networks."""

import numpy as np
import pytest
from core_gradcheck import numerical_gradient, relative_error

from nnbench.core import ACTIVATIONS, MLP
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

TOLERANCE = 1e-7


def check_layer_input_gradient(layer, x, rng):
    """Compare layer.backward with the numerical gradient of sum(forward(x) * dout)."""
    out = layer.forward(x, True)
    dout = rng.standard_normal(out.shape)
    analytic = layer.backward(dout).copy()
    numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x, True) * dout)), x)
    assert relative_error(analytic, numeric) < TOLERANCE
    return dout


@pytest.mark.parametrize(
    "make_layer",
    [ReLU, lambda: LeakyReLU(0.01), Sigmoid, Tanh],
    ids=["relu", "leaky_relu", "sigmoid", "tanh"],
)
def test_activation_layer_gradient(make_layer):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 5)) * 2
    check_layer_input_gradient(make_layer(), x, rng)


def test_activation_derivative_matches_backward():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3))
    for layer in (ReLU(), LeakyReLU(0.01), Sigmoid(), Tanh()):
        out = layer.forward(x, True)
        ones = np.ones_like(x)
        np.testing.assert_allclose(layer.derivative(out), layer.backward(ones), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(128, 100), (3, 7), (5,)])
def test_relu_forward_is_max_with_zero_bit_for_bit(dtype, shape):
    # ReLU compares with a row of zeros for speed: the same bits as np.maximum(x, 0),
    # NaN payloads, infinities and signed zeros included
    specials = np.array([-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 1e-45, -1e-45, 3.0, -2.0], dtype)
    x = np.random.default_rng(0).choice(specials, size=shape)
    expected = np.maximum(x, 0).view(np.uint32 if dtype == np.float32 else np.uint64)
    layer = ReLU()
    assert np.array_equal(layer.forward(x, True).view(expected.dtype), expected)
    assert np.array_equal(layer.forward_inplace(x.copy()).view(expected.dtype), expected)


def test_affine_gradients():
    rng = np.random.default_rng(3)
    params = {"W": rng.standard_normal((5, 4)), "b": rng.standard_normal(4)}
    layer = Affine(params, "W", "b")
    x = rng.standard_normal((3, 5))
    dout = check_layer_input_gradient(layer, x, rng)
    layer.forward(x, True)
    layer.backward(dout)
    for key in ("W", "b"):
        numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x, True) * dout)), params[key])
        assert relative_error(layer.grads[key], numeric) < TOLERANCE


@pytest.mark.parametrize("eps", [1e-5, 1e-6, 1e-2])
@pytest.mark.parametrize("scale", [3.0, 1e-3], ids=["unit-scale", "variance-near-eps"])
def test_batchnorm_gradients_with_nontrivial_gamma_beta(eps, scale):
    rng = np.random.default_rng(4)
    params = {"gamma": rng.uniform(0.5, 2.0, 4), "beta": rng.standard_normal(4)}
    layer = BatchNorm(params, "gamma", "beta", eps=eps)
    # at scale 1e-3 the batch variance (~1e-6) is of the order of eps, so eps shapes
    # the function; the difference step shrinks with the inputs
    x = (rng.standard_normal((5, 4)) + 0.3) * scale
    out = layer.forward(x, True)
    dout = rng.standard_normal(out.shape)
    analytic = layer.backward(dout).copy()
    numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x, True) * dout)), x, step=1e-5 * scale)
    assert relative_error(analytic, numeric) < TOLERANCE
    layer.forward(x, True)
    layer.backward(dout)
    for key in ("gamma", "beta"):
        numeric = numerical_gradient(lambda: float(np.sum(layer.forward(x, True) * dout)), params[key])
        assert relative_error(layer.grads[key], numeric) < TOLERANCE


def test_batchnorm_training_and_inference_statistics():
    rng = np.random.default_rng(5)
    params = {"gamma": np.full(3, 2.0), "beta": np.full(3, 0.5)}
    layer = BatchNorm(params, "gamma", "beta")
    x = rng.standard_normal((8, 3)) * 4 + 7
    out = layer.forward(x, True).copy()
    # batch statistics with the biased variance and eps 1e-5
    expected = 2.0 * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) + 0.5
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # running averages: new = 0.9 * old + 0.1 * batch, from mean 0 and variance 1
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * x.var(0), rtol=1e-12)
    inference = layer.forward(x, False)
    expected = 2.0 * (x - layer.running_mean) / np.sqrt(layer.running_var + 1e-5) + 0.5
    np.testing.assert_allclose(inference, expected, rtol=1e-12)


def test_dropout_gradient_under_fixed_mask_and_identity_at_inference():
    rng = np.random.default_rng(6)
    layer = Dropout(0.4, np.random.default_rng(0))
    layer.freeze_mask = True
    x = rng.standard_normal((50, 8))
    check_layer_input_gradient(layer, x, rng)
    kept = layer.mask != 0
    assert 0.4 < kept.mean() < 0.8  # about 1 - rate are kept
    np.testing.assert_allclose(layer.mask[kept], 1 / 0.6)  # inverted scaling
    assert layer.forward(x, False) is x


def test_dropout_draws_a_fresh_mask_each_training_forward():
    layer = Dropout(0.5, np.random.default_rng(0))
    x = np.ones((20, 10))
    first = layer.forward(x, True).copy()
    second = layer.forward(x, True).copy()
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_cross_entropy_gradient(one_hot):
    rng = np.random.default_rng(7)
    logits = rng.standard_normal((6, 4)) * 3
    labels = rng.integers(0, 4, 6)
    targets = np.eye(4)[labels] if one_hot else labels
    layer = SoftmaxCrossEntropy()
    loss = layer.forward(logits, targets)
    probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(probabilities[np.arange(6), labels])), rel=1e-12)
    analytic = layer.backward().copy()
    numeric = numerical_gradient(lambda: layer.forward(logits, targets), logits)
    assert relative_error(analytic, numeric) < TOLERANCE


def _network_gradient_check(net, x, t):
    analytic = {key: value.copy() for key, value in net.gradient(x, t).items()}
    assert set(analytic) == set(net.params)
    for key, param in net.params.items():
        numeric = numerical_gradient(lambda: net.loss(x, t, train=True), param)
        if net.batchnorm and key[0] == "b" and key[1:].isdigit() and key != f"b{net.n_layers}":
            # A bias before batch norm cancels in the mean: its gradient is exactly 0,
            # so a relative error would compare rounding noise with rounding noise.
            assert np.abs(analytic[key]).max() < 1e-12 and np.abs(numeric).max() < 1e-9
            continue
        error = relative_error(analytic[key], numeric)
        assert error < TOLERANCE, f"{key}: relative error {error:.2e}"


@pytest.mark.parametrize("batchnorm, batchnorm_eps", [(False, 1e-5), (True, 1e-5), (True, 1e-6)],
                         ids=["plain", "batchnorm", "batchnorm-eps1e-6"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_whole_network_gradient(activation, batchnorm, batchnorm_eps):
    rng = np.random.default_rng(8)
    net = MLP(5, [6, 4], 3, activation=activation, init="xavier", batchnorm=batchnorm,
              batchnorm_eps=batchnorm_eps, weight_decay=0.1, dtype="float64", seed=11)
    for key in net.params:
        if key[0] == "b" and key[1:].isdigit():
            net.params[key][:] = rng.standard_normal(net.params[key].shape) * 0.1
        if key.startswith("gamma"):
            net.params[key][:] = rng.uniform(0.5, 1.5, net.params[key].shape)
        if key.startswith("beta"):
            net.params[key][:] = rng.standard_normal(net.params[key].shape) * 0.3
    x = rng.standard_normal((7, 5))
    t = rng.integers(0, 3, 7)
    _network_gradient_check(net, x, t)


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "batchnorm"])
def test_whole_network_gradient_with_dropout_under_fixed_mask(batchnorm):
    rng = np.random.default_rng(9)
    net = MLP(5, [8, 6], 3, activation="tanh", init="xavier", batchnorm=batchnorm, dropout=0.3,
              weight_decay=0.05, dtype="float64", seed=12, batchnorm_eps=1e-6)
    for layer in net.dropout_layers:
        layer.freeze_mask = True
    x = rng.standard_normal((6, 5))
    t = rng.integers(0, 3, 6)
    _network_gradient_check(net, x, t)
    assert all((layer.mask == 0).any() for layer in net.dropout_layers)  # the masks do drop units


def test_weight_decay_term_and_gradient():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((4, 3))
    t = rng.integers(0, 2, 4)
    plain = MLP(3, [5], 2, dtype="float64", seed=3)
    decayed = MLP(3, [5], 2, weight_decay=0.2, dtype="float64", seed=3)
    decayed.params["b1"][:] = 1.0  # biases are not decayed
    plain.params["b1"][:] = 1.0
    squares = sum(np.sum(decayed.params[k] ** 2) for k in ("W1", "W2"))
    assert decayed.loss(x, t) - plain.loss(x, t) == pytest.approx(0.1 * squares, rel=1e-12)
    plain_grads = {k: v.copy() for k, v in plain.gradient(x, t).items()}
    decayed_grads = decayed.gradient(x, t)
    np.testing.assert_allclose(decayed_grads["W1"] - plain_grads["W1"], 0.2 * decayed.params["W1"], atol=1e-14)
    np.testing.assert_array_equal(decayed_grads["b1"], plain_grads["b1"])
    assert decayed.last_loss == pytest.approx(decayed.loss(x, t, train=True), rel=1e-12)


def test_batchnorm_eps_reaches_every_batchnorm_layer_and_matters_at_small_scale():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((32, 5)) * 1e-4
    t = rng.integers(0, 3, 32)
    nets = {eps: MLP(5, [6, 6, 6], 3, init=1e-2, batchnorm=True, batchnorm_eps=eps, dtype="float64", seed=2)
            for eps in (1e-5, 1e-6)}
    assert [layer.eps for layer in nets[1e-6].layers if isinstance(layer, BatchNorm)] == [1e-6] * 3
    assert MLP(5, [6], 3, batchnorm=True).layers[1].eps == 1e-5  # the default
    # pre-BN variance here is ~1e-12: eps, not the data, sets the normalised scale
    first = nets[1e-5].hidden_activations(x, train=True)[0]
    second = nets[1e-6].hidden_activations(x, train=True)[0]
    assert np.std(second) > 2 * np.std(first)
    assert nets[1e-5].loss(x, t, train=True) != nets[1e-6].loss(x, t, train=True)
