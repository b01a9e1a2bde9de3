"""One archive of a reports folder, with a checksum manifest inside (``nnbench bundle``).

A talk links to exactly the data behind a slide: ``reports/`` (report, figures, tables,
manifest) is packed into ``reports.tar.gz`` or ``reports.zip`` under one top folder,
with ``<top>/SHA256SUMS`` listing the SHA-256 of every other file in ``sha256sum``
format (so ``cd reports && sha256sum -c SHA256SUMS`` checks an unpacked copy).

The archive is reproducible: entries are sorted and carry a fixed time, owner and mode,
so the same files give a byte-identical archive (and the same archive hash). It is
written under a temporary name and renamed when complete. ``verify`` checks an archive
against its manifest without unpacking it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from nnbench.errors import NnbenchError
from nnbench.files import atomic_open

MANIFEST = "SHA256SUMS"

# suffix -> format name; the first suffix of a format is what `--format` writes
FORMATS = {".tar.gz": "tar.gz", ".tgz": "tar.gz", ".zip": "zip"}
FORMAT_NAMES = ("tar.gz", "zip")

# 1980-01-01, the earliest time a zip entry can hold; the same for tar, so that the two
# formats of one folder list the same times
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_EPOCH = 315532800
FILE_MODE = 0o644

CHUNK = 1 << 20


class BundleError(NnbenchError):
    """A reports folder or an archive that cannot be bundled or verified."""


@dataclass
class Bundle:
    path: Path
    files: int          # files listed in SHA256SUMS (the manifest itself not counted)
    size: int           # bytes of those files
    sha256: str         # of the archive itself: what to cite next to a link


@dataclass
class Verification:
    path: Path
    files: int                                           # entries listed in SHA256SUMS
    mismatched: list[str] = field(default_factory=list)  # listed, content differs
    missing: list[str] = field(default_factory=list)     # listed, not in the archive
    unlisted: list[str] = field(default_factory=list)    # in the archive, not listed

    @property
    def ok(self) -> bool:
        return not (self.mismatched or self.missing or self.unlisted)


def archive_format(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The format named by ``fmt``, else by the suffix of ``path``; BundleError if neither."""
    if fmt is not None:
        if fmt not in FORMAT_NAMES:
            raise BundleError(f"unknown archive format {fmt!r}: use one of {', '.join(FORMAT_NAMES)}")
        return fmt
    name = Path(path).name.lower()
    for suffix, found in FORMATS.items():
        if name.endswith(suffix):
            return found
    raise BundleError(f"unknown archive format of {str(path)!r}: name it *.tar.gz, *.tgz or *.zip "
                      f"(or give --format {'|'.join(FORMAT_NAMES)})")


def _skipped(relative: Path) -> bool:
    # a write in progress (nnbench.files.atomic_open names it .<name>.<random>.tmp), an old
    # manifest (a fresh one is made) and the lock file of a deck open in LibreOffice
    # (.~lock.<name>#) or PowerPoint (~$<name>) never go into a bundle
    name = relative.name
    return ((name.startswith(".") and name.endswith(".tmp")) or relative.as_posix() == MANIFEST
            or name.startswith(("~$", ".~lock.")))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def collect(reports_dir: Path) -> list[tuple[str, Path]]:
    """``(path inside the folder, file)`` for every file to bundle, sorted."""
    files = []
    for path in reports_dir.rglob("*"):
        relative = path.relative_to(reports_dir)
        if path.is_file() and not _skipped(relative):
            files.append((relative.as_posix(), path))
    return sorted(files)


