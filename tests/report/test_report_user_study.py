"""A study of the user's own in the figures and the report, and a user's optimizer's label
and colour beside the built-ins."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from nnbench.figures.labels import OPTIMIZER_ORDER, canonical, optimizer_color, optimizer_label, ordered
from nnbench.vocabulary import RUN_COLUMNS

LION = "my_package.optim:Lion"


def test_a_users_optimizer_is_labelled_by_its_class_in_a_stable_spare_colour():
    assert optimizer_label(LION) == "Lion" and optimizer_label("adam") == "Adam"
    builtin_colors = {optimizer_color(name) for name in OPTIMIZER_ORDER}
    assert optimizer_color(LION) not in builtin_colors
    assert optimizer_color(LION) == optimizer_color(LION)  # crc32, not hash(): the same in every process
    # built-ins in their canonical spelling and order, a user's name exactly as the tables hold it, last
    assert ordered([LION, "Adam", "sgd"], OPTIMIZER_ORDER) == ["sgd", "adam", LION]
    assert canonical(LION) == LION and canonical("SGD") == "sgd"


def user_results(root, metric_value):
    """results/mine: lr x batch_size x 2 seeds of a user's study, with test accuracy curves."""
    runs, curves = [], []
    index = 0
    for lr in (0.001, 0.01, 0.1):
        for batch_size in (16, 64):
            for seed in (0, 1):
                index += 1
                row = {column: None for column in RUN_COLUMNS}
                row.update(study="mine", run_id=f"run{index:09d}", kind="train", dataset="digits", seed=seed,
                           optimizer=LION, lr=lr, init="he", activation="relu", batchnorm=False, dropout=0.0,
                           weight_decay=0.0, batch_size=batch_size, width=16, depth=1, n_train=300)
                accuracy = metric_value(lr, batch_size) + 0.01 * seed
                runs.append({**row, "status": "ok", "final_test_acc": accuracy, "final_train_loss": 1 - accuracy,
                             "train_seconds": 1.0})
                for step in (0, 10, 20):
                    curves.append({**row, "step": step, "epoch": step / 10, "split": "test", "metric": "accuracy",
                                   "layer": "", "value": accuracy * step / 20})
    folder = root / "mine"
    folder.mkdir(parents=True)
    pd.DataFrame(runs).to_csv(folder / "runs.csv", index=False)
    pd.DataFrame(curves).to_csv(folder / "curves.csv", index=False)


@pytest.mark.parametrize("plot, figures", [
    ({"metric": "final_test_acc", "x": "lr", "hue": "batch_size"}, {"mine_digits_plot", "mine_digits_heatmap"}),
    ({"metric": "test/accuracy", "x": "step", "hue": "lr", "facet": "batch_size"},
     {"mine_digits_plot", "mine_digits_heatmap"}),
    (None, set()),  # no config given: the final-metrics table only
])
def test_a_user_study_is_drawn_as_its_plot_says_in_the_last_section(tmp_path, plot, figures):
    from nnbench.figures import make_all
    from nnbench.report import render

    results = tmp_path / "results"
    user_results(results, lambda lr, batch_size: 0.5 + lr + batch_size / 1000)
    config = tmp_path / "config.json"
    study = {"description": "my own question", "fixed": {}}
    if plot:
        study["plot"] = plot
    config.write_text(json.dumps({"studies": {"mine": study}}))
    manifest = make_all(results, tmp_path / "reports", config=config)
    last = manifest["sections"][-1]
    assert (last["id"], last["title"], last["studies"]) == ("other", "Studies of your own", ["mine"])
    assert {figure["name"] for figure in manifest["figures"]} == figures
    assert "mine_final" in {table["name"] for table in manifest["tables"]}
    if plot:
        # the best mean over seeds: lr 0.1 with batch 64 (0.5 + 0.1 + 0.064 + the seeds' 0.005)
        assert any("best mean" in finding and "lr 0.1" in finding and "batch_size 64" in finding
                   for finding in last["findings"]), last["findings"]
        caption = next(f["caption"] for f in manifest["figures"] if f["name"] == "mine_digits_plot")
        assert "95%" in caption
    html = render(results, tmp_path / "reports", config, tmp_path / "reports" / "report.html").read_text()
    assert '<section id="other"' in html and "my own question" in html


def test_the_figures_command_reads_the_effective_config(tmp_path):
    from nnbench.cli import main

    results = tmp_path / "results"
    user_results(results, lambda lr, batch_size: 0.5 + lr)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"studies": {"mine": {"plot": {"metric": "final_test_acc", "x": "lr"}}}}))
    assert main(["figures", "--results", str(results), "--config", str(config), "--out-dir", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "figures" / "en" / "mine_digits_plot.png").is_file()
    # one factor varies with x = lr and another (batch_size) in the runs: a heatmap of the two
    assert (tmp_path / "r" / "figures" / "en" / "mine_digits_heatmap.png").is_file()
