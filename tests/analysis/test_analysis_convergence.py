"""The budget check: Spearman's rho of settings between two budgets, with its interval."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nnbench.analysis.convergence import budget_rank_check, spearman_interval

SETTINGS = ("init", "optimizer", "batchnorm")


def _runs(score, iterations, keep=lambda i: True, seeds=3):
    """Runs of 3 x 4 x 2 settings per dataset; setting i's accuracy is score(i) plus a
    seed offset that is the same for every setting (so means keep the ranking)."""
    rows = []
    grid = list(itertools.product(["0.01", "xavier", "he"], ["sgd", "momentum", "adam",
                                                            "rmsprop"], [False, True]))
    for dataset in ("mnist", "fashion-mnist"):
        for i, (init, opt, bn) in enumerate(grid):
            if not keep(i):
                continue
            for seed in range(seeds):
                rows.append({"dataset": dataset, "seed": seed, "init": init, "optimizer": opt,
                             "batchnorm": bn, "final_test_acc": score(dataset, i) + 0.001 * seed,
                             "iterations": iterations})
    return pd.DataFrame(rows)


def test_same_ranking_at_the_longer_budget_gives_rho_one_on_the_subsample():
    short = _runs(lambda d, i: 0.5 + 0.01 * i, 2000)
    # 4x longer, every other setting; higher accuracies but the same order.
    long = _runs(lambda d, i: 0.7 + 0.001 * i ** 2, 8000, keep=lambda i: i % 2 == 0)
    result = budget_rank_check(short, long, SETTINGS).set_index("dataset")
    assert list(result["n"]) == [12, 12]
    assert (result["rho"] == 1.0).all() and (result["low"] == 1.0).all()
    assert (result["budget"] == 2000).all() and (result["long_budget"] == 8000).all()


def test_unrelated_rankings_give_an_interval_covering_zero_and_a_related_one_excludes_it():
    rng = np.random.default_rng(2)
    noise = {d: rng.normal(size=24) for d in ("mnist", "fashion-mnist")}
    short = _runs(lambda d, i: 0.5 + 0.01 * i, 2000)
    unrelated = _runs(lambda d, i: noise[d][i], 8000)
    result = budget_rank_check(short, unrelated, SETTINGS)
    assert ((result["low"] < 0) & (result["high"] > 0)).all()
    related = _runs(lambda d, i: 0.01 * i + 0.03 * noise[d][i], 8000)
    result = budget_rank_check(short, related, SETTINGS)
    assert (result["low"] > 0.5).all() and (result["rho"] < 1).all()


def test_fisher_interval_formula():
    x = np.arange(20.0)
    y = x + np.random.default_rng(4).normal(0, 4, 20)
    rho, low, high, n = spearman_interval(x, y)
    assert rho == pytest.approx(stats.spearmanr(x, y).statistic)
    half = 1.959963984540054 * math.sqrt(1.06 / 17)
    assert (low, high) == pytest.approx((math.tanh(math.atanh(rho) - half),
                                         math.tanh(math.atanh(rho) + half)))
    assert n == 20 and math.isnan(spearman_interval([1, 2, 3], [1, 3, 2])[1])
