"""Downloads against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from data_helpers import TEST_IMAGES, TRAIN_IMAGES, TRAIN_LABELS, cache_files, gzip_bytes

from nnbench.data import REGISTRY, DatasetError, load_dataset
from nnbench.data.store import Progress


def _serve(tiny, www, name="mnist", damage=None):
    """Put the dataset's gz files under www/<name>/; ``damage`` maps file name -> bytes to serve instead."""
    folder = www / name
    folder.mkdir(parents=True, exist_ok=True)
    for filename, raw in tiny[name].raw.items():
        (folder / filename).write_bytes((damage or {}).get(filename, gzip_bytes(raw)))
    return folder


def _point_registry_at(monkeypatch, name, *mirrors):
    monkeypatch.setitem(REGISTRY, name, dataclasses.replace(REGISTRY[name], mirrors=tuple(mirrors)))


def test_good_download_lands_verified_in_the_cache(tiny, tmp_path, http_mirror, monkeypatch):
    base, www, requests = http_mirror
    _serve(tiny, www)
    _point_registry_at(monkeypatch, "mnist", f"{base}/mnist/")
    data = load_dataset("mnist", cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(data.y_train, tiny["mnist"].labels["train"])
    cached = cache_files(tmp_path / "cache" / "mnist")
    assert set(tiny["mnist"].raw) <= set(cached)  # the four .gz files are kept
    assert sum(name.endswith(".npy") for name in cached) == 4
    assert not [name for name in cached if name.startswith(".tmp-")]
    assert sorted(requests) == sorted(f"/mnist/{f}" for f in tiny["mnist"].raw)
    assert f"(from mirror {base}/mnist/)" in data.source

    # A second load needs no network.
    requests.clear()
    load_dataset("mnist", cache_dir=tmp_path / "cache")
    assert requests == []


def test_nnbench_mirror_env_replaces_the_canonical_mirrors(tiny, tmp_path, http_mirror, monkeypatch):
    base, www, requests = http_mirror
    _serve(tiny, www, "fashion-mnist")
    monkeypatch.setenv("NNBENCH_MIRROR", base)  # the registry's mirror (port 9) would fail
    data = load_dataset("fashion-mnist", cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(data.y_test, tiny["fashion-mnist"].labels["test"])
    assert all(path.startswith("/fashion-mnist/") for path in requests)


def test_next_mirror_is_tried_when_the_first_fails(tiny, tmp_path, http_mirror, monkeypatch):
    base, www, _ = http_mirror
    _serve(tiny, www)
    _point_registry_at(monkeypatch, "mnist", f"{base}/missing/", f"{base}/mnist/")
    data = load_dataset("mnist", cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(data.y_test, tiny["mnist"].labels["test"])


@pytest.mark.parametrize("damage, problem", [
    (lambda raw: gzip_bytes(raw[:-1] + b"\x00"), "content hash mismatch"),
    (lambda raw: gzip_bytes(raw)[:-30], "truncated"),
    (lambda raw: b"<html>Access Denied</html>", "not gzip"),
])
def test_corrupt_download_raises_and_leaves_nothing(tiny, tmp_path, http_mirror, monkeypatch, damage, problem):
    base, www, _ = http_mirror
    raw = tiny["mnist"].raw[TRAIN_IMAGES]
    _serve(tiny, www, damage={TRAIN_IMAGES: damage(raw)})
    _point_registry_at(monkeypatch, "mnist", f"{base}/mnist/")
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert f"{base}/mnist/{TRAIN_IMAGES}: downloaded, but {problem}" in message
    assert "the download was deleted" in message
    cached = cache_files(tmp_path / "cache" / "mnist")
    assert TRAIN_IMAGES not in cached
    assert not [name for name in cached if name.startswith(".tmp-") or name.endswith(".npy")]


def test_http_error_and_unreachable_server_are_reported(tiny, tmp_path, http_mirror, monkeypatch):
    base, _, _ = http_mirror  # serves nothing: 404
    _point_registry_at(monkeypatch, "mnist", f"{base}/mnist/", "http://127.0.0.1:9/")
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert f"{base}/mnist/{TRAIN_IMAGES}: HTTP 404" in message
    assert f"http://127.0.0.1:9/{TRAIN_IMAGES}: download failed" in message
    assert "data_dir (not set)" in message and "$NNBENCH_DATA (not set)" in message
    assert cache_files(tmp_path / "cache" / "mnist") == []


def test_download_false_never_touches_the_network(tiny, tmp_path, http_mirror, monkeypatch):
    base, www, requests = http_mirror
    _serve(tiny, www)
    _point_registry_at(monkeypatch, "mnist", f"{base}/mnist/")
    with pytest.raises(DatasetError, match="download=False"):
        load_dataset("mnist", cache_dir=tmp_path / "cache", download=False)
    assert requests == []


def test_only_missing_files_are_downloaded(tiny, tmp_path, http_mirror, monkeypatch):
    base, www, requests = http_mirror
    _serve(tiny, www)
    _point_registry_at(monkeypatch, "mnist", f"{base}/mnist/")
    partial = tiny["mnist"].write(tmp_path / "partial" / "mnist")
    (partial / TEST_IMAGES).unlink()
    before = sorted(p.name for p in partial.iterdir())
    load_dataset("mnist", data_dir=tmp_path / "partial", cache_dir=tmp_path / "cache")
    assert requests == [f"/mnist/{TEST_IMAGES}"]
    assert sorted(p.name for p in partial.iterdir()) == before  # the user's folder gets nothing
    assert TRAIN_LABELS not in cache_files(tmp_path / "cache" / "mnist")


class _FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal():
    terminal, pipe = _FakeTerminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress("mnist train-images-idx3-ubyte.gz", total=2_000_000, stream=stream)
        progress.update(1_000_000)
        progress.close()
    assert "mnist train-images-idx3-ubyte.gz [###############" in terminal.getvalue()
    assert "1.0/2.0 MB" in terminal.getvalue()
    assert pipe.getvalue() == ""
