"""Known facts of the real MNIST / Fashion-MNIST files; run only when NNBENCH_DATA points at them (CI does)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nnbench.cli import main
from nnbench.data import REGISTRY, load_dataset, verify_copies

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(not os.environ.get("NNBENCH_DATA"), reason="NNBENCH_DATA is not set"),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """A fresh cache, filled once from $NNBENCH_DATA (decodes 2 x 55 MB, a few seconds)."""
    folder = tmp_path_factory.mktemp("real-cache")
    assert main(["data", "fetch", "mnist", "fashion-mnist", "--data-dir", os.environ["NNBENCH_DATA"],
                 "--cache-dir", str(folder)]) == 0
    return folder


def test_mnist_facts(cache_dir):
    data = load_dataset("mnist", cache_dir=cache_dir, download=False)
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert np.bincount(data.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert data.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert data.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert round(float(data.x_train.mean(dtype=np.float64)), 4) == 0.1307
    assert round(float(data.x_train.std(dtype=np.float64)), 4) == 0.3081
    # Row 6 of the first training image (a 5), as published.
    row6 = [0, 0, 0, 0, 0, 0, 0, 0, 30, 36, 94, 154, 170, 253, 253, 253,
            253, 253, 225, 172, 253, 242, 195, 64, 0, 0, 0, 0]
    np.testing.assert_array_equal(np.rint(data.x_train[0].reshape(28, 28)[6] * 255), row6)


def test_fashion_mnist_facts(cache_dir):
    data = load_dataset("fashion-mnist", cache_dir=cache_dir, download=False)
    assert np.bincount(data.y_train).tolist() == [6000] * 10
    assert np.bincount(data.y_test).tolist() == [1000] * 10
    assert data.y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert round(float(data.x_train.mean(dtype=np.float64)), 4) == 0.2860
    assert data.classes[9] == "Ankle boot"


def test_book_subsets_of_real_mnist(cache_dir):
    small = load_dataset("mnist", cache_dir=cache_dir, download=False, n_train=1000, validation=100, seed=0)
    full = load_dataset("mnist", cache_dir=cache_dir, download=False, n_train=300)
    assert small.x_train.shape == (900, 784) and small.x_val.shape == (100, 784)
    assert full.y_train.tolist()[:10] == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_every_real_file_verifies():
    for name in ("mnist", "fashion-mnist"):
        checks = verify_copies(REGISTRY[name], data_dir=os.environ["NNBENCH_DATA"])
        assert [check.problem for check in checks] == [None] * 4, checks
