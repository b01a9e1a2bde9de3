"""A non-editable install works without the checkout: the package carries what it reads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]



@pytest.mark.slow
def test_non_editable_install_validates_the_default_config(tmp_path):
    # A copy of what a source distribution holds, so the build writes nothing into the checkout.
    source = tmp_path / "source"
    shutil.copytree(REPO / "nnbench", source / "nnbench", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, source / name)
    target = tmp_path / "site"
    # pip builds the wheel in an isolated environment (setuptools from the package index, as
    # for the README's `pip install`): the venv's own setuptools may be too old to build one.
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                              "--target", str(target), str(source)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}  # ahead of the editable checkout on sys.path
    where = subprocess.run([sys.executable, "-c", "import nnbench; print(nnbench.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, env=env)
    assert Path(where.stdout.strip()).is_relative_to(target), where.stdout + where.stderr
    grid = subprocess.run([sys.executable, "-m", "nnbench", "grid", "--config", str(REPO / "config" / "config.yaml"), "--count"],
                          capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert grid.returncode == 0, grid.stdout + grid.stderr
    assert "optimizers" in grid.stdout
    assert not list(elsewhere.iterdir())  # checking a config writes nothing
    # the build compiled the message catalogs into the package, and they are what is read
    compiled = target / "nnbench" / "locale" / "ko" / "LC_MESSAGES" / "nnbench.mo"
    assert compiled.is_file() and (compiled.with_suffix(".po")).is_file()
    korean = subprocess.run([sys.executable, "-c", "from nnbench.i18n import translator; "
                             "print(translator('ko').info()['language'])"],
                            capture_output=True, text=True, cwd=elsewhere, env=env, timeout=60)
    assert korean.stdout.strip() == "ko", korean.stdout + korean.stderr
