"""A verdict for every claim of the lecture, computed from the aggregated tables.

Each claim is one :class:`Claim` entry of :data:`CLAIMS`: the sentence, the study and the
table it is measured on, what the estimate is, the direction the claim predicts, the
threshold the estimate is compared with (0 for a difference), and the book's value of the
same estimate where the book has one. A claim's ``per_seed`` function turns one dataset's
rows of its table into one number per seed (a paired difference between two arms of the
same seed, a slope, a spread ...); the estimate is the mean over seeds with a Student-t
interval (:func:`nnbench.analysis.stats.t_interval`), and the verdict comes from ONE rule,
:func:`verdict`, described by :func:`methods_text` from the same constants.

Nothing here is typed in by hand except the claims themselves and the book's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nnbench.analysis.stats import CONFIDENCE, AnalysisError, level_text, t_interval
from nnbench.i18n import N_

HOLDS = "holds"
DOES_NOT_HOLD = "does not hold"
INCONCLUSIVE = "inconclusive"
NO_DATA = "no data"
VERDICTS = (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE, NO_DATA)
ABOVE, BELOW = ">", "<"
# Fewer seeds than this give 'inconclusive' whatever the interval: with two seeds a
# coincidence (two identical differences on a small test set) makes a zero-width interval.
MIN_SEEDS = 3
ALL_DATASETS = "all"  # the dataset of a claim's overall row
BOOK_DATASET = "mnist"  # the book's reference runs are on MNIST

FINDINGS_COLUMNS = ("claim_id", "slide", "claim", "dataset", "study", "metric", "estimate", "low",
                    "high", "n", "direction", "threshold", "book", "verdict", "note")

# Chance-level loss of a 10-class softmax (uniform prediction): ln 10.
CHANCE_LOSS = math.log(10)
# "Does not learn": the final minibatch loss stays within this distance of ln 10.
NOT_LEARNING_MARGIN = 0.1
ADAPTIVE = ("adagrad", "rmsprop", "adadelta", "adam")
NON_ADAPTIVE = ("sgd", "momentum", "nesterov")


@dataclass(frozen=True)
class Claim:
    """One claim of the lecture and how it is measured (see the module docstring)."""

    key: str
    slide: str  # the deck's slide (../shared/seed/)
    text: str  # marked with N_: the report and slides show it in every language
    study: str
    table: str  # 'runs', 'curves' or 'minibatch_spread' of results/<study>/
    metric: str  # the estimate, in words (what one seed contributes)
    per_seed: Callable  # one dataset's rows of the table -> pandas Series indexed by seed
    direction: str = ABOVE  # the claim predicts estimate > threshold (ABOVE) or < (BELOW)
    threshold: float = 0.0
    book: float = math.nan  # the book's value of the estimate (its runs are on BOOK_DATASET)
    book_note: str = ""  # where the book's numbers come from, shown on the BOOK_DATASET row


# --------------------------------------------------------------------------- helpers

def _ok_runs(runs):
    """Rows of a runs table from runs that did not diverge (no status column: all)."""
    if "status" in runs.columns:
        return runs[runs["status"].astype(str) == "ok"]
    return runs


def _empty():
    import pandas as pd

    return pd.Series(dtype=float)


def _at_level(runs, column: str, value):
    """``runs`` restricted to ``column == value`` (compared as canonical levels)."""
    return runs[runs[column].map(level_text) == level_text(value)]


def _pivot(runs, column: str, metric: str):
    """seed x level table of ``metric`` (mean over duplicated runs, NaN where absent)."""
    import pandas as pd

    data = runs.assign(_level=runs[column].map(level_text),
                       _value=pd.to_numeric(runs[metric], errors="coerce").astype(float))
    data["_value"] = data["_value"].where(np.isfinite(data["_value"]))
    return data.pivot_table(index="seed", columns="_level", values="_value", aggfunc="mean",
                            dropna=False)


def _arm_difference(column: str, metric: str, minus, plus):
    """per_seed: ``metric`` at ``column == plus`` minus at ``column == minus``, per seed."""
    def per_seed(runs):
        table = _pivot(runs, column, metric)
        a, b = level_text(minus), level_text(plus)
        if a not in table.columns or b not in table.columns:
            return _empty()
        return table[b] - table[a]
    return per_seed


def _gap(runs):
    import pandas as pd

    return (pd.to_numeric(runs["final_train_acc"], errors="coerce")
            - pd.to_numeric(runs["final_test_acc"], errors="coerce"))


def _gap_difference(column: str, baseline, treated):
    """per_seed: train-test accuracy gap at ``baseline`` minus at ``treated``."""
    def per_seed(runs):
        return _arm_difference(column, "_gap", treated, baseline)(runs.assign(_gap=_gap(runs)))
    return per_seed


def _slope(x, y) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 2 or np.ptp(x[keep]) == 0:
        return math.nan
    return float(np.polyfit(x[keep], y[keep], 1)[0])


# --------------------------------------------------------------------------- estimators

def sgd_minus_slowest_other(runs):
    """Per seed: SGD's final minibatch loss minus the highest final minibatch loss of the
    other optimizers (> 0: SGD is slower than every other optimizer). A seed where any
    optimizer diverged is left out."""
    table = _pivot(runs, "optimizer", "final_minibatch_loss")
    others = [c for c in table.columns if c != "sgd"]
    if "sgd" not in table.columns or not others:
        return _empty()
    return table["sgd"] - table[others].max(axis=1, skipna=False)


def best_non_adaptive_minus_best_adaptive(runs):
    """Per seed: lowest final training loss (full training set) among SGD, Momentum,
    Nesterov minus the lowest among AdaGrad, RMSprop, Adadelta, Adam (> 0: an adaptive
    optimizer reaches the lowest training loss). A seed where any optimizer diverged is
    left out."""
    table = _pivot(runs, "optimizer", "final_train_loss")
    plain = [c for c in table.columns if c in NON_ADAPTIVE]
    adaptive = [c for c in table.columns if c in ADAPTIVE]
    if not plain or not adaptive:
        return _empty()
    return table[plain].min(axis=1, skipna=False) - table[adaptive].min(axis=1, skipna=False)


def small_init_loss(runs):
    """Per seed: final minibatch loss of the std 0.01 initialisation."""
    table = _pivot(_at_level(runs, "init", 0.01), "init", "final_minibatch_loss")
    return table.mean(axis=1, skipna=False)


def gradient_ratio_relu_minus_sigmoid(curves):
    """Per seed: log10(||dL/dW_1|| / ||dL/dW_last||) of ReLU minus that of sigmoid, at each
    run's first logged step (> 0: sigmoid's first-layer gradient is smaller relative to
    its last layer's than ReLU's, i.e. it vanishes where ReLU's does not)."""
    import pandas as pd

    rows = curves[curves["metric"] == "grad_norm"].copy()
    if rows.empty:
        return _empty()
    rows["layer"] = pd.to_numeric(rows["layer"], errors="coerce")
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype(float)
    rows = rows[rows["step"] == rows.groupby("run_id")["step"].transform("min")]
    ratios = []
    for run_id, run in rows.groupby("run_id", sort=True):
        first = run.loc[run["layer"] == run["layer"].min(), "value"].mean()
        last = run.loc[run["layer"] == run["layer"].max(), "value"].mean()
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.log10(first / last) if first > 0 and last > 0 else math.nan
        ratios.append({"seed": run["seed"].iloc[0], "activation": run["activation"].iloc[0],
                       "value": ratio})
    table = pd.DataFrame(ratios)
    table = table.assign(_level=table["activation"].map(level_text)).pivot_table(
        index="seed", columns="_level", values="value", aggfunc="mean", dropna=False)
    if "relu" not in table.columns or "sigmoid" not in table.columns:
        return _empty()
    return table["relu"] - table["sigmoid"]


