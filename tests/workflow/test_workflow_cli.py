"""`nnbench grid` and `nnbench aggregate` on the command line."""

from __future__ import annotations

import json

from workflow_testing import DEFAULT_CONFIG, QUICK_CONFIG, write_record

from nnbench.cli import main
from nnbench.config import load_config
from nnbench.grid import expand


def test_grid_count_lists_every_study_and_the_distinct_total(capsys):
    assert main(["grid", "--config", str(DEFAULT_CONFIG), "--count"]) == 0
    out = capsys.readouterr().out
    rows = expand(load_config(DEFAULT_CONFIG))
    assert f"total: {len(rows)} study runs, {len({row.run_id for row in rows})} distinct runs" in out
    assert "optimizers_tuned" in out and "pending" in out
    assert any(line.split()[:2] == ["batch_norm", "320"] for line in out.splitlines())


def test_grid_lists_runs_with_their_axis_values(capsys):
    assert main(["grid", "--config", str(QUICK_CONFIG), "--study", "batch_size"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["study", "run_id", "axes"]
    assert len(lines) == 1 + 3 * 2  # 3 batch sizes (the last the full batch) x 2 seeds
    assert "batch_size=1000" in lines[-1] and "seed=1" in lines[-1] and "dataset=digits" in lines[-1]
    assert main(["grid", "--config", str(QUICK_CONFIG), "--study", "batch_size", "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [run["spec"]["batch_size"] for run in runs] == [8, 8, 128, 128, 1000, 1000]


def test_bad_config_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("studies:\n  optimizers:\n    axes:\n      optimizer.name: [sgd, adamw]\n")
    assert main(["grid", "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("nnbench: error: config error in study 'optimizers', key axes.optimizer.name[1]: "
                          "unknown value 'adamw'")
    assert main(["grid", "--config", str(QUICK_CONFIG), "--study", "optimizer"]) == 2
    assert "did you mean 'optimizers'" in capsys.readouterr().err


def test_aggregate_and_choose_from_run_folders(tmp_path, capsys):
    spec = {"kind": "train", "dataset": "digits", "optimizer": {"name": "sgd", "lr": 0.1}, "hidden_sizes": [8],
            "seed": 0, "batch_size": 4}
    one = write_record(tmp_path / "runs" / "aaaaaaaaaaaa", spec, {"status": "ok", "final_validation_acc": 0.7})
    two = write_record(tmp_path / "runs" / "bbbbbbbbbbbb", {**spec, "optimizer": {"name": "sgd", "lr": 0.01}},
                       {"status": "ok", "final_validation_acc": 0.9})
    assert main(["aggregate", "--study", "optimizers", "--out-dir", str(tmp_path / "out"), str(one), str(two)]) == 0
    assert (tmp_path / "out" / "runs.csv").read_text().count("\n") == 3
    choice_file = tmp_path / "choice.json"
    assert main(["aggregate", "--choose", "optimizer.lr", "--out", str(choice_file), str(one), str(two)]) == 0
    assert json.loads(choice_file.read_text())["choices"][0]["value"] == 0.01
    capsys.readouterr()
    assert main(["aggregate", "--study", "optimizers", str(tmp_path / "runs" / "cccccccccccc")]) == 2
    assert "cccccccccccc" in capsys.readouterr().err


def test_several_studies_in_one_aggregate_process_write_what_one_process_each_writes(tmp_path, capsys):
    spec = {"kind": "train", "dataset": "digits", "optimizer": {"name": "sgd", "lr": 0.1}, "hidden_sizes": [8],
            "seed": 0, "batch_size": 4}
    runs = [write_record(tmp_path / "runs" / (letter * 12), {**spec, "seed": seed}, {"status": "ok"})
            for seed, letter in enumerate("abc")]
    alone, shared = tmp_path / "alone", tmp_path / "shared"
    assert main(["aggregate", "--study", "first", "--out-dir", str(alone / "first"), str(runs[0]), str(runs[1])]) == 0
    assert main(["aggregate", "--study", "second", "--out-dir", str(alone / "second"), str(runs[2])]) == 0
    assert main(["aggregate", "--results", str(shared), "--study-runs", "first", str(runs[0]), str(runs[1]),
                 "--study-runs", "second", str(runs[2])]) == 0
    for study in ("first", "second"):
        for table in ("runs.csv", "curves.csv"):
            assert (shared / study / table).read_bytes() == (alone / study / table).read_bytes()
    capsys.readouterr()
    # a study without runs, or --study-runs with --study: one line, exit 2, nothing written
    assert main(["aggregate", "--results", str(tmp_path / "none"), "--study-runs", "first", str(runs[0]),
                 "--study-runs", "second"]) == 2
    assert "--study-runs second: no RUN folders given" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    # a run without a record in the second study: the first study's tables are not written either
    assert main(["aggregate", "--results", str(tmp_path / "none"), "--study-runs", "first", str(runs[0]),
                 "--study-runs", "second", str(tmp_path / "runs" / "dddddddddddd")]) == 2
    assert "dddddddddddd" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
    assert main(["aggregate", "--study", "first", "--study-runs", "first", str(runs[0])]) == 2
    assert "give no RUN folders, --study, --config or --out-dir with it" in capsys.readouterr().err