def manifest_text(entries: list[tuple[str, str]]) -> str:
    """``sha256sum`` lines (hash, two spaces, path) for ``(path, hash)`` entries, sorted."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(entries))


def default_archive(reports_dir: str | os.PathLike, fmt: str = "tar.gz") -> Path:
    """``reports`` -> ``reports.tar.gz`` beside the folder."""
    folder = Path(reports_dir).resolve()
    return folder.parent / f"{folder.name}.{fmt}"


def bundle(reports_dir: str | os.PathLike = "reports", out: str | os.PathLike | None = None,
           fmt: str | None = None) -> Bundle:
    """Pack ``reports_dir`` into one archive with ``<top>/SHA256SUMS``; returns what was written.

    ``out`` defaults to ``<reports_dir>.<fmt>`` beside the folder; ``fmt`` (``tar.gz`` or
    ``zip``) defaults to what ``out``'s name says, else ``tar.gz``. Every check happens
    before anything is written.
    """
    folder = Path(reports_dir)
    if not folder.is_dir():
        raise BundleError(f"reports folder {str(folder)!r} does not exist or is not a folder "
                          f"(run the workflow first, or name the folder: nnbench bundle DIR)")
    if out is None:
        fmt = archive_format("", fmt or "tar.gz")
        out = default_archive(folder, fmt)
    else:
        fmt = archive_format(out, fmt)
    out = Path(out)
    if out.resolve().is_relative_to(folder.resolve()):
        raise BundleError(f"archive {str(out)!r} is inside the folder it packs ({str(folder)!r}): write it elsewhere")
    if out.is_dir():
        raise BundleError(f"archive {str(out)!r} is a folder: give a file name ending in .tar.gz or .zip")
    files = collect(folder)
    if not files:
        raise BundleError(f"reports folder {str(folder)!r} has no files to bundle")

    top = folder.resolve().name or "reports"
    entries = [(name, _sha256_file(path)) for name, path in files]
    manifest = manifest_text(entries).encode()
    members = [(f"{top}/{name}", path) for name, path in files]
    with atomic_open(out, "wb") as stream:
        if fmt == "zip":
            _write_zip(stream, members, f"{top}/{MANIFEST}", manifest)
        else:
            _write_tar_gz(stream, members, f"{top}/{MANIFEST}", manifest)
    return Bundle(path=out, files=len(files), size=sum(path.stat().st_size for _, path in files),
                  sha256=_sha256_file(out))


def _tar_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, FIXED_EPOCH, FILE_MODE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _write_tar_gz(stream, members, manifest_name: str, manifest: bytes) -> None:
    # gzip header without a file name or time, so the bytes depend only on the content
    with gzip.GzipFile(filename="", mode="wb", fileobj=stream, mtime=0) as compressed:
        with tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive:
            archive.addfile(_tar_info(manifest_name, len(manifest)), io.BytesIO(manifest))
            for name, path in members:
                with open(path, "rb") as source:
                    archive.addfile(_tar_info(name, path.stat().st_size), source)


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | FILE_MODE) << 16  # a regular file, rw-r--r--
    info.create_system = 3  # unix, so the mode above is read back
    return info


def _write_zip(stream, members, manifest_name: str, manifest: bytes) -> None:
    with zipfile.ZipFile(stream, mode="w") as archive:
        archive.writestr(_zip_info(manifest_name), manifest)
        for name, path in members:
            with open(path, "rb") as source, archive.open(_zip_info(name), mode="w") as target:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    target.write(chunk)


def _members(path: Path):
    """``(name, opener)`` of every regular file of a tar or zip archive, without unpacking."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    yield info.filename, lambda info=info: archive.open(info)
        return
    try:
        archive = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError, EOFError):
        raise BundleError(f"{str(path)!r} is not a .tar.gz or .zip archive") from None
    with archive:
        for info in archive:
            if info.isfile():
                yield info.name, lambda info=info: archive.extractfile(info)


def _hash_stream(stream) -> str:
    digest = hashlib.sha256()
    with stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _parse_manifest(text: str, archive: Path) -> dict[str, str]:
    listed = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, separator, name = line.partition("  ")
        if not separator or len(digest) != 64 or not name:
            raise BundleError(f"{str(archive)!r}: {MANIFEST} line {number} is not '<sha256>  <path>': {line[:80]!r}")
        listed[name] = digest.lower()
    return listed


def verify(archive: str | os.PathLike) -> Verification:
    """Check every file of ``archive`` against its ``<top>/SHA256SUMS``.

    BundleError if the archive is missing, unreadable or holds no single manifest; the
    returned Verification lists files whose content differs, that are missing or that the
    manifest does not list.
    """
    path = Path(archive)
    if not path.is_file():
        raise BundleError(f"archive {str(path)!r} does not exist")
    hashes: dict[str, str] = {}
    manifests: dict[str, str] = {}
    try:
        for name, opener in _members(path):
            top, _, inner = name.partition("/")
            if inner == MANIFEST:
                with opener() as stream:
                    manifests[top] = stream.read().decode("utf-8")
            else:
                hashes[name] = _hash_stream(opener())
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError) as error:
        reason = " ".join(str(error).split())  # one line
        raise BundleError(f"{str(path)!r} cannot be read as an archive ({reason})") from None
    if len(manifests) != 1:
        raise BundleError(f"{str(path)!r} is not an nnbench bundle: it must hold exactly one <folder>/{MANIFEST}, "
                          f"found {len(manifests)}")
    top, text = next(iter(manifests.items()))
    listed = {f"{top}/{name}": digest for name, digest in _parse_manifest(text, path).items()}
    result = Verification(path=path, files=len(listed))
    result.mismatched = sorted(name for name in listed.keys() & hashes.keys() if listed[name] != hashes[name])
    result.missing = sorted(listed.keys() - hashes.keys())
    result.unlisted = sorted(hashes.keys() - listed.keys())
    return result
