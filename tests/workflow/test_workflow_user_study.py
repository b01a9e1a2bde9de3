"""Your own optimizer and your own study: the config accepts them, checks them before any
run, and the workflow draws them in the report beside the built-ins."""

from __future__ import annotations

import json
import re
import sys

import pytest
import yaml
from workflow_testing import REPO, job_counts, snakemake

from nnbench.config import ConfigError, prepare_config
from nnbench.grid import expand

NET = {"hidden_sizes": [8], "batch_size": 16, "iterations": 5, "diagnostics": []}
LION = (REPO / "examples" / "my_optimizers" / "lion.py").read_text()
PLOT = {"metric": "final_test_acc", "x": "lr", "hue": "batch_size"}


def config_of(**studies) -> dict:
    return {"datasets": ["digits"], "seeds": [0], "studies": studies}


def test_a_study_of_ones_own_expands_with_its_plot():
    config = prepare_config(config_of(my_lr_vs_batch={"fixed": NET, "plot": PLOT,
                                                       "axes": {"optimizer.lr": [0.01, 0.1], "batch_size": [8, 16]}}))
    assert config["studies"]["my_lr_vs_batch"]["plot"] == PLOT
    assert len(expand(config)) == 4
    curve = prepare_config(config_of(mine={"fixed": NET, "plot": {"metric": "test/accuracy", "hue": "lr"}}))
    assert curve["studies"]["mine"]["plot"]["x"] == "step"  # a curve is drawn against the iteration


def test_the_example_config_expands_from_the_repository(monkeypatch):
    monkeypatch.chdir(REPO)
    rows = expand(yaml.safe_load((REPO / "examples" / "my_study.yaml").read_text()))
    names = {row.spec["optimizer"]["name"] for row in rows if row.study == "optimizers"}
    assert {"examples.my_optimizers:AdamW", "examples.my_optimizers:Lion", "sgd"} <= names
    assert {row.study for row in rows} >= {"optimizers", "optimizers_lr_sweep", "lion_lr_vs_batch"}


@pytest.mark.parametrize("studies, pattern", [
    ({"optimizer": {"fixed": NET}},
     r"^config error in study 'optimizer': unknown study 'optimizer' \(did you mean 'optimizers'\?\); allowed: "
     r"optimizer_paths, .*; or, for a study of your own .* declare what it draws: plot:"),
    ({"my_study": {"fixed": NET}}, r"^config error in study 'my_study': unknown study 'my_study'; allowed: .*plot:"),
    ({"My-Study": {"fixed": NET, "plot": PLOT}},
     r"^config error in key studies: unknown study 'My-Study'; allowed: .*; or a study of your own, named like"),
    ({"optimizers": {"fixed": NET, "plot": PLOT}}, r"study 'optimizers', key plot: a study of the lecture"),
    ({"mine": {"fixed": NET, "plot": {"metric": "tset/accuracy"}}},
     r"study 'mine', key plot.metric: unknown split 'tset' \(did you mean 'test'\?\)"),
    ({"mine": {"fixed": NET, "plot": {"metric": "test/acc"}}},
     r"study 'mine', key plot.metric: unknown curve metric 'acc' \(did you mean 'accuracy'\?\)"),
    ({"mine": {"fixed": NET, "plot": {"metric": "final_test_acc"}}},
     r"study 'mine', key plot.x: a summary metric \(final_test_acc\) needs an x; allowed: dataset, optimizer, lr"),
    ({"mine": {"fixed": NET, "plot": {"metric": "final_test_acc", "x": "learning_rate"}}},
     r"study 'mine', key plot.x: unknown plot x 'learning_rate'; allowed: dataset, optimizer, lr"),
    ({"mine": {"fixed": NET, "plot": {"metric": "final_test_acc", "x": "lr", "hue": "lr"}}},
     r"study 'mine', key plot: x, hue and facet must be different columns"),
    ({"mine": {"fixed": NET, "plot": {"metric": "final_test_acc", "x": "lr", "colour": "seed"}}},
     r"study 'mine', key plot: unknown key 'colour'"),
    # metrics no run of the study records: no validation split, no such diagnostic, no such summary key
    ({"mine": {"fixed": NET, "plot": {"metric": "validation/accuracy"}}},
     r"study 'mine', key plot.metric: 'validation/accuracy' is not recorded by every run of the study; recorded: "),
    ({"mine": {"fixed": NET, "plot": {"metric": "train/grad_norm"}}}, r"'train/grad_norm' is not recorded"),
    ({"mine": {"fixed": NET, "plot": {"metric": "final_tset_acc", "x": "lr"}}}, r"'final_tset_acc' is not recorded"),
    ({"optimizers": {"fixed": NET, "axes": {"optimizer.name": ["sgd", "adamw"]}}},
     r"study 'optimizers', key axes.optimizer.name\[1\]: unknown value 'adamw' \(did you mean 'adam'\?\); "
     r"allowed: sgd, .*adam \(a built-in optimizer or your own class by import path package.module:Class\)"),
    ({"optimizers": {"fixed": NET, "axes": {"optimizer.name": ["sgd", "no_such_package:Lion"]}}},
     r"study 'optimizers' \(run .*optimizer.name=no_such_package:Lion.*\): spec key 'optimizer.name': "
     r"module 'no_such_package' does not import"),
    ({"optimizers": {"fixed": {**NET, "optimizer": {"name": "examples.my_optimizers:Lion", "beta3": 0.9}}}},
     r"study 'optimizers' .*unknown examples.my_optimizers:Lion hyperparameter 'beta3' \(did you mean 'beta2'\?\)"),
])
def test_bad_user_input_fails_naming_the_study_and_key(studies, pattern, monkeypatch):
    monkeypatch.chdir(REPO)
    with pytest.raises(ConfigError, match=pattern) as caught:
        expand(config_of(**studies))
    assert "\n" not in str(caught.value)


