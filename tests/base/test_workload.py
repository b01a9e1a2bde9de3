import pytest

from nnbench.spec import resolve_spec
from nnbench.workload import evaluation_count, run_workload, weight_count

BOOK = {"dataset": "mnist", "hidden_sizes": [100, 100, 100, 100], "batch_size": 128, "iterations": 2000,
        "eval_every": 100, "eval_samples": 2000, "diagnostics": []}


def test_weight_count_of_the_book_network():
    assert weight_count(784, [100, 100, 100, 100]) == 784 * 100 + 3 * 100 * 100 + 100 * 10


def test_book_run_counts_updates_evaluations_and_the_final_full_pass():
    spec = resolve_spec(BOOK)
    work = run_workload(spec)
    weights = weight_count(784, [100] * 4)
    assert work.train_samples == 2000 * 128
    assert work.train_flop == 6 * weights * 2000 * 128
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
    assert histogram.flop == pytest.approx(6 * weight_count(100, [100] * 5) * 1000)


def test_no_second_final_pass_when_the_curve_already_covers_the_full_splits():
    covering = resolve_spec({"dataset": "digits", "iterations": 100, "eval_every": 50, "eval_samples": 5000,
                             "batch_size": 10, "diagnostics": []})
    full = resolve_spec({**covering, "eval_samples": None})
    assert run_workload(covering) == run_workload(full)
    assert run_workload(covering).evaluated_samples == 3 * (1437 + 360)
