"""A change to the code that computes numbers reruns the runs it made (the numerics
fingerprint is part of every run_id): a dry run of the quick study in a copy of the
repository, before and after a one-line edit of the optimizer code. A change to any
other code (a display label, a comment) reruns none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_testing import job_counts

TREE = ("Snakefile", "workflow", "config", "nnbench")


def dry_run(checkout: Path, configfile: str = "config/quick.yaml") -> str:
    """``snakemake -n`` of a study (the quick one by default) with the checkout's own package."""
    command = [sys.executable, "-m", "snakemake", "-s", str(checkout / "Snakefile"), "--directory", str(checkout),
               "-n", "--configfile", configfile]
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


# Two studies on the bundled digits: the run kinds train and optimizer_path.
SMALL_CONFIG = """
datasets: [digits]
seeds: [0]
studies:
  optimizer_paths:
    fixed: {kind: optimizer_path, iterations: 5}
    axes: {optimizer.name: [sgd, adam]}
  optimizers:
    fixed: {hidden_sizes: [8], batch_size: 16, iterations: 4, eval_every: 2}
    axes: {optimizer.name: [sgd, adam]}
"""


@pytest.mark.slow  # four dry runs of a two-study config: about 10 s idle
def test_editing_a_display_label_or_a_comment_outside_the_numerics_reruns_nothing(tmp_path, copy_checkout):
    from nnbench import provenance

    checkout = copy_checkout(tmp_path / "checkout", TREE)
    (checkout / "small.yaml").write_text(SMALL_CONFIG)
    specs = checkout / "resources" / "specs"
    assert job_counts(dry_run(checkout, "small.yaml")).get("run", 0) > 0
    first = {path.stem for path in specs.glob("*.json")}
    fake_records(checkout, first)
    assert job_counts(dry_run(checkout, "small.yaml")).get("run", 0) == 0

    package = checkout / "nnbench"
    numerics = set(provenance.numerics_files(package))
    others = [path for path in package.rglob("*.py") if path not in numerics]
    # a display label (wherever the labels live, they are not numerics) and a comment in every other module
    labelled = [path for path in others if '"Fashion-MNIST"' in path.read_text(encoding="utf-8")]
    assert labelled
    for path in others:
        text = path.read_text(encoding="utf-8").replace('"Fashion-MNIST"', '"Fashion MNIST"')
        path.write_text(text + "# an edited comment\n", encoding="utf-8")
    assert job_counts(dry_run(checkout, "small.yaml")).get("run", 0) == 0
    assert {path.stem for path in specs.glob("*.json")} == first  # no run renamed

    layers = package / "core" / "layers.py"  # one line of the core renames every run
    layers.write_text(layers.read_text(encoding="utf-8") + "# an edited comment\n", encoding="utf-8")
    assert job_counts(dry_run(checkout, "small.yaml")).get("run", 0) > 0
    assert len({path.stem for path in specs.glob("*.json")} - first) == len(first)
