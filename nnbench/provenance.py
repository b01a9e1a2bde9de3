"""Which code made a result: the code identity of a run record, and the numerics identity.

``code_identity()`` says what produced a number: nnbench's version, the git commit and
whether the package's tracked files differed from it (when run from a git checkout), the
hash of ``requirements.lock``, the versions of everything that can change a number
(Python, NumPy, scikit-learn for the digits data, the BLAS libraries and their kernels)
and the platform. It never fails: outside a git checkout, or without ``git``, the git
fields are ``None``.

The *numerics identity* is what must change when the numbers can: ``NUMERICS_VERSION``,
bumped by hand whenever the code that computes numbers changes (``NUMERICS_SOURCES``:
the NumPy core, the trainer, the run kinds, data loading and preprocessing), and
``numerics_fingerprint()``, the SHA-256 of those sources. ``nnbench/numerics.lock``
holds the version and the fingerprint it was made for; a test fails while they disagree
with the sources, so a change to the numerics cannot go in without a decision:

    python -m nnbench.provenance --update-numerics                 # after bumping NUMERICS_VERSION
    python -m nnbench.provenance --update-numerics --same-numerics # a change that cannot change a number
    python -m nnbench.provenance                                   # print this process's code identity
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

from nnbench.errors import NnbenchError

# Bump (by one) whenever a file of NUMERICS_SOURCES changes in a way that can change a
# number in a run record, then run `python -m nnbench.provenance --update-numerics`.
NUMERICS_VERSION = 1

# The code that computes numbers, as glob patterns relative to the package folder. A
# pattern matching nothing is allowed, so the run-kind code can move (from runs.py to a
# package runs/ or runkinds/) without editing this list in the same commit; the test
# asserts that the core, the trainer and the run kinds are covered. Spec defaults are not
# listed: they are part of the resolved spec, which names a run already.
NUMERICS_SOURCES = (
    "core/*.py",            # layers, network, initializers, optimizers, trainer, diagnostics
    "runs.py",              # the run kinds (train, optimizer_path, activation_histogram), CSV number format
    "runs/*.py",            # ... if the run code becomes a package
    "runkinds/*.py",        # ... or this one
    "data/idx.py",          # parsing the IDX files
    "data/loader.py",       # scaling, n_train, the validation split, digits
)

NUMERICS_LOCK = "numerics.lock"

# The tracked files whose edits make a checkout "dirty" for a record: the package and
# what pins its dependencies; outputs (results/, reports/) and docs are not code.
DIRTY_PATHSPECS = ("nnbench", "pyproject.toml", "requirements.lock")

LOCK_FILE = "requirements.lock"

PACKAGE_DIR = Path(__file__).resolve().parent


class ProvenanceError(NnbenchError):
    """The numerics lock disagrees with the sources (or cannot be updated as asked)."""


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


def numerics_fingerprint(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 over the paths and sources of the numerics files (any byte counts)."""
    digest = hashlib.sha256()
    for name, file_digest in numerics_file_digests(package_dir).items():
        digest.update(f"{name}\0{file_digest}\n".encode())
    return digest.hexdigest()


def read_numerics_lock(package_dir: Path = PACKAGE_DIR) -> dict[str, Any] | None:
    path = package_dir / NUMERICS_LOCK
    return json.loads(path.read_text()) if path.is_file() else None


def numerics_lock_content(version: int = NUMERICS_VERSION, package_dir: Path = PACKAGE_DIR) -> dict[str, Any]:
    return {"numerics_version": version, "fingerprint": numerics_fingerprint(package_dir),
            "files": numerics_file_digests(package_dir)}


def check_numerics_lock(version: int = NUMERICS_VERSION, package_dir: Path = PACKAGE_DIR) -> None:
    """Raise ProvenanceError (one line: what changed, what to do) unless the lock matches."""
    lock = read_numerics_lock(package_dir)
    if lock is None:
        raise ProvenanceError(f"no {NUMERICS_LOCK} in {package_dir}: run python -m nnbench.provenance --update-numerics")
    current = numerics_lock_content(version, package_dir)
    if lock.get("numerics_version") != version:
        raise ProvenanceError(f"NUMERICS_VERSION is {version} but {NUMERICS_LOCK} was made for "
                              f"{lock.get('numerics_version')}: run python -m nnbench.provenance --update-numerics")
    if lock.get("fingerprint") != current["fingerprint"]:
        old, new = lock.get("files", {}), current["files"]
        changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
        raise ProvenanceError(
            f"numerics sources changed ({', '.join(changed) or 'file list'}): bump NUMERICS_VERSION in "
            f"nnbench/provenance.py and run python -m nnbench.provenance --update-numerics (if the change "
            f"cannot change any number, e.g. a comment, add --same-numerics instead of bumping)")


