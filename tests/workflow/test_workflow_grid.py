"""Grid expansion: studies -> resolved runs, validation with clear messages, spec files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import yaml

from nnbench.choice import GroupChoice, TunedChoice
from nnbench.config import ConfigError, coerce_numbers, load_config, prepare_config
from nnbench.grid import expand, expand_study, pending_count, unique_runs, write_specs
from nnbench.spec import resolve_spec, run_id
from nnbench.vocabulary import STUDIES as STUDY_NAMES

from workflow_testing import DEFAULT_CONFIG, QUICK_CONFIG

NET = {"hidden_sizes": [8], "batch_size": 16, "iterations": 5, "diagnostics": []}


def config_of(**studies) -> dict:
    return {"datasets": ["digits"], "seeds": [0, 1], "studies": studies}


# ---------------------------------------------------------------- numbers


def test_yaml_1_1_exponent_strings_become_numbers():
    raw = yaml.safe_load("studies:\n  optimizers:\n    fixed: {hidden_sizes: [8], iterations: 1e2}\n"
                         "    axes:\n      weight_decay: [0, 1e-4, 1E-2]\n      optimizer.lr: [3e-3]\n")
    assert raw["studies"]["optimizers"]["axes"]["weight_decay"][1] == "1e-4"  # what PyYAML gives
    rows = expand({**raw, "datasets": ["digits"], "seeds": [0]})
    decays = [row.spec["weight_decay"] for row in rows]
    assert decays == [0.0, 1e-4, 1e-2]
    assert all(isinstance(value, float) for value in decays)
    assert rows[0].spec["optimizer"]["lr"] == 3e-3
    assert rows[0].spec["iterations"] == 100 and isinstance(rows[0].spec["iterations"], int)


def test_coerce_numbers_keeps_names_and_integers():
    assert coerce_numbers({"a": ["1e-4", "10", "he", "fashion-mnist", True, "-2.5E3"]}) == \
        {"a": [1e-4, 10, "he", "fashion-mnist", True, -2500.0]}
    assert isinstance(coerce_numbers("10"), int)


# ---------------------------------------------------------------- expansion


def test_axes_cross_paired_zip_and_datasets_seeds_cross():
    config = config_of(vanishing_gradient={
        "fixed": NET,
        "axes": {"batchnorm": [False, True]},
        "paired": {"activation": ["sigmoid", "relu"], "init": ["xavier", "he"]},
    })
    config["datasets"] = ["digits", "mnist"]
    rows = expand(config)
    assert len(rows) == 2 * 2 * 2 * 2  # datasets x batchnorm x paired (2, not 4) x seeds
    pairs = {(row.spec["activation"], row.spec["init"]) for row in rows}
    assert pairs == {("sigmoid", "xavier"), ("relu", "he")}
    assert list(rows[0].axes) == ["dataset", "batchnorm", "activation", "init", "seed"]
    assert len({row.run_id for row in rows}) == len(rows)
    for row in rows:  # each row is exactly what resolve_spec gives for its settings
        assert row.run_id == run_id(resolve_spec(row.spec))


def test_dotted_axis_keys_set_nested_values_and_axes_override_fixed():
    config = config_of(optimizers={
        "fixed": {**NET, "optimizer": {"name": "momentum", "momentum": 0.5}, "init": "he"},
        "axes": {"optimizer.lr": [0.1, 0.2], "init": ["xavier"]},
    })
    rows = expand(config)
    assert [row.spec["optimizer"]["lr"] for row in rows] == [0.1, 0.1, 0.2, 0.2]
    assert all(row.spec["optimizer"]["name"] == "momentum" and row.spec["optimizer"]["momentum"] == 0.5
               for row in rows)
    assert all(row.spec["init"] == "xavier" for row in rows)


def test_logspace_axis_matches_numpy():
    config = config_of(batch_norm={"fixed": {**NET, "n_train": 100}, "axes": {"init": {"logspace": [0, -4, 16]}}})
    config["seeds"] = [0]
    stds = [row.spec["init"] for row in expand(config)]
    assert stds == [float(value) for value in np.logspace(0, -4, 16)]


def test_data_free_kinds_ignore_datasets_and_seeds_they_do_not_take():
    config = config_of(
        optimizer_paths={"fixed": {"kind": "optimizer_path"}, "axes": {"optimizer.name": ["sgd", "adam"]}},
        activation_histograms={"fixed": {"kind": "activation_histogram", "n_samples": 10}},
    )
    config["datasets"] = ["mnist", "fashion-mnist"]
    paths = expand_study(prepare_config(config), "optimizer_paths")
    histograms = expand_study(prepare_config(config), "activation_histograms")
    assert len(paths) == 2 and all("dataset" not in row.spec and "seed" not in row.spec for row in paths)
    assert len(histograms) == 2 and [row.spec["seed"] for row in histograms] == [0, 1]


def test_runs_shared_by_two_studies_get_one_run_id():
    config = config_of(
        overfitting_weight_decay={"fixed": NET, "axes": {"weight_decay": [0, 0.1]}},
        overfitting_dropout={"fixed": NET, "axes": {"dropout": [0, 0.2]}},
    )
    rows = expand(config)
    assert len(rows) == 8
    assert len(unique_runs(rows)) == 6  # the two baselines (lambda 0 = dropout 0) x 2 seeds are shared
    baseline = [row.run_id for row in rows if row.spec["weight_decay"] == 0 and row.spec["dropout"] == 0]
    assert len(baseline) == 4 and len(set(baseline)) == 2


def test_expansion_is_deterministic():
    config = yaml.safe_load(QUICK_CONFIG.read_text())
    first = [(row.study, row.run_id) for row in expand(config)]
    second = [(row.study, row.run_id) for row in expand(yaml.safe_load(QUICK_CONFIG.read_text()))]
    assert first == second


# ---------------------------------------------------------------- tuned studies


def tuned_config():
    return config_of(
        optimizers_lr_sweep={"fixed": {**NET, "validation": 100},
                             "axes": {"optimizer.name": ["sgd", "adam"], "optimizer.lr": [0.01, 0.1]}},
        optimizers_tuned={"tune": {"from": "optimizers_lr_sweep", "key": "optimizer.lr"},
                          "fixed": NET, "axes": {"optimizer.name": ["sgd", "adam"]}},
    )


def lr_choice(lr_by_optimizer):
    """A tuned choice of optimizer.lr per optimizer name."""
    return TunedChoice(key="optimizer.lr", metric="final_validation_acc", goal="max", group_keys=["optimizer.name"],
                       choices=[GroupChoice(group={"optimizer.name": name}, value=lr, score=0.9, seeds=2)
                                for name, lr in lr_by_optimizer.items()])


def test_tuned_study_waits_for_its_choice_then_takes_the_chosen_values():
    config = prepare_config(tuned_config())
    assert [row.study for row in expand(config)].count("optimizers_tuned") == 0
    assert pending_count(config, "optimizers_tuned") == 4
    with pytest.raises(ConfigError, match="optimizers_lr_sweep"):
        expand_study(config, "optimizers_tuned")
    rows = expand_study(config, "optimizers_tuned", lr_choice({"sgd": 0.1, "adam": 0.01}))
    chosen = {(row.spec["optimizer"]["name"], row.spec["optimizer"]["lr"]) for row in rows}
    assert chosen == {("sgd", 0.1), ("adam", 0.01)}
    assert all(row.spec["validation"] == 0 for row in rows)
    assert rows[0].axes["optimizer.lr"] == 0.1


def test_tuned_study_without_a_matching_choice_fails_clearly():
    config = prepare_config(tuned_config())
    with pytest.raises(ConfigError, match=r"optimizers_tuned.*no run to choose 'optimizer.lr'"):
        expand_study(config, "optimizers_tuned", lr_choice({"sgd": 0.1}))


# ---------------------------------------------------------------- bad configs


@pytest.mark.parametrize("study, pattern", [
    ({"fixed": {**NET, "lamda": 0.1}}, r"study 'optimizers', key fixed: unknown key 'lamda' \(did you mean 'weight_decay'\?\)"),
    ({"fixed": NET, "axes": {"optimizer.name": ["sgd", "adamw"]}},
     r"study 'optimizers', key axes.optimizer.name\[1\]: unknown value 'adamw' \(did you mean 'adam'\?\); allowed: sgd"),
    ({"fixed": NET, "axes": {"init": ["he", "kaiming"]}}, r"study 'optimizers', key axes.init\[1\]: unknown value 'kaiming'; allowed: he, xavier"),
    ({"fixed": NET, "axes": {"weight_decay": [0, -0.1]}}, r"study 'optimizers', key axes.weight_decay\[1\]: -0.1 is less than the minimum of 0"),
    ({"fixed": {**NET, "weight_decay": -1e-4}}, r"study 'optimizers', key fixed.weight_decay: -0.0001"),
    ({"fixd": NET}, r"study 'optimizers'.*unknown key 'fixd' \(did you mean 'fixed'\?\)"),
    ({"fixed": NET, "axes": {"seed": [1, 2]}}, r"unknown key 'seed'; allowed: .*; list seeds under the study's `seeds:`"),
    ({"fixed": {**NET, "lr": 0.1}}, r"unknown key 'lr' \(did you mean 'optimizer.lr'\?\)"),
    ({"fixed": NET, "paired": {"activation": ["relu", "tanh"], "init": ["he"]}}, r"paired lists must have the same length"),
    ({"fixed": {**NET, "optimizer": {"name": "adam", "betta1": 0.9}}},
     r"study 'optimizers' \(run dataset=digits, seed=0\): .*unknown adam hyperparameter 'betta1' \(did you mean 'beta1'\?\)"),
    ({"fixed": {**NET, "dropout": 1.0}}, r"study 'optimizers', key fixed.dropout: 1.0"),
])
def test_bad_study_fails_naming_the_study_and_key(study, pattern):
    with pytest.raises(ConfigError, match=pattern):
        expand(config_of(optimizers=study))


def test_unknown_study_name_and_top_level_key_fail():
    with pytest.raises(ConfigError, match=r"unknown study 'optimizer' \(did you mean 'optimizers'\?\)"):
        expand(config_of(optimizer={"fixed": NET}))
    with pytest.raises(ConfigError, match=r"unknown key 'thread' \(did you mean 'threads'\?\)"):
        expand({**config_of(optimizers={"fixed": NET}), "thread": 2})
    with pytest.raises(ConfigError, match=r"tune.from: unknown study 'sweep'; allowed: none"):
        expand(config_of(optimizers_tuned={"tune": {"from": "sweep", "key": "optimizer.lr"}, "fixed": NET}))


def test_load_config_reports_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("studies: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


# ---------------------------------------------------------------- spec files


def test_write_specs_writes_each_run_once_and_never_rewrites(tmp_path):
    rows = expand(config_of(optimizers={"fixed": NET, "axes": {"optimizer.name": ["sgd", "adam"]}}))
    runs = unique_runs(rows)
    written = write_specs(runs, tmp_path / "specs")
    assert sorted(path.stem for path in written) == sorted(runs)
    first = written[0]
    assert json.loads(first.read_text()) == runs[first.stem]
    os.utime(first, (1_000_000, 1_000_000))
    assert write_specs(runs, tmp_path / "specs") == []  # nothing rewritten ...
    assert first.stat().st_mtime == 1_000_000  # ... so snakemake sees nothing new
    assert not [path for path in (tmp_path / "specs").iterdir() if path.suffix != ".json"]


# ---------------------------------------------------------------- the shipped configs


@pytest.mark.parametrize("path", [DEFAULT_CONFIG, QUICK_CONFIG])
def test_shipped_configs_declare_every_study_and_expand(path):
    config = load_config(path)
    assert list(config["studies"]) == list(STUDY_NAMES)
    rows = expand(config)
    for name in STUDY_NAMES:
        if name == "optimizers_tuned":
            assert pending_count(config, name) > 0
        else:
            assert any(row.study == name for row in rows), name


def test_default_config_uses_both_datasets_and_five_seeds_for_comparisons():
    config = load_config(DEFAULT_CONFIG)
    rows = expand(config)
    for name in STUDY_NAMES:
        study_rows = [row for row in rows if row.study == name]
        if not study_rows or study_rows[0].spec["kind"] != "train":
            continue
        assert {row.spec["dataset"] for row in study_rows} == {"mnist", "fashion-mnist"}, name
        seeds = len({row.spec["seed"] for row in study_rows})
        if name in ("factorial", "factorial_long"):
            assert seeds >= 3, name  # replicated: seed-matched pairs and a residual for the ANOVA
        elif name != "optimizers_lr_sweep":
            assert seeds >= 5, name
    # STUDY.md's settings where they matter
    batch_norm = [row.spec for row in rows if row.study == "batch_norm"]
    assert {spec["n_train"] for spec in batch_norm} == {1000} and {spec["epochs"] for spec in batch_norm} == {20}
    assert len({spec["init"] for spec in batch_norm}) == 16 and {spec["batch_size"] for spec in batch_norm} == {100}
    dropout = [row.spec for row in rows if row.study == "overfitting_dropout"]
    assert {spec["epochs"] for spec in dropout} == {301} and {spec["n_train"] for spec in dropout} == {300}
    optimizers = [row.spec for row in rows if row.study == "optimizers"]
    assert {spec["batch_size"] for spec in optimizers} == {128} and {spec["iterations"] for spec in optimizers} == {2000}
    assert len({spec["optimizer"]["name"] for spec in optimizers}) == 7
    factorial = [row for row in rows if row.study == "factorial"]
    assert len(factorial) == 3 * 4 * 2 * 2 * 2 * 2 * 3  # 96 settings x 2 datasets x 3 seeds
    assert {row.spec["iterations"] for row in rows if row.study == "factorial_long"} == {1200}


def test_quick_config_uses_only_digits_and_two_seeds():
    rows = expand(load_config(QUICK_CONFIG))
    trained = [row for row in rows if row.spec["kind"] == "train"]
    assert {row.spec["dataset"] for row in trained} == {"digits"}
    factorial = ("factorial", "factorial_long")  # 3 seeds: the ANOVA and paired intervals need them
    assert {row.spec["seed"] for row in trained if row.study not in factorial} == {0, 1}
    assert {row.spec["seed"] for row in trained if row.study in factorial} == {0, 1, 2}


def test_effective_config_is_written_only_when_it_changes(tmp_path):
    from nnbench.config import write_effective_config

    config = load_config(QUICK_CONFIG)
    path = tmp_path / "resources" / "config.json"
    assert write_effective_config(config, path)
    assert json.loads(path.read_text()) == json.loads(json.dumps(config))
    os.utime(path, (1_000_000, 1_000_000))
    assert not write_effective_config(config, path)
    assert path.stat().st_mtime == 1_000_000
    assert write_effective_config({**config, "threads": 3}, path)
    assert json.loads(path.read_text())["threads"] == 3
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]  # no temporary left
