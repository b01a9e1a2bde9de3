"""Where dataset files are found, how they are downloaded, and the verified .npy cache.

Search order for each file (the first folder holding a copy wins):
``data_dir`` argument -> ``$NNBENCH_DATA/<name>`` -> the user cache
(``cache_dir`` argument, else ``$NNBENCH_CACHE``, else ``$XDG_CACHE_HOME/nnbench``,
else ``~/.cache/nnbench``) -> OS package folders (Debian's
``/usr/share/datasets/fashion-mnist``) -> download from the mirrors into the cache.

Only the cache is ever written to. Every file lands under a temporary name and is
renamed into place once complete; the first decode or download of a dataset holds
an exclusive lock on ``<cache>/<name>/.lock`` (``filelock``: ``flock`` on POSIX,
``msvcrt`` locking on Windows) so that processes starting together decode once and
never see half-written files. The cache holds one uint8
``.npy`` per split, named by the expected content hash and written only after the
source file passed every check, so later loads trust it and just memory-map it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from filelock import FileLock

from nnbench.data.idx import DatasetFileError, content_sha256, fix_hint, read_verified
from nnbench.data.registry import DatasetError, IdxFile, RemoteDataset
from nnbench.files import atomic_open

ENV_DATA = "NNBENCH_DATA"
ENV_CACHE = "NNBENCH_CACHE"
ENV_MIRROR = "NNBENCH_MIRROR"  # base URL holding <name>/<file>; replaces the canonical mirrors
TMP_PREFIX = ".tmp-"  # every partial file in the cache starts with this
LOCK_NAME = ".lock"
SOURCES_NAME = "sources.json"
DOWNLOAD_TIMEOUT_S = 60
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Location:
    """A folder that may hold a dataset's files, as reported to the user."""

    label: str  # e.g. "data_dir argument", "NNBENCH_DATA"
    folder: Path | None  # None when not configured
    owned: bool = False  # the cache: nnbench may delete damaged files here


def cache_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """The user cache folder: ``cache_dir``, ``$NNBENCH_CACHE``, ``$XDG_CACHE_HOME/nnbench`` or ``~/.cache/nnbench``."""
    if cache_dir is not None and str(cache_dir) != "":
        return Path(cache_dir).expanduser()
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec says to ignore relative paths
        return Path(xdg) / "nnbench"
    return Path.home() / ".cache" / "nnbench"


def dataset_cache(dataset: RemoteDataset, cache_dir=None) -> Path:
    """The cache folder of one dataset."""
    return cache_root(cache_dir) / dataset.name


def locations(dataset: RemoteDataset, data_dir=None, cache_dir=None) -> list[Location]:
    """Every folder searched for ``dataset``'s files, in search order."""
    found = []
    if data_dir is not None and str(data_dir) != "":
        # A folder holding <name>/ (like NNBENCH_DATA), or the dataset's own folder.
        folder = Path(data_dir).expanduser()
        if (folder / dataset.name).is_dir():
            found.append(Location("data_dir", folder / dataset.name))
        else:
            found.append(Location(f"data_dir (no {dataset.name}/ inside, so the folder itself)", folder))
    else:
        found.append(Location("data_dir", None))
    env = os.environ.get(ENV_DATA)
    found.append(Location(f"${ENV_DATA}", Path(env).expanduser() / dataset.name if env else None))
    found.append(Location("cache", dataset_cache(dataset, cache_dir), owned=True))
    for system_dir in dataset.system_dirs:
        found.append(Location("system package folder", Path(system_dir)))
    return found


def find_copy(folder: Path, idx_file: IdxFile) -> Path | None:
    """The file in ``folder``: the .gz, else an uncompressed copy (torchvision keeps both)."""
    for name in (idx_file.filename, idx_file.filename.removesuffix(".gz")):
        path = folder / name
        if path.exists():
            return path
    return None


def mirror_urls(dataset: RemoteDataset, idx_file: IdxFile) -> list[str]:
    """Download URLs for one file: ``$NNBENCH_MIRROR/<name>/<file>`` when set, else the canonical mirrors."""
    mirror = os.environ.get(ENV_MIRROR)
    if mirror:
        return [f"{mirror.rstrip('/')}/{dataset.name}/{idx_file.filename}"]
    return dataset.urls(idx_file)


