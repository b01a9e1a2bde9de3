"""Running specs: the record, determinism, divergence, the atomic folder, the data-free kinds."""

from __future__ import annotations

import csv
import io
import json
import math
import os

import pytest

import nnbench
from nnbench import provenance
from nnbench.cli import main
from nnbench.runs import run
from nnbench.vocabulary import CURVES_COLUMNS
from nnbench.spec import resolve_spec, run_id


def _curves(folder):
    return list(csv.DictReader(io.StringIO((folder / "curves.csv").read_text())))


def _values(rows, split, metric, layer=""):
    return [float(row["value"]) for row in rows if row["split"] == split and row["metric"] == metric
            and row["layer"] == str(layer)]


def test_record_has_the_documented_files_and_columns(tmp_path, tiny_spec):
    out = tmp_path / "runs" / "one"
    summary = run(tiny_spec, out=out)
    assert sorted(p.name for p in out.iterdir()) == ["curves.csv", "spec.json", "summary.json"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["one"]  # no temporary sibling left
    spec = json.loads((out / "spec.json").read_text())
    assert spec["run_id"] == summary["run_id"] == run_id(resolve_spec(tiny_spec))
    assert json.loads((out / "summary.json").read_text()) == summary
    header = (out / "curves.csv").read_text().splitlines()[0]
    assert header == ",".join(CURVES_COLUMNS)
    rows = _curves(out)
    # one minibatch loss per update; train and test metrics at steps 0, 10, 20, 30
    assert len(_values(rows, "minibatch", "loss")) == 30
    eval_steps = sorted({int(row["step"]) for row in rows if row["split"] == "test"})
    assert eval_steps == [0, 10, 20, 30]
    # the default diagnostics, per hidden layer (grad_norm per affine layer: 2 hidden + output)
    assert len(_values(rows, "train", "activation_mean", 1)) == 4
    assert {row["layer"] for row in rows if row["metric"] == "grad_norm"} == {"1", "2", "3"}
    assert {row["layer"] for row in rows if row["metric"] == "dead_fraction"} == {"1", "2"}
    # rows sorted by step, then split, metric, layer
    keys = [(int(r["step"]), r["split"], r["metric"], int(r["layer"]) if r["layer"] else -1) for r in rows]
    assert keys == sorted(keys)
    assert float(rows[-1]["epoch"]) == pytest.approx(30 * 20 / 200)
    for key in ("status", "iterations", "epochs", "wall_seconds", "train_seconds", "samples_per_second",
                "final_train_loss", "final_train_acc", "final_test_loss", "final_test_acc", "best_test_acc",
                "final_minibatch_loss", "code", "threads"):
        assert key in summary, key
    # the code that made it: version, commit and dirty flag (None outside a checkout), lock, BLAS
    assert summary["code"] == provenance.code_identity()
    assert {"nnbench", "commit", "commit_date", "dirty", "lock_sha256", "numerics_fingerprint", "versions",
            "platform"} <= set(summary["code"])
    assert summary["status"] == "ok" and summary["iterations"] == 30 and summary["threads"] == 1
    assert summary["final_test_acc"] == _values(rows, "test", "accuracy")[-1]


def test_same_spec_gives_byte_identical_curves(tmp_path, tiny_spec):
    spec = {**tiny_spec, "dropout": 0.1, "batchnorm": True, "diagnostics": ["grad_norms", "activations",
                                                                             "dead_units", "distinct_units",
                                                                             "minibatch_spread"]}
    run(spec, out=tmp_path / "a")
    run(spec, out=tmp_path / "b")
    for name in ("curves.csv", "spec.json", "minibatch_spread.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_different_seeds_differ(tmp_path, tiny_spec):
    run(tiny_spec, out=tmp_path / "seed0")
    summary = run({**tiny_spec, "seed": 1}, out=tmp_path / "seed1")
    assert summary["run_id"] != json.loads((tmp_path / "seed0" / "spec.json").read_text())["run_id"]
    assert (_values(_curves(tmp_path / "seed0"), "minibatch", "loss")
            != _values(_curves(tmp_path / "seed1"), "minibatch", "loss"))


def test_diagnostics_do_not_change_the_training_curve(tmp_path, tiny_spec):
    """Measuring (a training-mode pass for gradient norms) must not draw from the run's streams."""
    spec = {**tiny_spec, "dropout": 0.2, "batchnorm": True}
    run({**spec, "diagnostics": []}, out=tmp_path / "without")
    run({**spec, "diagnostics": ["grad_norms", "minibatch_spread"]}, out=tmp_path / "with")
    assert (_values(_curves(tmp_path / "without"), "minibatch", "loss")
            == _values(_curves(tmp_path / "with"), "minibatch", "loss"))
    assert (_values(_curves(tmp_path / "without"), "test", "accuracy")
            == _values(_curves(tmp_path / "with"), "test", "accuracy"))


def test_divergence_is_a_result_not_a_crash(tmp_path, tiny_spec, capsys):
    spec_path = tmp_path / "spec.json"
    # the stable softmax cross-entropy survives lr 1e6 on this net; 1e10 overflows in two steps
    spec_path.write_text(json.dumps({**tiny_spec, "optimizer": {"name": "sgd", "lr": 1e10}}))
    out = tmp_path / "diverged"
    assert main(["run", str(spec_path), "--out-dir", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""  # no overflow warnings: divergence is a result
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "diverged"
    assert summary["iterations"] < 30
    losses = _values(_curves(out), "minibatch", "loss")
    assert len(losses) >= 1 and not math.isfinite(losses[-1])


def test_a_failing_run_leaves_no_folder(tmp_path, tiny_spec, monkeypatch):
    import nnbench.records

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(nnbench.records, "csv_text", broken)  # fails after the temp folder exists
    out = tmp_path / "runs" / "x"
    with pytest.raises(RuntimeError, match="disk full"):
        run(tiny_spec, out=out)
    assert list(out.parent.iterdir()) == []


def test_an_existing_record_is_replaced_whole(tmp_path, tiny_spec):
    out = tmp_path / "record"
    run({**tiny_spec, "diagnostics": ["minibatch_spread"]}, out=out)
    assert (out / "minibatch_spread.csv").exists()
    summary = run({**tiny_spec, "seed": 5}, out=out)
    assert json.loads((out / "summary.json").read_text())["run_id"] == summary["run_id"]
    assert not (out / "minibatch_spread.csv").exists()  # nothing of the old record survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record"]


def test_digits_reaches_a_sensible_accuracy(tmp_path):
    spec = {"dataset": "digits", "hidden_sizes": [64, 64], "optimizer": {"name": "adam", "lr": 0.003},
            "batch_size": 32, "epochs": 15, "eval_every": 5, "diagnostics": []}
    summary = nnbench.run(spec, out=tmp_path / "digits")
    assert summary["status"] == "ok"
    assert summary["final_test_acc"] > 0.85
    assert summary["best_test_acc"] >= summary["final_test_acc"] - 1e-12
    assert summary["epochs"] == pytest.approx(15, rel=0.05)


def test_validation_split_and_eval_samples(tmp_path, tiny_spec):
    summary = run({**tiny_spec, "validation": 50, "eval_samples": 40}, out=tmp_path / "v")
    rows = _curves(tmp_path / "v")
    assert len(_values(rows, "validation", "accuracy")) == 4
    assert summary["n_train_samples"] == 150
    def multiple_of(value, n):
        return abs(value * n - round(value * n)) < 1e-9

    # every evaluation of the curves uses the same 40 samples (accuracy a multiple of 1/40),
    # so no curve jumps at its last point; the summary's final metrics use the full splits
    for split in ("test", "validation"):
        assert all(multiple_of(value, 40) for value in _values(rows, split, "accuracy"))
    assert multiple_of(summary["final_validation_acc"], 50)
    assert multiple_of(summary["final_test_acc"], summary["n_test_samples"])
    assert summary["best_validation_acc"] == max(_values(rows, "validation", "accuracy"))


def test_minibatch_spread_table(tmp_path, tiny_spec):
    run({**tiny_spec, "diagnostics": ["minibatch_spread"]}, out=tmp_path / "m")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "m" / "minibatch_spread.csv").read_text())))
    assert list(rows[0]) == ["step", "batch_size", "draws", "mean_loss", "std_loss", "full_loss"]
    assert sorted({int(row["step"]) for row in rows}) == [0, 30]
    # sizes 1..128 (n_train 200); the spread shrinks as the minibatch grows
    initial = [row for row in rows if row["step"] == "0"]
    assert [int(row["batch_size"]) for row in initial] == [1, 2, 4, 8, 16, 32, 64, 128]
    assert float(initial[-1]["std_loss"]) < float(initial[0]["std_loss"])


