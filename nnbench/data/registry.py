"""What each dataset is: its files, their expected content, where copies may live.

``REGISTRY`` is the single table the loader, the cache and the CLI read. Tests swap
an entry (``monkeypatch.setitem(REGISTRY, "mnist", tiny_spec)``) to exercise every
code path on tiny files with their own expected hashes.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnbench.errors import NnbenchError


class DatasetError(NnbenchError):
    """A dataset name, file or folder is missing, damaged or not the expected data.

    The message names the file, what is wrong with it and how to fix it.
    """


@dataclass(frozen=True)
class IdxFile:
    """One of the four gzip IDX files of an MNIST-style dataset.

    ``dims`` are the IDX dimensions (count first); ``sha256`` is the hash of the
    *decompressed* IDX bytes (header included), so it holds whatever gzip header a
    copy carries.
    """

    filename: str  # e.g. "train-images-idx3-ubyte.gz"
    split: str  # "train" | "test"
    kind: str  # "images" | "labels"
    dims: tuple[int, ...]
    sha256: str

    @property
    def magic(self) -> int:
        """IDX magic number: 0x0000 08 <ndim> (unsigned bytes)."""
        return 0x00000800 + len(self.dims)

    @property
    def count(self) -> int:
        return self.dims[0]

    @property
    def nbytes(self) -> int:
        """Size of the decompressed IDX content (4-byte magic, 4 bytes per dim, data)."""
        size = 1
        for dim in self.dims:
            size *= dim
        return 4 + 4 * len(self.dims) + size

    @property
    def key(self) -> str:
        """``train-images``, ``test-labels``...: the split and kind (the cache key)."""
        return f"{self.split}-{self.kind}"


@dataclass(frozen=True)
class RemoteDataset:
    """A dataset made of four IDX files (MNIST layout) with published checksums."""

    name: str
    title: str
    classes: tuple[str, ...]
    files: tuple[IdxFile, ...]
    mirrors: tuple[str, ...]  # base URLs, tried in order; file URL = base + filename
    system_dirs: tuple[str, ...]  # folders an OS package installs the files into
    license: str
    homepage: str

    def file(self, split: str, kind: str) -> IdxFile:
        for idx_file in self.files:
            if idx_file.split == split and idx_file.kind == kind:
                return idx_file
        raise KeyError((split, kind))

    def urls(self, idx_file: IdxFile) -> list[str]:
        return [base.rstrip("/") + "/" + idx_file.filename for base in self.mirrors]


def _standard_files(hashes: dict[str, str], n_train: int = 60000, n_test: int = 10000,
                    height: int = 28, width: int = 28) -> tuple[IdxFile, ...]:
    """The four files of the MNIST layout, with their expected content hashes."""
    return (
        IdxFile("train-images-idx3-ubyte.gz", "train", "images", (n_train, height, width),
                hashes["train-images"]),
        IdxFile("train-labels-idx1-ubyte.gz", "train", "labels", (n_train,), hashes["train-labels"]),
        IdxFile("t10k-images-idx3-ubyte.gz", "test", "images", (n_test, height, width),
                hashes["test-images"]),
        IdxFile("t10k-labels-idx1-ubyte.gz", "test", "labels", (n_test,), hashes["test-labels"]),
    )


# SHA-256 of the decompressed IDX bytes (shared/datasets/README.md); the .gz files
# themselves differ between copies (Debian rewrites the gzip headers).
MNIST = RemoteDataset(
    name="mnist",
    title="MNIST handwritten digits",
    classes=tuple(str(digit) for digit in range(10)),
    files=_standard_files({
        "train-images": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "test-images": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "test-labels": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    }),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    system_dirs=(),
    license="CC BY-SA 3.0; Yann LeCun and Corinna Cortes (with Christopher J.C. Burges)",
    homepage="http://yann.lecun.com/exdb/mnist/",
)

FASHION_MNIST = RemoteDataset(
    name="fashion-mnist",
    title="Fashion-MNIST (Zalando article images)",
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    files=_standard_files({
        "train-images": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "test-images": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "test-labels": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    # Debian/Ubuntu package `dataset-fashion-mnist`.
    system_dirs=("/usr/share/datasets/fashion-mnist",),
    license="MIT; Copyright 2017 Zalando SE",
    homepage="https://github.com/zalandoresearch/fashion-mnist",
)

# Mutable on purpose: tests replace entries with tiny datasets.
REGISTRY: dict[str, RemoteDataset] = {MNIST.name: MNIST, FASHION_MNIST.name: FASHION_MNIST}

# scikit-learn's bundled 8x8 digits: no files, no download.
DIGITS_NAME = "digits"
DIGITS_TITLE = "scikit-learn 8x8 digits (UCI optical recognition of handwritten digits, test part)"
DIGITS_LICENSE = "CC BY 4.0 (UCI Machine Learning Repository); bundled with scikit-learn (BSD-3-Clause)"
DIGITS_SIZE = 1797
DIGITS_TEST_SIZE = 360  # -> 1437 train / 360 test, stratified
DIGITS_TRAIN_SIZE = DIGITS_SIZE - DIGITS_TEST_SIZE
DIGITS_SPLIT_SEED = 0

DATASETS = ("mnist", "fashion-mnist", "digits")