def spread_slope(spread):
    """Per seed: least-squares slope of log std(minibatch loss) vs log N at the run's last
    logged step (the trained weights); 1/sqrt(N) gives -1/2."""
    import pandas as pd

    slopes = {}
    for seed, run in spread.groupby("seed", sort=True):
        final = run[run["step"] == run["step"].max()]
        std = pd.to_numeric(final["std_loss"], errors="coerce").to_numpy(dtype=float)
        size = pd.to_numeric(final["batch_size"], errors="coerce").to_numpy(dtype=float)
        positive = (std > 0) & (size > 0)
        slopes[seed] = _slope(np.log(size[positive]), np.log(std[positive]))
    return pd.Series(slopes, dtype=float)


def bn_spread_reduction(runs):
    """Per seed: standard deviation, across the init stds, of the final training accuracy
    without batch norm minus with it (> 0: BN makes the result depend less on the init)."""
    table = runs.assign(_bn=runs["batchnorm"].map(level_text),
                        _acc=runs["final_train_acc"].astype(float))
    spread = table.pivot_table(index="seed", columns="_bn", values="_acc",
                               aggfunc=lambda v: float(np.std(v, ddof=1)) if len(v) > 1
                               else math.nan, dropna=False)
    if "false" not in spread.columns or "true" not in spread.columns:
        return _empty()
    return spread["false"] - spread["true"]


