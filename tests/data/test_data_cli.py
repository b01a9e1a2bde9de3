"""`nnbench data fetch | verify | info` through the real CLI entry point."""

from __future__ import annotations

import dataclasses

import pytest
from data_helpers import TRAIN_IMAGES, TRAIN_LABELS, cache_files, gzip_bytes, snapshot

from nnbench.cli import main
from nnbench.data import REGISTRY


def test_fetch_from_data_dir_builds_the_cache_without_downloading(tiny, tmp_path, capsys):
    before = snapshot(tmp_path / "source")
    code = main(["data", "fetch", "mnist", "fashion-mnist", "--data-dir", str(tmp_path / "source"),
                 "--cache-dir", str(tmp_path / "cache")])
    out = capsys.readouterr().out
    assert code == 0
    assert f"mnist: ok, verified cache in {tmp_path / 'cache' / 'mnist'}" in out
    assert f"(from {tmp_path / 'source' / 'mnist'})" in out
    for name in ("mnist", "fashion-mnist"):
        assert sum(f.endswith(".npy") for f in cache_files(tmp_path / "cache" / name)) == 4
    assert snapshot(tmp_path / "source") == before


def test_fetch_with_data_dir_missing_files_fails_without_download(tiny, tmp_path, capsys, http_mirror, monkeypatch):
    base, www, requests = http_mirror
    monkeypatch.setenv("NNBENCH_MIRROR", base)
    code = main(["data", "fetch", "mnist", "--data-dir", str(tmp_path / "nothing-here"),
                 "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and requests == []
    assert err.startswith("nnbench: error: mnist: no usable copy of") and "Traceback" not in err


def test_fetch_downloads_with_the_default_names(tiny, tmp_path, capsys, http_mirror, monkeypatch):
    base, www, requests = http_mirror
    for name in ("mnist", "fashion-mnist"):
        (www / name).mkdir()
        for filename, raw in tiny[name].raw.items():
            (www / name / filename).write_bytes(gzip_bytes(raw))
    monkeypatch.setenv("NNBENCH_MIRROR", base)
    assert main(["data", "fetch", "--cache-dir", str(tmp_path / "cache")]) == 0
    assert len(requests) == 8
    out = capsys.readouterr().out
    assert f"mnist: ok, verified cache in {tmp_path / 'cache' / 'mnist'} (from mirror {base}/mnist/)" in out
    assert main(["data", "fetch", "digits"]) == 0
    assert "built into scikit-learn" in capsys.readouterr().out


def test_fetch_unknown_name_is_a_one_line_error(capsys):
    assert main(["data", "fetch", "mnits"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("nnbench: error: unknown dataset 'mnits' (did you mean 'mnist'?); "
                           "allowed: mnist, fashion-mnist, digits")


def test_verify_reports_each_file_and_exits_1_on_a_problem(tiny, tmp_path, capsys):
    args = ["data", "verify", "mnist", "--data-dir", str(tmp_path / "source")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count("ok    mnist: ") == 4

    (tmp_path / "source" / "mnist" / TRAIN_LABELS).unlink()
    bad_images = tmp_path / "source" / "mnist" / TRAIN_IMAGES
    bad_images.write_bytes(bad_images.read_bytes()[:-20])
    assert main(args) == 1
    captured = capsys.readouterr()
    assert f"FAIL  mnist: {bad_images} [data_dir]: truncated" in captured.out
    assert f"FAIL  mnist: {TRAIN_LABELS}: missing (looked in {tmp_path / 'source' / 'mnist'})" in captured.out
    assert captured.out.count("ok    mnist: ") == 2
    assert "2 problem(s)" in captured.err


def test_verify_checks_the_cached_arrays_too(tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NNBENCH_CACHE", str(tmp_path / "cache"))
    assert main(["data", "fetch", "mnist", "--data-dir", str(tmp_path / "source")]) == 0
    assert main(["data", "verify", "mnist"]) == 0
    assert capsys.readouterr().out.count("[cache (decoded)]") == 4

    # Flip one pixel inside a cached array: same shape, so only the content hash can tell.
    cached = next((tmp_path / "cache" / "mnist").glob("train-images-*.npy"))
    data = bytearray(cached.read_bytes())
    data[-1] ^= 0xFF
    cached.write_bytes(bytes(data))
    assert main(["data", "verify", "mnist"]) == 1
    assert "content hash mismatch" in capsys.readouterr().out


def test_verify_with_nothing_anywhere_fails(tiny, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(REGISTRY, "mnist", dataclasses.replace(REGISTRY["mnist"], system_dirs=()))
    assert main(["data", "verify", "mnist", "--cache-dir", str(tmp_path / "empty")]) == 1
    assert capsys.readouterr().out.count("missing (looked in") == 4


def test_info_shows_shapes_counts_source_and_licence(tiny, tmp_path, capsys):
    code = main(["data", "info", "fashion-mnist", "--data-dir", str(tmp_path / "source"),
                 "--cache-dir", str(tmp_path / "cache")])
    out = capsys.readouterr().out
    assert code == 0
    assert "licence:  MIT; Copyright 2017 Zalando SE" in out
    assert "train:    x (24, 16) float32, y (24,) int64" in out
    assert "class counts: 3 3 3 3 2 2 2 2 2 2" in out  # 24 labels cycling 0..9
    assert "T-shirt/top" in out and str(tmp_path / "source") in out


def test_info_when_not_available_still_describes_and_exits_1(tiny, tmp_path, capsys):
    assert main(["data", "info", "mnist", "--cache-dir", str(tmp_path / "empty")]) == 1
    out = capsys.readouterr().out
    assert "CC BY-SA 3.0" in out and "not available locally; run `nnbench data fetch mnist`" in out


def test_info_digits(capsys):
    assert main(["data", "info", "digits"]) == 0
    out = capsys.readouterr().out
    assert "train:    x (1437, 64) float32" in out and "test:     x (360, 64) float32" in out


@pytest.mark.parametrize("argv", [["data"], ["data", "info"]])
def test_incomplete_commands_exit_2(argv, capsys):
    if argv == ["data"]:
        assert main(argv) == 2
        assert "fetch" in capsys.readouterr().err
    else:
        with pytest.raises(SystemExit) as caught:  # argparse: missing NAME
            main(argv)
        assert caught.value.code == 2
