"""load_dataset: search order, the verified cache, subsets, digits, bad arguments."""

from __future__ import annotations

import dataclasses
import os
import shutil
import warnings

import numpy as np
import pytest
from data_helpers import (N_TEST, N_TRAIN, SIDE, TEST_LABELS, TRAIN_LABELS, cache_files, make_tiny,
                          snapshot)

from nnbench.data import DATASETS, REGISTRY, DatasetError, cache_root, load_dataset
from nnbench.data import idx as idx_module
from nnbench.data import store

NPY_KEYS = ("test-images", "test-labels", "train-images", "train-labels")


def _npy_names(spec):
    return sorted(store.npy_path(store.Path("."), f).name for f in spec.files)


def test_load_returns_float_pixels_and_int_labels_in_original_order(tiny, tmp_path):
    data = load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache")
    expected = tiny["mnist"]
    assert data.name == "mnist" and data.classes == tuple("0123456789") and data.n_classes == 10
    assert data.x_train.shape == (N_TRAIN, SIDE * SIDE) and data.x_test.shape == (N_TEST, SIDE * SIDE)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64 and data.y_test.dtype == np.int64
    np.testing.assert_array_equal(data.x_train, expected.images["train"].reshape(N_TRAIN, -1).astype(np.float32) / 255)
    np.testing.assert_array_equal(data.y_train, expected.labels["train"])
    np.testing.assert_array_equal(data.y_test, expected.labels["test"])
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert data.x_val is None and data.y_val is None
    assert "source" in data.source and "verified cache" in data.source
    assert data.n_features == SIDE * SIDE


def test_fashion_mnist_has_its_class_names(tiny, tmp_path):
    data = load_dataset("fashion-mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache")
    assert data.classes[0] == "T-shirt/top" and data.classes[9] == "Ankle boot"


def test_data_dir_is_never_written_and_cache_holds_only_verified_arrays(tiny, tmp_path):
    before = snapshot(tmp_path / "source")
    load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache")
    assert snapshot(tmp_path / "source") == before
    assert cache_files(tmp_path / "cache" / "mnist") == sorted(_npy_names(tiny["mnist"].spec) + ["sources.json"])


