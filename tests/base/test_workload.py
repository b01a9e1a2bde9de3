import pytest

from nnbench.spec import resolve_spec
from nnbench.workload import evaluation_count, run_workload, training_pass_flop, weight_count

BOOK = {"dataset": "mnist", "hidden_sizes": [100, 100, 100, 100], "batch_size": 128, "iterations": 2000,
        "eval_every": 100, "eval_samples": 2000, "diagnostics": []}


def test_weight_count_of_the_book_network():
    assert weight_count(784, [100, 100, 100, 100]) == 784 * 100 + 3 * 100 * 100 + 100 * 10


def test_book_run_counts_updates_evaluations_and_the_final_full_pass():
    spec = resolve_spec(BOOK)
    work = run_workload(spec)
    weights = weight_count(784, [100] * 4)
    assert work.train_samples == 2000 * 128
    # forward 2W, weight gradients 2W, input gradients 2W but the first layer's (never computed)
    assert work.train_flop == (6 * weights - 2 * 784 * 100) * 2000 * 128
    evaluations = 21  # step 0, 100, ..., 1900, and 2000
    assert evaluation_count(spec, 2000, 60000) == evaluations
    assert work.evaluated_samples == evaluations * (2000 + 2000) + 70000
    assert work.eval_flop == 2 * weights * work.evaluated_samples


def test_epoch_budget_counts_full_batches_and_diagnostics_add_work():
    spec = resolve_spec({"dataset": "mnist", "n_train": 1000, "batch_size": 100, "epochs": 20,
                         "eval_every": 1, "diagnostics": []})
    assert run_workload(spec).train_samples == 20 * 10 * 100
    with_diagnostics = resolve_spec({**spec, "diagnostics": ["grad_norms", "activations"]})
    assert run_workload(with_diagnostics).eval_flop > run_workload(spec).eval_flop


def test_data_free_kinds():
    assert run_workload(resolve_spec({"kind": "optimizer_path"})).flop == 0
    histogram = run_workload(resolve_spec({"kind": "activation_histogram"}))
    assert histogram.flop == pytest.approx((6 * weight_count(100, [100] * 5) - 2 * 100 * 100) * 1000)
    assert training_pass_flop(784, []) == 6 * 7840 - 2 * 7840  # a softmax regression: no input gradient at all


def test_no_second_final_pass_when_the_curve_already_covers_the_full_splits():
    covering = resolve_spec({"dataset": "digits", "iterations": 100, "eval_every": 50, "eval_samples": 5000,
                             "batch_size": 10, "diagnostics": []})
    full = resolve_spec({**covering, "eval_samples": None})
    assert run_workload(covering) == run_workload(full)
    assert run_workload(covering).evaluated_samples == 3 * (1437 + 360)


def test_memory_estimate_counts_the_data_and_what_changes_it():
    from nnbench.workload import PROCESS_MB, peak_memory_mb

    book = resolve_spec(BOOK)
    pixels = 70000 * 784
    # the process and MNIST's uint8 pixels are the bulk: no float copy of a split (the
    # run reads them as PixelRows), so a float64 run holds no more data than a float32 one
    assert peak_memory_mb(book) >= PROCESS_MB + pixels / 1e6
    assert peak_memory_mb(book) < PROCESS_MB + pixels / 1e6 + 100
    float64 = peak_memory_mb(resolve_spec({**BOOK, "dtype": "float64"})) - peak_memory_mb(book)
    assert 0 < float64 < 50  # its buffers only
    # carving out a validation split copies the kept rows' pixels apart
    assert peak_memory_mb(resolve_spec({**BOOK, "validation": 10000})) - peak_memory_mb(book) >= 0.999 * 60000 * 784 / 1e6
    assert peak_memory_mb(resolve_spec({**BOOK, "hidden_sizes": [2000] * 4})) > peak_memory_mb(book) + 100
    # the whole pixel file counts, whatever n_train (a load that cannot map the cache decodes it whole)
    assert peak_memory_mb(resolve_spec({**BOOK, "n_train": 1000})) == peak_memory_mb(book)
    digits = resolve_spec({**BOOK, "dataset": "digits"})
    assert PROCESS_MB < peak_memory_mb(digits) < PROCESS_MB + 20
    assert peak_memory_mb(resolve_spec({"kind": "optimizer_path"})) == PROCESS_MB


def test_memory_request_is_the_largest_estimate_with_margin_in_steps_of_100():
    from nnbench.workload import MEMORY_MARGIN, MEMORY_MINIMUM_MB, memory_request_mb, peak_memory_mb

    small = resolve_spec({**BOOK, "dataset": "digits"})
    wide = resolve_spec({**BOOK, "hidden_sizes": [4000] * 4})
    assert memory_request_mb([small]) == MEMORY_MINIMUM_MB
    request = memory_request_mb([small, wide, resolve_spec(BOOK)])
    assert request % 100 == 0
    assert MEMORY_MARGIN * peak_memory_mb(wide) <= request < MEMORY_MARGIN * peak_memory_mb(wide) + 100
    assert memory_request_mb([]) == MEMORY_MINIMUM_MB


