"""Final-metrics tables and their CSV / Markdown / LaTeX forms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nnbench import tables
from nnbench.statistics import mean_interval


def _runs():
    rows = []
    for optimizer, values in (("sgd", [0.80, 0.82, 0.84]), ("adam", [0.90, 0.91, 0.95])):
        for seed, value in enumerate(values):
            rows.append(dict(study="s", run_id=f"{optimizer}{seed}", dataset="mnist",
                             seed=seed, optimizer=optimizer, lr=0.01, status="ok",
                             final_test_acc=value, final_train_acc=value + 0.05,
                             train_seconds=10.0 + seed))
    rows.append(dict(study="s", run_id="sgd9", dataset="mnist", seed=9, optimizer="sgd",
                     lr=0.01, status="diverged", final_test_acc=np.nan,
                     final_train_acc=np.nan, train_seconds=1.0))
    return pd.DataFrame(rows)


def test_mean_interval_is_a_student_t_interval():
    frame = pd.DataFrame({"g": ["a"] * 3 + ["b"], "v": [1.0, 2.0, 3.0, 5.0]})
    result = mean_interval(frame, ["g"], "v").set_index("g")
    half = stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3)
    assert result.loc["a", "mean"] == pytest.approx(2.0)
    assert result.loc["a", "low"] == pytest.approx(2.0 - half)
    assert result.loc["a", "high"] == pytest.approx(2.0 + half)
    assert result.loc["a", "n"] == 3
    # a single value has no interval
    assert math.isnan(result.loc["b", "low"]) and result.loc["b", "mean"] == 5.0


def test_mean_interval_ignores_non_finite_values():
    frame = pd.DataFrame({"g": ["a"] * 3, "v": [1.0, np.inf, 3.0]})
    result = mean_interval(frame, ["g"], "v")
    assert result["mean"].iloc[0] == pytest.approx(2.0) and result["n"].iloc[0] == 2


def test_final_metrics_table_summarises_configurations():
    table = tables.final_metrics_table(_runs()).set_index("optimizer")
    assert list(table.index) == ["adam", "sgd"]  # only the varying column is a key
    assert table.loc["sgd", "n_seeds"] == 4 and table.loc["sgd", "n_diverged"] == 1
    assert table.loc["adam", "n_diverged"] == 0
    # the diverged run is left out of the mean, not counted as 0
    assert table.loc["sgd", "final_test_acc_mean"] == pytest.approx(0.82)
    half = stats.t.ppf(0.975, 2) * np.std([0.80, 0.82, 0.84], ddof=1) / math.sqrt(3)
    assert table.loc["sgd", "final_test_acc_high"] == pytest.approx(0.82 + half)
    assert table.loc["adam", "seconds_per_run"] == pytest.approx(11.0)


def test_write_table_writes_three_formats(tmp_path):
    frame = tables.final_metrics_table(_runs())
    frame.loc[0, "optimizer"] = "a_b & c|d"
    files = tables.write_table(frame, tmp_path, "demo_final", caption="Caption 50%")
    assert sorted(files) == ["csv", "md", "tex"]
    back = pd.read_csv(files["csv"])
    assert list(back.columns) == list(frame.columns)
    assert back["final_test_acc_mean"].tolist() == pytest.approx(
        frame["final_test_acc_mean"].tolist(), rel=1e-5)
    markdown = open(files["md"], encoding="utf-8").read()
    assert "| optimizer |" in markdown and "test acc (95% CI)" in markdown
    assert "a_b & c\\|d" in markdown  # the pipe cannot break the row
    assert "0.82 [" in markdown  # mean [low, high]
    latex = open(files["tex"], encoding="utf-8").read()
    for rule in ("\\toprule", "\\midrule", "\\bottomrule"):
        assert latex.count(rule) == 1
    assert "a\\_b \\& c|d" in latex and "Caption 50\\%" in latex
    assert latex.count("\\\\") == len(frame) + 1  # header + one line per row
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary file left behind


def test_tables_do_not_import_the_figures(tmp_path):
    """The figures build on the tables, never the other way round: making and writing a
    table (statistics, formatting, atomic writes) loads no module of nnbench.figures."""
    import subprocess
    import sys

    code = ("import sys, pandas as pd\n"
            "from nnbench import tables\n"
            "runs = pd.DataFrame({'study': ['s'] * 4, 'optimizer': ['a', 'a', 'b', 'b'], 'seed': [0, 1] * 2,\n"
            "                     'status': ['ok'] * 4, 'final_test_acc': [0.1, 0.2, 0.3, 0.4]})\n"
            f"tables.write_table(tables.final_metrics_table(runs), {str(tmp_path)!r}, 't', caption='c')\n"
            "print(sorted(m for m in sys.modules if m.startswith('nnbench.figures')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    assert (tmp_path / "t.tex").is_file()


def test_results_name_an_unknown_table_and_the_known_ones(tmp_path):
    from nnbench.results import Results, ResultsError

    with pytest.raises(ResultsError, match=r"unknown results table 'curve' \(did you mean 'curves'\?\); "
                                           r"allowed: runs, curves, histograms, minibatch_spread"):
        Results(tmp_path).table("optimizers", "curve")
