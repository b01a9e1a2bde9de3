"""The default config's GEMM work stays within the study-throughput budget (issue 11 §3)."""

from __future__ import annotations

import copy
from collections import defaultdict
from pathlib import Path

from nnbench.config import load_config, tuned_studies
from nnbench.grid import expand, pending_count
from nnbench.workload import run_workload

CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"
BUDGET_TFLOP = 150.0


def config_work(path) -> dict:
    """TFLOP per study of the config at ``path``. A tuned study's runs differ from each
    other only in the tuned value (an lr), which costs nothing: it is counted as its
    pending count x the work of its runs at the default value."""
    config = load_config(path)
    untuned = copy.deepcopy(config)
    for name in tuned_studies(config):
        del untuned["studies"][name]["tune"]
    work, runs = defaultdict(float), defaultdict(int)
    for row in expand(untuned):
        work[row.study] += run_workload(row.spec).flop / 1e12
        runs[row.study] += 1
    for name in tuned_studies(config):
        assert runs[name] == pending_count(config, name)
    return dict(work)


def test_default_config_work_is_within_the_budget():
    work = config_work(CONFIG)
    assert "optimizers_tuned" in work and "factorial_long" in work
    assert sum(work.values()) <= BUDGET_TFLOP, {k: round(v, 2) for k, v in work.items()}
    # the after-update loss is counted: one forward pass per update on top of the same runs
    assert work["optimizers"] > 1.2 * work["optimizers_tuned"]


def test_factorial_is_replicated_on_both_datasets():
    config = load_config(CONFIG)
    rows = expand(config, studies=["factorial", "factorial_long"])
    for study in ("factorial", "factorial_long"):
        specs = [row.spec for row in rows if row.study == study]
        assert {spec["dataset"] for spec in specs} == {"mnist", "fashion-mnist"}
        settings = defaultdict(set)
        for spec in specs:
            key = (spec["dataset"], str(spec["init"]), spec["optimizer"]["name"], spec["batchnorm"],
                   spec["dropout"], spec["weight_decay"])
            settings[key].add(spec["seed"])
        assert min(len(seeds) for seeds in settings.values()) >= 3
    short = {row.spec["iterations"] for row in rows if row.study == "factorial"}
    long = {row.spec["iterations"] for row in rows if row.study == "factorial_long"}
    assert long == {4 * s for s in short}
