"""Datasets: MNIST and Fashion-MNIST loaded exactly (verified) or not at all, plus scikit-learn's digits.

>>> d = load_dataset("mnist", n_train=1000, validation=100, seed=0)   # doctest: +SKIP
>>> d.x_train.shape, d.x_train.dtype, d.y_train.dtype                 # doctest: +SKIP
((900, 784), dtype('float32'), dtype('int64'))

See :mod:`nnbench.data.store` for where files are looked for and how the cache works.
"""

from nnbench.data.idx import DatasetFileError
from nnbench.data.loader import Dataset, load_dataset, reusing_loaded_datasets
from nnbench.data.registry import DATASETS, REGISTRY, DatasetError, IdxFile, RemoteDataset
from nnbench.data.store import cache_root, ensure_cached, verify_copies

__all__ = [
    "DATASETS",
    "REGISTRY",
    "Dataset",
    "DatasetError",
    "DatasetFileError",
    "IdxFile",
    "RemoteDataset",
    "cache_root",
    "ensure_cached",
    "load_dataset",
    "reusing_loaded_datasets",
    "verify_copies",
]
