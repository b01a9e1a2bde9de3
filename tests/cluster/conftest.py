"""Fixtures of the cluster tests: a one-node SLURM cluster for the session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# the workflow tests' helpers (repository paths, snakemake runs)
sys.path.insert(0, str(HERE.parent / "workflow"))

from cluster_testing import PACKAGES, SlurmCluster  # noqa: E402

DAEMONS_AND_TOOLS = ("munged", "mariadbd", "mariadb-install-db", "slurmdbd", "slurmctld", "slurmd", "sacctmgr",
                     "sbatch", "sacct", "squeue", "scancel", "srun")
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def skip_reason() -> str | None:
    """Why this machine cannot host the test cluster (None when it can)."""
    if os.geteuid() != 0:
        return "not root: the SLURM daemons and munge must be started as root"
    missing = [name for name in DAEMONS_AND_TOOLS if shutil.which(name, path=SBIN_PATH) is None]
    if missing:
        return f"SLURM packages missing ({', '.join(missing)} not found): apt-get install {PACKAGES}"
    link = os.readlink("/etc/slurm/slurm.conf") if os.path.islink("/etc/slurm/slurm.conf") else ""
    state = os.path.dirname(os.path.dirname(link))
    if link.endswith("/etc/slurm.conf") and os.path.isdir(os.path.join(state, "spool")):  # slurm_up.sh's layout
        return (f"/etc/slurm/slurm.conf links to {state}, a cluster slurm_up.sh started (an interrupted "
                f"test run leaves it): tests/cluster/slurm_down.sh {state} removes it")
    if os.path.lexists("/etc/slurm/slurm.conf"):
        return "/etc/slurm/slurm.conf exists: this machine belongs to a cluster; the test cluster would replace it"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory) -> SlurmCluster:
    """A one-node cluster from tests/cluster/slurm_up.sh, torn down by slurm_down.sh after
    the module's tests, also when a test or slurm_up.sh itself failed. Skips (with the
    reason) where it cannot run; fails, with the daemon and its log, where a daemon does
    not come up."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("slurm")
    os.rmdir(state)  # slurm_up.sh makes it
    env = {**os.environ, "PATH": SBIN_PATH}
    up = subprocess.run(["bash", str(HERE / "slurm_up.sh"), str(state)], capture_output=True, text=True,
                        env=env, timeout=300)
    try:
        if up.returncode != 0:
            pytest.fail(f"slurm_up.sh failed (exit {up.returncode}):\n{up.stdout}{up.stderr}", pytrace=False)
        yield SlurmCluster(state=state, conf=state / "etc" / "slurm.conf", partition="debug", account="nnbench")
    finally:
        down = subprocess.run(["bash", str(HERE / "slurm_down.sh"), str(state)], capture_output=True, text=True,
                              env=env, timeout=300)
        if down.returncode != 0:
            print(f"slurm_down.sh failed (exit {down.returncode}):\n{down.stdout}{down.stderr}", file=sys.stderr)
