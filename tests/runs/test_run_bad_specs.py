"""Every bad spec is rejected through the CLI: one line naming key and value, exit 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nnbench.cli import main

DIGITS = {"dataset": "digits", "iterations": 5}

# (id, spec, substrings the one-line message must contain)
BAD_SPECS = [
    ("misspelled key", {**DIGITS, "batchsize": 10}, ["'batchsize'", "did you mean 'batch_size'"]),
    ("learning_rate key", {**DIGITS, "learning_rate": 0.1}, ["'learning_rate'", "optimizer"]),
    ("unknown optimizer", {**DIGITS, "optimizer": {"name": "adamw"}}, ["'adamw'", "adam", "sgd"]),
    ("unknown optimizer string", {**DIGITS, "optimizer": "rmsprob"}, ["'rmsprob'", "did you mean 'rmsprop'"]),
    ("unknown hyperparameter", {**DIGITS, "optimizer": {"name": "sgd", "momentum": 0.9}},
     ["'momentum'", "sgd", "allowed: lr"]),
    ("unknown init", {**DIGITS, "init": "kaiming"}, ["'init'", "'kaiming'", "he", "xavier"]),
    ("zero init std", {**DIGITS, "init": 0}, ["'init'", "0", "> 0"]),
    ("unknown activation", {**DIGITS, "activation": "rellu"}, ["'activation'", "'rellu'", "did you mean 'relu'"]),
    ("unknown dataset", {"dataset": "cifar10"}, ["'dataset'", "'cifar10'", "mnist", "digits"]),
    ("missing dataset", {"iterations": 5}, ["'dataset'", "required"]),
    ("unknown kind", {"kind": "optimiser_path"}, ["'kind'", "did you mean 'optimizer_path'"]),
    ("unknown diagnostic", {**DIGITS, "diagnostics": ["grad_norm"]}, ["'diagnostics'", "'grad_norm'", "grad_norms"]),
    ("negative lr", {**DIGITS, "optimizer": {"name": "sgd", "lr": -0.1}}, ["'optimizer.lr'", "-0.1", "> 0"]),
    ("non-numeric lr", {**DIGITS, "optimizer": {"name": "sgd", "lr": "fast"}}, ["'optimizer.lr'", "'fast'", "number"]),
    ("momentum of 1", {**DIGITS, "optimizer": {"name": "momentum", "momentum": 1.0}}, ["'optimizer.momentum'", "1.0"]),
    ("negative weight decay", {**DIGITS, "weight_decay": -0.01}, ["'weight_decay'", "-0.01", ">= 0"]),
    ("dropout of 1", {**DIGITS, "dropout": 1.0}, ["'dropout'", "1.0", "[0, 1)"]),
    ("zero batchnorm eps", {**DIGITS, "batchnorm": True, "batchnorm_eps": 0}, ["'batchnorm_eps'", "0", "> 0"]),
    ("text batchnorm eps", {**DIGITS, "batchnorm_eps": "small"}, ["'batchnorm_eps'", "'small'", "number"]),
    ("negative dropout", {**DIGITS, "dropout": -0.1}, ["'dropout'", "-0.1"]),
    ("empty hidden sizes", {**DIGITS, "hidden_sizes": []}, ["'hidden_sizes'", "[]", "non-empty"]),
    ("zero layer size", {**DIGITS, "hidden_sizes": [100, 0]}, ["'hidden_sizes[1]'", "0", ">= 1"]),
    ("negative layer size", {**DIGITS, "hidden_sizes": [-5]}, ["'hidden_sizes[0]'", "-5"]),
    ("fractional layer size", {**DIGITS, "hidden_sizes": [10.5]}, ["'hidden_sizes[0]'", "10.5", "whole"]),
    ("both budgets", {**DIGITS, "epochs": 3}, ["'epochs'", "'iterations'", "one budget"]),
    ("zero batch size", {**DIGITS, "batch_size": 0}, ["'batch_size'", "0", ">= 1"]),
    ("negative seed", {**DIGITS, "seed": -1}, ["'seed'", "-1"]),
    ("unknown dtype", {**DIGITS, "dtype": "float16"}, ["'dtype'", "'float16'", "float32"]),
    ("boolean as number", {**DIGITS, "batch_size": True}, ["'batch_size'", "True", "number"]),
    ("validation too large", {**DIGITS, "n_train": 100, "validation": 100}, ["'validation'", "100", "n_train"]),
    ("init_value without constant", {**DIGITS, "init_value": 0.5}, ["'init_value'", "0.5", "constant"]),
    ("key of another kind", {"kind": "optimizer_path", "dataset": "digits"},
     ["'dataset'", "does not apply", "optimizer_path"]),
    ("bad start point", {"kind": "optimizer_path", "start": [1, 2, 3]}, ["'start'", "[1, 2, 3]", "[x, y]"]),
    ("histogram bins", {"kind": "activation_histogram", "bins": 0}, ["'bins'", "0", ">= 1"]),
]


def _run_cli(tmp_path, capsys, spec_text: str, name: str = "spec.yaml"):
    spec_path = tmp_path / name
    spec_path.write_text(spec_text)
    out = tmp_path / "results" / "run"
    code = main(["run", str(spec_path), "--out-dir", str(out), "--quiet"])
    captured = capsys.readouterr()
    return code, captured, out


def _assert_rejected(code, captured, out, needles):
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("nnbench: error: ")
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    assert captured.out == ""
    # nothing written: neither the record nor a temporary sibling nor its parent
    assert not out.parent.exists()


@pytest.mark.parametrize("spec, needles", [case[1:] for case in BAD_SPECS], ids=[case[0] for case in BAD_SPECS])
def test_bad_spec_is_rejected_before_anything_is_written(tmp_path, capsys, spec, needles):
    code, captured, out = _run_cli(tmp_path, capsys, json.dumps(spec), name="spec.json")
    _assert_rejected(code, captured, out, needles)


@pytest.mark.parametrize("text, needles", [
    ("dataset: digits\nhidden_sizes: [10\n", ["not valid YAML"]),
    ("- dataset: digits\n", ["list", "not a mapping"]),
    ("", ["empty"]),
], ids=["yaml syntax", "not a mapping", "empty file"])
def test_bad_spec_file_is_rejected(tmp_path, capsys, text, needles):
    code, captured, out = _run_cli(tmp_path, capsys, text)
    _assert_rejected(code, captured, out, needles)


@pytest.mark.parametrize("spec, needles", [
    ({"dataset": "digits", "n_train": 5000}, ["n_train", "5000", "1437"]),
    ({"dataset": "digits", "n_train": 50, "batch_size": 64}, ["'batch_size'", "64", "50 samples"]),
], ids=["n_train beyond the dataset", "batch larger than the training set"])
def test_spec_that_does_not_fit_the_data_writes_nothing(tmp_path, capsys, spec, needles):
    code, captured, out = _run_cli(tmp_path, capsys, json.dumps(spec), name="spec.json")
    _assert_rejected(code, captured, out, needles)


def test_missing_spec_file(tmp_path, capsys):
    out = tmp_path / "results" / "run"
    code = main(["run", str(tmp_path / "nope.yaml"), "--out-dir", str(out)])
    _assert_rejected(code, capsys.readouterr(), out, ["nope.yaml", "not found"])


def test_out_that_is_not_a_record_is_never_replaced(tmp_path, capsys):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text("kind: optimizer_path\niterations: 2\n")
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    code = main(["run", str(spec_path), "--out-dir", str(precious), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2
    assert "thesis.tex" in captured.err and "refusing" in captured.err
    assert (precious / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "spec.yaml"]


@pytest.mark.parametrize("out", [".", ".."])
def test_out_that_is_the_current_folder_or_above_is_refused(tmp_path, capsys, monkeypatch, out):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text("kind: optimizer_path\niterations: 2\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)  # even an empty current folder is never replaced
    code = main(["run", str(spec_path), "--out-dir", out, "--quiet"])
    captured = capsys.readouterr()
    assert code == 2 and "current folder" in captured.err
    assert empty.is_dir() and not list(empty.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "spec.yaml"]


def test_bad_spec_through_the_real_command_line(tmp_path):
    """The installed entry point: exit 2, one line on stderr, no traceback, no folder."""
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text("dataset: digits\nlearning_rate: 1e-4\n")
    out = tmp_path / "out"
    completed = subprocess.run([sys.executable, "-m", "nnbench", "run", str(spec_path), "--out-dir", str(out)],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert "'learning_rate'" in completed.stderr
    assert not out.exists()


def test_out_below_a_file_is_rejected_before_the_run(tmp_path, capsys):
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text("kind: optimizer_path\n")
    (tmp_path / "afile").write_text("")
    code = main(["run", str(spec_path), "--out-dir", str(tmp_path / "afile" / "run"), "--quiet"])
    captured = capsys.readouterr()
    assert code == 2
    assert "afile" in captured.err and "is a file" in captured.err
