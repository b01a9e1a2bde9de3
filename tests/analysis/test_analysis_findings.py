"""Verdicts from planted effects: found with the right sign -> holds, null ->
inconclusive, reversed -> does not hold, a missing study -> no data."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import analysis_synthetic as synthetic
from nnbench.analysis import findings
from nnbench.analysis.findings import (
    CLAIMS,
    DOES_NOT_HOLD,
    FINDINGS_COLUMNS,
    HOLDS,
    INCONCLUSIVE,
    NO_DATA,
    evaluate_claims,
    methods_text,
    verdict,
)


def _by_claim(table, dataset):
    return table[table["dataset"] == dataset].set_index("claim_id")


@pytest.mark.parametrize("sign, expected", [(1, HOLDS), (0, INCONCLUSIVE), (-1, DOES_NOT_HOLD)])
def test_every_claim_gets_the_verdict_of_its_planted_effect(sign, expected):
    table = evaluate_claims(synthetic.tables(sign))
    assert list(table.columns) == list(FINDINGS_COLUMNS)
    assert len(table) == 3 * len(CLAIMS)  # two datasets and the overall row per claim
    for dataset in ("mnist", "fashion-mnist", "all"):
        rows = _by_claim(table, dataset)
        assert set(rows.index) == {c.key for c in CLAIMS}
        assert (rows["verdict"] == expected).all(), rows[["estimate", "low", "high", "verdict"]]
    rows = _by_claim(table, "mnist")
    for claim in CLAIMS:
        planted = sign * synthetic.DELTA
        # The estimate is the planted effect itself, on the claim's side of its threshold.
        if claim.direction == findings.ABOVE:
            assert rows.loc[claim.key, "estimate"] == pytest.approx(claim.threshold + planted)
        else:
            assert rows.loc[claim.key, "estimate"] == pytest.approx(claim.threshold - planted)
        assert rows.loc[claim.key, "n"] == 5


def test_missing_study_gives_no_data_and_the_others_are_unaffected():
    tables = synthetic.tables(1)
    del tables[("optimizers", "runs")]
    tables[("batch_norm", "runs")] = None
    table = evaluate_claims(tables)
    for key in ("sgd_slowest", "adaptive_lowest_loss", "bn_robust_to_init"):
        rows = table[table["claim_id"] == key]
        assert (rows["verdict"] == NO_DATA).all() and (rows["n"] == 0).all()
        assert rows["estimate"].isna().all()
    assert "no optimizers/runs.csv" in table.loc[table["claim_id"] == "sgd_slowest", "note"].iloc[0]
    assert (table.loc[table["claim_id"] == "he_beats_xavier", "verdict"] == HOLDS).all()


def test_nothing_at_all_gives_one_no_data_row_per_claim():
    table = evaluate_claims({})
    assert len(table) == 2 * len(CLAIMS) and (table["verdict"] == NO_DATA).all()


def test_a_dataset_without_rows_is_no_data_and_makes_the_overall_verdict_inconclusive():
    table = evaluate_claims(synthetic.tables(1), datasets=["mnist", "digits"])
    assert (_by_claim(table, "digits")["verdict"] == NO_DATA).all()
    assert (_by_claim(table, "mnist")["verdict"] == HOLDS).all()
    overall = _by_claim(table, "all")
    assert (overall["verdict"] == INCONCLUSIVE).all()
    assert overall.loc["sgd_slowest", "note"] == "holds on mnist; no data on digits"


def test_datasets_that_disagree_make_the_overall_verdict_inconclusive():
    tables = synthetic.tables(1)
    reversed_ = synthetic.weight_init_runs(-1)
    tables[("weight_init", "runs")] = pd.concat([
        tables[("weight_init", "runs")].query("dataset == 'mnist'"),
        reversed_.query("dataset == 'fashion-mnist'")])
    table = evaluate_claims(tables).set_index(["claim_id", "dataset"])
    assert table.loc[("he_beats_xavier", "mnist"), "verdict"] == HOLDS
    assert table.loc[("he_beats_xavier", "fashion-mnist"), "verdict"] == DOES_NOT_HOLD
    assert table.loc[("he_beats_xavier", "all"), "verdict"] == INCONCLUSIVE


def test_a_diverged_run_removes_its_seed_and_is_counted():
    tables = synthetic.tables(1)
    runs = tables[("optimizers", "runs")]
    bad = (runs["dataset"] == "mnist") & (runs["seed"] == 2) & (runs["optimizer"] == "adam")
    runs.loc[bad, "status"] = "diverged"
    runs.loc[bad, "final_train_loss"] = math.inf
    row = evaluate_claims(tables).set_index(["claim_id", "dataset"]).loc[
        ("adaptive_lowest_loss", "mnist")]
    assert row["n"] == 4 and row["verdict"] == HOLDS
    assert "1 of 5 seeds left out" in row["note"] and "1 diverged run(s)" in row["note"]


def test_book_values_sit_on_the_book_dataset_only():
    table = evaluate_claims(synthetic.tables(1)).set_index(["claim_id", "dataset"])
    assert table.loc[("sgd_slowest", "mnist"), "book"] == pytest.approx(0.150 - 0.050)
    assert table.loc[("small_init_no_learning", "mnist"), "book"] == 2.305
    assert math.isnan(table.loc[("sgd_slowest", "fashion-mnist"), "book"])


def test_verdict_rule():
    assert verdict(0.1, 0.2, 5, ">") == HOLDS
    assert verdict(-0.2, -0.1, 5, ">") == DOES_NOT_HOLD
    assert verdict(-0.2, -0.1, 5, "<") == HOLDS
    assert verdict(-0.1, 0.1, 5, ">") == INCONCLUSIVE
    assert verdict(0.0, 0.1, 5, ">") == INCONCLUSIVE  # touching the threshold is not excluding it
    assert verdict(2.3, 2.4, 5, ">", threshold=2.2) == HOLDS
    assert verdict(0.1, 0.2, findings.MIN_SEEDS - 1, ">") == INCONCLUSIVE
    assert verdict(math.nan, math.nan, 1, ">") == INCONCLUSIVE
    assert verdict(math.nan, math.nan, 0, ">") == NO_DATA
    with pytest.raises(findings.AnalysisError, match="direction '>=' is not one of"):
        verdict(0.1, 0.2, 5, ">=")


def test_methods_text_is_written_from_the_constants(monkeypatch):
    text = methods_text()
    for word in (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE, NO_DATA, "95%", "Student-t",
                 f"fewer than {findings.MIN_SEEDS} seeds"):
        assert word in text
    assert "90%" in methods_text(0.90)
    monkeypatch.setattr(findings, "MIN_SEEDS", 4)
    assert "fewer than 4 seeds" in methods_text()


def test_docs_describe_every_claim_and_the_rule_constants():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "FINDINGS.md").read_text()
    text = " ".join(text.split())  # line breaks as spaces
    for claim in CLAIMS:
        assert f"`{claim.key}`" in text
    assert f"fewer than {findings.MIN_SEEDS} seeds" in text
    assert f"within {findings.NOT_LEARNING_MARGIN} of ln 10" in text


def test_too_few_seeds_is_inconclusive_and_says_why():
    tables = {key: frame[frame["seed"] < 2] for key, frame in synthetic.tables(1).items()}
    table = evaluate_claims(tables)
    rows = table[table["dataset"] != "all"]
    assert (rows["verdict"] == INCONCLUSIVE).all() and (rows["n"] == 2).all()
    assert rows["note"].str.startswith("only 2 seed(s); a verdict needs 3").all()
