"""Running a part of the study: `--config studies=[a,b]` (and `datasets=[...]`)."""

from __future__ import annotations

import json

import pytest
import yaml
from workflow_testing import DEFAULT_CONFIG, QUICK_CONFIG, aggregated_studies, job_counts, snakemake

from nnbench.config import ConfigError, prepare_config, select_studies


def test_a_list_of_names_keeps_those_studies_of_the_config_file():
    snakemake_config = {"studies": ["overfitting_weight_decay", "batch_norm"], "datasets": ["mnist"]}
    config = select_studies(snakemake_config, [DEFAULT_CONFIG])
    full = yaml.safe_load(DEFAULT_CONFIG.read_text())
    # in the file's order, with the file's definitions and other keys, --config on top
    assert list(config["studies"]) == ["batch_norm", "overfitting_weight_decay"]
    assert config["studies"]["batch_norm"] == full["studies"]["batch_norm"]
    assert config["datasets"] == ["mnist"] and config["seeds"] == full["seeds"]
    assert list(prepare_config(config)["studies"]) == ["batch_norm", "overfitting_weight_decay"]


def test_one_name_and_a_tuned_study_with_its_source():
    assert list(select_studies({"studies": "batch_norm"}, [QUICK_CONFIG])["studies"]) == ["batch_norm"]
    tuned = select_studies({"studies": ["optimizers_tuned"]}, [QUICK_CONFIG])
    assert list(tuned["studies"]) == ["optimizers_lr_sweep", "optimizers_tuned"]


def test_without_a_selection_the_config_is_the_files_with_the_overrides():
    assert select_studies({"seeds": [7]}, [DEFAULT_CONFIG]) == {**yaml.safe_load(DEFAULT_CONFIG.read_text()),
                                                               "seeds": [7]}
    quick = yaml.safe_load(QUICK_CONFIG.read_text())
    assert select_studies(quick, [QUICK_CONFIG]) == quick


def test_an_unknown_study_is_one_line_with_a_guess_and_the_names():
    with pytest.raises(ConfigError) as caught:
        select_studies({"studies": ["batch_norm", "overfiting_dropout"]}, [DEFAULT_CONFIG])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("--config studies: unknown study 'overfiting_dropout' "
                              "(did you mean 'overfitting_dropout'?); allowed: optimizer_paths, ")


def test_the_workflow_plans_only_the_selected_studies(workdir):
    result = snakemake(workdir, "-n", "--configfile", str(QUICK_CONFIG),
                       "--config", "studies=[batch_norm,overfitting_weight_decay]")
    assert result.returncode == 0, result.stderr[-2000:]
    counts = job_counts(result.stdout)
    assert aggregated_studies(counts) == 2 and "choose" not in counts
    effective = json.loads((workdir / "resources" / "config.json").read_text())
    assert list(effective["studies"]) == ["batch_norm", "overfitting_weight_decay"]


def test_an_unknown_study_stops_the_workflow_with_exit_2_before_anything(workdir):
    result = snakemake(workdir, "-n", "--config", "studies=[batch_norm,batchnorm_typo]")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("nnbench: error:")]
    assert errors == [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and "unknown study 'batchnorm_typo'" in errors[0] and "batch_norm" in errors[0]
    assert not (workdir / "resources").exists() and not (workdir / "results").exists()
