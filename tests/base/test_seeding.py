import numpy as np
import pytest

from nnbench.seeding import STREAMS, rng


def test_streams_are_independent_and_reproducible():
    draws = {name: rng(7, name).random(4) for name in STREAMS}
    assert len({tuple(d) for d in draws.values()}) == len(STREAMS)
    np.testing.assert_array_equal(rng(7, "weights").random(4), draws["weights"])
    assert not np.array_equal(rng(8, "weights").random(4), draws["weights"])
    assert len(set(STREAMS.values())) == len(STREAMS)


def test_unknown_stream_is_an_error():
    with pytest.raises(KeyError):
        rng(0, "nope")
