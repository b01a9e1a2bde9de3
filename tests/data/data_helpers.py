"""Helpers for the data tests: tiny MNIST-layout datasets built on the fly."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np

from nnbench.data import registry

N_TRAIN, N_TEST, SIDE = 24, 8, 4


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """IDX encoding (unsigned bytes) of a uint8 array."""
    header = struct.pack(f">I{array.ndim}I", magic if magic is not None else 0x800 + array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def gzip_bytes(raw: bytes) -> bytes:
    return gzip.compress(raw, mtime=0)


@dataclasses.dataclass
class TinyDataset:
    """One tiny dataset: its arrays, its IDX bytes per file name, and its registry entry."""

    spec: registry.RemoteDataset
    images: dict  # split -> (count, SIDE, SIDE) uint8
    labels: dict  # split -> (count,) uint8
    raw: dict  # file name -> decompressed IDX bytes

    def write(self, folder: Path, gz: bool = True) -> Path:
        """Write the four files into ``folder`` (created); returns it."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, raw in self.raw.items():
            if gz:
                (folder / name).write_bytes(gzip_bytes(raw))
            else:
                (folder / name.removesuffix(".gz")).write_bytes(raw)
        return folder


def make_tiny(name: str, seed: int, mirrors=(), system_dirs=()) -> TinyDataset:
    """A dataset of random 4x4 images with balanced labels, registered under a real name."""
    rng = np.random.default_rng(seed)
    base = registry.REGISTRY.get(name, registry.MNIST)
    images, labels, raw, hashes = {}, {}, {}, {}
    for split, count, prefix in (("train", N_TRAIN, "train"), ("test", N_TEST, "t10k")):
        images[split] = rng.integers(0, 256, size=(count, SIDE, SIDE), dtype=np.uint8)
        labels[split] = rng.permutation(np.arange(count) % 10).astype(np.uint8)
        for kind, array, ndim in (("images", images[split], 3), ("labels", labels[split], 1)):
            filename = f"{prefix}-{kind}-idx{ndim}-ubyte.gz"
            raw[filename] = idx_bytes(array)
            hashes[f"{split}-{kind}"] = hashlib.sha256(raw[filename]).hexdigest()
    files = registry._standard_files(hashes, N_TRAIN, N_TEST, SIDE, SIDE)
    spec = dataclasses.replace(base, name=name, files=files, mirrors=tuple(mirrors),
                               system_dirs=tuple(str(d) for d in system_dirs))
    return TinyDataset(spec, images, labels, raw)


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` with its bytes and mtime (to prove nothing was touched)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cache_files(cache_folder: Path) -> list[str]:
    """Names of the files in a cache folder, the lock file aside."""
    if not cache_folder.exists():
        return []
    return sorted(p.name for p in cache_folder.iterdir() if p.name != ".lock")


TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
