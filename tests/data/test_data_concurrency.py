"""Several processes loading the same dataset at once: one decode, identical results, no partial files."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time

import pytest
from data_helpers import cache_files

from nnbench.data import load_dataset
from nnbench.data import store

N_PROCESSES = 6


def _load_and_digest(barrier, data_dir, cache_dir, results):
    barrier.wait()  # start together, as the workflow's jobs do
    data = load_dataset("mnist", data_dir=data_dir, cache_dir=cache_dir, n_train=20, validation=4, seed=3)
    digest = hashlib.sha256()
    for array in (data.x_train, data.y_train, data.x_val, data.y_val, data.x_test, data.y_test):
        digest.update(array.tobytes())
    results.put(digest.hexdigest())


@pytest.mark.skipif(os.name != "posix", reason="the test forks (POSIX); the lock itself is filelock's, on every OS")
def test_processes_loading_together_decode_once_and_agree(tiny, tmp_path, monkeypatch):
    log = tmp_path / "decodes.log"
    real_obtain = store.obtain

    def logged_slow_obtain(dataset, idx_file, *args, **kwargs):
        with open(log, "a") as out:  # one short append per decode: atomic with O_APPEND
            out.write(f"{os.getpid()} {idx_file.filename}\n")
        time.sleep(0.1)  # widen the window in which the others wait on the lock
        return real_obtain(dataset, idx_file, *args, **kwargs)

    monkeypatch.setattr(store, "obtain", logged_slow_obtain)  # inherited by the forked children
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(N_PROCESSES), context.Queue()
    workers = [context.Process(target=_load_and_digest,
                               args=(barrier, tmp_path / "source", tmp_path / "cache", results))
               for _ in range(N_PROCESSES)]
    for worker in workers:
        worker.start()
    digests = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert len(set(digests)) == 1
    decodes = log.read_text().splitlines()
    assert sorted(line.split()[1] for line in decodes) == sorted(tiny["mnist"].raw)  # each file once
    assert len({line.split()[0] for line in decodes}) == 1  # all by the process that got the lock
    leftovers = cache_files(tmp_path / "cache" / "mnist")
    assert not [name for name in leftovers if name.startswith(".tmp-")]
    assert sum(name.endswith(".npy") for name in leftovers) == 4