def gap_slope_per_log2_width(runs):
    """Per seed: slope of the train-test accuracy gap vs log2(hidden width) (> 0: the gap
    grows with capacity)."""
    import pandas as pd

    data = runs.assign(_gap=_gap(runs), _w=pd.to_numeric(runs["width"], errors="coerce"))
    return pd.Series({seed: _slope(np.log2(run["_w"]), run["_gap"])
                      for seed, run in data.groupby("seed", sort=True)}, dtype=float)


# --------------------------------------------------------------------------- the claims

_BOOK_1900 = ("book: smoothed minibatch loss at iteration 1900, one unseeded run, logged "
              "after the update (ours: before it, mean of the last 10% of iterations)")

CLAIMS = (
    Claim("sgd_slowest", "1.2", N_("SGD is the slowest of the optimizers"), "optimizers", "runs",
          "final minibatch loss of SGD minus that of the slowest other optimizer",
          sgd_minus_slowest_other, ABOVE,
          book=0.150 - 0.050, book_note=_BOOK_1900 + "; SGD 0.150, Momentum 0.050"),
    Claim("adaptive_lowest_loss", "1.2", N_("The adaptive optimizers reach the lowest training loss"),
          "optimizers", "runs",
          "final training loss, best of SGD/Momentum/Nesterov minus best of "
          "AdaGrad/RMSprop/Adadelta/Adam", best_non_adaptive_minus_best_adaptive, ABOVE,
          book=0.050 - 0.016,
          book_note=_BOOK_1900 + "; Momentum 0.050, AdaGrad 0.016"),
    Claim("small_init_no_learning", "2.2.2", N_("Std 0.01 initialisation does not learn in 2000 SGD "
          "iterations"), "weight_init", "runs",
          f"final minibatch loss of std 0.01 init (chance: ln 10 = {CHANCE_LOSS:.3f})",
          small_init_loss, ABOVE, threshold=CHANCE_LOSS - NOT_LEARNING_MARGIN,
          book=2.305, book_note=_BOOK_1900),
    Claim("he_beats_xavier", "2.2.4", N_("He initialisation beats Xavier for ReLU"), "weight_init", "runs",
          "final minibatch loss, Xavier minus He", _arm_difference(
              "init", "final_minibatch_loss", "he", "xavier"), ABOVE,
          book=0.377 - 0.286, book_note=_BOOK_1900 + "; Xavier 0.377, He 0.286"),
    Claim("sigmoid_gradients_vanish", "1.3", N_("A deep sigmoid network's gradients vanish where "
          "ReLU's do not"), "vanishing_gradient", "curves",
          "log10(first-layer / last-layer gradient norm) at the start, ReLU minus sigmoid",
          gradient_ratio_relu_minus_sigmoid, ABOVE),
    Claim("minibatch_variance", "2.1", N_("Larger minibatches estimate the loss with less variance"),
          "minibatch_noise", "minibatch_spread",
          "slope of log std(minibatch loss) vs log N at the final weights (1/sqrt(N): -0.5)",
          spread_slope, BELOW),
    Claim("bn_robust_to_init", "2.3", N_("Batch norm makes training robust to the initial weight scale"),
          "batch_norm", "runs",
          "std across init scales of the final training accuracy, without BN minus with BN",
          bn_spread_reduction, ABOVE),
    Claim("weight_decay_narrows_gap", "2.4", N_("Weight decay narrows the train-test gap"),
          "overfitting_weight_decay", "runs",
          "final train-test accuracy gap, lambda 0 minus lambda 0.1",
          _gap_difference("weight_decay", 0, 0.1), ABOVE,
          book_note="book, lambda 0.1 at epoch 200: train 0.927, test 0.721 (no baseline "
                    "number to difference)"),
    Claim("dropout_narrows_gap", "1.1", N_("Dropout narrows the train-test gap"), "overfitting_dropout",
          "runs", "final train-test accuracy gap, dropout 0 minus dropout 0.2",
          _gap_difference("dropout", 0, 0.2), ABOVE,
          book_note="book, dropout 0.2 at epoch 301: train 0.67, test 0.548 (no baseline "
                    "number to difference)"),
    Claim("overfitting_grows_with_capacity", "1.1", N_("Overfitting grows with capacity"),
          "overfitting_capacity", "runs",
          "slope of the final train-test accuracy gap per doubling of the hidden width",
          gap_slope_per_log2_width, ABOVE),
)


