"""The factorial ANOVA against a hand computation, the eta-squared interval, planted and
null effects (ANOVA and seed-matched pairs), and designs with missing cells."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nnbench.analysis.anova import factorial_anova, partial_eta_sq_interval
from nnbench.analysis.paired import paired_differences
from nnbench.analysis.base import AnalysisError

LEVELS = {"init": ["0.01", "xavier", "he"], "optimizer": ["sgd", "adam"],
          "batchnorm": [False, True], "dropout": [0.0, 0.2], "weight_decay": [0.0, 0.01]}


def _two_factor_table(replicates=4):
    """A balanced init (3) x optimizer (2) design with main effects, an interaction and
    noise; returns the table and the responses as an array [init, optimizer, replicate]."""
    rng = np.random.default_rng(3)
    y = (0.6 + np.array([0.0, 0.05, 0.08])[:, None, None]
         + np.array([0.0, 0.1])[None, :, None]
         + np.array([[0, 0], [0, 0.03], [0, -0.02]])[:, :, None]
         + rng.normal(0, 0.02, (3, 2, replicates)))
    rows = [{"dataset": "mnist", "seed": r, "init": init, "optimizer": opt,
             "final_test_acc": y[i, j, r]}
            for i, init in enumerate(LEVELS["init"]) for j, opt in enumerate(LEVELS["optimizer"])
            for r in range(replicates)]
    return pd.DataFrame(rows), y


def test_anova_agrees_with_hand_computed_two_factor_sums_of_squares():
    table, y = _two_factor_table()
    a, b, r = y.shape
    grand = y.mean()
    mean_a, mean_b, cell = y.mean(axis=(1, 2)), y.mean(axis=(0, 2)), y.mean(axis=2)
    ss = {"init": b * r * np.sum((mean_a - grand) ** 2),
          "optimizer": a * r * np.sum((mean_b - grand) ** 2),
          "init:optimizer": r * np.sum((cell - mean_a[:, None] - mean_b[None, :] + grand) ** 2)}
    df = {"init": a - 1, "optimizer": b - 1, "init:optimizer": (a - 1) * (b - 1)}
    ss_error, df_error = np.sum((y - cell[:, :, None]) ** 2), a * b * (r - 1)

    result = factorial_anova(table, factors=("init", "optimizer")).set_index("term")
    assert result.loc["Residual", "sum_sq"] == pytest.approx(ss_error, rel=1e-10)
    assert result.loc["Residual", "df"] == df_error
    for term in ss:
        row = result.loc[term]
        F = (ss[term] / df[term]) / (ss_error / df_error)
        assert row["sum_sq"] == pytest.approx(ss[term], rel=1e-10)
        assert row["df"] == df[term] and row["df_resid"] == df_error
        assert row["F"] == pytest.approx(F, rel=1e-10)
        assert row["p"] == pytest.approx(stats.f.sf(F, df[term], df_error), rel=1e-8)
        assert row["partial_eta_sq"] == pytest.approx(ss[term] / (ss[term] + ss_error))
        assert row["low"] <= row["partial_eta_sq"] <= row["high"]
        assert row["n"] == a * b * r


def test_eta_interval_bounds_solve_the_noncentral_f_equations():
    F, df1, df2 = 6.0, 2, 40
    low, high = partial_eta_sq_interval(F, df1, df2)
    lam_low, lam_high = low * df2 / (1 - low), high * df2 / (1 - high)
    assert stats.ncf.cdf(F, df1, df2, lam_low) == pytest.approx(0.975, abs=1e-6)
    assert stats.ncf.cdf(F, df1, df2, lam_high) == pytest.approx(0.025, abs=1e-6)
    # A small F: the lower bound is 0 (no lambda >= 0 puts F at the 97.5% quantile).
    assert partial_eta_sq_interval(0.2, df1, df2)[0] == 0.0
    assert all(math.isnan(v) for v in partial_eta_sq_interval(math.nan, df1, df2))


def _factorial(effect, seeds=3, drop=None, noise=0.01):
    """Full factorial of LEVELS on two datasets; adam is ``effect`` better than sgd,
    batch norm does nothing. ``drop(row) -> bool`` removes runs."""
    rng = np.random.default_rng(11)
    rows = []
    for dataset in ("mnist", "fashion-mnist"):
        for values in itertools.product(*LEVELS.values()):
            row = dict(zip(LEVELS, values))
            for seed in range(seeds):
                y = 0.8 + (effect if row["optimizer"] == "adam" else 0.0) \
                    + (0.02 if row["init"] == "he" else 0.0) + rng.normal(0, noise)
                run = {"dataset": dataset, "seed": seed, **row, "final_test_acc": y,
                       "status": "ok"}
                if drop is None or not drop(run):
                    rows.append(run)
    return pd.DataFrame(rows)


def test_planted_effect_is_found_with_its_sign_and_a_null_factor_covers_zero():
    table = _factorial(effect=0.05)
    anova = factorial_anova(table).set_index(["dataset", "term"])
    for dataset in ("mnist", "fashion-mnist"):
        planted = anova.loc[(dataset, "optimizer")]
        assert planted["p"] < 1e-10 and planted["low"] > 0.5
        null = anova.loc[(dataset, "batchnorm")]
        # p > 0.025 is exactly when no noncentrality > 0 puts F at its 97.5% quantile.
        assert null["p"] > 0.025 and null["low"] == 0.0 < null["partial_eta_sq"] < null["high"]

    paired = paired_differences(table)
    optimizer = paired[paired["factor"] == "optimizer"]
    assert list(optimizer["level_a"]) == ["adam", "adam"] and set(optimizer["level_b"]) == {"sgd"}
    # sgd - adam = -0.05, interval excluding 0 on that side; 3 seeds x 24 other settings.
    assert np.allclose(optimizer["estimate"], -0.05, atol=0.005)
    assert (optimizer["high"] < 0).all() and (optimizer["n"] == 72).all()
    assert (optimizer["n_seeds"] == 3).all()
    bn = paired[paired["factor"] == "batchnorm"]
    assert ((bn["low"] < 0) & (bn["high"] > 0)).all()
    # Three init levels, three pairs per dataset: xavier - he = -0.02.
    he = paired[(paired["factor"] == "init") & (paired["level_b"] == "xavier")
                & (paired["level_a"] == "he")]
    assert len(he) == 2 and np.allclose(he["estimate"], -0.02, atol=0.005)
    # Deterministic: the same tables give the same intervals.
    pd.testing.assert_frame_equal(paired, paired_differences(table))


def test_a_missing_cell_drops_only_the_interaction_it_breaks():
    table = _factorial(effect=0.05, drop=lambda r: r["init"] == "he" and r["optimizer"] == "adam"
                       and r["dataset"] == "mnist")
    anova = factorial_anova(table)
    mnist = anova[anova["dataset"] == "mnist"]
    assert "init:optimizer" not in set(mnist["term"])
    assert "init:batchnorm" in set(mnist["term"]) and "optimizer" in set(mnist["term"])
    assert "init:optimizer not fitted (cells missing)" in mnist["note"].iloc[0]
    fashion = anova[anova["dataset"] == "fashion-mnist"]
    assert "init:optimizer" in set(fashion["term"])


def test_half_fraction_estimates_main_effects_and_interactions_but_has_no_pairs():
    # 2^(5-1) resolution V: weight_decay level = parity of the other four factors.
    levels = {k: v[:2] for k, v in LEVELS.items()}

    def outside_fraction(run):
        bits = [levels[k].index(run[k]) for k in levels]
        return sum(bits) % 2 == 1

    rng = np.random.default_rng(5)
    rows = []
    for values in itertools.product(*levels.values()):
        row = dict(zip(levels, values))
        if outside_fraction(row):
            continue
        for seed in range(3):
            rows.append({"dataset": "mnist", "seed": seed, **row, "final_test_acc":
                         0.7 + (0.1 if row["batchnorm"] else 0.0) + rng.normal(0, 0.01)})
    table = pd.DataFrame(rows)
    anova = factorial_anova(table).set_index("term")
    assert len(table) == 48 and len(anova) == 5 + 10 + 1
    assert not anova["note"].str.contains("not fitted|rank", regex=True).any()
    assert anova.loc["batchnorm", "p"] < 1e-10
    assert anova.loc["batchnorm", "sum_sq"] == pytest.approx(48 * 0.05 ** 2, rel=0.1)
    paired = paired_differences(table)
    assert (paired["n"] == 0).all() and paired["estimate"].isna().all()
    assert paired["note"].str.contains("fractional").all()


def test_diverged_runs_are_left_out_and_counted():
    table = _factorial(effect=0.05)
    table.loc[0, "final_test_acc"] = math.nan
    anova = factorial_anova(table)
    mnist = anova[anova["dataset"] == table.loc[0, "dataset"]]
    assert (mnist["n"] == 143).all() and "1 run(s) with non-finite" in mnist["note"].iloc[0]


def test_bad_input_raises_analysis_error():
    with pytest.raises(AnalysisError, match="no column 'optimizer'"):
        factorial_anova(pd.DataFrame({"dataset": ["mnist"], "final_test_acc": [0.9],
                                      "init": ["he"]}), factors=("init", "optimizer"))


def test_tables_read_back_from_csv_give_the_same_analysis(tmp_path):
    table = _factorial(effect=0.05)
    path = tmp_path / "runs.csv"
    table.to_csv(path, index=False)
    again = pd.read_csv(path)  # levels come back as floats, bools and strings of the CSV
    pd.testing.assert_frame_equal(factorial_anova(table), factorial_anova(again))
    pd.testing.assert_frame_equal(paired_differences(table), paired_differences(again))
