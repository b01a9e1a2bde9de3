"""Helpers of the cluster tests: the test cluster, its accounting, the SLURM profile."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SLURM_PROFILE = REPO / "workflow" / "profiles" / "slurm" / "config.yaml"
PACKAGES = "slurm-wlm slurmdbd munge mariadb-server"


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