# --------------------------------------------------------------------------- the rule

def verdict(low: float, high: float, n: int, direction: str, threshold: float = 0.0) -> str:
    """The one verdict rule (see :func:`methods_text`)."""
    if direction not in (ABOVE, BELOW):
        raise AnalysisError(f"direction {direction!r} is not one of {ABOVE!r}, {BELOW!r}")
    if not n:
        return NO_DATA
    if n < MIN_SEEDS or not (math.isfinite(low) and math.isfinite(high)):
        return INCONCLUSIVE
    above, below = low > threshold, high < threshold
    if (above and direction == ABOVE) or (below and direction == BELOW):
        return HOLDS
    if above or below:
        return DOES_NOT_HOLD
    return INCONCLUSIVE


def overall_verdict(verdicts) -> str:
    """A claim's verdict across datasets: the datasets' common verdict when they all agree,
    'inconclusive' when they differ (some with no data included), 'no data' without any."""
    verdicts = list(verdicts)
    if not verdicts:
        return NO_DATA
    if len(set(verdicts)) == 1:
        return verdicts[0]
    return INCONCLUSIVE


def methods_text(confidence: float = CONFIDENCE) -> str:
    """The methods paragraph of the findings table, written from the rule's constants."""
    level = f"{confidence:.0%}"
    return (
        f"Each claim is measured by one number per seed on each dataset (a difference "
        f"between two arms run with the same seed, a slope or a spread, as the metric "
        f"column says); the estimate is the mean over seeds with a {level} Student-t "
        f"interval, and n is the number of seeds that contribute (a seed is left out when "
        f"one of its runs diverged or an arm is missing). The verdict compares the interval "
        f"with the claim's threshold (0 for a difference) in the direction the claim "
        f"predicts: '{HOLDS}' when the whole interval lies on the predicted side, "
        f"'{DOES_NOT_HOLD}' when it lies wholly on the other side, '{INCONCLUSIVE}' when it "
        f"contains the threshold or fewer than {MIN_SEEDS} seeds contribute, and '{NO_DATA}' "
        f"when the study, its table or the rows needed are missing. The row "
        f"'{ALL_DATASETS}' gives a claim's verdict across datasets: the datasets' verdict "
        f"when they all agree, '{INCONCLUSIVE}' when they differ. The book's value, where it "
        f"has one, is the same estimate computed from the book's one unseeded run and is "
        f"shown for comparison only; it does not enter the verdict.")


# --------------------------------------------------------------------------- evaluation

def _datasets(tables, claims) -> list[str]:
    found = set()
    for claim in claims:
        frame = tables.get((claim.study, claim.table))
        if frame is not None and "dataset" in frame.columns:
            found |= set(frame["dataset"].astype(str))
    return sorted(found - {""}, key=lambda d: (d != "mnist", d))


