"""Aggregation of run records into a study's tidy tables, and the tuned choice."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest
from workflow_testing import write_record

from nnbench.aggregate import RecordError, aggregate_study, choose_best, read_record, run_columns, status_line
from nnbench.choice import TunedChoice
from nnbench.errors import NnbenchError
from nnbench.vocabulary import RUN_COLUMNS

TRAIN_SPEC = {"kind": "train", "dataset": "digits", "seed": 0, "optimizer": {"name": "adam", "lr": 0.001, "beta1": 0.9},
              "init": "he", "activation": "relu", "batchnorm": False, "dropout": 0.0, "weight_decay": 1e-4,
              "batch_size": 32, "hidden_sizes": [50, 20, 20], "n_train": None}
SUMMARY = {"status": "ok", "iterations": 10, "final_test_acc": 0.5, "final_train_loss": 0.123456789012345678,
           "threads": 1,
           # the shape of nnbench.provenance.code_identity()
           "code": {"nnbench": "0.1.0", "commit": "0123456789abcdef0123456789abcdef01234567",
                    "commit_date": "2026-12-01T10:00:00+00:00", "dirty": False, "lock_sha256": "ab12" * 16,
                    "numerics_fingerprint": "0" * 64,
                    "versions": {"python": "3.11.7", "numpy": "2.4.6", "scikit-learn": None,
                                 "blas": [{"internal_api": "openblas", "version": "0.3.31", "architecture": "Haswell"}]},
                    "platform": {"system": "Linux", "machine": "x86_64", "platform": "Linux-6.1-x86_64", "libc": "glibc 2.36"}}}


def test_tables_have_the_run_columns_then_the_records_values(tmp_path):
    curves = [(0, 0.0, "minibatch", "loss", "", 2.302585092994046), (5, 0.1111111111111111, "train", "grad_norm", 2, 1e-17),
              (10, 0.2222222222222222, "test", "accuracy", "", 0.5)]
    first = write_record(tmp_path / "runs" / "aaaaaaaaaaaa", TRAIN_SPEC, SUMMARY, curves)
    second = write_record(tmp_path / "runs" / "bbbbbbbbbbbb", {**TRAIN_SPEC, "seed": 1, "init": 0.01},
                          {**SUMMARY, "status": "diverged", "final_test_acc": None, "extra_count": 3}, curves[:1])
    written = aggregate_study("optimizers", [first, second / "summary.json"], tmp_path / "out")
    assert sorted(path.name for path in written) == ["curves.csv", "runs.csv"]

    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    assert list(runs.columns[:len(RUN_COLUMNS)]) == list(RUN_COLUMNS)
    assert list(runs.columns[len(RUN_COLUMNS):]) == [
        "status", "commit", "commit_date", "dirty", "lock_sha256", "numerics_fingerprint", "versions_nnbench",
        "versions_python", "versions_numpy", "blas", "platform",  # an unknown version (None) is left out
        "iterations", "final_test_acc", "final_train_loss", "threads", "extra_count"]
    # the code each run used reaches the report's provenance and citation
    assert list(runs["blas"]) == ["openblas 0.3.31 (Haswell)"] * 2
    assert list(runs["versions_numpy"]) == ["2.4.6"] * 2
    assert list(runs["commit"]) == [SUMMARY["code"]["commit"]] * 2 and list(runs["dirty"]) == [False] * 2
    assert list(runs["lock_sha256"]) == ["ab12" * 16] * 2 and list(runs["platform"]) == ["Linux-6.1-x86_64"] * 2
    row = runs.iloc[0]
    assert (row["study"], row["run_id"], row["optimizer"], row["lr"], row["width"], row["depth"]) == \
        ("optimizers", "aaaaaaaaaaaa", "adam", 0.001, 50, 3)
    assert row["weight_decay"] == 1e-4 and row["final_train_loss"] == SUMMARY["final_train_loss"]  # exact
    assert list(runs["status"]) == ["ok", "diverged"]
    assert list(runs["init"].astype(str)) == ["he", "0.01"]
    assert pd.isna(runs.loc[1, "final_test_acc"]) and pd.isna(runs.loc[0, "extra_count"])

    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    table = pd.read_csv(tmp_path / "out" / "curves.csv", **exact)
    assert list(table.columns) == list(RUN_COLUMNS) + ["step", "epoch", "split", "metric", "layer", "value"]
    assert len(table) == 4 and list(table["run_id"]) == ["aaaaaaaaaaaa"] * 3 + ["bbbbbbbbbbbb"]
    assert table.loc[1, "value"] == 1e-17 and table.loc[1, "layer"] == 2 and pd.isna(table.loc[0, "layer"])
    assert table.loc[1, "epoch"] == 0.1111111111111111


def test_same_records_give_byte_identical_tables_and_duplicates_count_once(tmp_path):
    record = write_record(tmp_path / "runs" / "aaaaaaaaaaaa", TRAIN_SPEC, SUMMARY)
    aggregate_study("s", [record], tmp_path / "one")
    aggregate_study("s", [record, record / "summary.json"], tmp_path / "two")
    for name in ("runs.csv", "curves.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert not [path for path in (tmp_path / "two").iterdir() if path.name.endswith(".tmp")]
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "two" / "runs.csv").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_extra_tables_are_gathered_and_their_own_columns_win(tmp_path):
    spread = (["step", "batch_size", "draws", "mean_loss", "std_loss", "full_loss"],
              [(0, 1, 100, 2.3, 0.5, 2.31), (0, 2, 100, 2.3, 0.3, 2.31)])
    histogram = (["layer", "bin_left", "bin_right", "count"], [(1, 0.0, 0.5, 7)])
    one = write_record(tmp_path / "runs" / "aaaaaaaaaaaa", TRAIN_SPEC, SUMMARY, extra={"minibatch_spread.csv": spread})
    two = write_record(tmp_path / "runs" / "bbbbbbbbbbbb", {"kind": "activation_histogram", "activation": "tanh",
                                                           "init": "xavier", "hidden_sizes": [100] * 5, "seed": 3},
                       {"status": "ok"}, extra={"histograms.csv": histogram})
    written = aggregate_study("mixed", [one, two], tmp_path / "out")
    assert sorted(path.name for path in written) == ["curves.csv", "histograms.csv", "minibatch_spread.csv", "runs.csv"]
    table = pd.read_csv(tmp_path / "out" / "minibatch_spread.csv")
    assert list(table["batch_size"]) == [1, 2]  # the sampled minibatch size, not the run's training batch size
    assert list(table.columns[:2]) == ["study", "run_id"] and "mean_loss" in table.columns
    histograms = pd.read_csv(tmp_path / "out" / "histograms.csv")
    assert histograms.loc[0, "activation"] == "tanh" and histograms.loc[0, "depth"] == 5
    assert histograms.loc[0, "count"] == 7 and pd.isna(histograms.loc[0, "dataset"])


def test_incomplete_record_fails_before_writing(tmp_path):
    good = write_record(tmp_path / "runs" / "aaaaaaaaaaaa", TRAIN_SPEC, SUMMARY)
    broken = write_record(tmp_path / "runs" / "bbbbbbbbbbbb", TRAIN_SPEC, SUMMARY)
    (broken / "summary.json").unlink()
    with pytest.raises(RecordError, match="bbbbbbbbbbbb.*no summary.json"):
        aggregate_study("s", [good, broken], tmp_path / "out")
    assert not (tmp_path / "out" / "runs.csv").exists()


def sweep(tmp_path, scores):
    """Sweep records: (optimizer, lr, seed) -> (status, final_validation_acc)."""
    folders = []
    for index, ((name, lr, seed), (status, accuracy)) in enumerate(scores.items()):
        spec = {**TRAIN_SPEC, "optimizer": {"name": name, "lr": lr}, "seed": seed, "validation": 100}
        folders.append(write_record(tmp_path / "runs" / f"{index:012x}", spec,
                                    {"status": status, "final_validation_acc": accuracy}))
    return folders


def test_choose_best_takes_the_best_mean_over_seeds_per_group(tmp_path):
    folders = sweep(tmp_path, {
        ("sgd", 0.01, 0): ("ok", 0.80), ("sgd", 0.01, 1): ("ok", 0.80),
        ("sgd", 0.1, 0): ("ok", 0.95), ("sgd", 0.1, 1): ("ok", 0.75),   # mean 0.85: best for sgd
        ("adam", 0.01, 0): ("ok", 0.99), ("adam", 0.01, 1): ("diverged", None),  # a diverged seed loses
        ("adam", 0.001, 0): ("ok", 0.90), ("adam", 0.001, 1): ("ok", 0.90),
    })
    choice = choose_best(folders, "optimizer.lr", metric="final_validation_acc", goal="max")
    assert choice.group_keys == ["optimizer.name"]
    chosen = {item.group["optimizer.name"]: (item.value, item.seeds) for item in choice.choices}
    assert chosen == {"sgd": (0.1, 2), "adam": (0.001, 2)}
    assert choice.values_by("optimizer.name") == {"sgd": 0.1, "adam": 0.001}
    assert TunedChoice.from_json(json.loads(json.dumps(choice.to_json(), allow_nan=False))) == choice


def test_choose_best_breaks_ties_towards_the_smaller_value_and_can_minimise(tmp_path):
    folders = sweep(tmp_path, {("sgd", 0.1, 0): ("ok", 0.5), ("sgd", 0.01, 0): ("ok", 0.5), ("sgd", 1.0, 0): ("ok", 0.2)})
    assert choose_best(folders, "optimizer.lr").choices[0].value == 0.01
    assert choose_best(folders, "optimizer.lr", metric="final_validation_acc", goal="min").choices[0].value == 1.0


def test_choose_best_names_a_bad_goal_or_key(tmp_path):
    folders = sweep(tmp_path, {("sgd", 0.1, 0): ("ok", 0.5)})
    with pytest.raises(NnbenchError, match=r"unknown goal 'maximum' \(did you mean 'max'\?\)"):
        choose_best(folders, "optimizer.lr", goal="maximum")
    with pytest.raises(NnbenchError, match=r"unknown spec key 'optimizer.rl' \(did you mean 'optimizer.lr'\?\)"):
        choose_best(folders, "optimizer.rl")


def test_status_line_counts_ok_diverged_and_missing_runs(tmp_path):
    ok = write_record(tmp_path / "runs" / "aaaaaaaaaaaa", TRAIN_SPEC, SUMMARY)
    diverged = write_record(tmp_path / "runs" / "bbbbbbbbbbbb", TRAIN_SPEC, {**SUMMARY, "status": "diverged"})
    missing = tmp_path / "runs" / "cccccccccccc"
    report = tmp_path / "reports" / "report.html"
    assert status_line([ok, diverged, missing], report) == \
        "nnbench: 1 runs ok, 1 diverged, 1 not run yet; no report yet"
    report.parent.mkdir()
    report.write_text("<html></html>")
    assert status_line([ok / "summary.json", diverged], report) == f"nnbench: 1 runs ok, 1 diverged; report: {report}"


def test_run_columns_are_the_vocabularys(tmp_path):
    record = read_record(write_record(tmp_path / "runs" / "aaaaaaaaaaaa", TRAIN_SPEC, SUMMARY))
    assert tuple(run_columns("s", record)) == RUN_COLUMNS
