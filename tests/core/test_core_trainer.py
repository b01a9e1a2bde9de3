"""The trainer: batching, budgets, evaluation points, timing, divergence, learning."""

import time

import numpy as np
import pytest

from nnbench.core import MLP, OPTIMIZERS, make_optimizer, train
from nnbench.errors import NnbenchError


class RecordingNet:
    """A stand-in network that records which samples each minibatch held.

    Its input is the sample index as one feature; its "loss" is scripted.
    """

    dtype = np.dtype("float64")

    def __init__(self, losses=None):
        self.params = {"w": np.zeros(1)}
        self.batches = []
        self.losses = losses
        self.last_loss = float("nan")

    def gradient(self, x, t):
        self.batches.append(x[:, 0].astype(int).copy())
        np.testing.assert_array_equal(x[:, 0], t)  # x and t rows stay paired
        step = len(self.batches) - 1
        self.last_loss = 1.0 / (step + 1) if self.losses is None else self.losses[step]
        return {"w": np.ones(1)}


class CountingOptimizer:
    def __init__(self):
        self.updates = 0

    def update(self, params, grads):
        self.updates += 1


def indexed_data(n):
    return np.arange(n, dtype=np.float64)[:, None], np.arange(n)


def test_each_epoch_is_a_fresh_permutation_without_replacement():
    x, t = indexed_data(250)
    net = RecordingNet()
    result = train(net, CountingOptimizer(), x, t, batch_size=100, epochs=3, seed=4)
    # 250 // 100 = 2 full batches per epoch; the 50 left-over samples are skipped
    assert result.iterations == 6 and result.iterations_per_epoch == 2
    assert result.epochs == pytest.approx(6 * 100 / 250)
    assert all(len(batch) == 100 for batch in net.batches)
    epochs = [np.concatenate(net.batches[i:i + 2]) for i in range(0, 6, 2)]
    for used in epochs:
        assert len(np.unique(used)) == 200  # without replacement within an epoch
    assert not np.array_equal(np.sort(epochs[0]), np.sort(epochs[1]))  # different left-overs
    assert not np.array_equal(epochs[0], epochs[1])


def test_shuffling_is_determined_by_the_seed():
    x, t = indexed_data(50)
    orders = []
    for seed in (1, 1, 2):
        net = RecordingNet()
        train(net, CountingOptimizer(), x, t, batch_size=10, iterations=12, seed=seed)
        orders.append(np.concatenate(net.batches))
    np.testing.assert_array_equal(orders[0], orders[1])
    assert not np.array_equal(orders[0], orders[2])


def test_iteration_budget_runs_across_epochs_and_records_every_loss():
    x, t = indexed_data(30)
    net = RecordingNet()
    optimizer = CountingOptimizer()
    result = train(net, optimizer, x, t, batch_size=10, iterations=7)
    assert result.iterations == 7 == optimizer.updates
    assert result.status == "ok"
    assert result.minibatch_losses.dtype == np.float64
    np.testing.assert_allclose(result.minibatch_losses, 1.0 / np.arange(1, 8))
    assert result.epochs == pytest.approx(7 / 3)


@pytest.mark.parametrize(
    "budget, eval_every, expected_steps",
    [
        ({"iterations": 10}, 3, [0, 3, 6, 9, 10]),
        ({"iterations": 9}, 3, [0, 3, 6, 9]),
        ({"iterations": 4}, 1, [0, 1, 2, 3, 4]),
        ({"epochs": 4}, 2, [0, 6, 12]),
        ({"epochs": 3}, 2, [0, 6, 9]),
    ],
)
def test_evaluation_points(budget, eval_every, expected_steps):
    x, t = indexed_data(300)
    calls = []
    result = train(RecordingNet(), CountingOptimizer(), x, t, batch_size=100, eval_every=eval_every,
                   on_eval=lambda step, epoch: calls.append((step, epoch)), **budget)
    assert [step for step, _ in calls] == expected_steps
    assert [epoch for _, epoch in calls] == pytest.approx([step * 100 / 300 for step in expected_steps])
    assert result.eval_steps == expected_steps


def test_evaluation_time_is_not_training_time():
    x, t = indexed_data(20)
    result = train(RecordingNet(), CountingOptimizer(), x, t, batch_size=10, iterations=4,
                   on_eval=lambda step, epoch: time.sleep(0.1))
    assert 0 < result.train_seconds < 0.1  # any one callback would add 0.1 s
    assert result.samples_per_second > 0


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_divergence_stops_before_the_bad_update(bad):
    x, t = indexed_data(40)
    optimizer = CountingOptimizer()
    calls = []
    losses = [2.0, 1.5, 3.0, bad, 1.0, 1.0]
    result = train(RecordingNet(losses), optimizer, x, t, batch_size=10, iterations=6,
                   on_eval=lambda step, epoch: calls.append(step))
    assert result.status == "diverged"
    assert result.iterations == 3 == optimizer.updates
    np.testing.assert_array_equal(result.minibatch_losses, [2.0, 1.5, 3.0])
    assert calls == [0, 1, 2, 3]  # and one call at the end
    assert repr(result.diverged_loss) == repr(bad)