def update_numerics_lock(*, same_numerics: bool = False, version: int = NUMERICS_VERSION,
                         package_dir: Path = PACKAGE_DIR) -> dict[str, Any]:
    """Rewrite ``numerics.lock`` for the current sources; returns its content.

    Refuses (ProvenanceError) when the sources changed but ``version`` was not bumped,
    unless ``same_numerics`` says the change cannot change a number (the run names, which
    carry the version, then stay valid). A lowered version is always refused.
    """
    from nnbench.files import atomic_open

    lock = read_numerics_lock(package_dir)
    content = numerics_lock_content(version, package_dir)
    if lock is not None:
        locked = lock.get("numerics_version")
        if isinstance(locked, int) and version < locked:
            raise ProvenanceError(f"NUMERICS_VERSION {version} is lower than the locked {locked}: versions only go up")
        if version == locked and lock.get("fingerprint") != content["fingerprint"] and not same_numerics:
            raise ProvenanceError(f"numerics sources changed but NUMERICS_VERSION is still {version}: bump it in "
                                  f"nnbench/provenance.py, or pass --same-numerics if no number can change")
    with atomic_open(package_dir / NUMERICS_LOCK) as stream:
        stream.write(json.dumps(content, indent=2, sort_keys=True) + "\n")
    return content


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
    """``{"commit": sha or None, "dirty": bool or None}``; dirty means a tracked file of
    ``DIRTY_PATHSPECS`` differs from the commit or an untracked, unignored file lies there."""
    root = checkout_root(package_dir)
    if root is None:
        return {"commit": None, "dirty": None}
    head = _git(root, "rev-parse", "--verify", "HEAD")
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *DIRTY_PATHSPECS)
    return {"commit": head.strip() if head else None, "dirty": None if status is None else bool(status.strip())}


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
        "numerics_version": NUMERICS_VERSION,
        "numerics_fingerprint": numerics_fingerprint(package_dir),
        "versions": dependency_versions(),
        "platform": platform_identity(),
    }


def code_identity(package_dir: Path = PACKAGE_DIR) -> dict[str, Any]:
    """What code made a result (a JSON-ready dict; computed once per process).

    Keys: ``nnbench`` (version), ``commit`` and ``dirty`` (None outside a git checkout),
    ``lock_sha256`` (None without requirements.lock beside the package),
    ``numerics_version``, ``numerics_fingerprint``, ``versions`` (python, numpy,
    scikit-learn, threadpoolctl, blas) and ``platform`` (system, machine, platform, libc).
    """
    return copy.deepcopy(_code_identity(Path(package_dir)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbench.provenance",
                                     description="Print the code identity, or update nnbench/numerics.lock.")
    parser.add_argument("--update-numerics", action="store_true",
                        help="rewrite nnbench/numerics.lock for the current sources and NUMERICS_VERSION")
    parser.add_argument("--same-numerics", action="store_true",
                        help="with --update-numerics: the sources changed but no number can (version kept)")
    parser.add_argument("--check", action="store_true", help="exit 1 if numerics.lock disagrees with the sources")
    args = parser.parse_args(argv)
    try:
        if args.update_numerics:
            content = update_numerics_lock(same_numerics=args.same_numerics)
            print(f"nnbench/{NUMERICS_LOCK}: numerics version {content['numerics_version']}, "
                  f"fingerprint {content['fingerprint'][:12]} over {len(content['files'])} files")
        elif args.check:
            check_numerics_lock()
            print(f"nnbench/{NUMERICS_LOCK}: up to date (numerics version {NUMERICS_VERSION})")
        else:
            print(json.dumps(code_identity(), indent=2))
    except ProvenanceError as error:
        print(f"nnbench: error: {error}", file=sys.stderr)
        return 1 if args.check else 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