def test_optimizer_path(tmp_path):
    summary = run({"kind": "optimizer_path", "optimizer": "sgd"}, out=tmp_path / "path")
    rows = _curves(tmp_path / "path")
    assert {row["split"] for row in rows} == {"path"}
    xs, ys = _values(rows, "path", "x"), _values(rows, "path", "y")
    assert len(xs) == len(ys) == 31 and (xs[0], ys[0]) == (-7.0, 2.0)
    # one plain gradient step by hand: (x, y) - 0.95 * (x / 10, 2 y)
    assert xs[1] == pytest.approx(-7.0 - 0.95 * -0.7) and ys[1] == pytest.approx(2.0 - 0.95 * 4.0)
    assert summary["final_f"] < 0.1 * (49 / 20 + 4)
    assert summary["status"] == "ok" and summary["iterations"] == 30


def test_optimizer_path_divergence(tmp_path):
    summary = run({"kind": "optimizer_path", "optimizer": {"name": "sgd", "lr": 1e200}, "iterations": 30})
    assert summary["status"] == "diverged"


def test_activation_histogram(tmp_path):
    out = tmp_path / "hist"
    run({"kind": "activation_histogram", "activation": "sigmoid", "init": 1.0}, out=out)
    rows = list(csv.DictReader(io.StringIO((out / "histograms.csv").read_text())))
    assert list(rows[0]) == ["layer", "bin_left", "bin_right", "count"]
    assert len(rows) == 5 * 30
    for layer in range(1, 6):
        counts = [int(row["count"]) for row in rows if row["layer"] == str(layer)]
        assert sum(counts) == 1000 * 100  # every activation falls in [0, 1]
    # std 1 saturates the sigmoid: most outputs sit in the outermost bins (the book's figure)
    layer5 = [int(row["count"]) for row in rows if row["layer"] == "5"]
    assert layer5[0] + layer5[-1] > 0.3 * sum(layer5)
    curves = _curves(out)
    assert {row["metric"] for row in curves} == {"activation_mean", "activation_std", "mean_abs_grad",
                                                 "saturated_fraction", "central_fraction"}
    assert all(value > 0 for value in _values(curves, "forward", "mean_abs_grad", 1))
    # within 0.05 of 0 or 1 contains the outermost bins (1/30 wide) and more
    saturated = _values(curves, "forward", "saturated_fraction", 5)[0]
    assert (layer5[0] + layer5[-1]) / sum(layer5) <= saturated < 1
    assert _values(curves, "forward", "central_fraction", 5)[0] < 0.05


