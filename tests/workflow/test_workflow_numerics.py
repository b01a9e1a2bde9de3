"""A change to the code that computes numbers reruns the runs it made (the numerics
fingerprint is part of every run_id): a dry run of the quick study in a copy of the
repository, before and after a one-line edit of the optimizer code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_testing import job_counts

TREE = ("Snakefile", "workflow", "config", "nnbench")


def dry_run(checkout: Path) -> str:
    """``snakemake -n`` of the quick study with the checkout's own package."""
    command = [sys.executable, "-m", "snakemake", "-s", str(checkout / "Snakefile"), "--directory", str(checkout),
               "-n", "--configfile", "config/quick.yaml"]
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": "0"}
    result = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result.stdout


def fake_records(checkout: Path, run_ids: set[str]) -> None:
    """Finished records (files newer than their inputs) and dataset markers, without running."""
    (checkout / "resources" / "data").mkdir(parents=True, exist_ok=True)
    (checkout / "resources" / "data" / "digits.ready").touch()
    for run_id in run_ids:
        folder = checkout / "results" / "runs" / run_id
        folder.mkdir(parents=True)
        for name in ("spec.json", "curves.csv", "summary.json"):
            (folder / name).write_text("{}\n")


@pytest.mark.slow  # three dry runs of the quick study: about 15 s idle
def test_a_one_line_edit_of_the_optimizer_code_makes_the_quick_studys_runs_pending(tmp_path, copy_checkout):
    checkout = copy_checkout(tmp_path / "checkout", TREE)
    specs = checkout / "resources" / "specs"  # the grid writes one per run of the untuned studies

    counts = job_counts(dry_run(checkout))
    first = {path.stem for path in specs.glob("*.json")}
    assert first and counts.get("run", 0) > 0
    fake_records(checkout, first)
    assert job_counts(dry_run(checkout)).get("run", 0) == 0  # done: nothing to rerun

    optimizers = checkout / "nnbench" / "core" / "optimizers.py"
    text = optimizers.read_text()
    assert "0.999" in text
    optimizers.write_text(text.replace("0.999", "0.998", 1))  # Adam's default beta2
    counts = job_counts(dry_run(checkout))
    after = {path.stem for path in specs.glob("*.json")} - first
    # every run of the study has a new name, not only Adam's, and jobs are planned to make them
    assert len(after) == len(first) and counts.get("run", 0) > 0
    assert not any((checkout / "results" / "runs" / run_id).exists() for run_id in after)
