"""IDX parsing and every way a file can be wrong: each gives a DatasetError naming file, problem and fix."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest
from data_helpers import (N_TRAIN, SIDE, TEST_IMAGES, TRAIN_IMAGES, TRAIN_LABELS, cache_files, gzip_bytes,
                          idx_bytes)

from nnbench.data import DatasetError, DatasetFileError, load_dataset
from nnbench.data.idx import content_sha256, read_verified
from nnbench.errors import NnbenchError


def _spec_and_file(tiny, filename=TRAIN_IMAGES, name="mnist"):
    spec = tiny[name].spec
    return spec, next(f for f in spec.files if f.filename == filename)


def test_good_gzip_and_plain_files_decode_to_the_written_arrays(tiny, tmp_path):
    spec, images_file = _spec_and_file(tiny)
    folder = tmp_path / "source" / "mnist"
    images = read_verified(folder / TRAIN_IMAGES, spec, images_file)
    assert images.dtype == np.uint8 and images.shape == (N_TRAIN, SIDE * SIDE)
    np.testing.assert_array_equal(images, tiny["mnist"].images["train"].reshape(N_TRAIN, -1))

    plain = tiny["mnist"].write(tmp_path / "plain", gz=False)
    _, labels_file = _spec_and_file(tiny, TRAIN_LABELS)
    labels = read_verified(plain / TRAIN_LABELS.removesuffix(".gz"), spec, labels_file)
    np.testing.assert_array_equal(labels, tiny["mnist"].labels["train"])
    assert content_sha256(images_file, images) == images_file.sha256


def _write_bad(tmp_path, data: bytes):
    path = tmp_path / "bad" / TRAIN_IMAGES
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _good_raw(tiny):
    return tiny["mnist"].raw[TRAIN_IMAGES]


BAD_FILES = {
    "empty": (lambda raw: b"", "truncated"),
    "gzip cut short": (lambda raw: gzip_bytes(raw)[:-40], "truncated"),
    "not gzip": (lambda raw: b"<html>404 Not Found</html>", "not gzip"),
    "plain idx named .gz": (lambda raw: raw, "not gzip"),
    "corrupt crc": (lambda raw: gzip_bytes(raw)[:-8] + b"\0\0\0\0" + gzip_bytes(raw)[-4:], "corrupt gzip"),
    "labels in the images slot": (
        lambda raw: gzip_bytes(idx_bytes(np.zeros(N_TRAIN, np.uint8))), "wrong magic number 0x00000801"),
    "wrong count": (
        lambda raw: gzip_bytes(idx_bytes(np.zeros((N_TRAIN - 1, SIDE, SIDE), np.uint8))), "wrong count"),
    "wrong dimensions": (
        lambda raw: gzip_bytes(idx_bytes(np.zeros((N_TRAIN, SIDE, SIDE + 1), np.uint8))), "wrong dimensions"),
    "content cut short": (lambda raw: gzip_bytes(raw[:-5]), "truncated"),
    "extra bytes": (lambda raw: gzip_bytes(raw + b"\0"), "extra bytes"),
    "one pixel changed": (
        lambda raw: gzip_bytes(raw[:-1] + bytes([(raw[-1] + 1) % 256])), "content hash mismatch"),
    "header only": (lambda raw: gzip_bytes(raw[:6]), "truncated"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_raises_naming_file_problem_and_fix(tiny, tmp_path, case):
    make, problem = BAD_FILES[case]
    path = _write_bad(tmp_path, make(_good_raw(tiny)))
    spec, images_file = _spec_and_file(tiny)
    with pytest.raises(DatasetFileError) as caught:
        read_verified(path, spec, images_file)
    message = str(caught.value)
    assert problem in caught.value.problem
    assert str(path) in message and problem in message
    assert "NNBENCH_DATA" in message and "nnbench data fetch mnist" in message
    assert "http://127.0.0.1:9/train-images-idx3-ubyte.gz" in message  # the mirror URL to get it from
    assert isinstance(caught.value, DatasetError) and isinstance(caught.value, NnbenchError)
    assert isinstance(caught.value, ValueError)


def test_file_error_survives_pickling(tiny, tmp_path):
    spec, images_file = _spec_and_file(tiny)
    with pytest.raises(DatasetFileError) as caught:
        read_verified(tmp_path / "absent.gz", spec, images_file)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (str(copy), copy.path, copy.problem) == (str(caught.value), caught.value.path, "missing")


def test_missing_file_and_folder_in_place_of_file(tiny, tmp_path):
    spec, images_file = _spec_and_file(tiny)
    with pytest.raises(DatasetFileError, match="missing"):
        read_verified(tmp_path / "nowhere" / TRAIN_IMAGES, spec, images_file)
    (tmp_path / "dir" / TRAIN_IMAGES).mkdir(parents=True)
    with pytest.raises(DatasetFileError, match="folder"):
        read_verified(tmp_path / "dir" / TRAIN_IMAGES, spec, images_file)


def test_swapped_dataset_file_is_identified(tiny, tmp_path):
    # Fashion-MNIST's file in MNIST's folder: same name and shape, so only the hash differs.
    path = _write_bad(tmp_path, gzip_bytes(tiny["fashion-mnist"].raw[TRAIN_IMAGES]))
    spec, images_file = _spec_and_file(tiny)
    with pytest.raises(DatasetFileError, match="this is the fashion-mnist train-images-idx3-ubyte.gz file"):
        read_verified(path, spec, images_file)


def test_any_gzip_header_is_accepted_when_content_matches(tiny, tmp_path):
    # Debian rewrites gzip headers (file name, mtime); the content hash must still match.
    raw = tiny["mnist"].raw[TEST_IMAGES]
    path = tmp_path / TEST_IMAGES
    with gzip.GzipFile(filename="some-other-name", mode="wb", fileobj=open(path, "wb"), mtime=1591315200) as out:
        out.write(raw)
    spec, images_file = _spec_and_file(tiny, TEST_IMAGES)
    assert read_verified(path, spec, images_file).shape[0] == images_file.count


def test_bad_file_in_data_dir_fails_load_and_leaves_no_cache(tiny, tmp_path):
    folder = tiny["mnist"].write(tmp_path / "user" / "mnist")
    (folder / TRAIN_LABELS).write_bytes(b"garbage")
    with pytest.raises(DatasetError, match=rf"{folder / TRAIN_LABELS}: not gzip"):
        load_dataset("mnist", data_dir=tmp_path / "user", cache_dir=tmp_path / "cache")
    # All splits are verified before any is cached: the cache stays empty.
    assert cache_files(tmp_path / "cache" / "mnist") == []