def test_activation_histogram_fractions_only_for_bounded_activations(tmp_path):
    run({"kind": "activation_histogram", "activation": "relu", "init": "he"}, out=tmp_path / "r")
    assert {row["metric"] for row in _curves(tmp_path / "r")} == {"activation_mean", "activation_std",
                                                                 "mean_abs_grad"}
    run({"kind": "activation_histogram", "activation": "tanh", "init": 1.0}, out=tmp_path / "t")
    assert _values(_curves(tmp_path / "t"), "forward", "saturated_fraction", 5)[0] > 0.5  # at -1 and 1


def test_activation_histogram_xavier_spreads_sigmoid(tmp_path):
    """Xavier keeps sigmoid activations spread out; std 0.01 collapses them onto 0.5."""
    xavier = run({"kind": "activation_histogram", "activation": "sigmoid", "init": "xavier"}, out=tmp_path / "x")
    small = run({"kind": "activation_histogram", "activation": "sigmoid", "init": 0.01}, out=tmp_path / "s")
    std_xavier = _values(_curves(tmp_path / "x"), "forward", "activation_std", 5)[0]
    std_small = _values(_curves(tmp_path / "s"), "forward", "activation_std", 5)[0]
    assert std_small < 0.05 and std_xavier > 5 * std_small
    central = [_values(_curves(tmp_path / name), "forward", "central_fraction", 5)[0] for name in ("x", "s")]
    assert central[1] == 1.0 and central[0] < 0.5  # std 0.01: every activation within 0.05 of 0.5
    assert xavier["status"] == small["status"] == "ok"


