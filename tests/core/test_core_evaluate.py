"""MLP.evaluate: loss() and accuracy() in one chunked inference pass through reused buffers."""

import tracemalloc

import numpy as np
import pytest

from nnbench.core import ACTIVATIONS, MLP, make_optimizer, train
from nnbench.errors import NnbenchError

SETTINGS = [
    {"activation": activation, "batchnorm": batchnorm, "dropout": dropout, "weight_decay": decay}
    for activation in ACTIVATIONS
    for batchnorm, dropout, decay in ((False, 0.0, 0.0), (True, 0.3, 0.01))
]


def _trained(dtype, seed=0, **kwargs):
    """A network a few updates away from its init (BN running averages moved)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((700, 12))
    t = rng.integers(0, 4, 700)
    net = MLP(12, [20, 9], 4, dtype=dtype, seed=seed, **kwargs)
    train(net, make_optimizer("sgd", lr=0.1), x, t, batch_size=50, iterations=20, seed=seed)
    return net, x.astype(dtype), t


@pytest.mark.parametrize("kwargs", SETTINGS, ids=lambda k: "-".join(f"{v}" for v in k.values()))
@pytest.mark.parametrize("chunk_size", [1, 64, 700, 5000])
def test_equals_loss_and_accuracy_in_float64(kwargs, chunk_size):
    net, x, t = _trained("float64", **kwargs)
    loss, accuracy = net.evaluate(x, t, chunk_size=chunk_size)
    assert isinstance(loss, float) and isinstance(accuracy, float)
    assert loss == pytest.approx(net.loss(x, t, train=False), rel=1e-12, abs=0)
    assert accuracy == net.accuracy(x, t)
    one_hot = np.eye(4)[t]
    assert net.evaluate(x, one_hot, chunk_size=chunk_size) == pytest.approx((loss, accuracy), rel=1e-12)


@pytest.mark.parametrize("kwargs", SETTINGS, ids=lambda k: "-".join(f"{v}" for v in k.values()))
def test_close_to_loss_and_accuracy_in_float32(kwargs):
    net, x, t = _trained("float32", **kwargs)
    loss, accuracy = net.evaluate(x, t, chunk_size=128)
    assert loss == pytest.approx(net.loss(x, t), rel=1e-5)
    assert accuracy == net.accuracy(x, t)


def test_inputs_of_another_dtype_are_converted_like_loss_does():
    net, x, t = _trained("float32")
    x64 = x.astype(np.float64)
    assert net.evaluate(x64, t, chunk_size=100) == net.evaluate(x, t, chunk_size=100)


def test_bit_identical_across_calls_and_leaves_the_network_alone():
    net, x, t = _trained("float32", batchnorm=True, dropout=0.5)
    params = {key: value.copy() for key, value in net.params.items()}
    statistics = net.running_statistics
    dropout_state = net.dropout_rng.bit_generator.state
    first = net.evaluate(x, t, chunk_size=96)
    net.evaluate(x[:10], t[:10], chunk_size=96)  # another size in between
    second = net.evaluate(x, t, chunk_size=96)
    assert repr(first) == repr(second)
    for key, value in params.items():
        np.testing.assert_array_equal(net.params[key], value)
    for key, value in statistics.items():
        np.testing.assert_array_equal(net.running_statistics[key], value)
    assert net.dropout_rng.bit_generator.state == dropout_state


def test_buffers_are_made_once_and_reused():
    net, x, t = _trained("float32", activation="leaky_relu", batchnorm=True)
    net.evaluate(x, t, chunk_size=64)
    buffers = net._eval_buffers
    arrays = [buffers["exp"], buffers["picked"], buffers["scratch"], *buffers["outputs"]]
    addresses = [array.__array_interface__["data"][0] for array in arrays]
    net.evaluate(x[:100], t[:100], chunk_size=64)
    net.evaluate(x, t, chunk_size=64)
    assert net._eval_buffers is buffers
    assert [array.__array_interface__["data"][0] for array in arrays] == addresses
    # the training buffers of the layers are not evaluate's: a training step after an
    # evaluation of another size reuses them too
    net.gradient(x[:50], t[:50])
    relu_out = net.activation_layers[0].out
    net.evaluate(x, t, chunk_size=64)
    net.gradient(x[:50], t[:50])
    assert net.activation_layers[0].out is relu_out


def test_no_temporaries_grow_with_the_split():
    rng = np.random.default_rng(1)
    net = MLP(30, [40, 40], 10, batchnorm=True, weight_decay=0.01, seed=0)
    chunk_size = 256
    peaks = {}
    for n in (2_000, 100_000):
        x = rng.random((n, 30), dtype=np.float32)
        t = rng.integers(0, 10, n)
        net.evaluate(x, t, chunk_size=chunk_size)  # buffers exist from here on
        tracemalloc.start()
        net.evaluate(x, t, chunk_size=chunk_size)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # One byte per sample of the 100,000 would be 100 kB; what remains (about 36 kB
    # here: numpy's casting buffers, BN's divisors) is the same for both sizes.
    assert peaks[100_000] < 64_000
    assert peaks[100_000] <= peaks[2_000] + 2_000
    # whereas the forward of loss() allocates in proportion to the split
    tracemalloc.start()
    net.loss(x, t)
    assert tracemalloc.get_traced_memory()[1] > 100_000 * 40 * 4
    tracemalloc.stop()


@pytest.mark.parametrize(
    "args, message",
    [
        ((np.zeros((3, 5)), np.zeros(3, dtype=int)), r"shape \(N, 12\)"),
        ((np.zeros((0, 12)), np.zeros(0, dtype=int)), "at least one row"),
        ((np.zeros((3, 12)), np.array([0, 1, 4])), r"labels must be in \[0, 4\)"),
        ((np.zeros((3, 12)), np.array([0, -1, 2])), r"labels must be in \[0, 4\)"),
        ((np.zeros((3, 12)), np.zeros(3)), "integer class labels"),
    ],
)
def test_bad_inputs(args, message):
    net = MLP(12, [5], 4)
    with pytest.raises(NnbenchError, match=message):
        net.evaluate(*args)
    with pytest.raises(NnbenchError, match=r"^chunk_size: 0 is not allowed; expected a whole number >= 1$"):
        net.evaluate(np.zeros((3, 12)), np.zeros(3, dtype=int), chunk_size=0)


def test_copies_leave_the_buffers_behind_and_evaluate_alike():
    import copy
    import pickle

    net, x, t = _trained("float32")
    expected = net.evaluate(x, t, chunk_size=128)
    for clone in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert clone._eval_buffers is None
        assert clone.evaluate(x, t, chunk_size=128) == expected
    assert net._eval_buffers is not None  # the original keeps its own
