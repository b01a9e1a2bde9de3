"""Fixtures of the workflow tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow_testing import DEFAULT_CONFIG, QUICK_CONFIG


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
