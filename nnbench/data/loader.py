"""``load_dataset``: verified arrays ready for training, with the study's subsets."""

from __future__ import annotations

import contextlib
import numbers
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnbench import seeding
from nnbench.data import registry, store
from nnbench.data.registry import DATASETS, DatasetError
from nnbench.validation import Interval, whole_number
from nnbench.errors import closest


class PixelRows:
    """Integer pixels standing for the float32 features ``pixels / max_value``
    (:func:`to_unit_float`), converted only for the rows asked for: a row source for the
    trainer and ``MLP.evaluate`` (:mod:`nnbench.core.rows`).

    A training step draws 128 of MNIST's 60,000 rows; converting those as they are drawn
    gives the same float32 values as converting the split first, without the 188 MB
    float32 copy and the 0.1-0.5 s it took to make (the first touch of that much fresh
    memory). ``np.asarray(rows)`` and :meth:`features` give the whole float32 array;
    ``rows[index]`` is a PixelRows of the selected rows (a slice, row numbers or a
    boolean mask).
    """

    dtype = np.dtype(np.float32)  # the dtype of the features the rows stand for

    def __init__(self, pixels: np.ndarray, max_value: int):
        if pixels.ndim != 2:
            raise ValueError(f"pixels must be a 2-D array (rows, features), got shape {pixels.shape}")
        self.pixels = pixels
        self.max_value = max_value
        self.read_only = False  # features() of a shared dataset (reusing_loaded_datasets)
        self._features: np.ndarray | None = None
        self._gathered: np.ndarray | None = None  # rows_into's uint8 gather buffer

    @property
    def shape(self) -> tuple[int, int]:
        return self.pixels.shape

    def __len__(self) -> int:
        return len(self.pixels)

    def __repr__(self) -> str:
        return f"PixelRows({self.shape[0]} rows x {self.shape[1]}, {self.pixels.dtype} / {self.max_value})"

    def __getitem__(self, index) -> PixelRows:
        if isinstance(index, tuple):
            raise TypeError("PixelRows selects whole rows: index with a slice, row numbers or a boolean mask")
        selected = self.pixels[index]
        if selected.ndim != 2:
            raise TypeError(f"PixelRows selects whole rows, got index {index!r}; for values use features()")
        rows = PixelRows(selected, self.max_value)
        rows.read_only = self.read_only
        return rows

    def rows_into(self, index, out: np.ndarray) -> np.ndarray:
        """Rows ``index`` (a slice or an integer array) as features, written into ``out``
        (float32, or a wider float: the float32 values, widened)."""
        if isinstance(index, slice):
            pixels = self.pixels[index]
        else:
            shape = (len(index), self.pixels.shape[1])
            if self._gathered is None or self._gathered.shape != shape:
                self._gathered = np.empty(shape, self.pixels.dtype)
            pixels = np.take(self.pixels, index, axis=0, out=self._gathered)
        if out.dtype == np.float32:
            return to_unit_float(pixels, self.max_value, out=out)
        np.copyto(out, to_unit_float(pixels, self.max_value))
        return out

    def features(self) -> np.ndarray:
        """All rows as float32 features (:func:`to_unit_float`), made on the first call and kept."""
        if self._features is None:
            self._features = to_unit_float(self.pixels, self.max_value)
            if self.read_only:
                self._features.setflags(write=False)
        return self._features

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError("PixelRows cannot give its features without converting (copy=False)")
        features = self.features()
        return features if dtype is None else features.astype(dtype)


