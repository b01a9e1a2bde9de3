"""Verdicts from planted effects: found with the right sign -> holds, null ->
inconclusive, reversed -> does not hold, a missing study -> no data."""

from __future__ import annotations

import math
from pathlib import Path

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


SEED = Path(__file__).resolve().parents[3] / "shared" / "seed"


def _by_claim(table, dataset):
    return table[table["dataset"] == dataset].set_index("claim_id")


# A claim about every run is refuted by one run: its null (3 of 5 seeds) does not hold.
NULL_VERDICT = {"equal_init_symmetric": DOES_NOT_HOLD}
COUNTED = {c.key for c in CLAIMS if c.share is not None}
DATA_FREE = {c.key for c in CLAIMS if c.data_free}


def _expected(claim_key, sign):
    if sign == 0:
        return NULL_VERDICT.get(claim_key, INCONCLUSIVE)
    return HOLDS if sign > 0 else DOES_NOT_HOLD


@pytest.mark.parametrize("sign", [1, 0, -1])
def test_every_claim_gets_the_verdict_of_its_planted_effect(sign):
    table = evaluate_claims(synthetic.tables(sign))
    assert list(table.columns) == list(FINDINGS_COLUMNS)
    # two datasets and the overall row per claim; one gaussian row and 'all' if data-free
    assert len(table) == 3 * len(CLAIMS) - len(DATA_FREE)
    for dataset in ("mnist", "fashion-mnist", "all"):
        rows = _by_claim(table, dataset)
        keys = {c.key for c in CLAIMS} - (DATA_FREE if dataset != "all" else set())
        assert set(rows.index) == keys
        for key in keys:
            assert rows.loc[key, "verdict"] == _expected(key, sign), rows.loc[key]
    gaussian = _by_claim(table, findings.GAUSSIAN_INPUTS)
    assert set(gaussian.index) == DATA_FREE
    for key in DATA_FREE:
        assert gaussian.loc[key, "verdict"] == _expected(key, sign)
        assert gaussian.loc[key, "n"] == 5
    rows = _by_claim(table, "mnist")
    for claim in CLAIMS:
        if claim.data_free or claim.share is not None:
            continue
        planted = sign * synthetic.DELTA
        # The estimate is the planted effect itself, on the claim's side of its threshold.
        if claim.direction == findings.ABOVE:
            assert rows.loc[claim.key, "estimate"] == pytest.approx(claim.threshold + planted)
        else:
            assert rows.loc[claim.key, "estimate"] == pytest.approx(claim.threshold - planted)
        assert rows.loc[claim.key, "n"] == 5


def test_every_claim_names_its_slide_of_the_deck():
    table = evaluate_claims(synthetic.tables(1))
    deck = " ".join(path.read_text(encoding="utf-8") for path in SEED.glob("*.txt"))
    for claim in CLAIMS:
        assert (table.loc[table["claim_id"] == claim.key, "slide"] == claim.slide).all()
        assert f"{claim.slide} " in deck, claim.slide  # a section number of the deck


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
    assert table["p"].isna().all() and table["p_adjusted"].isna().all()


def test_a_dataset_without_rows_is_no_data_and_makes_the_overall_verdict_inconclusive():
    table = evaluate_claims(synthetic.tables(1), datasets=["mnist", "digits"])
    assert (_by_claim(table, "digits")["verdict"] == NO_DATA).all()
    assert (_by_claim(table, "mnist")["verdict"] == HOLDS).all()
    overall = _by_claim(table, "all")
    assert (overall.drop(index=list(DATA_FREE))["verdict"] == INCONCLUSIVE).all()
    assert (overall.loc[list(DATA_FREE), "verdict"] == HOLDS).all()  # no dataset to lack
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


# --------------------------------------------------------------------------- the family

def _tested(table):
    return table[(table["dataset"] != "all") & table["p_adjusted"].notna()]


def test_p_values_are_holm_adjusted_over_the_whole_family():
    from statsmodels.stats.multitest import multipletests

    table = evaluate_claims(synthetic.tables(1))
    tested = _tested(table)
    # every tested claim on each dataset (data-free claims once), none of the counted ones
    assert len(tested) == sum(1 if c.data_free else 2 for c in CLAIMS if c.share is None)
    assert table.loc[table["claim_id"].isin(COUNTED), "p_adjusted"].isna().all()
    expected = multipletests(tested["p"], alpha=0.05, method="holm")[1]
    assert list(tested["p_adjusted"]) == pytest.approx(list(expected))
    assert (tested["p_adjusted"] >= tested["p"]).all()


