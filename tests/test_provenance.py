"""Code identity of run records and the numerics fingerprint in every run_id (nnbench.provenance)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nnbench import __version__, provenance
from nnbench.spec import resolve_spec, run_id

REPO = Path(__file__).resolve().parents[1]


def test_numerics_sources_cover_the_core_the_trainer_the_run_kinds_and_the_data():
    names = [path.relative_to(provenance.PACKAGE_DIR).as_posix() for path in provenance.numerics_files()]
    for required in ("core/layers.py", "core/network.py", "core/optimizers.py", "core/trainer.py",
                     "core/initializers.py", "data/loader.py", "seeding.py", "records.py", "runs.py"):
        assert required in names, required
    # the run kinds, wherever their code lives, and the optimizer-path objective they use
    sources = {name: (provenance.PACKAGE_DIR / name).read_text() for name in names}
    for code in ("def execute", "optimizer_path", "activation_histogram", "def path_gradient"):
        assert any(code in text for text in sources.values()), code
    assert all(not name.startswith(("figures/", "report/")) for name in names)  # drawing is not numerics


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the numerics files in a package folder of its own."""
    return copy_numerics(tmp_path / "one" / "nnbench")


def copy_numerics(folder: Path) -> Path:
    for path in provenance.numerics_files():
        target = folder / path.relative_to(provenance.PACKAGE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return folder


def test_the_same_sources_anywhere_give_this_packages_fingerprint_and_run_ids(package, tmp_path):
    assert provenance.numerics_fingerprint(package) == provenance.numerics_fingerprint()
    other = copy_numerics(tmp_path / "two" / "nnbench")
    spec = resolve_spec({"dataset": "digits", "seed": 3})
    assert run_id(spec, numerics=provenance.numerics_fingerprint(other)) == run_id(spec)


def test_a_one_line_edit_of_the_optimizer_code_renames_every_run(package):
    specs = [resolve_spec({"dataset": "digits", "optimizer": name}) for name in ("sgd", "adam")]
    before = provenance.numerics_fingerprint(package)
    optimizers = package / "core" / "optimizers.py"
    optimizers.write_text(optimizers.read_text().replace("0.999", "0.998", 1))
    after = provenance.numerics_fingerprint(package)
    assert after != before
    # every run gets a new name (not only Adam's), so no record of the old code is reused
    assert all(run_id(spec, numerics=after) != run_id(spec, numerics=before) for spec in specs)
    # a new numerics file counts too (the run code may move into a new module)
    (package / "runkinds" / "new_kind.py").write_text("def execute(spec): ...\n")
    assert provenance.numerics_fingerprint(package) not in (before, after)


def test_this_packages_fingerprint_is_read_once_per_process(monkeypatch):
    provenance.numerics_fingerprint()
    monkeypatch.setattr(provenance, "_fingerprint", lambda package_dir: pytest.fail("sources read again"))
    assert provenance.numerics_fingerprint() == provenance.code_identity()["numerics_fingerprint"]


def test_the_code_identity_is_computed_once_per_process(monkeypatch):
    # a process may run many runs; git and threadpoolctl are asked once
    first = provenance.code_identity()
    monkeypatch.setattr(provenance, "_git", lambda *args: pytest.fail("git asked again"))
    monkeypatch.setattr(provenance, "blas_identity", lambda: pytest.fail("BLAS probed again"))
    assert provenance.code_identity() == first


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
    date = git(root, "show", "-s", "--format=%cI", "HEAD")
    assert provenance.git_identity(package) == {"commit": head, "commit_date": date, "dirty": False}

    (root / "results").mkdir()
    (root / "results" / "summary.json").write_text("{}")  # outputs do not make the code dirty
    (root / "notes.txt").write_text("not code")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "core.pyc").write_bytes(b"\0")
    assert provenance.git_identity(package) == {"commit": head, "commit_date": date, "dirty": False}

    (package / "core.py").write_text("x = 2\n")
    assert provenance.git_identity(package) == {"commit": head, "commit_date": date, "dirty": True}
    git(root, "checkout", "-q", "--", "nnbench/core.py")
    (package / "new.py").write_text("y = 1\n")  # an untracked module can change numbers too
    assert provenance.git_identity(package)["dirty"] is True
    (package / "new.py").unlink()
    (root / "requirements.lock").write_text("numpy==2.4.5\n")
    assert provenance.git_identity(package)["dirty"] is True


def test_outside_a_checkout_or_without_git_the_git_fields_are_none(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "nnbench"
    package.mkdir(parents=True)
    assert provenance.git_identity(package) == {"commit": None, "commit_date": None, "dirty": None}
    assert provenance.lock_sha256(package) is None
    # a checkout, but git is not installed
    (tmp_path / "site-packages" / ".git").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert provenance.git_identity(package) == {"commit": None, "commit_date": None, "dirty": None}


def test_code_identity_of_this_checkout():
    identity = provenance.code_identity()
    assert json.loads(json.dumps(identity)) == identity
    assert identity["nnbench"] == __version__
    assert identity["numerics_fingerprint"] == provenance.numerics_fingerprint()
    assert identity["lock_sha256"] == hashlib.sha256((REPO / "requirements.lock").read_bytes()).hexdigest()
    if (REPO / ".git").exists() and shutil.which("git"):
        assert identity["commit"] == git(REPO, "rev-parse", "HEAD")
        assert identity["commit_date"] == git(REPO, "show", "-s", "--format=%cI", "HEAD")
        assert isinstance(identity["dirty"], bool)
    versions = identity["versions"]
    assert versions["numpy"] == np.__version__ and versions["python"].count(".") == 2
    assert versions["blas"] and all("internal_api" in blas and "num_threads" not in blas for blas in versions["blas"])
    assert identity["platform"]["machine"] and identity["platform"]["system"]
    identity["versions"]["numpy"] = "changed"
    assert provenance.code_identity()["versions"]["numpy"] == np.__version__  # callers get a copy


def test_command_line_prints_the_identity_and_the_numerics(capsys):
    assert provenance.main([]) == 0
    assert json.loads(capsys.readouterr().out)["nnbench"] == __version__
    assert provenance.main(["--numerics"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["numerics_fingerprint"] == provenance.numerics_fingerprint()
    assert "core/optimizers.py" in printed["files"]


def test_a_spec_file_named_under_other_numerics_is_refused_naming_this_codes_id(tmp_path):
    from nnbench.errors import SpecError
    from nnbench.runs import run

    spec = resolve_spec({"kind": "optimizer_path", "optimizer": "adam"})
    old_id = run_id(spec, numerics="0" * 64)  # the record of an earlier version of the code
    with pytest.raises(SpecError) as error:
        run({**spec, "run_id": old_id}, out=tmp_path / "record")
    assert str(error.value) == (f"spec key 'run_id': {old_id!r} does not match the spec's content and this code's "
                                f"numerics (run_id {run_id(spec)}); remove the run_id key")
    assert not (tmp_path / "record").exists()
