"""Code identity of run records and the numerics lock (nnbench.provenance)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nnbench import __version__, provenance
from nnbench.errors import NnbenchError
from nnbench.provenance import ProvenanceError

REPO = Path(__file__).resolve().parents[1]


def test_numerics_lock_matches_the_sources():
    # Fails when a file of NUMERICS_SOURCES changed: bump NUMERICS_VERSION (or, for a change
    # that cannot change a number, --same-numerics) and run
    # `python -m nnbench.provenance --update-numerics`; the message says which file.
    provenance.check_numerics_lock()


def test_numerics_sources_cover_the_core_the_trainer_the_run_kinds_and_the_data():
    names = [path.relative_to(provenance.PACKAGE_DIR).as_posix() for path in provenance.numerics_files()]
    for required in ("core/layers.py", "core/network.py", "core/optimizers.py", "core/trainer.py",
                     "core/initializers.py", "data/loader.py"):
        assert required in names, required
    # the run kinds, wherever their code lives (runs.py today; a package later)
    sources = {name: (provenance.PACKAGE_DIR / name).read_text() for name in names}
    for kind in ("optimizer_path", "activation_histogram"):
        assert any(kind in text for text in sources.values()), kind
    assert all(not name.startswith(("figures/", "report/")) for name in names)  # drawing is not numerics


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the numerics files in a package folder of its own, with its lock."""
    folder = tmp_path / "nnbench"
    for path in provenance.numerics_files():
        target = folder / path.relative_to(provenance.PACKAGE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    provenance.update_numerics_lock(version=3, package_dir=folder)
    return folder


def test_a_changed_numerics_file_fails_the_check_naming_the_file(package):
    provenance.check_numerics_lock(version=3, package_dir=package)
    optimizers = package / "core" / "optimizers.py"
    optimizers.write_text(optimizers.read_text().replace("0.999", "0.998", 1))
    with pytest.raises(ProvenanceError) as error:
        provenance.check_numerics_lock(version=3, package_dir=package)
    message = str(error.value)
    assert message.startswith("numerics sources changed (core/optimizers.py): bump NUMERICS_VERSION")
    assert "python -m nnbench.provenance --update-numerics" in message and "\n" not in message
    assert isinstance(error.value, NnbenchError)


def test_update_refuses_a_change_without_a_bump_and_accepts_a_bump(package):
    before = json.loads((package / "numerics.lock").read_text())
    trainer = package / "core" / "trainer.py"
    trainer.write_text(trainer.read_text() + "\nX = 1\n")
    with pytest.raises(ProvenanceError, match="NUMERICS_VERSION is still 3: bump it"):
        provenance.update_numerics_lock(version=3, package_dir=package)
    assert json.loads((package / "numerics.lock").read_text()) == before  # nothing written
    with pytest.raises(ProvenanceError, match="made for 3"):
        provenance.check_numerics_lock(version=4, package_dir=package)
    content = provenance.update_numerics_lock(version=4, package_dir=package)
    assert content["numerics_version"] == 4 and content["fingerprint"] != before["fingerprint"]
    provenance.check_numerics_lock(version=4, package_dir=package)
    with pytest.raises(ProvenanceError, match="lower than the locked 4"):
        provenance.update_numerics_lock(version=3, package_dir=package, same_numerics=True)


def test_same_numerics_keeps_the_version_and_new_files_count(package):
    (package / "core" / "layers.py").write_text((package / "core" / "layers.py").read_text() + "# a comment\n")
    content = provenance.update_numerics_lock(version=3, package_dir=package, same_numerics=True)
    assert content["numerics_version"] == 3
    provenance.check_numerics_lock(version=3, package_dir=package)
    (package / "runkinds").mkdir()
    (package / "runkinds" / "train.py").write_text("def run(spec): ...\n")  # the run code moved here
    with pytest.raises(ProvenanceError, match=r"\(runkinds/train.py\)"):
        provenance.check_numerics_lock(version=3, package_dir=package)


def test_fingerprint_ignores_line_endings_only(package):
    fingerprint = provenance.numerics_fingerprint(package)
    loader = package / "data" / "loader.py"
    loader.write_bytes(loader.read_bytes().replace(b"\n", b"\r\n"))
    assert provenance.numerics_fingerprint(package) == fingerprint
    loader.write_bytes(loader.read_bytes() + b" ")
    assert provenance.numerics_fingerprint(package) != fingerprint


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(folder), *args]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_commit_and_dirty_flag_of_a_checkout(tmp_path):
    root = tmp_path / "checkout"
    package = root / "nnbench"
    package.mkdir(parents=True)
    (package / "core.py").write_text("x = 1\n")
    (root / "requirements.lock").write_text("numpy==2.4.6\n")
    (root / ".gitignore").write_text("results/\n__pycache__/\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    head = git(root, "rev-parse", "HEAD")
    assert provenance.git_identity(package) == {"commit": head, "dirty": False}

    (root / "results").mkdir()
    (root / "results" / "summary.json").write_text("{}")  # outputs do not make the code dirty
    (root / "notes.txt").write_text("not code")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "core.pyc").write_bytes(b"\0")
    assert provenance.git_identity(package) == {"commit": head, "dirty": False}

    (package / "core.py").write_text("x = 2\n")
    assert provenance.git_identity(package) == {"commit": head, "dirty": True}
    git(root, "checkout", "-q", "--", "nnbench/core.py")
    (package / "new.py").write_text("y = 1\n")  # an untracked module can change numbers too
    assert provenance.git_identity(package)["dirty"] is True
    (package / "new.py").unlink()
    (root / "requirements.lock").write_text("numpy==2.4.5\n")
    assert provenance.git_identity(package)["dirty"] is True


def test_outside_a_checkout_or_without_git_the_git_fields_are_none(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "nnbench"
    package.mkdir(parents=True)
    assert provenance.git_identity(package) == {"commit": None, "dirty": None}
    assert provenance.lock_sha256(package) is None
    # a checkout, but git is not installed
    (tmp_path / "site-packages" / ".git").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert provenance.git_identity(package) == {"commit": None, "dirty": None}


def test_code_identity_of_this_checkout():
    identity = provenance.code_identity()
    assert json.loads(json.dumps(identity)) == identity
    assert identity["nnbench"] == __version__
    assert identity["numerics_version"] == provenance.NUMERICS_VERSION
    assert identity["numerics_fingerprint"] == provenance.numerics_fingerprint()
    assert identity["lock_sha256"] == hashlib.sha256((REPO / "requirements.lock").read_bytes()).hexdigest()
    if (REPO / ".git").exists() and shutil.which("git"):
        assert identity["commit"] == git(REPO, "rev-parse", "HEAD")
        assert isinstance(identity["dirty"], bool)
    versions = identity["versions"]
    assert versions["numpy"] == np.__version__ and versions["python"].count(".") == 2
    assert versions["blas"] and all("internal_api" in blas and "num_threads" not in blas for blas in versions["blas"])
    assert identity["platform"]["machine"] and identity["platform"]["system"]
    identity["versions"]["numpy"] = "changed"
    assert provenance.code_identity()["versions"]["numpy"] == np.__version__  # callers get a copy


def test_command_line_check_and_print(capsys):
    assert provenance.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert provenance.main([]) == 0
    assert json.loads(capsys.readouterr().out)["nnbench"] == __version__
