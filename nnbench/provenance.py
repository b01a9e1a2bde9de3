"""Which code made a result: the code identity of a run record, and the numerics identity.

``code_identity()`` says what produced a number: nnbench's version, the git commit, its
date and whether the package's tracked files differed from it (when run from a git
checkout), the hash of ``requirements.lock``, the versions of everything that can change a
number (Python, NumPy, scikit-learn for the digits data, the BLAS libraries and their
kernels) and the platform. It never fails: outside a git checkout, or without ``git``, the
git fields are ``None``.

The *numerics identity* is ``numerics_fingerprint()``: the SHA-256 of the sources of the
code that computes numbers (``NUMERICS_SOURCES``). It is part of every ``run_id``
(:func:`nnbench.spec.run_id`), so any edit of those files names every run anew and the
workflow reruns them: a record never silently survives a change of the code that made it.

    python -m nnbench.provenance             # print this process's code identity
    python -m nnbench.provenance --numerics  # the numerics files and their hashes
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

# The code that computes numbers, as glob patterns relative to the package folder; any
# byte of these files is part of every run's name. A pattern matching nothing is allowed
# (run code may move); a test asserts the core, the trainer and the run kinds are covered.
# Spec defaults are not listed for themselves: they are part of the resolved spec, which
# names a run already.
NUMERICS_SOURCES = (
    "core/*.py",            # layers, network, initializers, optimizers, trainer, diagnostics,
                            # the optimizer-path objective
    "runkinds/*.py",        # the run kinds (train, optimizer_path, activation_histogram)
    "runs.py",              # executes a kind, completes the summary
    "records.py",           # the number format of the record files (repr floats)
    "seeding.py",           # the random streams (weights, dropout, batch order, split)
    "data/idx.py",          # parsing the IDX files
    "data/loader.py",       # scaling, n_train, the validation split, digits
)

# The tracked files whose edits make a checkout "dirty" for a record: the package and
# what pins its dependencies; outputs (results/, reports/) and docs are not code.
DIRTY_PATHSPECS = ("nnbench", "pyproject.toml", "requirements.lock")

LOCK_FILE = "requirements.lock"

PACKAGE_DIR = Path(__file__).resolve().parent


# --- numerics identity ------------------------------------------------------------------


def numerics_files(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The files of ``NUMERICS_SOURCES`` that exist, sorted by their path in the package."""
    found = {path for pattern in NUMERICS_SOURCES for path in package_dir.glob(pattern) if path.is_file()}
    return sorted(found, key=lambda path: path.relative_to(package_dir).as_posix())


def _source_digest(path: Path) -> str:
    # line endings normalised: a Windows checkout (autocrlf) has the same numerics
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def numerics_file_digests(package_dir: Path = PACKAGE_DIR) -> dict[str, str]:
    """``{path in the package: sha256 of its source}`` for every numerics file."""
    return {path.relative_to(package_dir).as_posix(): _source_digest(path) for path in numerics_files(package_dir)}


