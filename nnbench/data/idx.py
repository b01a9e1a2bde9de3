"""Read and check IDX files (the MNIST file format), gzip-compressed or not.

An IDX file is a 4-byte magic number ``0x0000 08 <ndim>`` (unsigned bytes), one
big-endian uint32 per dimension, then the data in C order. A file is accepted only
when its magic, dimensions, size and the SHA-256 of its decompressed bytes all
match what the registry expects.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import zlib
from pathlib import Path

import numpy as np

from nnbench.data.registry import REGISTRY, DatasetError, IdxFile, RemoteDataset

GZIP_MAGIC = b"\x1f\x8b"


class DatasetFileError(DatasetError):
    """One file is unusable; ``path`` and ``problem`` are kept for reports."""

    def __init__(self, message: str, path: Path, problem: str):
        super().__init__(message)
        self.path = path
        self.problem = problem

    def __reduce__(self):  # survive pickling (errors raised in worker processes)
        return type(self), (str(self), self.path, self.problem)


def fix_hint(dataset: RemoteDataset, idx_file: IdxFile) -> str:
    """How to get a good copy of one file (the sentence every file error ends with)."""
    urls = " or ".join(dataset.urls(idx_file)) or "the dataset's homepage " + dataset.homepage
    return (f"To fix: get the official file from {urls}; or set NNBENCH_DATA to a folder "
            f"holding {dataset.name}/{idx_file.filename}; or run `nnbench data fetch {dataset.name}`.")


def idx_header(idx_file: IdxFile) -> bytes:
    """The exact IDX header (magic + dims) the expected file starts with."""
    return struct.pack(f">I{len(idx_file.dims)}I", idx_file.magic, *idx_file.dims)


def content_sha256(idx_file: IdxFile, array: np.ndarray) -> str:
    """SHA-256 of the IDX bytes that ``array`` (decoded from ``idx_file``) came from."""
    digest = hashlib.sha256(idx_header(idx_file))
    digest.update(np.ascontiguousarray(array, dtype=np.uint8).data)
    return digest.hexdigest()


def _identify(sha256: str) -> str | None:
    """'mnist t10k-images-idx3-ubyte.gz' when a hash belongs to some known file."""
    for dataset in REGISTRY.values():
        for idx_file in dataset.files:
            if idx_file.sha256 == sha256:
                return f"{dataset.name} {idx_file.filename}"
    return None


def find_problem(raw: bytes, idx_file: IdxFile) -> str | None:
    """What is wrong with decompressed IDX bytes ``raw``, or None when they are the expected content."""
    ndim = len(idx_file.dims)
    header_size = 4 + 4 * ndim
    if len(raw) < 4:
        return f"truncated: {len(raw)} bytes of content, expected {idx_file.nbytes}"
    (magic,) = struct.unpack(">I", raw[:4])
    if magic != idx_file.magic:
        what = {0x801: " (an IDX labels file)", 0x803: " (an IDX images file)"}.get(magic, "")
        return (f"wrong magic number 0x{magic:08x}{what}, expected 0x{idx_file.magic:08x} "
                f"(IDX {idx_file.kind}: unsigned bytes, {ndim} dimension(s))")
    if len(raw) < header_size:
        return f"truncated: {len(raw)} bytes of content, expected {idx_file.nbytes}"
    dims = struct.unpack(f">{ndim}I", raw[4:header_size])
    if dims[0] != idx_file.count:
        return f"wrong count: the header says {dims[0]} {idx_file.kind}, expected {idx_file.count}"
    if dims != idx_file.dims:
        return f"wrong dimensions {dims}, expected {idx_file.dims}"
    if len(raw) < idx_file.nbytes:
        return (f"truncated: {len(raw)} bytes of content, expected {idx_file.nbytes} "
                f"(the header promises {idx_file.count} {idx_file.kind})")
    if len(raw) > idx_file.nbytes:
        return f"wrong size: {len(raw)} bytes of content, expected {idx_file.nbytes} (extra bytes at the end)"
    sha256 = hashlib.sha256(raw).hexdigest()
    if sha256 != idx_file.sha256:
        known = _identify(sha256)
        also = f"; this is the {known} file" if known else ""
        return f"content hash mismatch: sha256 {sha256}, expected {idx_file.sha256}{also}"
    return None


class _Problem(Exception):
    """Internal: carries the one-phrase description of what is wrong with a file."""


def read_raw(path: Path, gzipped: bool | None = None) -> bytes:
    """The decompressed bytes of ``path`` (gzip when it ends in .gz, else plain IDX).

    Raises ``_Problem`` with a short description (missing, not gzip, truncated...);
    :func:`read_verified` turns it into a :class:`DatasetFileError`.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _Problem("missing") from None
    except IsADirectoryError:
        raise _Problem("is a folder, not a file") from None
    except OSError as error:
        raise _Problem(f"cannot be read ({error.strerror or error})") from None
    if gzipped is None:
        gzipped = path.suffix == ".gz"
    if not gzipped:
        return data
    if len(data) == 0:
        raise _Problem("truncated: empty file (0 bytes)")
    if data[:2] != GZIP_MAGIC:
        raise _Problem(f"not gzip: starts with {data[:8]!r} instead of the gzip signature 1f 8b")
    try:
        return gzip.decompress(data)
    except EOFError:
        raise _Problem(f"truncated: the gzip stream ends early ({len(data)} bytes on disk)") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as error:
        raise _Problem(f"corrupt gzip data ({error})") from None


def read_verified(path: Path, dataset: RemoteDataset, idx_file: IdxFile,
                  gzipped: bool | None = None) -> np.ndarray:
    """Decode ``path`` after checking it is exactly ``idx_file``; uint8 array.

    Images come back as ``(count, height * width)``, labels as ``(count,)``.
    ``gzipped`` defaults to whether the name ends in ``.gz``.
    Raises :class:`DatasetFileError` naming the file, the problem and the fix.
    """
    path = Path(path)
    try:
        raw = read_raw(path, gzipped)
    except _Problem as problem:
        raise file_error(path, str(problem), dataset, idx_file) from None
    problem = find_problem(raw, idx_file)
    if problem:
        raise file_error(path, problem, dataset, idx_file)
    header_size = 4 + 4 * len(idx_file.dims)
    array = np.frombuffer(raw, dtype=np.uint8, offset=header_size)
    return array.reshape(idx_file.count, -1) if len(idx_file.dims) > 1 else array


def file_error(path: Path, problem: str, dataset: RemoteDataset, idx_file: IdxFile) -> DatasetFileError:
    """The error for one bad file: which file, what is wrong, how to fix it."""
    message = f"{dataset.name} file {path}: {problem}. {fix_hint(dataset, idx_file)}"
    return DatasetFileError(message, path, problem)