def test_real_network_divergence_is_detected():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 10)).astype(np.float32) * 10
    t = rng.integers(0, 3, 100)
    net = MLP(10, [20, 20], 3, init=5.0, seed=0)
    with np.errstate(all="ignore"):
        result = train(net, make_optimizer("sgd", lr=1e6), x, t, batch_size=10, iterations=200)
    assert result.status == "diverged"
    assert result.iterations < 200
    assert np.isfinite(result.minibatch_losses).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "exactly one training budget"),
        ({"iterations": 5, "epochs": 1}, "exactly one training budget"),
        ({"iterations": 0}, r"^iterations: 0 is not allowed; expected a whole number >= 1$"),
        ({"epochs": 1.5}, r"^epochs: 1.5 is not allowed; expected a whole number >= 1$"),
        ({"iterations": 5, "batch_size": 0}, r"^batch_size: 0 is not allowed; expected a whole number >= 1$"),
        ({"iterations": 5, "batch_size": 500},
         r"^batch_size: 500 is not allowed; expected at most the training set's size \(100 samples\)$"),
        ({"iterations": 5, "eval_every": 0}, r"^eval_every: 0 is not allowed"),
        ({"iterations": 5, "seed": -3}, r"^seed: -3 is not allowed; expected a whole number >= 0$"),
        ({"iterations": 5, "seed": "1"}, r"^seed: '1' is not allowed; expected a whole number >= 0$"),
    ],
)
def test_bad_budgets(kwargs, message):
    x, t = indexed_data(100)
    kwargs = {"batch_size": 10, **kwargs}
    with pytest.raises(NnbenchError, match=message):
        train(RecordingNet(), CountingOptimizer(), x, t, **kwargs)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_loss_goes_down_on_a_separable_problem(name):
    rng = np.random.default_rng(3)
    centers = rng.standard_normal((3, 8)) * 3
    labels = rng.integers(0, 3, 300)
    x = (centers[labels] + 0.5 * rng.standard_normal((300, 8))).astype(np.float32)
    net = MLP(8, [32, 32], 3, activation="relu", init="he", seed=1)
    start = net.loss(x, labels)
    result = train(net, make_optimizer(name), x, labels, batch_size=30, epochs=30, seed=2)
    assert result.status == "ok"
    assert net.loss(x, labels) < 0.5 * start
    assert result.minibatch_losses[-10:].mean() < 0.5 * result.minibatch_losses[:10].mean()
    assert net.accuracy(x, labels) > 0.9


@pytest.mark.parametrize("kwargs", [{}, {"batchnorm": True, "dropout": 0.3, "weight_decay": 0.01}],
                         ids=["plain", "bn-dropout-decay"])
def test_loss_after_update_matches_the_books_hand_loop(kwargs):
    """The book's ch06 loop: grads, update, then network.loss on the same minibatch."""
    from nnbench import seeding

    rng = np.random.default_rng(4)
    x = rng.standard_normal((90, 6)).astype(np.float32)
    t = rng.integers(0, 3, 90)
    net = MLP(6, [10, 10], 3, seed=5, **kwargs)
    result = train(net, make_optimizer("adam"), x, t, batch_size=20, iterations=9, seed=6, loss_after_update=True)

    hand = MLP(6, [10, 10], 3, seed=5, **kwargs)
    optimizer = make_optimizer("adam")
    order = seeding.rng(6, "batch_order")
    before, after = [], []
    for step in range(9):
        if step % 4 == 0:  # 90 // 20 = 4 batches per epoch
            permutation = order.permutation(90)
        batch = permutation[(step % 4) * 20:(step % 4 + 1) * 20]
        grads = hand.gradient(x[batch], t[batch])
        before.append(hand.last_loss)
        optimizer.update(hand.params, grads)
        after.append(hand.loss(x[batch], t[batch]))
    np.testing.assert_array_equal(result.minibatch_losses, before)
    np.testing.assert_array_equal(result.losses_after_update, after)
    assert result.losses_after_update.dtype == np.float64
    assert np.isfinite(result.losses_after_update).all()
    # on the batch it has just stepped on, the network does better than before the step
    assert np.mean(result.losses_after_update) < np.mean(result.minibatch_losses)


def test_loss_after_update_is_off_by_default_and_does_not_change_training():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((50, 4)).astype(np.float32)
    t = rng.integers(0, 2, 50)
    results, weights = [], []
    for on in (False, True):
        net = MLP(4, [8], 2, batchnorm=True, dropout=0.2, seed=1)
        results.append(train(net, make_optimizer("sgd"), x, t, batch_size=10, iterations=7, loss_after_update=on))
        weights.append(net.params["W1"].copy())
    assert results[0].losses_after_update is None
    assert len(results[1].losses_after_update) == results[1].iterations == 7
    np.testing.assert_array_equal(results[0].minibatch_losses, results[1].minibatch_losses)
    np.testing.assert_array_equal(weights[0], weights[1])


def test_loss_after_update_stops_with_a_diverged_run():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 10)).astype(np.float32) * 10
    t = rng.integers(0, 3, 100)
    net = MLP(10, [20, 20], 3, init=5.0, seed=0)
    with np.errstate(all="ignore"):
        result = train(net, make_optimizer("sgd", lr=1e6), x, t, batch_size=10, iterations=200,
                       loss_after_update=True)
    assert result.status == "diverged"
    assert len(result.losses_after_update) == result.iterations
