"""The conda path (`snakemake --sdm conda`): the environment installs the lock and the
package. Conda channels are unreachable where CI runs, so the run itself is skipped there
(the skip reason is printed in pytest's summary, -ra) and docs/CONFIG.md says it is untested."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from workflow_testing import REPO

ENV_FILE = REPO / "workflow" / "envs" / "nnbench.yaml"
POST_DEPLOY = ENV_FILE.with_name("nnbench.post-deploy.sh")
CONDA = shutil.which("mamba") or shutil.which("conda")


def test_the_environment_installs_exactly_the_lock_then_the_package_editable():
    environment = yaml.safe_load(ENV_FILE.read_text())
    pip = next(item["pip"] for item in environment["dependencies"] if isinstance(item, dict))
    assert pip == ["--require-hashes", "-r ../../requirements.lock"]
    # relative to the file and to snakemake's copy under <workdir>/.snakemake/conda/
    assert (ENV_FILE.parent / "../../requirements.lock").resolve() == REPO / "requirements.lock"
    # the Python the lock was made for
    locked = re.search(r"CPython[\s#]+(\d+\.\d+)", (REPO / "requirements.lock").read_text()).group(1)
    assert f"python={locked}" in environment["dependencies"]
    script = POST_DEPLOY.read_text()
    assert script.startswith("#!/usr/bin/env bash") and os.access(POST_DEPLOY, os.X_OK)
    assert 'python -m pip install --no-deps -e "$PWD"' in script
    # every rule file names the environment through the one variable of common.smk
    common = (REPO / "workflow" / "rules" / "common.smk").read_text()
    assert 'CONDA_ENV = "../envs/nnbench.yaml"' in common
    assert "--sdm conda" in (REPO / "docs" / "CONFIG.md").read_text()


@pytest.mark.slow
@pytest.mark.skipif(CONDA is None, reason="conda/mamba not on PATH: the conda path (workflow/envs/nnbench.yaml, "
                                          "--sdm conda) is untested here, as docs/CONFIG.md says")
def test_snakemake_builds_the_environment_and_runs_a_rule_in_it(tmp_path, copy_checkout):
    checkout = copy_checkout(tmp_path / "checkout", ("Snakefile", "workflow", "config", "nnbench", "pyproject.toml",
                                                      "requirements.lock", "profiles"))
    command = [sys.executable, "-m", "snakemake", "--sdm", "conda", "--cores", "1", "--configfile",
               "config/quick.yaml", "resources/data/digits.ready"]
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    result = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    prefixes = [path for path in (checkout / ".snakemake" / "conda").iterdir() if path.is_dir()]
    assert len(prefixes) == 1
    python = prefixes[0] / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import nnbench; print(nnbench.__file__)"], capture_output=True,
                           text=True, check=True, cwd=tmp_path).stdout.strip()
    assert Path(where).resolve().is_relative_to(checkout.resolve())  # the checkout's package, editable