def test_a_weak_effect_that_holds_alone_is_inconclusive_in_the_family():
    # sgd_slowest on mnist planted at a third of DELTA among null claims: p about 0.01 on
    # its own (its 95% interval excludes 0), but not after Holm over ~35 tests.
    tables = synthetic.tables(0)
    runs = tables[("optimizers", "runs")]
    sgd = (runs["dataset"] == "mnist") & (runs["optimizer"] == "sgd")
    weak = synthetic.DELTA / 3 + synthetic.OFFSETS
    runs.loc[sgd, "final_minibatch_loss"] = 0.2 + weak[runs.loc[sgd, "seed"].to_numpy()]
    table = evaluate_claims(tables)
    row = table.set_index(["claim_id", "dataset"]).loc[("sgd_slowest", "mnist")]
    _, low95, _, _ = findings.t_interval(weak)
    assert low95 > 0 and row["p"] < 0.05  # alone it would hold
    assert row["p_adjusted"] == pytest.approx(min(1.0, row["p"] * len(_tested(table))))
    assert row["p_adjusted"] > 0.05 and row["verdict"] == INCONCLUSIVE
    assert row["low"] <= 0 <= row["high"] and row["level"] > 0.95


def test_the_interval_excludes_the_threshold_exactly_when_the_adjusted_p_is_below_alpha():
    for sign in (1, 0, -1):
        table = _tested(evaluate_claims(synthetic.tables(sign)))
        excludes = (table["low"] > table["threshold"]) | (table["high"] < table["threshold"])
        assert list(excludes) == list(table["p_adjusted"] < 0.05)
        assert ((table["level"] >= 0.95) & (table["level"] < 1)).all()


def test_matched_level_and_p_edge_cases():
    assert findings.matched_level(0.001, 0.01, 10) == pytest.approx(1 - 0.05 * 0.1)
    assert findings.matched_level(0.0, 0.0, 10) == pytest.approx(1 - 0.05 / 10)
    assert findings.matched_level(0.2, math.nan, 10) == 0.95
    assert findings.t_test_p([1.0, 1.0, 1.0]) == 0.0  # equal values off the threshold
    assert findings.t_test_p([1.0, 1.0, 1.0], threshold=1.0) == 1.0
    assert math.isnan(findings.t_test_p([1.0]))


# --------------------------------------------------------------------------- counted claims

@pytest.mark.parametrize("sign, dead, distinct", [(1, HOLDS, HOLDS), (0, INCONCLUSIVE, DOES_NOT_HOLD),
                                                  (-1, DOES_NOT_HOLD, DOES_NOT_HOLD)])
def test_counted_claims_say_how_many_seeds_satisfy_them(sign, dead, distinct):
    table = evaluate_claims(synthetic.tables(sign)).set_index(["claim_id", "dataset"])
    satisfied = {1: 5, 0: 3, -1: 0}[sign]
    row = table.loc[("dead_relu_units", "mnist")]
    assert row["verdict"] == dead and f"{satisfied} of 5 seeds above 0" in row["note"]
    assert math.isnan(row["p"]) and row["level"] == 0.95
    assert row["estimate"] == pytest.approx(
        sum(synthetic.dead_fraction(sign, seed) for seed in synthetic.SEEDS) / 5)
    row = table.loc[("equal_init_symmetric", "fashion-mnist")]
    assert row["verdict"] == distinct and f"{satisfied} of 5 seeds equal to 1" in row["note"]
    # 3 of 5 is one seed from both of the majority rule's bounds; unanimous seeds are not near
    assert table.loc[("dead_relu_units", "mnist"), "near_threshold"] == (sign == 0)
    assert not table.loc[("equal_init_symmetric", "mnist"), "near_threshold"]


def test_share_verdict_rule():
    majority, every = findings.CLEAR_MAJORITY, findings.EVERY_SEED
    assert findings.share_verdict(4, 5, majority) == HOLDS
    assert findings.share_verdict(3, 5, majority) == INCONCLUSIVE
    assert findings.share_verdict(2, 5, majority) == DOES_NOT_HOLD
    assert findings.share_verdict(5, 5, every) == HOLDS
    assert findings.share_verdict(4, 5, every) == DOES_NOT_HOLD
    assert findings.share_verdict(2, 2, every) == INCONCLUSIVE  # fewer than MIN_SEEDS
    assert findings.share_verdict(0, 0, every) == NO_DATA


