"""The workflow trains runs in groups: fewer jobs, the same records as one run per process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from workflow_testing import QUICK_CONFIG, job_counts, snakemake, snakemake_command

from nnbench.grid import expand, load_config

# what may differ between two runs of the same spec: times and where/how it ran
VARYING_SUMMARY_KEYS = {"wall_seconds", "train_seconds", "samples_per_second", "versions", "blas", "provenance",
                        "code"}
SAMPLE = 10


def _record(folder):
    files = {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.name != "summary.json"}
    summary = json.loads((folder / "summary.json").read_text())
    return files, {key: value for key, value in summary.items() if key not in VARYING_SUMMARY_KEYS}


def test_dry_run_of_the_quick_config_plans_far_fewer_jobs_than_runs(workdir):
    result = snakemake(workdir, "-n", "--cores", "8", "--configfile", "config/quick.yaml")
    assert result.returncode == 0, result.stderr[-2000:]
    runs = {row.run_id for row in expand(load_config(QUICK_CONFIG))}
    counts = job_counts(result.stdout)
    assert 0 < counts["run"] <= len(runs) / 4, (counts, len(runs))


@pytest.mark.skipif(shutil.which("taskset") is None, reason="taskset (util-linux) not on PATH")
@pytest.mark.parametrize(("cpus", "cores", "held"), [(1, 8, 8), (2, 8, 4), (2, 3, 2), (2, 2, 1), (2, 1, 1)])
def test_run_jobs_never_outnumber_the_machines_cpus(workdir, cpus, cores, held):
    # the machine's CPUs as the workflow sees them: the process's affinity, set by taskset
    command = ["taskset", "-c", ",".join(str(cpu) for cpu in range(cpus)),
               *snakemake_command(workdir, "-n", "-p", "--cores", str(cores), "--configfile", "config/quick.yaml")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=workdir)
    if result.returncode != 0 and "Invalid argument" in result.stderr[:500]:
        pytest.skip(f"this machine has fewer than {cpus} CPUs for taskset")
    assert result.returncode == 0, result.stderr[-2000:]
    jobs = [block for block in result.stdout.split("\n\n") if re.search(r"^rule run:", block, re.MULTILINE)]
    assert jobs
    for job in jobs:
        # each run job holds `held` of snakemake's cores (threads: is printed when above 1) ...
        threads = re.search(r"^\s+threads: (\d+)$", job, re.MULTILINE)
        assert (int(threads.group(1)) if threads else 1) == held, job
        # ... and its BLAS uses the config's threads, not those
        assert re.search(r"nnbench run-group \S+ --results results --threads 1 ", job), job


@pytest.mark.slow
def test_grouped_records_equal_one_run_per_process(quick_study, tmp_path):
    workdir, _ = quick_study
    runs = workdir / "results" / "runs"
    run_ids = sorted(path.name for path in runs.iterdir())
    assert len(run_ids) > 100
    # a spread sample (every kind: the ids are hashes, so sorting shuffles the studies)
    sample = run_ids[::len(run_ids) // SAMPLE][:SAMPLE]
    kinds = {json.loads((runs / rid / "spec.json").read_text())["kind"] for rid in run_ids}
    for rid in run_ids:  # and one of each kind
        kind = json.loads((runs / rid / "spec.json").read_text())["kind"]
        if kind in kinds and rid not in sample:
            sample.append(rid)
        kinds.discard(kind)
    for rid in sample:
        alone = tmp_path / rid
        completed = subprocess.run([sys.executable, "-m", "nnbench", "run", str(runs / rid / "spec.json"),
                                    "--out-dir", str(alone), "--quiet"], capture_output=True, text=True, timeout=600)
        assert completed.returncode == 0, completed.stderr[-2000:]
        assert _record(runs / rid) == _record(alone), rid