def npy_path(cache_folder: Path, idx_file: IdxFile) -> Path:
    """Cached decoded split, keyed by the expected content hash."""
    return cache_folder / f"{idx_file.key}-{idx_file.sha256[:16]}.npy"


def decoded_shape(idx_file: IdxFile) -> tuple[int, ...]:
    """Shape of the decoded array: images flattened to (count, height * width)."""
    if len(idx_file.dims) == 1:
        return idx_file.dims
    features = 1
    for dim in idx_file.dims[1:]:
        features *= dim
    return (idx_file.count, features)


def open_npy(path: Path, idx_file: IdxFile) -> np.ndarray | None:
    """The memory-mapped cached array, or None when absent or not the expected shape."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None  # missing, truncated or not an .npy
    if array.dtype != np.uint8 or array.shape != decoded_shape(idx_file):
        return None
    return array


class Progress:
    """A one-line progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, label: str, total: int | None, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.label, self.total, self.done, self.last = label, total, 0, 0.0

    def update(self, n_bytes: int) -> None:
        self.done += n_bytes
        now = time.monotonic()
        if self.enabled and now - self.last > 0.1:  # redraw at most 10 times a second
            self.last = now
            self._draw()

    def _draw(self) -> None:
        if self.total:
            fraction = min(self.done / self.total, 1.0)
            bar = "#" * int(30 * fraction)
            self.stream.write(f"\r{self.label} [{bar:<30}] {self.done / 1e6:6.1f}/{self.total / 1e6:.1f} MB")
        else:
            self.stream.write(f"\r{self.label} {self.done / 1e6:6.1f} MB")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw()  # the final state, whatever the throttling skipped
            self.stream.write("\n")
            self.stream.flush()


