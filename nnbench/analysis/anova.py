"""Factorial ANOVA of the factorial study's final test accuracy, per dataset, with partial
eta squared and its 95% interval.

Model: ``response ~ main effects + all two-way interactions`` of the categorical factors
(init, optimizer, batchnorm, dropout, weight_decay by default), fitted by least squares
per dataset (datasets differ in difficulty; pooling them would make "dataset" the largest
effect and hide the others). Higher-order interactions are pooled into the residual, so
with a single seed the ANOVA still has an error term; with several seeds the residual is
seed-to-seed noise plus those higher-order terms.

Sums of squares are **Type II**: each term is tested after every other term that does not
contain it (a main effect after the other main effects and the interactions not involving
it). Type II respects marginality, and it stays well defined when cells are missing
(a fractional design, or diverged runs left out), where Type III's hypotheses depend on
the contrast coding and on cell means that were never observed. In a complete balanced
design Types I, II and III give identical sums of squares, so nothing is lost there.

Partial eta squared of a term is ``SS_term / (SS_term + SS_residual)`` = ``F df1 / (F df1
+ df2)``. Its 95% interval inverts the noncentral F distribution (Steiger 2004): the
noncentrality bounds ``lambda_low, lambda_high`` are those for which the observed F is the
97.5% and 2.5% quantile of ``ncf(df1, df2, lambda)`` (scipy), converted with ``eta =
lambda / (lambda + df2)`` (the same map that turns the point estimate ``lambda = F df1``
into the partial eta squared, as R's ``effectsize`` does). A bound whose equation has no
solution with ``lambda >= 0`` is 0.

Missing cells: a two-way interaction is fitted only when every combination of its two
factors' levels occurs in the data (its two-way margin is complete); otherwise it is left
out of the model and named in ``note``. In a resolution-V fractional design all two-way
margins are complete, so main effects and two-way interactions are estimated, each aliased
only with interactions of order three and higher (assumed negligible, and pooled into the
residual).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from nnbench.analysis.base import AnalysisError, level_text, require_columns

from nnbench.statistics import CONFIDENCE

FACTORS = ("init", "optimizer", "batchnorm", "dropout", "weight_decay")
RESPONSE = "final_test_acc"
RESIDUAL = "Residual"
ANOVA_COLUMNS = ("dataset", "term", "df", "df_resid", "sum_sq", "F", "p", "partial_eta_sq",
                 "low", "high", "n", "note")


def partial_eta_sq_interval(F: float, df1: float, df2: float,
                            confidence: float = CONFIDENCE) -> tuple[float, float]:
    """(low, high) interval of partial eta squared from the noncentral F distribution
    (see the module docstring); NaN when F is not finite or a df is not positive."""
    from scipy import optimize, stats

    if not (math.isfinite(F) and df1 > 0 and df2 > 0):
        return math.nan, math.nan

    def cdf(lam):
        return stats.f.cdf(F, df1, df2) if lam == 0 else stats.ncf.cdf(F, df1, df2, lam)

    def bound(tail):
        # cdf(F; lambda) falls from cdf(F; 0) towards 0 as lambda grows.
        if cdf(0.0) <= tail:
            return 0.0
        upper = max(1.0, F * df1)
        while cdf(upper) > tail:
            upper *= 2.0
            if upper > 1e9:
                return math.inf
        return optimize.brentq(lambda lam: cdf(lam) - tail, 0.0, upper, xtol=1e-10)

    alpha = 1.0 - confidence
    lam_low, lam_high = bound(1 - alpha / 2), bound(alpha / 2)
    to_eta = (lambda lam: 1.0 if math.isinf(lam) else lam / (lam + df2))
    return to_eta(lam_low), to_eta(lam_high)


def _design(frame, factors, names):
    """Factors with more than one level, and the two-way interactions whose margin is
    complete, plus notes (with the factors' ``names``) on what was left out."""
    notes = []
    used = []
    for factor in factors:
        levels = frame[factor].nunique()
        if levels > 1:
            used.append(factor)
        else:
            notes.append(f"{names[factor]} constant")
    pairs = []
    for a, b in itertools.combinations(used, 2):
        cells = frame[[a, b]].drop_duplicates().shape[0]
        if cells == frame[a].nunique() * frame[b].nunique():
            pairs.append((a, b))
        else:
            notes.append(f"{names[a]}:{names[b]} not fitted (cells missing)")
    return used, pairs, notes


def factorial_anova(runs, factors=FACTORS, response: str = RESPONSE,
                    by: str = "dataset", confidence: float = CONFIDENCE):
    """Type II ANOVA table per ``by`` group (dataset) of ``response`` on the categorical
    ``factors``, main effects and two-way interactions, with partial eta squared.

    Returns a DataFrame with columns :data:`ANOVA_COLUMNS`: one row per term (``init``,
    ``init:optimizer``, ...) and a ``Residual`` row per dataset. ``n`` is the number of runs
    used (non-finite responses, i.e. diverged runs, are left out and counted in ``note``).
    """
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    factors = list(factors)
    require_columns(runs, [by, response, *factors], "factorial runs table")
    if not factors:
        raise AnalysisError("factorial_anova needs at least one factor; got none")
    rows = []
    for group, part in runs.groupby(by, sort=True):
        values = pd.to_numeric(part[response], errors="coerce").astype(float)
        keep = np.isfinite(values.to_numpy())
        # Safe names f0, f1, ... in the formula; levels as canonical strings (categorical).
        data = pd.DataFrame({f"f{i}": part.loc[keep, f].map(level_text).to_numpy()
                             for i, f in enumerate(factors)})
        data["y"] = values[keep].to_numpy()
        alias = {f"f{i}": f for i, f in enumerate(factors)}
        used, pairs, notes = _design(data, list(alias), alias)
        dropped = int((~keep).sum())
        if dropped:
            notes.append(f"{dropped} run(s) with non-finite {response} left out")
        note = "; ".join(notes)
        n = len(data)
        if not used:
            rows.append({"dataset": group, "term": RESIDUAL, "n": n,
                         "note": note or "no factor varies"})
            continue
        terms = [f"C({f})" for f in used] + [f"C({a}):C({b})" for a, b in pairs]
        model = smf.ols("y ~ " + " + ".join(terms), data=data).fit()
        rank = np.linalg.matrix_rank(model.model.exog)
        if rank < model.model.exog.shape[1]:
            note = "; ".join(filter(None, [note, "design rank-deficient: some effects aliased"]))
        df_resid = float(model.df_resid)
        if df_resid <= 0:
            # A saturated model (one run per cell of the fitted terms): no error term.
            note = "; ".join(filter(None, [note, "no residual df: F, p, intervals undefined"]))
            for term in terms:
                rows.append({"dataset": group, "term": _term_name(term, alias), "n": n,
                             "df_resid": df_resid, "note": note})
            rows.append({"dataset": group, "term": RESIDUAL, "df": df_resid, "n": n,
                         "note": note})
            continue
        table = anova_lm(model, typ=2)
        ss_resid = float(table.loc[RESIDUAL, "sum_sq"])
        for term, result in table.iterrows():
            if term == RESIDUAL:
                continue
            F, ss, df = float(result["F"]), float(result["sum_sq"]), float(result["df"])
            eta = ss / (ss + ss_resid) if (ss + ss_resid) > 0 else math.nan
            low, high = partial_eta_sq_interval(F, df, df_resid, confidence)
            rows.append({"dataset": group, "term": _term_name(term, alias), "df": df,
                         "df_resid": df_resid, "sum_sq": ss, "F": F,
                         "p": float(result["PR(>F)"]), "partial_eta_sq": eta, "low": low,
                         "high": high, "n": n, "note": note})
        rows.append({"dataset": group, "term": RESIDUAL, "df": df_resid, "df_resid": df_resid,
                     "sum_sq": ss_resid, "n": n, "note": note})
    return pd.DataFrame(rows, columns=list(ANOVA_COLUMNS))


def _term_name(term: str, alias: dict) -> str:
    """'C(f0):C(f2)' -> 'init:batchnorm'."""
    return ":".join(alias[part[2:-1]] for part in term.split(":"))
