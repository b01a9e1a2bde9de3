"""Independent random streams: weights, dropout masks, batch order and the validation split
each draw from their own stream of the run seed (nnbench.seeding), never from a shared one."""

import numpy as np

from nnbench import seeding
from nnbench.core import MLP, init_std, make_optimizer, train
from nnbench.data import load_dataset


def _weights(net):
    return {key: value.copy() for key, value in net.params.items() if key.startswith("W")}


def test_weights_come_from_the_weights_stream():
    net = MLP(6, [5, 4], 3, init="he", dtype="float64", seed=7)
    stream = seeding.rng(7, "weights")
    for index, (fan_in, fan_out) in enumerate([(6, 5), (5, 4), (4, 3)], start=1):
        expected = stream.standard_normal((fan_in, fan_out)) * init_std("he", fan_in, fan_out)
        np.testing.assert_array_equal(net.params[f"W{index}"], expected)
    # and not from the seed's plain Generator, which every consumer used to share
    shared = np.random.default_rng(7).standard_normal((6, 5)) * init_std("he", 6, 5)
    assert not np.array_equal(net.params["W1"], shared)


def test_dropout_and_batchnorm_do_not_move_the_initial_weights():
    reference = _weights(MLP(8, [16, 16], 4, seed=3))
    for kwargs in ({"dropout": 0.5}, {"batchnorm": True}, {"dropout": 0.2, "batchnorm": True}):
        other = _weights(MLP(8, [16, 16], 4, seed=3, **kwargs))
        for key, value in reference.items():
            np.testing.assert_array_equal(other[key], value, err_msg=f"{kwargs}: {key}")


def test_dropout_masks_come_from_the_dropout_stream():
    net = MLP(4, [10], 2, dropout=0.5, dtype="float64", seed=5)
    x = np.ones((3, 4))
    net.predict(x, train=True)
    (layer,) = net.dropout_layers
    expected = (seeding.rng(5, "dropout").random((3, 10)) >= 0.5) * 2.0
    np.testing.assert_array_equal(layer.mask, expected)


class _OrderNet:
    """Records the first feature (the sample index) of every minibatch."""

    dtype = np.dtype("float64")

    def __init__(self):
        self.params = {"w": np.zeros(1)}
        self.batches = []
        self.last_loss = 1.0

    def gradient(self, x, t):
        self.batches.append(x[:, 0].astype(int).copy())
        return {"w": np.zeros(1)}


class _NoUpdate:
    def update(self, params, grads):
        pass


def test_batch_order_comes_from_the_batch_order_stream():
    n, batch_size = 40, 10
    x = np.arange(n, dtype=np.float64)[:, None]
    net = _OrderNet()
    train(net, _NoUpdate(), x, np.arange(n), batch_size=batch_size, epochs=2, seed=9)
    stream = seeding.rng(9, "batch_order")
    expected = np.concatenate([stream.permutation(n), stream.permutation(n)])
    np.testing.assert_array_equal(np.concatenate(net.batches), expected)
    # independent of the draws the weights would make with the plain default_rng(seed)
    assert not np.array_equal(net.batches[0], np.random.default_rng(9).permutation(n)[:batch_size])
    assert not np.array_equal(net.batches[0], seeding.rng(9, "weights").permutation(n)[:batch_size])


def test_dropout_does_not_change_the_batch_order():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 5)).astype(np.float32)
    t = rng.integers(0, 3, 60)
    orders = []
    for dropout in (0.0, 0.5):
        net = MLP(5, [8], 3, dropout=dropout, seed=2)
        seen = []
        original = net.gradient

        def recording_gradient(x_batch, t_batch, original=original, seen=seen):
            seen.append(t_batch.copy())
            return original(x_batch, t_batch)

        net.gradient = recording_gradient
        train(net, make_optimizer("sgd"), x, t, batch_size=10, iterations=12, seed=2)
        orders.append(np.concatenate(seen))
    np.testing.assert_array_equal(orders[0], orders[1])


def test_validation_split_comes_from_the_validation_split_stream():
    everything = load_dataset("digits", n_train=100)
    data = load_dataset("digits", n_train=100, validation=20, seed=4)
    chosen = np.sort(seeding.rng(4, "validation_split").permutation(100)[:20])
    np.testing.assert_array_equal(data.x_val, everything.x_train[chosen])
    np.testing.assert_array_equal(data.y_val, everything.y_train[chosen])
    rest = np.setdiff1d(np.arange(100), chosen)
    np.testing.assert_array_equal(data.x_train, everything.x_train[rest])
    plain = np.sort(np.random.default_rng(4).permutation(100)[:20])
    assert not np.array_equal(chosen, plain)