def _fingerprint(package_dir: Path) -> str:
    digest = hashlib.sha256()
    for name, file_digest in numerics_file_digests(package_dir).items():
        digest.update(f"{name}\0{file_digest}\n".encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _own_fingerprint() -> str:
    return _fingerprint(PACKAGE_DIR)


def numerics_fingerprint(package_dir: Path | None = None) -> str:
    """SHA-256 over the paths and sources of the numerics files (any byte counts).

    Without ``package_dir``: this package's, read once per process (the code a process
    runs does not change under it, and the workflow names thousands of runs).
    """
    return _own_fingerprint() if package_dir is None else _fingerprint(Path(package_dir))


# --- code identity ----------------------------------------------------------------------


def checkout_root(package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The folder above the package when it is a git checkout (a worktree's ``.git`` is a
    file), else None: an installed copy in site-packages has no commit of its own."""
    root = package_dir.parent
    return root if (root / ".git").exists() else None


def _git(root: Path, *args: str) -> str | None:
    # --no-optional-locks: many runs start at once, and a status must not take the index lock
    command = ["git", "--no-optional-locks", "-C", str(root), *args]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10,
                                env={**os.environ, "LC_ALL": "C"})
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def git_identity(package_dir: Path = PACKAGE_DIR) -> dict[str, Any]:
    """``{"commit": sha, "commit_date": ISO 8601 committer date, "dirty": bool}``, each None
    when unknown; dirty means a tracked file of ``DIRTY_PATHSPECS`` differs from the commit
    or an untracked, unignored file lies there."""
    root = checkout_root(package_dir)
    if root is None:
        return {"commit": None, "commit_date": None, "dirty": None}
    head = _git(root, "show", "-s", "--format=%H%n%cI", "HEAD")
    commit, date = head.split() if head and len(head.split()) == 2 else (None, None)
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *DIRTY_PATHSPECS)
    return {"commit": commit, "commit_date": date, "dirty": None if status is None else bool(status.strip())}


def lock_sha256(package_dir: Path = PACKAGE_DIR) -> str | None:
    """SHA-256 of ``requirements.lock`` beside the package (a checkout), else None."""
    path = package_dir.parent / LOCK_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _distribution_version(name: str) -> str | None:
    # from the installed metadata: importing scikit-learn would take seconds
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def blas_identity() -> list[dict[str, Any]]:
    """The BLAS libraries NumPy uses, with version and kernel (``architecture``).

    Only NumPy's own (the libraries under its install folder) when it ships them, so the
    answer does not depend on what else was imported first (SciPy brings a second
    OpenBLAS); every BLAS loaded otherwise (a NumPy linked to the system's). No thread
    counts: those depend on the pinning of the moment, which a run records itself.
    """
    import numpy
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "prefix", "version", "architecture", "threading_layer")
    loaded = [info for info in threadpool_info() if info.get("user_api") == "blas"]
    numpy_root = str(Path(numpy.__file__).resolve().parent)  # numpy/ and its wheel's numpy.libs/
    own = [info for info in loaded if str(Path(info.get("filepath", "")).resolve()).startswith(numpy_root)]
    return [{key: info[key] for key in keys if key in info} for info in own or loaded]


def dependency_versions() -> dict[str, Any]:
    """Versions of everything that can change a number of a run record."""
    import numpy

    return {
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "numpy": numpy.__version__,
        "scikit-learn": _distribution_version("scikit-learn"),  # the bundled digits data
        "threadpoolctl": _distribution_version("threadpoolctl"),
        "blas": blas_identity(),
    }


def processor_name() -> str:
    """The CPU model, from /proc/cpuinfo (``platform.processor()`` is empty on most Linux
    systems); machines of one kind differ about 3x in GEMM speed, so times name it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown processor"


def platform_identity() -> dict[str, Any]:
    libc, libc_version = platform.libc_ver()
    return {"system": platform.system(), "machine": platform.machine(), "platform": platform.platform(),
            "libc": f"{libc} {libc_version}".strip() or None}


@functools.lru_cache(maxsize=None)
def _code_identity(package_dir: Path) -> dict[str, Any]:
    from nnbench import __version__

    return {
        "nnbench": __version__,
        **git_identity(package_dir),
        "lock_sha256": lock_sha256(package_dir),
        "numerics_fingerprint": numerics_fingerprint(None if package_dir == PACKAGE_DIR else package_dir),
        "versions": dependency_versions(),
        "platform": platform_identity(),
    }


def code_identity(package_dir: Path = PACKAGE_DIR) -> dict[str, Any]:
    """What code made a result (a JSON-ready dict; computed once per process).

    Keys: ``nnbench`` (version), ``commit``, ``commit_date`` and ``dirty`` (None outside a
    git checkout), ``lock_sha256`` (None without requirements.lock beside the package),
    ``numerics_fingerprint``, ``versions`` (python, numpy,
    scikit-learn, threadpoolctl, blas) and ``platform`` (system, machine, platform, libc).
    """
    return copy.deepcopy(_code_identity(Path(package_dir)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbench.provenance",
                                     description="Print the code identity of this process (JSON).")
    parser.add_argument("--numerics", action="store_true",
                        help="print the numerics fingerprint and the hash of each numerics file instead")
    args = parser.parse_args(argv)
    if args.numerics:
        print(json.dumps({"numerics_fingerprint": numerics_fingerprint(), "files": numerics_file_digests()}, indent=2))
    else:
        print(json.dumps(code_identity(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
