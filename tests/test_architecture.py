"""The layering of docs/ARCHITECTURE.md holds: the import-linter contracts of .importlinter pass,
and every module of the package has its place in them."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = REPO / ".importlinter"


def _lint_imports() -> str:
    pytest.importorskip("importlinter", reason="import-linter is not installed (pip install import-linter)")
    beside_python = Path(sys.executable).parent / "lint-imports"
    command = str(beside_python) if beside_python.exists() else shutil.which("lint-imports")
    if command is None:
        pytest.skip("the lint-imports command of import-linter is not on PATH")
    return command


def test_import_contracts_are_kept():
    completed = subprocess.run([_lint_imports(), "--config", str(CONTRACTS), "--no-cache"], cwd=REPO,
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "0 broken" in completed.stdout


def test_every_module_of_the_package_has_a_layer():
    """A new module that no contract names would be free to import anything."""
    contracts = configparser.ConfigParser()
    contracts.read(CONTRACTS)
    layers = contracts["importlinter:contract:stages"]["layers"]
    named = set(re.findall(r"nnbench\.([a-z0-9_]+)", layers))
    package = REPO / "nnbench"
    modules = {path.stem for path in package.glob("*.py") if path.stem not in ("__init__", "__main__")}
    modules |= {path.parent.name for path in package.glob("*/__init__.py")}
    assert modules - named == set()


def test_no_function_of_the_package_is_over_80_lines():
    import ast

    long = []
    for path in sorted((REPO / "nnbench").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80:
                long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} "
                            f"({node.end_lineno - node.lineno + 1} lines)")
    assert long == []


def test_the_workflow_files_are_wiring():
    """Rules and the functions they name; the logic lives in the package (nnbench.plan, nnbench.groups)."""
    common = REPO / "workflow" / "rules" / "common.smk"
    assert len(common.read_text(encoding="utf-8").splitlines()) < 80


def test_docs_architecture_names_every_layer_of_the_contracts():
    """docs/ARCHITECTURE.md's module table lists each module the contracts layer, and no other."""
    contracts = configparser.ConfigParser()
    contracts.read(CONTRACTS)
    layered = set(re.findall(r"nnbench\.([a-z_]+)", contracts["importlinter:contract:stages"]["layers"]))
    table = [line for line in (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8").splitlines()
             if line.startswith("| `nnbench.")]
    documented = {name for line in table for name in re.findall(r"`nnbench\.([a-z_]+)", line.split("|")[1])}
    assert documented == layered