def note(message: str) -> None:
    """Progress message on stderr, only for a person watching a terminal."""
    if sys.stderr.isatty():
        print(f"nnbench: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def locked(cache_folder: Path):
    """Exclusive lock on the dataset's cache folder (released when the process dies, too)."""
    with FileLock(cache_folder / LOCK_NAME, mode=0o644):  # 0o644: the cache may be shared
        yield


def remove_stale_temp_files(cache_folder: Path) -> None:
    """Delete partial files left by a killed process (call only while holding the lock)."""
    for path in cache_folder.glob(TMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            path.unlink()


def atomic_write(path: Path, write) -> None:
    """Create ``path`` by ``write(binary_file)`` into a temporary sibling, then rename it."""
    # 0644: the cache may be shared; TMP_PREFIX: a killed writer's leftovers get cleaned up
    with atomic_open(path, "wb", prefix=TMP_PREFIX, file_mode=0o644, fsync=True) as out:
        write(out)


def _stream_url(url: str, out, label: str) -> None:
    """Copy ``url`` into the open file ``out``; raises OSError subclasses on failure."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        length = response.headers.get("Content-Length")
        progress = Progress(label, int(length) if length and length.isdigit() else None)
        try:
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                progress.update(len(chunk))
        finally:
            progress.close()
        if length and length.isdigit() and progress.done != int(length):
            raise OSError(f"connection closed after {progress.done} of {length} bytes")


def download_file(dataset: RemoteDataset, idx_file: IdxFile, cache_folder: Path,
                  failures: list[str]) -> tuple[np.ndarray, Path, str] | None:
    """Download ``idx_file`` into the cache, verified; None (and ``failures`` filled) when no mirror gave a good copy.

    A download lives under a temporary name until it passed every check; a bad one
    is deleted, never renamed into place, and the next mirror is tried.
    """
    destination = cache_folder / idx_file.filename
    for url in mirror_urls(dataset, idx_file):
        fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".gz.part", dir=cache_folder)
        try:
            try:
                with os.fdopen(fd, "wb") as out:
                    _stream_url(url, out, f"{dataset.name} {idx_file.filename}")
            except urllib.error.HTTPError as error:
                failures.append(f"{url}: HTTP {error.code} {error.reason}")
                continue
            except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
                reason = getattr(error, "reason", error)
                failures.append(f"{url}: download failed ({reason})")
                continue
            try:
                array = read_verified(Path(tmp_name), dataset, idx_file, gzipped=True)
            except DatasetFileError as error:
                failures.append(f"{url}: downloaded, but {error.problem}; the download was deleted")
                continue
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, destination)
            return array, destination, url
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)  # no-op after a successful rename
    return None


def obtain(dataset: RemoteDataset, idx_file: IdxFile, data_dir, cache_dir,
           allow_download: bool) -> tuple[np.ndarray, dict]:
    """The verified decoded array of ``idx_file`` and where it came from (``{"from": path, "url": ...}``).

    Searches every location in order; a damaged copy in a folder the user points at
    is an error (never silently skipped, never touched); a damaged copy in the cache
    is deleted and the search goes on.
    """
    looked = []
    for location in locations(dataset, data_dir, cache_dir):
        if location.folder is None:
            looked.append(f"{location.label} (not set)")
            continue
        path = find_copy(location.folder, idx_file)
        if path is None:
            looked.append(f"{location.label} {location.folder / idx_file.filename} (missing)")
            continue
        try:
            return read_verified(path, dataset, idx_file), {"from": str(path)}
        except DatasetFileError as error:
            if not location.owned:
                raise
            with contextlib.suppress(OSError):
                path.unlink()
            looked.append(f"{location.label} {path} ({error.problem}; deleted)")
    cache_folder = dataset_cache(dataset, cache_dir)
    if allow_download:
        failures: list[str] = []
        note(f"downloading {dataset.name} {idx_file.filename}")
        result = download_file(dataset, idx_file, cache_folder, failures)
        if result is not None:
            array, path, url = result
            return array, {"from": str(path), "url": url}
        looked.append("download: " + "; ".join(failures))
    else:
        looked.append("download (not allowed: download=False)")
    raise DatasetError(
        f"{dataset.name}: no usable copy of {idx_file.filename}. Looked in: {'; '.join(looked)}. "
        + fix_hint(dataset, idx_file))


def describe_sources(sources: dict) -> str:
    """Short summary of where cached files came from: their folders, and download hosts."""
    places = set()
    for entry in sources.values():
        if isinstance(entry, dict) and entry.get("url"):
            places.add("mirror " + entry["url"].rsplit("/", 1)[0] + "/")
        elif isinstance(entry, dict) and entry.get("from"):
            places.add(str(Path(entry["from"]).parent))
    return ", ".join(sorted(places))


def _read_sources(cache_folder: Path) -> dict:
    try:
        return json.loads((cache_folder / SOURCES_NAME).read_text())
    except (OSError, ValueError):
        return {}


def ensure_cached(dataset: RemoteDataset, data_dir=None, cache_dir=None,
                  download: bool = True) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    """Memory-mapped verified arrays of every file of ``dataset`` (key ``train-images`` ...), and their sources.

    Fast path: the .npy cache is complete, so nothing is hashed or locked. Otherwise
    the missing splits are obtained, verified and cached under the dataset's lock.
    When the cache folder cannot be written, the verified arrays are returned from
    memory (nothing downloaded, nothing cached) with a warning.
    """
    cache_folder = dataset_cache(dataset, cache_dir)
    arrays = {f.key: open_npy(npy_path(cache_folder, f), f) for f in dataset.files}
    if all(array is not None for array in arrays.values()):
        return arrays, _read_sources(cache_folder)
    with contextlib.ExitStack() as stack:
        try:
            cache_folder.mkdir(parents=True, exist_ok=True)
            stack.enter_context(locked(cache_folder))
        except OSError as error:
            return _uncached(dataset, data_dir, cache_dir, cache_folder, error)
        remove_stale_temp_files(cache_folder)
        sources = _read_sources(cache_folder)
        # Another process may have built some splits while this one waited for the lock.
        missing = [f for f in dataset.files if open_npy(npy_path(cache_folder, f), f) is None]
        # Verify every missing split before caching any, so a bad file leaves the cache as it was.
        decoded = {}
        for idx_file in missing:
            note(f"verifying {dataset.name} {idx_file.filename}")
            decoded[idx_file.key], origin = obtain(dataset, idx_file, data_dir, cache_dir, download)
            sources[idx_file.key] = {"file": idx_file.filename, "sha256": idx_file.sha256, **origin}
        for idx_file in missing:
            atomic_write(npy_path(cache_folder, idx_file),
                         lambda out, array=decoded[idx_file.key]: np.save(out, array, allow_pickle=False))
        if missing:
            payload = json.dumps(sources, indent=2, sort_keys=True).encode()
            atomic_write(cache_folder / SOURCES_NAME, lambda out: out.write(payload))
            note(f"cached {dataset.name} in {cache_folder}")
        for idx_file in dataset.files:
            arrays[idx_file.key] = open_npy(npy_path(cache_folder, idx_file), idx_file)
            if arrays[idx_file.key] is None:  # only if the disk is failing under us
                raise DatasetError(f"{dataset.name}: the cache file {npy_path(cache_folder, idx_file)} "
                                   f"could not be read back after writing it; check the disk or set {ENV_CACHE}")
    return arrays, sources


def _uncached(dataset, data_dir, cache_dir, cache_folder, error):
    """Load verified arrays into memory when the cache folder is not writable."""
    import warnings

    warnings.warn(f"cannot write the dataset cache {cache_folder} ({error}); loading {dataset.name} "
                  f"without caching (slower). Set {ENV_CACHE} or pass cache_dir to a writable folder.",
                  stacklevel=3)
    arrays, sources = {}, {}
    for idx_file in dataset.files:
        arrays[idx_file.key], origin = obtain(dataset, idx_file, data_dir, cache_dir, allow_download=False)
        sources[idx_file.key] = {"file": idx_file.filename, "sha256": idx_file.sha256, **origin}
    return arrays, sources


@dataclass(frozen=True)
class FileCheck:
    """Result of checking one copy of one file: ``problem`` is None when it is good."""

    dataset: str
    filename: str
    path: Path | None  # None: no copy anywhere
    problem: str | None
    where: str


def verify_copies(dataset: RemoteDataset, data_dir=None, cache_dir=None) -> list[FileCheck]:
    """Check every copy of every file of ``dataset`` without changing anything.

    With ``data_dir``: exactly that folder's files (a missing one is a problem).
    Without: every copy found in the search locations plus the cached .npy arrays
    (content re-hashed); a file with no copy anywhere is a problem.
    """
    checks = []
    if data_dir is not None and str(data_dir) != "":
        searched = locations(dataset, data_dir, cache_dir)[:1]
    else:
        searched = [loc for loc in locations(dataset, None, cache_dir) if loc.folder is not None]
    cache_folder = dataset_cache(dataset, cache_dir)
    for idx_file in dataset.files:
        found_any = False
        for location in searched:
            path = find_copy(location.folder, idx_file)
            if path is None:
                continue
            found_any = True
            try:
                read_verified(path, dataset, idx_file)
                checks.append(FileCheck(dataset.name, idx_file.filename, path, None, location.label))
            except DatasetFileError as error:
                checks.append(FileCheck(dataset.name, idx_file.filename, path, error.problem, location.label))
        if data_dir is None or str(data_dir) == "":
            cached = npy_path(cache_folder, idx_file)
            if cached.exists():
                found_any = True
                array = open_npy(cached, idx_file)
                if array is None:
                    problem = "not a readable uint8 .npy of the expected shape"
                elif content_sha256(idx_file, array) != idx_file.sha256:
                    problem = "content hash mismatch (cached array was modified)"
                else:
                    problem = None
                checks.append(FileCheck(dataset.name, idx_file.filename, cached, problem, "cache (decoded)"))
        if not found_any:
            places = ", ".join(str(loc.folder) for loc in searched) or "(no folder configured)"
            checks.append(FileCheck(dataset.name, idx_file.filename, None,
                                    f"missing (looked in {places})", "nowhere"))
    return checks
