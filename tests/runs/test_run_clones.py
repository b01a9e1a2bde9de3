"""Two clones at the same commit and lock give byte-identical run records.

The package, pyproject.toml, requirements.lock and .gitignore of this checkout are
committed into a fresh repository, which is cloned twice; one tiny digits spec runs in
each clone with that clone's own code (``python -m nnbench run --quiet``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnbench import provenance

TREE = ("nnbench", "pyproject.toml", "requirements.lock", ".gitignore")
SPEC = {"dataset": "digits", "n_train": 200, "hidden_sizes": [16], "optimizer": {"name": "adam", "lr": 0.01},
        "batch_size": 20, "iterations": 20, "eval_every": 10, "dropout": 0.1, "seed": 4}
# what differs between two runs of the same code: timings (and nothing else)
TIMINGS = ("wall_seconds", "train_seconds", "samples_per_second")

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git (clones)")


def git(folder: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main",
               "-C", str(folder), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout.strip()


def run_in(clone: Path, tmp_path: Path) -> Path:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    out = clone / "results" / "runs" / "tiny"
    env = {**os.environ, "PYTHONPATH": str(clone), "PYTHONHASHSEED": "0"}
    result = subprocess.run([sys.executable, "-m", "nnbench", "run", str(spec), "--out-dir", str(out), "--quiet",
                             "--cache-dir", str(clone / "cache")],
                            cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def test_two_clones_at_the_same_commit_and_lock_write_byte_identical_records(tmp_path, copy_checkout):
    origin = copy_checkout(tmp_path / "origin", TREE)
    git(origin, "init", "-q")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "snapshot")
    commit = git(origin, "rev-parse", "HEAD")
    records = []
    for name in ("a", "b"):
        git(tmp_path, "clone", "-q", str(origin), name)
        records.append(run_in(tmp_path / name, tmp_path))
    first, second = records
    for file in ("curves.csv", "spec.json"):
        assert (first / file).read_bytes() == (second / file).read_bytes(), file
    summaries = [json.loads((record / "summary.json").read_text()) for record in records]
    for summary in summaries:
        assert all(summary.pop(key) is not None for key in TIMINGS)
    assert summaries[0] == summaries[1]
    code = summaries[0]["code"]
    # the record names the clones' commit, clean (results/ and the cache are ignored outputs)
    assert (code["commit"], code["dirty"]) == (commit, False)
    assert code["commit_date"].startswith("2026-01-01T00:00:00")
    assert code["lock_sha256"] == provenance.lock_sha256() and code["numerics_fingerprint"] == provenance.numerics_fingerprint()
    assert summaries[0]["run_id"] == json.loads((first / "spec.json").read_text())["run_id"]
