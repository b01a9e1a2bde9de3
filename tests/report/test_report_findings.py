"""The report's findings (verdicts computed from the tables), the two minibatch-loss
measurements beside the book's, the factorial's analysis tables and time to target."""

from __future__ import annotations

import pandas as pd
import pytest

from report_synthetic import write_synthetic_results
from nnbench.analysis.findings import CLAIMS, NO_DATA, VERDICTS
from nnbench.figures import make_all
from nnbench.report import render

REQUIRED = ["claim", "dataset", "metric", "estimate", "low", "high", "n", "book", "verdict"]


def _tables(rendered):
    return {t["name"]: t for t in rendered["manifest"]["tables"]}


def _csv(rendered, name):
    return pd.read_csv(rendered["reports"] / _tables(rendered)[name]["files"]["csv"])


def test_findings_table_is_the_first_section_of_the_report(rendered):
    html = rendered["html"]
    assert rendered["manifest"]["sections"][0]["id"] == "findings"
    first_section = html.index('<section id="findings"')
    assert first_section < html.index('<section id="overfitting"')
    assert html.index('id="table-findings"') < html.index('<section id="overfitting"')
    for name in ("csv", "md", "tex"):
        assert (rendered["reports"] / "tables" / f"findings.{name}").is_file()
    # the verdict rule is in the methods section
    methods = html[html.index('<section id="methods"'):]
    assert "The verdict compares the interval with the claim" in methods
    assert "Holm" in methods and "near its threshold" in methods


def test_findings_csv_has_every_claim_with_a_verdict(rendered):
    table = _csv(rendered, "findings")
    assert REQUIRED == [c for c in table.columns if c in REQUIRED]
    assert set(table["verdict"]) <= set(VERDICTS)
    assert set(table["claim"]) == {claim.text for claim in CLAIMS}
    # the claims on the data-free activation histograms have one row 'gaussian'
    assert set(table["dataset"]) == {"mnist", "fashion-mnist", "gaussian", "all"}
    assert table["slide"].notna().all()
    tested = table[table["p_adjusted"].notna()]
    assert len(tested) and (tested["p_adjusted"] >= tested["p"]).all()
    # planted: the synthetic SGD is the slowest optimizer on both datasets
    sgd = table[table["claim"] == "SGD is the slowest of the optimizers"].set_index("dataset")
    assert (sgd["verdict"] == "holds").all()
    assert sgd.loc["mnist", "estimate"] > 0 and sgd.loc["mnist", "low"] > 0
    assert sgd.loc["mnist", "n"] == 3 and sgd.loc["mnist", "book"] == pytest.approx(0.1)


def test_a_missing_study_says_no_data_in_the_csv_and_the_html(tmp_path):
    results = tmp_path / "results"
    write_synthetic_results(results, studies=["optimizers"])
    reports = tmp_path / "reports"
    make_all(results, reports)
    html = render(results, reports, None, reports / "report.html").read_text(encoding="utf-8")
    table = pd.read_csv(reports / "tables" / "findings.csv")
    capacity = table[table["claim"] == "Overfitting grows with capacity"]
    assert len(capacity) and (capacity["verdict"] == NO_DATA).all()
    assert (table.loc[table["claim"] == "SGD is the slowest of the optimizers", "verdict"]
            == "holds").all()
    findings_html = html[html.index('<section id="findings"'):html.index('<section id="overfitting"')]
    assert "Overfitting grows with capacity" in findings_html
    assert f"<td>{NO_DATA}</td>" in findings_html and "<td>holds</td>" in findings_html


def test_book_tables_show_both_loss_measurements_beside_the_book(rendered):
    for name, hue in (("optimizers_mnist_book", "optimizer"), ("weight_init_mnist_book", "init")):
        table = _csv(rendered, name)
        for column in ("before_update_mean", "before_update_low", "before_update_n",
                       "after_update_mean", "after_update_high", "after_update_n"):
            assert column in table.columns, (name, column)
        assert any(c.startswith("book_1900") for c in table.columns)
        # the synthetic after-update loss is 0.8 x the before-update loss
        assert list(table["after_update_mean"]) == pytest.approx(
            list(0.8 * table["before_update_mean"]), rel=1e-4)
        assert (table["before_update_n"] == 3).all()
    findings = {s["id"]: s["findings"] for s in rendered["manifest"]["sections"]}
    assert any("iterations 1900-1999" in f and "just stepped on" in f
               for f in findings["optimizers"])


def test_factorial_analysis_tables(rendered):
    anova = _csv(rendered, "factorial_anova")
    terms = set(anova["term"])
    assert {"init", "optimizer", "batchnorm", "init:batchnorm", "Residual"} <= terms
    mnist = anova[(anova["dataset"] == "mnist")].set_index("term")
    # planted: init has a large effect, stronger without BN
    assert mnist.loc["init", "low"] > 0.5 and mnist.loc["init:batchnorm", "p"] < 0.01
    paired = _csv(rendered, "factorial_paired")
    he = paired[(paired["dataset"] == "mnist") & (paired["factor"] == "init")
                & (paired["level_a"] == "0.01") & (paired["level_b"] == "he")].iloc[0]
    assert he["low"] > 0 and he["n"] > 0
    check = _csv(rendered, "factorial_budget_check").set_index("dataset")
    assert check.loc["mnist", "n"] == 24 and check.loc["mnist", "rho"] > 0.8
    assert check.loc["mnist", "budget"] == 500 and check.loc["mnist", "long_budget"] == 2000
    findings = {s["id"]: s["findings"] for s in rendered["manifest"]["sections"]}["factorial"]
    assert any("Spearman rho" in f for f in findings)


def test_time_to_target_table_and_figure(rendered):
    table = _csv(rendered, "optimizers_tuned_time_to_target")
    assert set(table["dataset"]) == {"mnist", "fashion-mnist"}
    assert (table["n"] == 3).all() and (table["no_curve"] == 0).all()
    assert (table["reached"] + table["not_reached"] == table["n"]).all()
    assert "optimizers_tuned_time_to_target" in {f["name"] for f in rendered["manifest"]["figures"]}


def test_batch_norm_section_states_the_eps(rendered):
    findings = {s["id"]: s["findings"] for s in rendered["manifest"]["sections"]}["batch_norm"]
    assert any("eps 1.00e-06 (the book's value)" in f for f in findings)