def test_a_missing_diagnostic_gives_no_data_for_its_claims_only():
    tables = synthetic.tables(1)
    curves = tables[("activation_histograms", "curves")]
    tables[("activation_histograms", "curves")] = curves[curves["metric"] == "activation_std"]
    tables[("weight_init", "curves")] = None
    table = evaluate_claims(tables).set_index(["claim_id", "dataset"])
    for key in ("std1_saturates", "std001_concentrates", "xavier_suits_sigmoid_tanh"):
        assert table.loc[(key, findings.GAUSSIAN_INPUTS), "verdict"] == NO_DATA
        assert table.loc[(key, "all"), "verdict"] == NO_DATA
    assert table.loc[("equal_init_symmetric", "mnist"), "verdict"] == NO_DATA
    assert table.loc[("he_beats_xavier", "mnist"), "verdict"] == HOLDS


def test_batch_norm_learning_speed_is_read_at_a_quarter_of_the_epochs():
    tables = synthetic.tables(1)
    curves = tables[("batch_norm", "curves")]
    # a large effect anywhere but at epoch 5 changes nothing
    later = curves["batchnorm"] & (curves["epoch"] == 6)
    curves.loc[later, "value"] = 0.0
    row = evaluate_claims(tables).set_index(["claim_id", "dataset"]).loc[("bn_learns_faster", "mnist")]
    assert row["estimate"] == pytest.approx(synthetic.DELTA) and row["verdict"] == HOLDS


# --------------------------------------------------------------------------- near the threshold

def test_methods_text_lists_the_verdicts_near_their_threshold():
    table = evaluate_claims(synthetic.tables(0))
    near = findings.near_threshold(table)
    assert set(near["claim_id"]) == {"dead_relu_units"}  # 3 of 5; the t-tested nulls have p 1
    text = methods_text(table=table)
    assert "dead_relu_units on mnist (inconclusive, a count)" in text
    assert f"the family has {len(_tested(table))} rows" in text
    assert "No verdict of this report sits near" in methods_text(table=evaluate_claims(synthetic.tables(1)))
    for word in ("Holm", "statsmodels.stats.multitest", "family", "95%"):
        assert word in text


# --------------------------------------------------------------------------- texts

def test_the_numbers_written_in_the_metrics_are_the_constants():
    metrics = {claim.key: claim.metric for claim in CLAIMS}
    assert f"batch {findings.MINIBATCH} " in metrics["full_batch_too_slow"] + " "
    assert f"batch {findings.MINIBATCH} " in metrics["minibatches_save_time"]
    assert findings.EARLY_FRACTION == 0.25 and "a quarter of the epochs" in metrics["bn_learns_faster"]
    for key in ("std1_saturates", "std001_concentrates", "xavier_suits_sigmoid_tanh"):
        assert f"{findings.ACTIVATION_MARGIN:g} " in metrics[key]
    assert f"ln 10 = {findings.CHANCE_LOSS:.3f}" in metrics["small_init_no_learning"]


def test_the_table_and_the_methods_in_korean_use_the_decks_terms():
    english = evaluate_claims(synthetic.tables(0))
    korean = evaluate_claims(synthetic.tables(0), lang="ko")
    numbers = ["estimate", "low", "high", "p", "p_adjusted", "n", "near_threshold"]
    pd.testing.assert_frame_equal(english[numbers], korean[numbers])
    rows = korean.set_index(["claim_id", "dataset"])
    assert rows.loc[("bn_suppresses_overfitting", "mnist"), "claim"] == "배치 정규화는 오버피팅을 억제한다"
    assert rows.loc[("bn_suppresses_overfitting", "mnist"), "verdict"] == "판단 보류"
    assert rows.loc[("equal_init_symmetric", "all"), "verdict"] == "성립하지 않음"
    assert rows.loc[("dead_relu_units", "mnist"), "note"].startswith("시드 5개 중 3개가 0보다 큼")
    assert set(korean["verdict"]) <= {"성립", "성립하지 않음", "판단 보류", "데이터 없음"}
    text = methods_text(table=english, lang="ko")
    assert "Holm" in text and "'판단 보류'" in text and "dead_relu_units" in text