def test_a_measured_run_stays_within_its_estimate(tmp_path):
    """The estimate against a real process: a digits run, trained by ``nnbench run`` in a
    fresh process, peaks (ru_maxrss) below the estimate (the process base dominates)."""
    import json
    import subprocess
    import sys

    from nnbench.records import spec_file_text
    from nnbench.workload import peak_memory_mb

    spec = resolve_spec({**BOOK, "dataset": "digits", "iterations": 20, "eval_every": 10, "eval_samples": None,
                         "diagnostics": ["loss_after_update"]})
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(spec_file_text(spec))
    script = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")  # KiB on Linux
    result = subprocess.run([sys.executable, "-c", script, sys.executable, "-m", "nnbench", "run", str(spec_file),
                             "--out-dir", str(tmp_path / "run"), "--quiet"], capture_output=True, text=True, check=True)
    peak_mb = int(result.stdout.split()[-1]) * 1024 / 1e6
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["status"] == "ok"
    print(f"digits run: peak {peak_mb:.0f} MB, estimate {peak_memory_mb(spec):.0f} MB")
    assert 20 < peak_mb <= peak_memory_mb(spec), (peak_mb, peak_memory_mb(spec))


def test_the_workloads_copies_of_dataset_and_run_kind_facts_equal_their_sources():
    """workload is a base module (the floor and the group packing read it without the core
    or the data layer), so it keeps copies of these facts; here they are tied to their homes."""
    from nnbench import workload
    from nnbench.data import registry
    from nnbench.runkinds import activation_histogram, train
    from nnbench.vocabulary import INPUT_SIZES

    for name, remote in registry.REGISTRY.items():
        n_train, n_test = (remote.file(split, "images").dims[0] for split in ("train", "test"))
        assert workload.DATASET_SIZES[name] == (n_train, n_test), name
        assert len(remote.classes) == workload.N_CLASSES
        assert INPUT_SIZES[name] == remote.file("train", "images").dims[1] * remote.file("train", "images").dims[2]
    assert workload.DATASET_SIZES["digits"] == (registry.DIGITS_TRAIN_SIZE, registry.DIGITS_TEST_SIZE)
    assert set(workload.DATASET_SIZES) == set(registry.DATASETS)
    assert activation_histogram.N_CLASSES == workload.N_CLASSES
    assert workload.DIAGNOSTIC_SAMPLES == train.DIAGNOSTIC_SAMPLES
    assert workload.MINIBATCH_SPREAD_DRAWS == train.MINIBATCH_SPREAD_DRAWS
    assert workload.MINIBATCH_SPREAD_MAX_SIZE == train.MINIBATCH_SPREAD_MAX_SIZE


def test_one_home_for_the_default_kind_the_tune_metric_and_batchnorms_eps():
    from nnbench import vocabulary
    from nnbench.config import load_schema
    from nnbench.core import DEFAULT_BATCHNORM_EPS
    from nnbench.core.layers import BatchNorm
    from nnbench.runkinds import RUN_KINDS

    assert next(iter(RUN_KINDS)) == vocabulary.DEFAULT_KIND == RUN_KINDS[vocabulary.DEFAULT_KIND].defaults["kind"]
    assert RUN_KINDS["train"].defaults["batchnorm_eps"] == DEFAULT_BATCHNORM_EPS
    assert BatchNorm.__init__.__defaults__[-1] == DEFAULT_BATCHNORM_EPS

    def defaults_of(node, key):  # the schema's defaults of a property named key (a YAML file cannot import)
        if isinstance(node, dict):
            found = [node[key]["default"]] if isinstance(node.get(key), dict) and "default" in node[key] else []
            return found + [d for value in node.values() for d in defaults_of(value, key)]
        return [d for value in node for d in defaults_of(value, key)] if isinstance(node, list) else []

    assert defaults_of(load_schema(), "metric") == [vocabulary.DEFAULT_TUNE_METRIC]


def test_aggregates_run_columns_are_the_vocabularys():
    from nnbench.aggregate import run_columns
    from nnbench.records import RunRecord
    from nnbench.vocabulary import RUN_COLUMNS

    from pathlib import Path

    record = RunRecord(path=Path("r"), run_id="0" * 12, summary={},
                       spec={"kind": "train", "hidden_sizes": [5, 5], "optimizer": {"name": "sgd"}})
    assert tuple(run_columns("s", record)) == RUN_COLUMNS
