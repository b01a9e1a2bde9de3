"""The study on a real (one-node) SLURM cluster, through workflow/profiles/slurm: every group
of runs a SLURM job, the records those of a local run, and the faults a cluster brings (a cancelled
job, a job over its memory request)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from cluster_testing import run_uuid
from workflow_testing import QUICK_CONFIG, SNAKEMAKE_ENV, snakemake_command

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

# test-only: the plugin's first status check comes after 40 s by default (right for a real cluster)
FAST_POLLING = {"slurm-init-seconds-before-status-checks": 2}


def study_folder(tmp_path: Path, config: dict | None = None) -> Path:
    """A fresh working directory with config/quick.yaml, or ``config`` as config/study.yaml."""
    folder = tmp_path / "study"
    (folder / "config").mkdir(parents=True)
    (folder / "config" / "quick.yaml").write_text(QUICK_CONFIG.read_text())
    if config is not None:
        (folder / "config" / "study.yaml").write_text(yaml.safe_dump(config))
    return folder


def test_quick_study_on_slurm_equals_the_local_run(slurm_cluster, quick_study, tmp_path):
    local, local_result = quick_study
    assert local_result.returncode == 0, (local_result.stdout + local_result.stderr)[-3000:]
    folder = study_folder(tmp_path)
    profile = slurm_cluster.profile(tmp_path / "profile", **FAST_POLLING)

    started = time.monotonic()
    result = slurm_cluster.snakemake(folder, "--profile", str(profile), "--configfile", "config/quick.yaml",
                                     timeout=900)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    print(f"quick study through SLURM: {seconds:.0f} s")
    final = [line for line in output.splitlines() if line.startswith("nnbench: ")]
    assert final and re.match(r"nnbench: \d+ runs ok, \d+ diverged; report: reports/report.html", final[-1])
    assert (folder / "reports" / "report.html").is_file()

    # the same runs, with byte-identical curves, as the local run of the same config
    local_runs = sorted(path.name for path in (local / "results" / "runs").iterdir())
    cluster_runs = sorted(path.name for path in (folder / "results" / "runs").iterdir())
    assert cluster_runs == local_runs and len(local_runs) > 100
    for run_id in local_runs:
        assert (folder / "results" / "runs" / run_id / "curves.csv").read_bytes() == \
            (local / "results" / "runs" / run_id / "curves.csv").read_bytes(), run_id

    # every group of runs was one SLURM job that completed (the profile uses no arrays: see
    # its comment), together they trained every run; the other rules were SLURM jobs too, but
    # the local ones (the figures job only gathers the sections' files)
    jobs = slurm_cluster.jobs(run_uuid(output))
    groups = {job["Comment"].split("_wildcards_")[-1] for job in jobs if job["Comment"].startswith("rule_run")}
    grouped = [spec["run_id"] for group in groups
               for spec in json.loads((folder / "resources" / "groups" / f"{group}.json").read_text())["runs"]]
    assert sorted(grouped) == local_runs and len(groups) < len(local_runs)
    assert all(job["State"] == "COMPLETED" for job in jobs), [job for job in jobs if job["State"] != "COMPLETED"]
    rules = {job["Comment"].split("_wildcards_")[0] for job in jobs}
    assert {"rule_run", "rule_aggregate", "rule_figure_section", "rule_report", "rule_slides"} <= rules, rules
    assert "rule_figures" not in rules and "rule_choose" not in rules


SLOW_RUNS = {"datasets": ["digits"], "seeds": [0, 1],
             "studies": {"optimizers": {"fixed": {"hidden_sizes": [128, 128], "batch_size": 64, "iterations": 800,
                                                  "eval_every": 500, "diagnostics": []},
                                        "axes": {"optimizer.name": ["sgd", "adam"]}}}}


def test_cancelled_job_is_resubmitted_and_finished_runs_are_kept(slurm_cluster, tmp_path):
    folder = study_folder(tmp_path, SLOW_RUNS)
    profile = slurm_cluster.profile(tmp_path / "profile", **FAST_POLLING)
    target = "results/optimizers/runs.csv"
    command = snakemake_command(folder, target, "--profile", str(profile), "--configfile", "config/study.yaml")
    log = tmp_path / "snakemake.log"
    with open(log, "w") as stream:
        process = subprocess.Popen(command, cwd=folder, stdout=stream, stderr=subprocess.STDOUT,
                                   env={**slurm_cluster.env(), **SNAKEMAKE_ENV}, start_new_session=True)
    try:
        # once one run has finished, cancel a run job that is running
        runs = folder / "results" / "runs"
        finished: dict[str, int] = {}
        cancelled = None
        deadline = time.monotonic() + 600
        while cancelled is None and time.monotonic() < deadline and process.poll() is None:
            finished = {path.parent.name: path.stat().st_mtime_ns for path in runs.glob("*/summary.json")}
            running = [line.split() for line in slurm_cluster.command("squeue", "-h", "-t", "R", "-o",
                                                                      "%i %k").splitlines()]
            candidates = [job_id for job_id, comment in running if comment.startswith("rule_run")]
            stuck = slurm_cluster.never_starting()
            assert not stuck, stuck
            if finished and candidates:
                cancelled = candidates[0]
                slurm_cluster.command("scancel", cancelled)
            time.sleep(0.5)
        assert cancelled, f"no run job to cancel:\n{log.read_text()[-3000:]}"
        process.wait(timeout=900)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
    output = log.read_text()
    assert process.returncode == 0, output[-5000:]
    # the plugin reported the cancelled job, snakemake resubmitted it (the profile's retries)
    # (CANCELLED, or FAILED where the job's own snakemake exited on the signal first)
    assert re.search(rf"SLURM-job '{cancelled}' failed, SLURM status is: '(CANCELLED|FAILED)'", output), output[-5000:]
    assert "Trying to restart job" in output
    expected = {path.stem for path in (folder / "resources" / "specs").glob("*.json")}
    assert {path.name for path in runs.iterdir()} == expected and len(expected) == 4
    for run_id, mtime in finished.items():  # runs finished before the cancel were not run again
        assert (runs / run_id / "summary.json").stat().st_mtime_ns == mtime, run_id
    run_jobs = [job for job in slurm_cluster.jobs(run_uuid(output)) if job["Comment"].startswith("rule_run")]
    groups = {job["Comment"] for job in run_jobs}
    states = [job["State"] for job in run_jobs]  # every group completed, one of them on its second try
    assert states.count("COMPLETED") == len(groups) and len(states) == len(groups) + 1, states


def test_job_over_its_memory_request_is_killed_naming_the_memory_limit(slurm_cluster, tmp_path):
    config = {**SLOW_RUNS, "seeds": [0], "studies": {"optimizers": {**SLOW_RUNS["studies"]["optimizers"],
                                                                      "axes": {"optimizer.name": ["sgd"]}}}}
    folder = study_folder(tmp_path, config)
    profile = slurm_cluster.profile(tmp_path / "profile", **FAST_POLLING)
    # 100 MB: less than the job's own snakemake process needs; no retry
    result = slurm_cluster.snakemake(folder, "results/optimizers/runs.csv", "--profile", str(profile), "--configfile",
                       "config/study.yaml", "--set-resources", "run:mem_mb=100", "--retries", "0", timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    message = re.search(r"SLURM-job '(\d+)' failed, SLURM status is: '(\w+)'", output)
    assert message, output[-3000:]
    # the job's SLURM log (named in the error) says which limit killed it
    slurm_log = re.search(r"log: .*?(\S+/logs/slurm/rule_run/\S+\.log)", output)
    assert slurm_log, output[-3000:]
    text = Path(slurm_log.group(1)).read_text()
    assert re.search(r"exceeded memory limit \(\d+ > 104857600\), being killed", text), text[-2000:]
    job = slurm_cluster.jobs(run_uuid(output))[0]
    assert job["ReqMem"] == "100M" and job["State"] in ("FAILED", "OUT_OF_MEMORY"), job
    assert not list((folder / "results" / "runs").glob("*/summary.json"))
