"""Row sources (nnbench.core.rows): the trainer and MLP.evaluate read x a batch or a chunk
at a time, with the same results as from the converted array."""

from __future__ import annotations

import numpy as np
import pytest

from nnbench.core import MLP, make_optimizer, train
from nnbench.core.rows import is_row_source, rows_into


class Eighths:
    """Integers standing for k / 8 in float32; counts the rows each call converts."""

    dtype = np.dtype(np.float32)

    def __init__(self, values):
        self.values = values
        self.calls = []

    @property
    def shape(self):
        return self.values.shape

    def __len__(self):
        return len(self.values)

    def rows_into(self, index, out):
        rows = self.values[index]
        self.calls.append(len(rows))
        converted = rows.astype(np.float32) / np.float32(8)
        np.copyto(out, converted)  # widened for a float64 out
        return out

    def features(self):
        return self.values.astype(np.float32) / np.float32(8)


def _data(n=300, features=12, seed=0):
    rng = np.random.default_rng(seed)
    return Eighths(rng.integers(0, 9, (n, features)).astype(np.uint8)), rng.integers(0, 4, n)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("budget", [{"iterations": 25}, {"epochs": 2}])
def test_training_from_a_row_source_equals_training_from_its_array(dtype, budget):
    source, t = _data()
    results = []
    for x in (source, source.features()):
        net = MLP(12, [16, 8], 4, dtype=dtype, seed=3, batchnorm=True, dropout=0.2)
        result = train(net, make_optimizer("adam", lr=0.01), x, t, batch_size=32, seed=5, loss_after_update=True,
                       **budget)
        results.append((net, result))
    (from_rows, rows_result), (from_array, array_result) = results
    for key in from_array.params:
        assert np.array_equal(from_rows.params[key], from_array.params[key]), key
    assert np.array_equal(rows_result.minibatch_losses, array_result.minibatch_losses)
    assert np.array_equal(rows_result.losses_after_update, array_result.losses_after_update)
    assert set(source.calls) == {32}  # one minibatch per call, never the whole set


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_evaluate_reads_a_row_source_a_chunk_at_a_time_with_the_same_result(dtype):
    source, t = _data(n=250)
    net = MLP(12, [16], 4, dtype=dtype, seed=1)
    expected = net.evaluate(source.features(), t, chunk_size=64)
    assert net.evaluate(source, t, chunk_size=64) == expected
    assert source.calls == [64, 64, 64, 58]


def test_rows_into_takes_slices_and_row_numbers_of_arrays_and_sources():
    source, _ = _data(n=10, features=3)
    array = source.features()
    out = np.empty((3, 3), np.float64)
    for index in (slice(2, 5), np.array([7, 0, 7])):
        np.testing.assert_array_equal(rows_into(array, index, out), array[index])
        np.testing.assert_array_equal(rows_into(source, index, out.copy()), array[index])
    assert is_row_source(source) and not is_row_source(array) and not is_row_source([[1.0]])


def test_a_row_source_of_the_wrong_width_is_refused():
    source, t = _data(features=5)
    net = MLP(12, [16], 4)
    with pytest.raises(Exception, match=r"x must have shape \(N, 12\), got \(300, 5\)"):
        net.evaluate(source, t)
