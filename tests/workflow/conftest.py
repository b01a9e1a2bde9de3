"""Fixtures of the workflow tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from workflow_testing import DEFAULT_CONFIG, QUICK_CONFIG


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory with a copy of the configs (as in a checkout)."""
    (tmp_path / "config").mkdir()
    for config in (DEFAULT_CONFIG, QUICK_CONFIG):
        (tmp_path / "config" / config.name).write_text(config.read_text())
    return tmp_path