def test_data_dir_may_be_the_dataset_folder_itself(tiny, tmp_path):
    data = load_dataset("mnist", data_dir=tmp_path / "source" / "mnist", cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(data.y_test, tiny["mnist"].labels["test"])


def test_uncompressed_copies_are_accepted(tiny, tmp_path):
    tiny["mnist"].write(tmp_path / "plain" / "mnist", gz=False)
    data = load_dataset("mnist", data_dir=tmp_path / "plain", cache_dir=tmp_path / "cache", download=False)
    np.testing.assert_array_equal(data.y_train, tiny["mnist"].labels["train"])


def test_nnbench_data_env_is_searched_after_data_dir(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("NNBENCH_DATA", str(tmp_path / "source"))
    data = load_dataset("mnist", cache_dir=tmp_path / "cache1", download=False)
    np.testing.assert_array_equal(data.y_train, tiny["mnist"].labels["train"])

    # data_dir comes first: a bad copy there is reported even though NNBENCH_DATA is good.
    bad = tiny["mnist"].write(tmp_path / "bad" / "mnist")
    (bad / TRAIN_LABELS).write_bytes(b"\x1f\x8bnot really")
    with pytest.raises(DatasetError, match=str(bad / TRAIN_LABELS)):
        load_dataset("mnist", data_dir=tmp_path / "bad", cache_dir=tmp_path / "cache2", download=False)


def test_default_cache_location_follows_env(tiny, tmp_path, monkeypatch):
    assert cache_root() == tmp_path / "xdg" / "nnbench"
    load_dataset("mnist", data_dir=tmp_path / "source")
    assert len(cache_files(tmp_path / "xdg" / "nnbench" / "mnist")) == 5
    monkeypatch.setenv("NNBENCH_CACHE", str(tmp_path / "nncache"))
    assert cache_root() == tmp_path / "nncache"
    assert cache_root(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.delenv("NNBENCH_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG spec says
    assert cache_root() == tmp_path / "home" / ".cache" / "nnbench"


def test_second_load_uses_the_cache_without_rehashing(tiny, tmp_path, monkeypatch):
    first = load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache")

    def fail(*args, **kwargs):
        raise AssertionError("a source file was read again")

    monkeypatch.setattr(idx_module, "read_raw", fail)
    shutil.rmtree(tmp_path / "source")  # the original copy is gone: the cache alone suffices
    second = load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache", download=False)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    arrays, _ = store.ensure_cached(REGISTRY["mnist"], cache_dir=tmp_path / "cache", download=False)
    assert all(isinstance(array, np.memmap) for array in arrays.values())  # memory-mapped, not read


def test_system_package_folder_is_searched(clean_env, tmp_path, monkeypatch):
    system = tmp_path / "usr" / "share" / "datasets" / "fashion-mnist"
    data = make_tiny("fashion-mnist", 3, mirrors=("http://127.0.0.1:9/",), system_dirs=(system,))
    data.write(system)
    monkeypatch.setitem(REGISTRY, "fashion-mnist", data.spec)
    loaded = load_dataset("fashion-mnist", download=False)
    np.testing.assert_array_equal(loaded.y_train, data.labels["train"])
    assert str(system) in loaded.source


def test_offline_without_copy_says_where_it_looked_and_leaves_nothing(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("NNBENCH_DATA", str(tmp_path / "empty-env"))
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", data_dir=tmp_path / "empty-arg", cache_dir=tmp_path / "cache", download=False)
    message = str(caught.value)
    for place in (tmp_path / "empty-arg", tmp_path / "empty-env" / "mnist", tmp_path / "cache" / "mnist"):
        assert str(place) in message
    assert "download=False" in message and "nnbench data fetch mnist" in message
    assert cache_files(tmp_path / "cache" / "mnist") == []


def test_damaged_cache_is_rebuilt(tiny, tmp_path):
    load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache")
    spec = tiny["mnist"].spec
    cached = store.npy_path(tmp_path / "cache" / "mnist", spec.file("train", "images"))
    cached.write_bytes(cached.read_bytes()[:100])  # truncated by a full disk, say
    (tmp_path / "cache" / "mnist" / ".tmp-left-by-a-killed-process.npy").write_bytes(b"partial")
    data = load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(data.x_train[0], tiny["mnist"].images["train"][0].reshape(-1) / np.float32(255))
    assert cache_files(tmp_path / "cache" / "mnist") == sorted(_npy_names(spec) + ["sources.json"])


def test_damaged_download_in_cache_is_deleted_and_the_search_goes_on(tiny, tmp_path, monkeypatch):
    cache = tmp_path / "cache" / "mnist"
    tiny["mnist"].write(cache)  # as if downloaded earlier; the .npy arrays are not built yet
    (cache / TEST_LABELS).write_bytes(b"\x1f\x8bdamaged")  # our own file: may be deleted
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte.gz \(truncated.*; deleted\)"):
        load_dataset("mnist", cache_dir=tmp_path / "cache", download=False)
    assert not (cache / TEST_LABELS).exists()
    assert [name for name in cache_files(cache) if name.endswith(".npy")] == []

    # The search goes on past the cache: here to the system package folder.
    system = tmp_path / "system"
    tiny["mnist"].write(system)
    monkeypatch.setitem(REGISTRY, "mnist", dataclasses.replace(REGISTRY["mnist"], system_dirs=(str(system),)))
    data = load_dataset("mnist", cache_dir=tmp_path / "cache", download=False)
    np.testing.assert_array_equal(data.y_test, tiny["mnist"].labels["test"])


def test_a_cache_that_is_also_the_data_dir_is_not_cleaned(tiny, tmp_path):
    folder = tmp_path / "source" / "mnist"
    (folder / TEST_LABELS).write_bytes(b"\x1f\x8bdamaged")
    with pytest.raises(DatasetError, match="truncated"):
        load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "source", download=False)
    # The user's folder is searched (read only) before the cache, so the bad file is reported, not deleted.
    assert (folder / TEST_LABELS).read_bytes() == b"\x1f\x8bdamaged"


def test_unwritable_cache_falls_back_to_memory_with_a_warning(tiny, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.warns(UserWarning, match="cannot write the dataset cache"):
        data = load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=blocker / "cache")
    np.testing.assert_array_equal(data.y_train, tiny["mnist"].labels["train"])
    assert data.source == f"{tmp_path / 'source' / 'mnist'} (verified, not cached)"


def test_n_train_keeps_the_first_samples(tiny, tmp_path):
    data = load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "c", n_train=10)
    np.testing.assert_array_equal(data.y_train, tiny["mnist"].labels["train"][:10])
    assert data.x_test.shape[0] == N_TEST  # the test set is never cut


def test_validation_is_carved_from_the_first_n_train_with_the_seed(tiny, tmp_path):
    kwargs = dict(data_dir=tmp_path / "source", cache_dir=tmp_path / "c", n_train=20, validation=5)
    first = load_dataset("mnist", seed=1, **kwargs)
    again = load_dataset("mnist", seed=1, **kwargs)
    other = load_dataset("mnist", seed=2, **kwargs)
    assert first.x_train.shape == (15, SIDE * SIDE) and first.x_val.shape == (5, SIDE * SIDE)
    np.testing.assert_array_equal(first.x_val, again.x_val)
    assert not np.array_equal(first.x_val, other.x_val)
    # Every one of the first 20 samples is in exactly one of the two parts, in original order.
    pixels = tiny["mnist"].images["train"].reshape(N_TRAIN, -1)[:20] / np.float32(255)
    rows = {row.tobytes(): i for i, row in enumerate(pixels)}
    train_rows = [rows[row.tobytes()] for row in first.x_train]
    val_rows = [rows[row.tobytes()] for row in first.x_val]
    assert sorted(train_rows + val_rows) == list(range(20))
    assert train_rows == sorted(train_rows) and val_rows == sorted(val_rows)
    np.testing.assert_array_equal(first.y_val, tiny["mnist"].labels["train"][val_rows])
    assert first.x_test.shape[0] == N_TEST


@pytest.mark.parametrize("kwargs, match", [
    ({"n_train": 0}, r"n_train: 0 is not allowed; expected a whole number in \[1, 24\]"),
    ({"n_train": N_TRAIN + 1}, "n_train: 25 is not allowed"),
    ({"n_train": 2.5}, "n_train: 2.5 is not allowed"),
    ({"n_train": True}, "n_train: True is not allowed"),
    ({"validation": -1}, "validation: -1 is not allowed"),
    ({"n_train": 10, "validation": 10}, r"validation: 10 is not allowed; expected a whole number in \[0, 9\]"),
    ({"seed": -3}, r"seed: -3 is not allowed; expected a whole number >= 0"),
    ({"seed": "1"}, "seed: '1' is not allowed"),
])
def test_bad_subset_arguments_are_rejected(tiny, tmp_path, kwargs, match):
    with pytest.raises(DatasetError, match=match):
        load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "c", **kwargs)


def test_bad_arguments_fail_before_any_file_is_looked_for(tiny, tmp_path):
    with pytest.raises(DatasetError, match="n_train: 0 is not allowed"):
        load_dataset("mnist", cache_dir=tmp_path / "nothing", download=False, n_train=0)
    with pytest.raises(DatasetError, match=r"validation: 1437 is not allowed; expected a whole number in \[0, 1436\]"):
        load_dataset("digits", validation=1437)


def test_unknown_name_suggests_the_closest():
    with pytest.raises(DatasetError, match=r"unknown dataset 'fashion_mnist'.*did you mean 'fashion-mnist'"):
        load_dataset("fashion_mnist")
    with pytest.raises(ValueError, match="choose from mnist, fashion-mnist, digits"):
        load_dataset("cifar10")
    assert DATASETS == ("mnist", "fashion-mnist", "digits")


def test_digits_is_builtin_split_stratified_and_deterministic(clean_env):
    data = load_dataset("digits")
    assert data.x_train.shape == (1437, 64) and data.x_test.shape == (360, 64)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    # Stratified: every class keeps its share (1797 images, 174..183 per class) in the test set.
    assert set(np.bincount(data.y_test)) <= {35, 36, 37}
    again = load_dataset("digits")
    np.testing.assert_array_equal(data.x_test, again.x_test)
    small = load_dataset("digits", n_train=100, validation=20, seed=4)
    assert small.x_train.shape == (80, 64) and small.x_val.shape == (20, 64)
    assert repr(small) == "Dataset('digits', train=(80, 64), validation=(20, 64), test=(360, 64), classes=10)"
    assert not (clean_env / "xdg").exists()  # nothing cached, nothing downloaded


def test_digits_are_exactly_scikit_learns_without_importing_it(clean_env):
    import subprocess
    import sys

    from sklearn.datasets import load_digits

    data = load_dataset("digits")
    bunch = load_digits()
    x = np.concatenate([data.x_train, data.x_test]) * 16
    y = np.concatenate([data.y_train, data.y_test])
    # Same images and labels as load_digits (as sets of rows: the split reorders them).
    ours = sorted(map(tuple, np.column_stack([x, y]).astype(int).tolist()))
    theirs = sorted(map(tuple, np.column_stack([bunch.data, bunch.target]).astype(int).tolist()))
    assert ours == theirs
    # A digits job must not pay for importing scikit-learn.
    code = "import sys; from nnbench.data import load_dataset; load_dataset('digits'); print('sklearn' in sys.modules)"
    assert subprocess.check_output([sys.executable, "-c", code], text=True).strip() == "False"


def test_no_global_random_state_is_used(tiny, tmp_path):
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "c", n_train=20, validation=5)
    load_dataset("digits")
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_cache_files_are_readable_by_others(tiny, tmp_path):
    load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache")
    for path in (tmp_path / "cache" / "mnist").glob("*.npy"):
        assert os.stat(path).st_mode & 0o044 == 0o044
    warnings.simplefilter("error")  # and loading again warns about nothing
    load_dataset("mnist", cache_dir=tmp_path / "cache", download=False)


def test_unit_float_pixels_are_the_correctly_rounded_quotients():
    from nnbench.data.loader import to_unit_float

    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    values = to_unit_float(pixels, 255)
    assert values.dtype == np.float32
    expected = (pixels.astype(np.float64) / 255).astype(np.float32)  # float64 quotient, rounded once
    np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(to_unit_float(pixels[:, :1] % 17, 16), (pixels[:, :1] % 17).astype(np.float32) / 16)


def test_a_group_reuses_its_last_load_read_only_and_nothing_outside(tiny, tmp_path):
    from nnbench.data import reusing_loaded_datasets

    arguments = {"data_dir": tmp_path / "source", "cache_dir": tmp_path / "cache"}
    assert load_dataset("mnist", **arguments) is not load_dataset("mnist", **arguments)
    with reusing_loaded_datasets():
        first = load_dataset("mnist", **arguments)
        assert load_dataset("mnist", **arguments) is first
        assert not first.x_train.flags.writeable and not first.y_test.flags.writeable
        with pytest.raises(ValueError):
            first.x_train[0, 0] = 1.0
        # without a validation split the seed changes nothing, so the load is shared
        assert load_dataset("mnist", seed=3, **arguments) is first
        subset = load_dataset("mnist", n_train=N_TRAIN - 1, **arguments)
        assert subset is not first and subset.x_train.shape[0] == N_TRAIN - 1
        again = load_dataset("mnist", **arguments)  # only the last load is kept
        assert again is not first
        np.testing.assert_array_equal(again.x_train, first.x_train)
        split = load_dataset("mnist", validation=2, seed=1, **arguments)
        assert load_dataset("mnist", validation=2, seed=2, **arguments) is not split
    fresh = load_dataset("mnist", **arguments)
    assert fresh.x_train.flags.writeable and fresh is not again


@pytest.mark.parametrize("name", ["mnist", "digits"])
def test_pixel_rows_give_the_features_a_batch_at_a_time(tiny, tmp_path, name):
    from nnbench.data.loader import PixelRows

    data = load_dataset(name, data_dir=tmp_path / "source", cache_dir=tmp_path / "cache", n_train=20,
                        validation=4, seed=1)
    for rows, features in ((data.train_rows, data.x_train), (data.validation_rows, data.x_val),
                           (data.test_rows, data.x_test)):
        assert isinstance(rows, PixelRows) and rows.pixels.dtype == np.uint8
        assert rows.shape == features.shape and len(rows) == len(features) and rows.dtype == np.float32
        np.testing.assert_array_equal(np.asarray(rows), features)
        for index in (slice(1, 4), np.array([3, 0, 3, 2])):
            out32 = rows.rows_into(index, np.full((3 if isinstance(index, slice) else 4, rows.shape[1]), 9, np.float32))
            assert np.array_equal(out32, features[index])  # the same bits as converting first
            out64 = rows.rows_into(index, np.empty(out32.shape, np.float64))
            assert np.array_equal(out64, features[index].astype(np.float64))  # the float32 values, widened
        for selection in (slice(2, None), np.array([1, 1, 0]), np.arange(len(rows)) % 3 == 0):
            assert isinstance(rows[selection], PixelRows)
            np.testing.assert_array_equal(rows[selection].features(), features[selection])
    assert data.x_train is data.x_train  # made once, kept


def test_pixel_rows_select_whole_rows_only(tiny, tmp_path):
    rows = load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache").train_rows
    for index in (3, (slice(None), 0)):
        with pytest.raises(TypeError, match="PixelRows selects whole rows"):
            rows[index]
    with pytest.raises(ValueError, match="without converting"):
        np.asarray(rows, copy=False)
    assert rows._features is None  # nothing above converted the whole split


def test_a_shared_loads_features_are_read_only_too(tiny, tmp_path):
    from nnbench.data import reusing_loaded_datasets

    with reusing_loaded_datasets():
        data = load_dataset("mnist", data_dir=tmp_path / "source", cache_dir=tmp_path / "cache")
        for features in (data.x_train, data.train_rows[:5].features(), np.asarray(data.test_rows)):
            assert not features.flags.writeable