def test_spec_from_stdin_and_summary_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("kind: optimizer_path\noptimizer: adam\n"))
    out = tmp_path / "stdin"
    assert main(["run", "-", "--out-dir", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("run ") and "ok" in line and str(out) in line
    assert json.loads((out / "spec.json").read_text())["optimizer"]["lr"] == 0.3


def test_rerunning_from_a_records_spec_json(tmp_path, tiny_spec):
    first = run(tiny_spec, out=tmp_path / "first")
    second = run(tmp_path / "first" / "spec.json", out=tmp_path / "second")
    assert second["run_id"] == first["run_id"]
    assert (tmp_path / "first" / "curves.csv").read_bytes() == (tmp_path / "second" / "curves.csv").read_bytes()


def test_threads_must_be_positive(tiny_spec):
    with pytest.raises(ValueError, match="threads"):
        run(tiny_spec, threads=0)


def test_progress_only_when_asked_or_on_a_terminal(tmp_path, tiny_spec, capsys):
    run(tiny_spec)  # stderr is not a terminal under pytest: quiet
    assert capsys.readouterr().err == ""
    summary = run(tiny_spec, progress=True)
    err = capsys.readouterr().err
    assert f"run {summary['run_id']}" in err and "30/30 iterations" in err and err.endswith("\n")


def test_quiet_command_prints_nothing(tmp_path, tiny_spec, capsys):
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(tiny_spec))
    assert main(["run", str(spec_path), "--out-dir", str(tmp_path / "q"), "--quiet", "--threads", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.out == captured.err == ""
    assert json.loads((tmp_path / "q" / "summary.json").read_text())["threads"] == 2


@pytest.mark.realdata
@pytest.mark.skipif(not os.environ.get("NNBENCH_DATA"), reason="needs NNBENCH_DATA (the real MNIST files)")
@pytest.mark.parametrize("dataset, minimum", [("mnist", 0.85), ("fashion-mnist", 0.7)])
def test_short_real_run(tmp_path, dataset, minimum):
    spec = {"dataset": dataset, "n_train": 2000, "validation": 200, "hidden_sizes": [100, 100],
            "optimizer": "adam", "batch_size": 100, "epochs": 5, "eval_samples": 500,
            "diagnostics": ["grad_norms", "dead_units"]}
    summary = run(spec, out=tmp_path / dataset, data_dir=os.environ["NNBENCH_DATA"])
    assert summary["status"] == "ok" and summary["n_test_samples"] == 10000
    assert summary["final_test_acc"] > minimum
    rows = _curves(tmp_path / dataset)
    assert len(_values(rows, "minibatch", "loss")) == 5 * (1800 // 100)


def test_curve_rows_have_the_vocabulary_columns():
    from nnbench.records import CurveRow

    assert CurveRow._fields == CURVES_COLUMNS


def test_loss_after_update_rows_one_per_iteration(tmp_path, tiny_spec):
    run({**tiny_spec, "diagnostics": []}, out=tmp_path / "without")
    run({**tiny_spec, "diagnostics": ["loss_after_update"]}, out=tmp_path / "with")
    rows = _curves(tmp_path / "with")
    after = [(int(r["step"]), float(r["value"])) for r in rows
             if r["split"] == "minibatch" and r["metric"] == "loss_after_update"]
    before = _values(rows, "minibatch", "loss")
    assert [step for step, _ in after] == list(range(30))  # one row per iteration, same steps
    assert before == _values(_curves(tmp_path / "without"), "minibatch", "loss")  # training unchanged
    assert not any(r["metric"] == "loss_after_update" for r in _curves(tmp_path / "without"))
    # SGD at lr 0.1 on the batch it just stepped on: the loss after the update is lower on average
    assert sum(v for _, v in after) < sum(before)


def test_batchnorm_eps_is_used_and_recorded(tmp_path, tiny_spec):
    spec = {**tiny_spec, "batchnorm": True, "init": 1e-4, "iterations": 10}
    small = run({**spec, "batchnorm_eps": 1e-6}, out=tmp_path / "small")
    large = run({**spec, "batchnorm_eps": 1e-2}, out=tmp_path / "large")
    default = run(spec, out=tmp_path / "default")
    assert (small["batchnorm_eps"], large["batchnorm_eps"], default["batchnorm_eps"]) == (1e-6, 1e-2, 1e-5)
    assert small["run_id"] != large["run_id"]
    # at init std 1e-4 the pre-BN variance is tiny, so eps changes the training curve
    assert (_values(_curves(tmp_path / "small"), "minibatch", "loss")
            != _values(_curves(tmp_path / "large"), "minibatch", "loss"))
    assert "batchnorm_eps" not in run({**tiny_spec, "iterations": 2}, out=tmp_path / "no_bn")
