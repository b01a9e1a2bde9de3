"""nnbench.files: a file is replaced whole or not at all."""

from __future__ import annotations

import os

import pytest

from nnbench.files import atomic_open, default_file_mode


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_open(path) as stream:
            stream.write("half a new ta")
            raise RuntimeError("killed")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_a_complete_write_replaces_the_file_with_the_usual_mode(tmp_path):
    path = tmp_path / "new" / "spec.json"  # parent folders are made
    with atomic_open(path) as stream:
        stream.write("{}\n")
    assert path.read_text() == "{}\n"
    assert os.stat(path).st_mode & 0o777 == default_file_mode()
    with atomic_open(path, "wb", file_mode=0o644, fsync=True, prefix=".tmp-") as stream:
        stream.write(b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01" and os.stat(path).st_mode & 0o777 == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["spec.json"]
