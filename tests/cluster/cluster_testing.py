"""Helpers of the cluster tests: the test cluster, its accounting, the SLURM profile."""

from __future__ import annotations

import getpass
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from workflow_testing import SNAKEMAKE_ENV, snakemake_command

REPO = Path(__file__).resolve().parents[2]
SLURM_PROFILE = REPO / "workflow" / "profiles" / "slurm" / "config.yaml"
PACKAGES = "slurm-wlm slurmdbd munge mariadb-server"
# squeue's reasons for a pending job that will never start on this cluster (a job asking more
# CPUs or memory than the node has pends with PartitionConfig, not an error): fail at once
NEVER_STARTS = ("PartitionConfig", "PartitionNodeLimit", "PartitionTimeLimit", "ReqNodeNotAvail",
                "InvalidAccount", "InvalidQOS", "BadConstraints")


@dataclass(frozen=True)
class SlurmCluster:
    """The cluster of slurm_up.sh: where its state is, and what a job must ask for."""

    state: Path
    conf: Path
    partition: str
    account: str

    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf),
                "PATH": os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"])}

    def command(self, *args: str) -> str:
        """Run a SLURM client command (sacct, squeue, scancel) on this cluster; its stdout."""
        result = subprocess.run(list(args), capture_output=True, text=True, env=self.env(), timeout=60)
        assert result.returncode == 0, f"{' '.join(args)}: {result.stderr}"
        return result.stdout

    def jobs(self, run_uuid: str) -> list[dict[str, str]]:
        """sacct's allocations (array tasks one by one) of one snakemake run, oldest first."""
        fields = ["JobID", "State", "Comment", "ExitCode", "ReqMem"]
        output = self.command("sacct", "-X", "-n", "-P", "--name", run_uuid, "-S", "now-1days",
                              "--format", ",".join(fields))
        return [dict(zip(fields, line.split("|"))) for line in output.splitlines() if line]

    def never_starting(self) -> list[str]:
        """Pending jobs (id, reason, comment, CPUs, memory) that this cluster can never start."""
        lines = self.command("squeue", "-h", "-t", "PD", "-o", "%i %r %k cpus=%C mem=%m").splitlines()
        return [line for line in lines if len(line.split()) > 1 and line.split()[1].startswith(NEVER_STARTS)]

    def snakemake(self, workdir: Path, *args: str, timeout: float) -> subprocess.CompletedProcess:
        """Run the workflow in ``workdir`` with this cluster as SLURM_CONF; fail at once, naming
        the job and squeue's reason, when a job it submitted can never start."""
        command = snakemake_command(workdir, *args)
        out, err = workdir.parent / "snakemake.stdout", workdir.parent / "snakemake.stderr"
        with open(out, "w") as stdout, open(err, "w") as stderr:
            process = subprocess.Popen(command, cwd=workdir, stdout=stdout, stderr=stderr,
                                       env={**self.env(), **SNAKEMAKE_ENV}, start_new_session=True)
        deadline = time.monotonic() + timeout
        try:
            while process.poll() is None:
                stuck = self.never_starting()
                if stuck or time.monotonic() > deadline:
                    problem = (f"jobs that can never start on this cluster: {stuck}" if stuck
                               else f"snakemake still running after {timeout:.0f} s")
                    pytest.fail(f"{problem}\n{err.read_text()[-3000:]}")
                time.sleep(2)
        finally:
            if process.poll() is None:  # cancel its jobs first: snakemake waits for pending ones
                subprocess.run(["scancel", "--user", getpass.getuser()], env=self.env(), timeout=60)
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=30)
        return subprocess.CompletedProcess(command, process.returncode, out.read_text(), err.read_text())

    def profile(self, folder: Path, **settings) -> Path:
        """workflow/profiles/slurm as it is, plus this cluster's partition and account
        (what a user sets for their cluster) and ``settings`` (test-only: faster polling)."""
        profile = yaml.safe_load(SLURM_PROFILE.read_text())
        profile["default-resources"] = {**profile["default-resources"], "slurm_partition": self.partition,
                                        "slurm_account": self.account}
        profile.update(settings)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
        return folder


def run_uuid(output: str) -> str:
    """The SLURM executor's run id (every job of the run is named after it)."""
    match = re.search(r"SLURM run ID: (\S+)", output)
    assert match, output[-3000:]
    return match.group(1)