def _measure(claim: Claim, frame, dataset: str, confidence: float) -> dict:
    """Estimate, interval, n and a note for one claim on one dataset."""
    if frame is None:
        return {"n": 0, "note": f"no {claim.study}/{claim.table}.csv"}
    part = frame[frame["dataset"].astype(str) == dataset] if "dataset" in frame.columns \
        else frame[:0]
    if claim.table == "runs":
        diverged = len(part) - len(_ok_runs(part))
        part = _ok_runs(part)
    else:
        diverged = 0
    if part.empty:
        return {"n": 0, "note": f"no {claim.study} rows for {dataset}"}
    values = claim.per_seed(part)
    estimate, low, high, n = t_interval(values, confidence)
    seeds = part["seed"].nunique() if "seed" in part.columns else len(values)
    notes = []
    if n < seeds:
        notes.append(f"{seeds - n} of {seeds} seeds left out (an arm missing or diverged)")
    if diverged:
        notes.append(f"{diverged} diverged run(s)")
    if n == 0:
        notes.insert(0, "the rows needed are missing")
    elif n < MIN_SEEDS:
        notes.insert(0, f"only {n} seed(s); a verdict needs {MIN_SEEDS}")
    return {"estimate": estimate, "low": low, "high": high, "n": n, "note": "; ".join(notes)}


def evaluate_claims(tables, claims=CLAIMS, datasets=None, confidence: float = CONFIDENCE):
    """The findings table: one row per claim and dataset, then one ``'all'`` row per claim.

    ``tables`` maps ``(study, table)`` (e.g. ``('optimizers', 'runs')``) to a DataFrame
    shaped like ``results/<study>/<table>.csv``; an absent key or None means the table is
    missing. ``datasets`` (default: every dataset found in the claims' tables) lists the
    datasets to report; one without rows gets 'no data'. Returns a DataFrame with columns
    :data:`FINDINGS_COLUMNS`.
    """
    import pandas as pd

    datasets = list(datasets) if datasets is not None else _datasets(tables, claims)
    rows = []
    for claim in claims:
        frame = tables.get((claim.study, claim.table))
        base = {"claim_id": claim.key, "slide": claim.slide, "claim": claim.text, "study": claim.study,
                "metric": claim.metric, "direction": claim.direction,
                "threshold": claim.threshold}
        per_dataset = []
        for dataset in datasets or [""]:
            measured = {"estimate": math.nan, "low": math.nan, "high": math.nan}
            # No dataset at all (no table anywhere): one row that says so.
            measured.update(_measure(claim, frame, dataset, confidence) if dataset else
                            {"n": 0, "note": f"no {claim.study}/{claim.table}.csv"})
            result = verdict(measured["low"], measured["high"], measured["n"],
                             claim.direction, claim.threshold)
            on_book = dataset == BOOK_DATASET
            note = "; ".join(filter(None, [measured["note"],
                                           claim.book_note if on_book else ""]))
            per_dataset.append({**base, "dataset": dataset, "estimate": measured["estimate"],
                                "low": measured["low"], "high": measured["high"],
                                "n": measured["n"], "book": claim.book if on_book else math.nan,
                                "verdict": result, "note": note})
        rows.extend(per_dataset)
        rows.append({**base, "dataset": ALL_DATASETS, "estimate": math.nan, "low": math.nan,
                     "high": math.nan, "n": int(sum(r["n"] for r in per_dataset)),
                     "book": math.nan,
                     "verdict": overall_verdict([r["verdict"] for r in per_dataset]),
                     "note": "; ".join(f"{r['verdict']} on {r['dataset'] or 'no dataset'}"
                                       for r in per_dataset)})
    return pd.DataFrame(rows, columns=list(FINDINGS_COLUMNS))


def tables_from_results(results, claims=CLAIMS) -> dict:
    """``{(study, table): DataFrame or None}`` for ``claims`` from any object with a
    ``table(study, name)`` method returning a DataFrame or None (e.g.
    :class:`nnbench.figures.common.Results`)."""
    return {(c.study, c.table): results.table(c.study, c.table) for c in claims}
