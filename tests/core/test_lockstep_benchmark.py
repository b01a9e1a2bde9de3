"""Smoke test of benchmarks/lockstep.py: it runs, its lockstep prototype follows nnbench's
own training bit for bit, and it writes its two files.

Only that it works; the speed itself is measured by running the script, never in tests.
"""

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "lockstep.py"


def load():
    spec = importlib.util.spec_from_file_location("lockstep_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lockstep_benchmark_writes_its_tables_and_matches_the_core(tmp_path, capsys):
    module = load()
    arguments = ["--setting", "width10", "--procs", "1", "--repeats", "1", "--steps", "2", "--seeds", "2",
                 "--check-steps", "3", "--check-setting", "width10", "--out", str(tmp_path)]
    module.main(arguments)
    report = json.loads((tmp_path / "lockstep.json").read_text())
    # the prototype repeats the core's arithmetic: same per-step losses and weights, both dtypes
    checks = report["numerics"]
    assert {row["variant"] for row in checks} == {"lockstep", "loop"}
    assert {row["dtype"] for row in checks} == {"float32", "float64"}
    assert {row["optimizer"] for row in checks} == {"sgd", "momentum", "adam"}
    assert all(row["losses_identical"] and row["weights_identical"] for row in checks)
    assert all(row["stacked_matmul_identical"] for row in report["products"])
    speed = report["speed"]
    assert [row["variant"] for row in speed] == ["sequential", "lockstep", "loop"]
    assert all(row["procs"] == 1 and row["seed_steps_per_s"] > 0 for row in speed)
    assert speed[0]["speedup"] == 1.0
    share = {entry["study"]: entry for entry in report["share"]}
    assert share["factorial"]["seeds_per_setting"] == 3.0 and share["optimizers_lr_sweep"]["seeds_per_setting"] == 2.0
    assert report["projection"][0]["updates_covered"] > 0
    text = (tmp_path / "lockstep.md").read_text()
    assert "## Speed" in text and "## The study's share" in text
    assert "seed-steps/s" in capsys.readouterr().out


def test_lockstep_rejects_a_network_it_does_not_cover():
    module = load()
    setting = module.Setting(10, 2, 8, 2, {"name": "sgd"})
    nets = setting.nets()
    nets[0].batchnorm = True
    try:
        module.LockstepMLP(nets, [0, 1], {"name": "sgd"}, 8, module.Products("lockstep"))
    except SystemExit as failure:
        assert "batch norm" in str(failure)
    else:
        raise AssertionError("a batch-norm network was accepted")
