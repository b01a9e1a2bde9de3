"""MLP construction, initializers, loss stability, dtypes, determinism and diagnostics."""

import warnings

import numpy as np
import pytest

from nnbench.core import ACTIVATIONS, INITIALIZERS, MLP, init_std, layer_grad_norms, make_optimizer, train
from nnbench.core.initializers import DEFAULT_CONSTANT, initialize_weights
from nnbench.core.layers import SoftmaxCrossEntropy
from nnbench.errors import NnbenchError


def blobs(n=120, features=8, classes=3, seed=0, spread=0.3):
    """A separable problem: one well-separated Gaussian blob per class."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, features)) * 3
    labels = rng.integers(0, classes, n)
    x = centers[labels] + spread * rng.standard_normal((n, features))
    return x.astype(np.float32), labels


# ------------------------------------------------------------------ structure
def test_params_keys_shapes_and_dtype():
    net = MLP(784, [100, 50], 10, batchnorm=True, seed=0)
    assert list(net.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    assert net.params["W1"].shape == (784, 100)
    assert net.params["W3"].shape == (50, 10)
    assert all(value.dtype == np.float32 for value in net.params.values())
    assert not net.params["b1"].any() and (net.params["gamma1"] == 1).all() and not net.params["beta1"].any()
    assert MLP(4, [3], 2, dtype="float64").params["W1"].dtype == np.float64


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "rellu"},
         r"^unknown activation 'rellu' \(did you mean 'relu'\?\); allowed: sigmoid, tanh, relu, leaky_relu$"),
        ({"init": "hee"}, r"^unknown init 'hee' \(did you mean 'he'\?\); allowed: he, xavier, glorot, constant, "
                          r"a finite number > 0 \(the std\)$"),
        ({"init": -0.1}, r"^init: -0.1 is not allowed; expected a finite number > 0$"),
        ({"init": None}, r"^init: None is not allowed; expected one of he, xavier, glorot, constant or a finite"),
        ({"init": "he", "init_value": 0.5},
         r"^init_value: 0.5 is not allowed; expected none unless init is 'constant' \(init is 'he'\)$"),
        ({"init": "constant", "init_value": "x"}, r"^init_value: 'x' is not allowed; expected a finite number$"),
        ({"dropout": 1.0}, r"^dropout: 1.0 is not allowed; expected a finite number in \[0, 1\)$"),
        ({"dropout": -0.1}, r"^dropout: -0.1 is not allowed; expected a finite number in \[0, 1\)$"),
        ({"weight_decay": -1}, r"^weight_decay: -1 is not allowed; expected a finite number >= 0$"),
        ({"weight_decay": float("nan")}, r"^weight_decay: nan is not allowed"),
        ({"batchnorm": True, "batchnorm_eps": 0}, r"^batchnorm_eps: 0 is not allowed; expected a finite number > 0$"),
        ({"batchnorm_eps": -1e-6}, r"^batchnorm_eps: -1e-06 is not allowed"),
        ({"batchnorm": "yes"}, r"^batchnorm: 'yes' is not allowed; expected true or false$"),
        ({"dtype": "float16"}, r"^unknown dtype 'float16' \(did you mean 'float64'\?\); allowed: float32, float64$"),
        ({"hidden_sizes": [100, 0]}, r"^hidden_sizes\[1\]: 0 is not allowed; expected a whole number >= 1$"),
        ({"hidden_sizes": [10.5]}, r"^hidden_sizes\[0\]: 10.5 is not allowed; expected a whole number >= 1$"),
        ({"input_size": 0}, r"^input_size: 0 is not allowed"),
        ({"output_size": "2"}, r"^output_size: '2' is not allowed"),
        ({"seed": 1.5}, r"^seed: 1.5 is not allowed; expected a whole number >= 0$"),
        ({"seed": -1}, r"^seed: -1 is not allowed; expected a whole number >= 0$"),
    ],
)
def test_bad_arguments_raise_nnbench_error(kwargs, message):
    arguments = {"input_size": 4, "hidden_sizes": [3], "output_size": 2, **kwargs}
    with pytest.raises(NnbenchError, match=message):
        MLP(**arguments)


def test_bad_input_shapes():
    net = MLP(4, [3], 2)
    with pytest.raises(NnbenchError, match=r"shape \(N, 4\)"):
        net.predict(np.zeros((5, 3)))
    with pytest.raises(NnbenchError, match="integer class labels"):
        net.loss(np.zeros((5, 4)), np.zeros(5))  # float labels


# --------------------------------------------------------------- initializers
@pytest.mark.parametrize(
    "init, expected",
    [("he", np.sqrt(2 / 800)), ("xavier", np.sqrt(1 / 800)), ("glorot", np.sqrt(2 / 2000)), (0.05, 0.05), ("1", 1.0)],
)
def test_initializer_statistics(init, expected):
    weights = initialize_weights(init, 800, 1200, np.random.default_rng(0), "float32")
    assert weights.dtype == np.float32 and weights.shape == (800, 1200)
    assert abs(weights.std() / expected - 1) < 0.02
    assert abs(weights.mean()) < 0.02 * expected
    assert init_std(init, 800, 1200) == pytest.approx(expected)


def test_constant_init_and_names():
    assert set(INITIALIZERS) == {"he", "xavier", "glorot", "constant"}
    assert (initialize_weights("constant", 3, 4, None) == np.float32(DEFAULT_CONSTANT)).all()
    assert (initialize_weights("constant", 3, 4, None, init_value=0.3) == np.float32(0.3)).all()


def test_float32_and_float64_nets_share_initial_weights():
    single = MLP(20, [10], 3, init="he", dtype="float32", seed=5)
    double = MLP(20, [10], 3, init="he", dtype="float64", seed=5)
    np.testing.assert_array_equal(single.params["W1"], double.params["W1"].astype(np.float32))


def test_constant_init_keeps_units_identical_through_training():
    x, t = blobs(n=200, features=6)
    net = MLP(6, [16, 16], 3, activation="relu", init="constant", init_value=0.1, seed=0)
    assert net.distinct_units() == [1, 1]
    before = net.params["W1"].copy()
    result = train(net, make_optimizer("momentum", lr=0.05), x, t, batch_size=20, iterations=200)
    assert result.status == "ok"
    assert not np.array_equal(net.params["W1"], before)  # it did learn something
    assert net.distinct_units() == [1, 1]
    assert net.distinct_units(x) == [1, 1]
    # while a randomly initialised net has all units distinct
    assert MLP(6, [16, 16], 3, seed=0).distinct_units() == [16, 16]


# ------------------------------------------------------------------- the loss
def test_loss_is_stable_for_huge_logits():
    layer = SoftmaxCrossEntropy()
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, -1e4], [-1e4, 0.0, 1e4]], dtype=np.float32)
    labels = np.array([0, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):  # exp(-2e4) = 0 may underflow
            loss = layer.forward(logits, labels)
            gradient = layer.backward()
    # per sample: 0, log(2), 2e4
    assert loss == pytest.approx((0 + np.log(2) + 2e4) / 3, rel=1e-6)
    assert np.isfinite(gradient).all()
    np.testing.assert_allclose(gradient[0], [0, 0, 0], atol=1e-7)
    np.testing.assert_allclose(gradient[1], np.array([0.5, -0.5, 0]) / 3, atol=1e-7)


def test_one_hot_targets_match_integer_labels():
    x, t = blobs(n=10, features=5)
    net = MLP(5, [7], 3, dtype="float64", seed=1)
    one_hot = np.eye(3)[t]
    assert net.loss(x, one_hot) == pytest.approx(net.loss(x, t), rel=1e-12)
    by_label = {key: value.copy() for key, value in net.gradient(x, t).items()}
    by_one_hot = net.gradient(x, one_hot)
    for key in by_label:
        np.testing.assert_allclose(by_one_hot[key], by_label[key], rtol=1e-12, atol=1e-15)
    assert net.accuracy(x, one_hot) == net.accuracy(x, t)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_no_silent_upcasting(dtype, activation):
    x, t = blobs(n=12, features=5)
    net = MLP(5, [6, 6], 3, activation=activation, batchnorm=True, dropout=0.2, weight_decay=0.01, dtype=dtype)
    grads = net.gradient(x.astype(np.float64), t)
    assert all(value.dtype == np.dtype(dtype) for value in grads.values())
    assert net.predict(x).dtype == np.dtype(dtype)
    assert all(a.dtype == np.dtype(dtype) for a in net.hidden_activations(x))
    assert isinstance(net.last_loss, float)


def test_predict_returns_a_copy_and_inference_is_repeatable():
    x, t = blobs(n=30, features=5)
    net = MLP(5, [6], 3, batchnorm=True, dropout=0.5, seed=2)
    first = net.predict(x)
    net.predict(x[:10] * 2)
    np.testing.assert_array_equal(net.predict(x), first)
    assert net.accuracy(x, t) == float(np.mean(first.argmax(1) == t))


# --------------------------------------------------------------- determinism
def _train_once(seed, data_seed=0):
    x, t = blobs(n=150, features=10, seed=data_seed)
    net = MLP(10, [12, 12], 3, batchnorm=True, dropout=0.2, weight_decay=1e-3, seed=seed)
    result = train(net, make_optimizer("adam"), x, t, batch_size=16, epochs=3, seed=seed)
    return net, result


def test_same_seed_gives_bit_identical_results():
    net_a, result_a = _train_once(seed=7)
    net_b, result_b = _train_once(seed=7)
    np.testing.assert_array_equal(result_a.minibatch_losses, result_b.minibatch_losses)
    for key in net_a.params:
        assert np.array_equal(net_a.params[key], net_b.params[key])
    net_c, result_c = _train_once(seed=8)
    assert not np.array_equal(result_a.minibatch_losses, result_c.minibatch_losses)
    assert not np.array_equal(net_a.params["W1"], net_c.params["W1"])


# ---------------------------------------------------------------- diagnostics
def test_dead_fraction_counts_units_dead_for_every_sample():
    # zero-mean inputs and zero biases: no unit is dead for all 2000 samples by chance
    # (with 200, one second-layer unit of seed 0 happens to be)
    x = np.random.default_rng(0).standard_normal((2000, 5))
    net = MLP(5, [10, 8], 3, activation="relu", seed=0)
    assert net.dead_fraction(x) == [0.0, 0.0]
    net.params["b1"][:3] = -1e4  # three units of layer 1 never fire
    fractions = net.dead_fraction(x)
    assert fractions[0] == pytest.approx(0.3)
    assert len(fractions) == 2
    leaky = MLP(5, [10, 8], 3, activation="leaky_relu", seed=0)
    leaky.params["b1"][:3] = -1e4
    assert leaky.dead_fraction(x) == [0.0, 0.0]
    saturated = MLP(5, [10], 3, activation="sigmoid", seed=0)
    saturated.params["b1"][:2] = 1e4  # outputs exactly 1: derivative exactly 0
    assert saturated.dead_fraction(x) == [0.2]
    # the diagnostics take both from one pass: the same fractions from its activations
    assert net.dead_fraction_of(net.hidden_activations(x)) == fractions
    assert saturated.dead_fraction_of(saturated.hidden_activations(x)) == [0.2]


def test_distinct_units_ignore_float32_rounding_but_not_a_real_difference():
    from nnbench.core.network import DISTINCT_UNITS_RTOL

    net = MLP(50, [8], 3, init="constant", init_value=0.01, dtype="float32", seed=0)
    weights = net.params["W1"]
    weights[:, 3] = np.nextafter(weights[:, 3], np.float32(1))  # one ulp: what rounding leaves
    weights[7, 5] += 4 * np.spacing(weights[7, 5])
    assert len(np.unique(weights.T, axis=0)) == 3 and net.distinct_units() == [1]
    weights[0, 6] += 10 * DISTINCT_UNITS_RTOL * np.abs(weights).max()  # a unit that learnt something else
    assert net.distinct_units() == [2]
    weights[0, 6] = np.nan  # a diverged layer: exact equality
    assert net.distinct_units() == [4]


def test_distinct_units_and_hidden_activations():
    x, _ = blobs(n=20, features=5)
    net = MLP(5, [6, 4], 3, activation="tanh", seed=0)
    net.params["W1"][:, 1] = net.params["W1"][:, 0]
    assert net.distinct_units() == [5, 4]
    assert net.distinct_units(x) == [5, 4]
    activations = net.hidden_activations(x)
    assert [a.shape for a in activations] == [(20, 6), (20, 4)]
    np.testing.assert_allclose(activations[0], np.tanh(x @ net.params["W1"] + net.params["b1"]), rtol=1e-5)


def test_layer_grad_norms():
    x, t = blobs(n=20, features=5)
    net = MLP(5, [6, 4], 3, seed=0)
    grads = net.gradient(x, t)
    norms = layer_grad_norms(grads)
    assert len(norms) == 3
    for index, norm in enumerate(norms, start=1):
        assert norm == pytest.approx(float(np.linalg.norm(grads[f"W{index}"].astype(np.float64))), rel=1e-12)
        assert norm > 0


def test_deepcopy_is_independent_and_drops_work_buffers():
    import copy
    import pickle

    x, t = blobs(n=40, features=5)
    net = MLP(5, [6, 4], 3, batchnorm=True, dropout=0.2, seed=3)
    train(net, make_optimizer("sgd"), x, t, batch_size=10, iterations=5)
    net.predict(np.repeat(x, 50, axis=0))  # leaves 2000-row work buffers behind
    expected_logits = net.predict(x)
    probe = copy.deepcopy(net)
    assert len(pickle.dumps(net)) < 20_000  # one 2000 x 6 float32 buffer alone is 48 kB
    before = {key: value.copy() for key, value in net.params.items()}
    stats = net.running_statistics
    reference = {key: value.copy() for key, value in copy.deepcopy(net).gradient(x, t).items()}
    np.testing.assert_array_equal(probe.gradient(x, t)["W1"], reference["W1"])  # same rng state copied
    for key in before:
        np.testing.assert_array_equal(net.params[key], before[key])
    for key, value in net.running_statistics.items():
        np.testing.assert_array_equal(value, stats[key])
    np.testing.assert_array_equal(net.predict(x), expected_logits)
    assert not np.array_equal(probe.predict(x), expected_logits)  # the probe's BN averages moved
