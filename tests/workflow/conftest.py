"""Fixtures of the workflow tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow_testing import DEFAULT_CONFIG, QUICK_CONFIG, snakemake


def copy_configs(folder: Path) -> Path:
    """``folder`` with a copy of the configs (as in a checkout)."""
    (folder / "config").mkdir()
    for config in (DEFAULT_CONFIG, QUICK_CONFIG):
        (folder / "config" / config.name).write_text(config.read_text())
    return folder


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory with a copy of the configs (as in a checkout)."""
    return copy_configs(tmp_path)


@pytest.fixture(scope="session")
def quick_study(tmp_path_factory):
    """``(workdir, result)``: the quick study run once by snakemake for every test that
    needs a finished workflow (about 30 s on an idle 2-core machine, minutes under load)."""
    folder = copy_configs(tmp_path_factory.mktemp("quick"))
    result = snakemake(folder, "--cores", "2", "--configfile", "config/quick.yaml", timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return folder, result