def test_bad_plot_fails_in_the_workflow_before_any_job(tmp_path):
    config = config_of(mine={"fixed": NET, "plot": {"metric": "validation/loss"}})
    (tmp_path / "my.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "-n", "--configfile", "my.yaml")
    assert result.returncode != 0
    assert "study 'mine', key plot.metric: 'validation/loss' is not recorded" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def user_config() -> dict:
    net = {"hidden_sizes": [16], "batch_size": 16, "n_train": 300, "iterations": 40, "eval_every": 20,
           "diagnostics": []}
    return {
        "datasets": ["digits"], "seeds": [0],
        "studies": {
            "optimizers_lr_sweep": {"fixed": {**net, "validation": 100},
                                    "axes": {"optimizer.name": ["sgd", "my_optim:Lion"], "optimizer.lr": [1e-3, 1e-1]}},
            "optimizers_tuned": {"tune": {"from": "optimizers_lr_sweep", "key": "optimizer.lr"}, "fixed": net,
                                 "axes": {"optimizer.name": ["sgd", "my_optim:Lion"]}},
            "lion_lr_vs_batch": {"description": "Lion's lr against the batch size",
                                 "fixed": {**net, "optimizer.name": "my_optim:Lion"},
                                 "axes": {"optimizer.lr": [1e-3, 1e-2], "batch_size": [8, 16]}, "plot": PLOT},
        },
    }


@pytest.mark.slow
def test_user_optimizer_and_study_end_to_end_in_the_report(tmp_path, monkeypatch):
    # as the README's guide: an optimizer in a module next to the config, a copy of a config
    (tmp_path / "my_optim.py").write_text(LION)
    (tmp_path / "my.yaml").write_text(yaml.safe_dump(user_config()))
    result = snakemake(tmp_path, "--cores", "2", "--configfile", "my.yaml", timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    html = (tmp_path / "reports" / "report.html").read_text()
    manifest = json.loads((tmp_path / "reports" / "manifest.json").read_text())
    # the user study is the last section, after the lecture's, with its plot, heatmap and table
    assert manifest["sections"][-1]["id"] == "other" and manifest["sections"][-1]["studies"] == ["lion_lr_vs_batch"]
    names = {figure["name"] for figure in manifest["figures"] if figure["study"] == "lion_lr_vs_batch"}
    assert names == {"lion_lr_vs_batch_digits_plot", "lion_lr_vs_batch_digits_heatmap"}
    assert '<section id="other"' in html and "lion_lr_vs_batch" in html
    # the optimizer beside the built-ins: the lr sensitivity names it by its class name
    sweep = [figure for figure in manifest["figures"] if figure["study"] == "optimizers_lr_sweep"]
    assert sweep and re.search(r"learning rates chosen by the best mean .*: SGD [0-9.]+, Lion [0-9.]+", html)
    summary = next((tmp_path / "results" / "runs").glob("*/summary.json"))
    sources = [json.loads(path.read_text()).get("optimizer_source")
               for path in (tmp_path / "results" / "runs").glob("*/summary.json")]
    assert summary and {source["file"] for source in sources if source} == {"my_optim.py"}
    # editing the optimizer reruns exactly its runs: the sweep's 2 and the user study's 4
    # (the tuned ones follow from the new choice)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "my_optim", raising=False)
    config = yaml.safe_load((tmp_path / "my.yaml").read_text())

    def not_run():
        return {row.run_id: row for row in expand(config)
                if not (tmp_path / "results" / "runs" / row.run_id / "summary.json").is_file()}

    assert not_run() == {}
    (tmp_path / "my_optim.py").write_text(LION + "\n# edited\n")
    edited = not_run()
    assert len(edited) == 6 and {row.spec["optimizer"]["name"] for row in edited.values()} == {"my_optim:Lion"}
    dry = snakemake(tmp_path, "-n", "--configfile", "my.yaml")
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert job_counts(dry.stdout).get("run", 0) >= 1