@dataclass(eq=False)
class Dataset:
    """A loaded dataset: features in [0, 1] with one row per sample, ``y`` int64 labels.

    ``x_train``/``x_val``/``x_test`` are the float32 feature arrays (made from the pixels
    on first use and kept); ``train_rows``/``validation_rows``/``test_rows`` are the same
    features as :class:`PixelRows`, converted a batch at a time by whoever reads them
    (the training run kind: no float32 copy of a split). ``validation_rows``/``y_val`` are
    None unless a validation split was requested. ``source`` says where the data came
    from (for the run record and ``nnbench data info``).
    """

    name: str
    classes: tuple[str, ...]
    train_rows: PixelRows
    y_train: np.ndarray
    test_rows: PixelRows
    y_test: np.ndarray
    validation_rows: PixelRows | None = None
    y_val: np.ndarray | None = None
    source: str = ""
    license: str = ""

    def __repr__(self) -> str:  # the default would print the arrays
        val = None if self.validation_rows is None else self.validation_rows.shape
        return (f"Dataset({self.name!r}, train={self.train_rows.shape}, validation={val}, "
                f"test={self.test_rows.shape}, classes={len(self.classes)})")

    @property
    def x_train(self) -> np.ndarray:
        return self.train_rows.features()

    @property
    def x_test(self) -> np.ndarray:
        return self.test_rows.features()

    @property
    def x_val(self) -> np.ndarray | None:
        return None if self.validation_rows is None else self.validation_rows.features()

    @property
    def n_features(self) -> int:
        return int(self.train_rows.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def _check_count(value, what: str, minimum: int, maximum: int | None) -> int:
    """``value`` as an int within [minimum, maximum], else a DatasetError in the package's
    one shape (:func:`nnbench.validation.whole_number`)."""
    return whole_number(what, value, Interval(numbers.Integral, minimum, maximum), DatasetError)


def to_unit_float(pixels: np.ndarray, max_value: int, out: np.ndarray | None = None) -> np.ndarray:
    """Pixels / max_value as float32 (correctly rounded; no float64 temporary), in a new
    array or written into the float32 array ``out``.

    Converting first and dividing in place gives the same bits as
    ``np.divide(pixels, float32(max_value), dtype=float32)`` about 10x faster (that
    mixed-type ufunc casts through a small buffer): 0.05 s instead of 0.6 s for MNIST's
    training images, a fifth of a short run's wall time."""
    if out is None:
        values = pixels.astype(np.float32)
    else:
        values = out
        np.copyto(values, pixels)
    values /= np.float32(max_value)
    return values


#: the largest pixel value of the IDX datasets' files and of digits' (features are pixels / it)
IDX_PIXEL_MAX = 255
DIGITS_PIXEL_MAX = 16


def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits, split train/test (stratified, fixed seed): uint8 pixels
    (0..16) and int64 labels."""
    x, labels = _read_digits_csv()
    y = labels.astype(np.int64)
    test_index = stratified_pick(y, registry.DIGITS_TEST_SIZE, np.random.default_rng(registry.DIGITS_SPLIT_SEED))
    is_test = np.zeros(len(y), dtype=bool)
    is_test[test_index] = True
    return x[~is_test], y[~is_test], x[is_test], y[is_test]


def _read_digits_csv() -> tuple[np.ndarray, np.ndarray]:
    """The pixels and labels of the digits file bundled with scikit-learn.

    Read straight from ``sklearn/datasets/data/digits.csv.gz`` (what ``load_digits``
    reads): importing scikit-learn would cost every quick-config job most of a second.
    """
    import gzip
    import importlib.util

    package = importlib.util.find_spec("sklearn")
    locations = list(package.submodule_search_locations or []) if package else []
    path = Path(locations[0]) / "datasets" / "data" / "digits.csv.gz" if locations else None
    if path is None or not path.is_file():
        raise registry.DatasetError(
            f"dataset 'digits': scikit-learn's bundled file {path or 'sklearn/datasets/data/digits.csv.gz'} "
            "was not found; install scikit-learn (pip install scikit-learn)"
        )
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.uint8)
    return table[:, :-1], table[:, -1]


def stratified_pick(labels: np.ndarray, n_pick: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of ``n_pick`` samples drawn so every class keeps its share.

    Each class gets floor(share); the remaining picks go to the classes with the
    largest fractional parts (ties: lower class first), so the total is exact.
    """
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * n_pick / len(labels)
    per_class = np.floor(exact).astype(int)
    remainder = n_pick - per_class.sum()
    order = np.argsort(-(exact - per_class), kind="stable")
    per_class[order[:remainder]] += 1
    picked = [rng.permutation(np.flatnonzero(labels == label))[:k] for label, k in zip(classes, per_class, strict=True)]
    return np.sort(np.concatenate(picked))


#: inside :func:`reusing_loaded_datasets`, the last load's arguments and Dataset (None outside it)
_reused: dict | None = None


@contextlib.contextmanager
def reusing_loaded_datasets():
    """Within this block, a :func:`load_dataset` call with the same arguments as the one
    before it returns the same :class:`Dataset`, its arrays made read-only.

    A group of runs (``nnbench run-group``) trains many runs on one dataset in one
    process; loading, verifying and converting MNIST again for each costs about 0.1 s a
    run, several percent of a study. The arrays are identical either way (a run only
    reads them), so records do not change. Only the last load is kept, so memory stays
    that of one dataset (groups hold one dataset, seeds of a setting in a row).
    Outside the block every call loads afresh.
    """
    global _reused
    outer = _reused
    _reused = {} if outer is None else outer
    try:
        yield
    finally:
        _reused = outer


def load_dataset(name: str, data_dir=None, download: bool = True, cache_dir=None,
                 n_train: int | None = None, validation: int = 0, seed: int = 0) -> Dataset:
    """Load a dataset, verified, as features in [0, 1] and int64 labels.

    The features are float32 arrays (``x_train``...) made from the pixels on first use,
    and the same features as :class:`PixelRows` (``train_rows``...) for readers that
    convert a batch at a time.

    ``name``: one of ``DATASETS`` (``mnist``, ``fashion-mnist``, ``digits``).
    ``data_dir``: a folder holding ``<name>/`` (or the dataset's files directly);
    searched first, never written to. Then ``$NNBENCH_DATA``, the cache
    (``cache_dir``, ``$NNBENCH_CACHE``, ``$XDG_CACHE_HOME/nnbench``, ``~/.cache/nnbench``),
    OS package folders, and finally the mirrors unless ``download`` is False.
    A complete verified cache is used directly (memory-mapped), whatever ``data_dir`` says.
    ``n_train``: keep the first ``n_train`` training samples (None: all).
    ``validation``: carve this many samples out of those training samples (never from
    the test set), chosen by stream ``"validation_split"`` of the run ``seed``
    (``nnbench.seeding.rng``, independent of the weights and the batch order); they are
    removed from ``x_train``.
    Training and validation samples keep their original order. Inside
    :func:`reusing_loaded_datasets`, a repeat of the last call returns its Dataset.
    """
    if _reused is None:
        return _load_dataset(name, data_dir, download, cache_dir, n_train, validation, seed)
    environment = tuple(os.environ.get(variable) for variable in ("NNBENCH_DATA", "NNBENCH_CACHE", "XDG_CACHE_HOME"))
    # the seed only picks the validation split: without one, every seed shares the load
    key = (name, str(data_dir), download, str(cache_dir), n_train, validation, seed if validation else None,
           environment)
    if _reused.get("key") != key:
        _reused.clear()  # the previous dataset's memory is freed before the next is loaded
        dataset = _load_dataset(name, data_dir, download, cache_dir, n_train, validation, seed)
        for rows in (dataset.train_rows, dataset.test_rows, dataset.validation_rows):
            if rows is not None:
                rows.pixels.setflags(write=False)
                rows.read_only = True
        for array in (dataset.y_train, dataset.y_test, dataset.y_val):
            if array is not None:
                array.setflags(write=False)
        _reused.update(key=key, dataset=dataset)
    return _reused["dataset"]


def _load_dataset(name: str, data_dir=None, download: bool = True, cache_dir=None,
                  n_train: int | None = None, validation: int = 0, seed: int = 0) -> Dataset:
    """:func:`load_dataset` without reuse."""
    if name not in DATASETS:
        hint = closest(name, DATASETS)
        raise DatasetError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}"
                           + (f" (did you mean {hint!r}?)" if hint else ""))
    # Check every argument before any (possibly slow) decode or download.
    seed = _check_count(seed, "seed", 0, None)
    is_digits = name == registry.DIGITS_NAME
    n_total = registry.DIGITS_TRAIN_SIZE if is_digits else registry.REGISTRY[name].file("train", "labels").count
    n_keep = n_total if n_train is None else _check_count(n_train, "n_train", 1, n_total)
    validation = _check_count(validation, "validation", 0, n_keep - 1)
    if is_digits:
        x_train, y_train, x_test, y_test = _digits()
        x_train, y_train = x_train[:n_keep], y_train[:n_keep]
        max_value = DIGITS_PIXEL_MAX
        classes = tuple(str(digit) for digit in range(10))
        source = "scikit-learn sklearn.datasets.load_digits (bundled)"
        license_ = registry.DIGITS_LICENSE
    else:
        spec = registry.REGISTRY[name]
        arrays, sources = store.ensure_cached(spec, data_dir=data_dir, cache_dir=cache_dir, download=download)
        # Pixels stay memory-mapped: n_train=300 reads 300 rows only.
        x_train = arrays["train-images"][:n_keep]
        y_train = np.asarray(arrays["train-labels"][:n_keep], dtype=np.int64)
        x_test = arrays["test-images"]
        max_value = IDX_PIXEL_MAX
        y_test = np.asarray(arrays["test-labels"], dtype=np.int64)
        classes = spec.classes
        origins = store.describe_sources(sources)
        if all(isinstance(array, np.memmap) for array in arrays.values()):
            source = f"verified cache {store.dataset_cache(spec, cache_dir)}"
            source += f" (from {origins})" if origins else ""
        else:
            source = f"{origins} (verified, not cached)"
        license_ = spec.license
    x_val = y_val = None  # pixels here
    if validation:
        rng = seeding.rng(seed, "validation_split")
        is_val = np.zeros(len(y_train), dtype=bool)
        is_val[rng.permutation(len(y_train))[:validation]] = True
        x_val, y_val = x_train[is_val], y_train[is_val]
        x_train, y_train = x_train[~is_val], y_train[~is_val]
    return Dataset(name=name, classes=classes, train_rows=PixelRows(x_train, max_value), y_train=y_train,
                   test_rows=PixelRows(x_test, max_value), y_test=y_test,
                   validation_rows=None if x_val is None else PixelRows(x_val, max_value), y_val=y_val,
                   source=source, license=license_)
