"""A verdict for every claim of the lecture, computed from the aggregated tables.

Each claim is one :class:`Claim` entry of :data:`CLAIMS`: the deck's slide, the sentence,
the study and the table it is measured on, what the estimate is, the direction the claim
predicts, the threshold the estimate is compared with (0 for a difference), and the book's
value of the same estimate where the book has one. A claim's ``per_seed`` function turns
one dataset's rows of its table into one number per seed (a paired difference between two
arms of the same seed, a slope, a spread, a fraction ...).

Most claims are tested: a two-sided one-sample Student-t test of the per-seed numbers
against the threshold, its p-value adjusted with Holm's method over the whole family (every
tested claim x dataset row, :func:`holm_family`), and the interval shown at the level that
matches the adjusted p (:func:`matched_level`), so that ONE rule, :func:`verdict`, reads the
verdict off the interval. A claim about every run or a clear majority of seeds (a
:class:`SeedShare`) is a count, not a test: its verdict is :func:`share_verdict`'s. Both
rules are described by :func:`methods_text` from the same constants, and
:func:`near_threshold` lists the verdicts that a small change of the data could flip.

Nothing here is typed in by hand except the claims themselves and the book's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nnbench.analysis.base import AnalysisError, level_text

from nnbench.statistics import CONFIDENCE, t_interval
from nnbench.i18n import N_, translator
from nnbench.vocabulary import ACTIVATION_MARGIN

# The verdict words are the English msgids of the catalog: the table is computed in English
# and translated at the end (evaluate_claims(lang=...)).
HOLDS = N_("holds")
DOES_NOT_HOLD = N_("does not hold")
INCONCLUSIVE = N_("inconclusive")
NO_DATA = N_("no data")
VERDICTS = (HOLDS, DOES_NOT_HOLD, INCONCLUSIVE, NO_DATA)
# EQUAL only for a SeedShare claim (a count of seeds equal to the threshold), never tested.
ABOVE, BELOW, EQUAL = ">", "<", "="
# Fewer seeds than this give 'inconclusive' whatever the interval: with two seeds a
# coincidence (two identical differences on a small test set) makes a zero-width interval.
MIN_SEEDS = 3
ALL_DATASETS = "all"  # the dataset of a claim's overall row
BOOK_DATASET = "mnist"  # the book's reference runs are on MNIST
# The dataset of a claim measured on a data-free study (the activation histograms' inputs
# are drawn from N(0, 1)): one row, not a copy per dataset (one test, counted once).
GAUSSIAN_INPUTS = "gaussian"
#: The multiple-comparison adjustment (statsmodels.stats.multitest.multipletests method).
FAMILY_METHOD = "holm"
#: A tested verdict sits near its threshold when its adjusted p is within this factor of
#: the level (alpha / NEAR_FACTOR <= p_adjusted < alpha * NEAR_FACTOR). With 5 seeds and
#: ~40 tests a factor 2 in p is a change of about 15% in t; two BLAS kernels moved the
#: SGD estimate by 6% (issue 21).
NEAR_FACTOR = 2.0

FINDINGS_COLUMNS = ("claim_id", "slide", "claim", "dataset", "study", "metric", "estimate",
                    "low", "high", "level", "n", "p", "p_adjusted", "direction", "threshold",
                    "book", "verdict", "near_threshold", "note")

# Chance-level loss of a 10-class softmax (uniform prediction): ln 10.
CHANCE_LOSS = math.log(10)
# "Does not learn": the final minibatch loss stays within this distance of ln 10.
NOT_LEARNING_MARGIN = 0.1
ADAPTIVE = ("adagrad", "rmsprop", "adadelta", "adam")
NON_ADAPTIVE = ("sgd", "momentum", "nesterov")
#: The mid-size minibatch the full batch is compared with (the optimizers' batch size).
MINIBATCH = 128
#: "Learning fast": training accuracy at the first evaluation at or after this fraction of
#: the run's epochs (epoch 5 of the batch-norm study's 20).
EARLY_FRACTION = 0.25


@dataclass(frozen=True)
class SeedShare:
    """A claim about every run or a clear majority of seeds: a count, not a test.

    A seed satisfies the claim when its number is on the claim's side of the threshold
    (``>``, ``<``) or equal to it (``=``). The claim holds when at least ``holds_from`` of
    the seeds satisfy it, does not hold when more than ``fails_above`` of them do not."""

    holds_from: float
    fails_above: float


EVERY_SEED = SeedShare(holds_from=1.0, fails_above=0.0)
CLEAR_MAJORITY = SeedShare(holds_from=0.8, fails_above=0.5)


@dataclass(frozen=True)
class Claim:
    """One claim of the lecture and how it is measured (see the module docstring)."""

    key: str
    slide: str  # the deck's slide (../shared/seed/)
    text: str
    study: str
    table: str  # 'runs', 'curves' or 'minibatch_spread' of results/<study>/
    metric: str  # the estimate, in words (what one seed contributes)
    per_seed: Callable  # one dataset's rows of the table -> pandas Series indexed by seed
    direction: str = ABOVE  # the claim predicts estimate > threshold (ABOVE) or < (BELOW)
    threshold: float = 0.0
    book: float = math.nan  # the book's value of the estimate (its runs are on BOOK_DATASET)
    book_note: str = ""  # where the book's numbers come from, shown on the BOOK_DATASET row
    book_values: str = ""  # the book's numbers behind ``book`` (method names and numbers)
    note: str = ""  # how ours differs from the book's measurement (every row of the claim)
    share: SeedShare | None = None  # None: tested (Student-t, Holm); else a count of seeds
    data_free: bool = False  # measured on a study without a dataset (one GAUSSIAN_INPUTS row)


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


def _curve_rows(curves, metric: str, split: str, step: str = "last"):
    """Rows of ``metric`` (``split``) at each run's last (or first) logged step, ``value``
    and ``step`` as floats."""
    import pandas as pd

    rows = curves[(curves["metric"].astype(str) == metric)
                  & (curves["split"].astype(str) == split)].copy()
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype(float)
    rows["step"] = pd.to_numeric(rows["step"], errors="coerce")
    pick = rows.groupby("run_id")["step"].transform("max" if step == "last" else "min")
    return rows[rows["step"] == pick]


def _per_run(rows, columns, reduce: str = "mean"):
    """One row per run: ``seed``, the run ``columns`` and ``value`` reduced over its layers
    (NaN when one layer is NaN)."""
    import pandas as pd

    if rows.empty:
        return pd.DataFrame(columns=["seed", *columns, "value"])
    grouped = rows.groupby("run_id", sort=True)
    frame = grouped[["seed", *columns]].first()
    frame["value"] = grouped["value"].agg(lambda v: getattr(v, reduce)(skipna=False))
    return frame.reset_index()


def _histogram_table(curves, metric: str):
    """seed x 'activation/init' table of ``metric`` (mean over the layers) of the activation
    histograms (split ``forward``)."""
    runs = _per_run(_curve_rows(curves, metric, "forward"), ["activation", "init"])
    runs["setting"] = runs["activation"].map(level_text) + "/" + runs["init"].map(level_text)
    return _pivot(runs, "setting", "value")


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


def full_batch_minus_minibatch(metric: str, sign: float = 1.0):
    """per_seed: ``metric`` of the full batch (the run whose ``batch_size`` equals its
    ``n_train``) minus that of batch :data:`MINIBATCH`, times ``sign``; same epochs."""
    def per_seed(runs):
        import pandas as pd

        size = pd.to_numeric(runs["batch_size"], errors="coerce")
        n_train = pd.to_numeric(runs["n_train"], errors="coerce") if "n_train" in runs.columns \
            else np.nan
        arm = np.where(size == n_train, "full", np.where(size == MINIBATCH, "minibatch", "other"))
        table = _pivot(runs.assign(_arm=arm), "_arm", metric)
        if "full" not in table.columns or "minibatch" not in table.columns:
            return _empty()
        return sign * (table["full"] - table["minibatch"])
    return per_seed


def dead_relu_fraction(curves):
    """Per seed: fraction of the ReLU network's hidden units that are dead after training
    (``dead_fraction`` at the run's last logged step, mean over its equal-width layers)."""
    runs = _per_run(_curve_rows(curves, "dead_fraction", "train"), ["activation"])
    table = _pivot(runs, "activation", "value")
    return table["relu"] if "relu" in table.columns else _empty()


def constant_init_distinct_units(curves):
    """Per seed: the largest number of distinct units in any hidden layer of the network
    started from equal (constant) weights, after training (1: every unit the same)."""
    runs = _per_run(_curve_rows(curves, "distinct_units", "train"), ["init"], reduce="max")
    table = _pivot(runs, "init", "value")
    return table["constant"] if "constant" in table.columns else _empty()


def _setting_difference(metric: str, plus: str, minus: str):
    """per_seed: histogram ``metric`` of setting ``plus`` minus setting ``minus``."""
    def per_seed(curves):
        table = _histogram_table(curves, metric)
        if plus not in table.columns or minus not in table.columns:
            return _empty()
        return table[plus] - table[minus]
    return per_seed


def xavier_working_range_margin(curves):
    """Per seed: for sigmoid and tanh, the share of activations in the working range (more
    than the margin from the bounds and from the centre; mean over layers) with Xavier minus
    the larger share of std 1 and std 0.01; the smaller of the two activations' margins
    (> 0: Xavier beats both other scales for both activations)."""
    saturated = _histogram_table(curves, "saturated_fraction")
    central = _histogram_table(curves, "central_fraction")
    working = 1.0 - saturated - central.reindex_like(saturated)
    margins = []
    for activation in ("sigmoid", "tanh"):
        columns = [f"{activation}/{init}" for init in ("xavier", "1", "0.01")]
        if not set(columns) <= set(working.columns):
            return _empty()
        margins.append(working[columns[0]] - working[columns[1:]].max(axis=1, skipna=False))
    return np.minimum(margins[0], margins[1])


def bn_early_accuracy_gain(curves):
    """Per seed: training accuracy with BN minus without, at the first evaluation at or
    after EARLY_FRACTION of the epochs, paired by init scale and averaged over the scales
    where both arms have a finite accuracy."""
    import pandas as pd

    rows = curves[(curves["metric"].astype(str) == "accuracy")
                  & (curves["split"].astype(str) == "train")].copy()
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype(float)
    rows["epoch"] = pd.to_numeric(rows["epoch"], errors="coerce")
    early = EARLY_FRACTION * rows.groupby("run_id")["epoch"].transform("max")
    rows = rows[(rows["epoch"] >= early) & (rows["epoch"] > 0)]
    rows = rows[rows["epoch"] == rows.groupby("run_id")["epoch"].transform("min")]
    if rows.empty:
        return _empty()
    rows = rows.assign(_bn=rows["batchnorm"].map(level_text), _init=rows["init"].map(level_text))
    table = rows.pivot_table(index=["seed", "_init"], columns="_bn", values="value",
                             aggfunc="mean", dropna=False)
    if "false" not in table.columns or "true" not in table.columns:
        return _empty()
    return (table["true"] - table["false"]).groupby(level="seed").mean()


# --------------------------------------------------------------------------- the claims
# Every text is one literal message of the catalog (nnbench.i18n): the numbers in the
# metrics are written out, and tests/analysis/test_analysis_findings.py checks them against
# the constants (MINIBATCH, EARLY_FRACTION, ACTIVATION_MARGIN, CHANCE_LOSS).

_NO_RUN_BATCH = N_("the book argues this without a run; ours: 5 epochs on 10000 samples, one "
                   "update per epoch with the full batch against 78 with batch 128, SGD lr 0.01 "
                   "for both")
_BOOK_1900 = N_("book: smoothed minibatch loss at iteration 1900, one unseeded run, logged "
                 "after the update (ours: before it, mean of the last tenth of iterations)")
_HISTOGRAMS = N_("the book shows one unseeded draw as histograms; ours counts the activations "
                 "of every seed's draw (1000 x 100 inputs from N(0, 1), five layers of 100)")

CLAIMS = (
    Claim("dropout_narrows_gap", "1.1", N_("Dropout narrows the train-test gap"),
          "overfitting_dropout", "runs",
          N_("final train-test accuracy gap, dropout 0 minus dropout 0.2"),
          _gap_difference("dropout", 0, 0.2), ABOVE,
          book_note=N_("book, dropout 0.2 at epoch 301: train 0.67, test 0.548 (no baseline "
                       "number to difference)")),
    Claim("overfitting_grows_with_capacity", "1.1", N_("Overfitting grows with capacity"),
          "overfitting_capacity", "runs",
          N_("slope of the final train-test accuracy gap per doubling of the hidden width"),
          gap_slope_per_log2_width, ABOVE),
    Claim("full_batch_too_slow", "1.2", N_("Plain gradient descent is too slow"), "batch_size",
          "runs", N_("final training loss after the same epochs, full-batch gradient descent "
                     "minus batch 128"), full_batch_minus_minibatch("final_train_loss"), ABOVE,
          note=_NO_RUN_BATCH),
    Claim("sgd_slowest", "1.2", N_("SGD is the slowest of the optimizers"), "optimizers", "runs",
          N_("final minibatch loss of SGD minus that of the slowest other optimizer"),
          sgd_minus_slowest_other, ABOVE, book=0.150 - 0.050,
          book_note=_BOOK_1900, book_values="SGD 0.150, Momentum 0.050"),
    Claim("adaptive_lowest_loss", "1.2", N_("The adaptive optimizers reach the lowest training "
                                           "loss"), "optimizers", "runs",
          N_("final training loss, best of SGD/Momentum/Nesterov minus best of "
             "AdaGrad/RMSprop/Adadelta/Adam"), best_non_adaptive_minus_best_adaptive, ABOVE,
          book=0.050 - 0.016,
          book_note=_BOOK_1900, book_values="Momentum 0.050, AdaGrad 0.016"),
    Claim("sigmoid_gradients_vanish", "1.3", N_("A deep sigmoid network's gradients vanish "
                                               "where ReLU's do not"), "vanishing_gradient",
          "curves", N_("log10(first-layer / last-layer gradient norm) at the start, ReLU minus "
                       "sigmoid"), gradient_ratio_relu_minus_sigmoid, ABOVE),
    Claim("sigmoid_learns_slowly", "1.3", N_("With sigmoid, learning is slow"),
          "vanishing_gradient", "runs",
          N_("final training loss after the same iterations, sigmoid minus ReLU"),
          _arm_difference("activation", "final_train_loss", "relu", "sigmoid"), ABOVE,
          note=N_("the book argues this without a run; ours: 10 hidden layers of 100, 1000 "
                  "Momentum iterations, each activation at its matching init (sigmoid Xavier, "
                  "ReLU He)")),
    Claim("dead_relu_units", "1.3", N_("ReLU: negative inputs give zero derivative, so those "
                                      "units stop learning"), "vanishing_gradient", "curves",
          N_("fraction of dead hidden units of the ReLU network after training"),
          dead_relu_fraction, ABOVE, share=CLEAR_MAJORITY,
          note=N_("the book argues this without a run; dead: a unit whose output is 0 for "
                  "every one of the first 1000 training samples (inference mode) at the end of "
                  "training")),
    Claim("minibatch_variance", "2.1", N_("Larger minibatches estimate the loss with less "
                                         "variance"), "minibatch_noise", "minibatch_spread",
          N_("slope of log std(minibatch loss) vs log N at the final weights (1/sqrt(N): "
             "-0.5)"), spread_slope, BELOW),
    Claim("minibatches_save_time", "2.1", N_("Mini-batches cut training time while reflecting "
                                            "most of the data"), "batch_size", "runs",
          N_("final test accuracy after the same epochs, batch 128 minus full batch"),
          full_batch_minus_minibatch("final_test_acc", sign=-1.0), ABOVE,
          note=N_("the book argues this without a run; time counted in epochs (the same "
                  "examples and matrix work), not seconds, which depend on the machine's "
                  "BLAS")),
    Claim("equal_init_symmetric", "2.2.1", N_("Equal initial weights: every unit of a layer "
                                             "computes the same value, whatever their number"),
          "weight_init", "curves",
          N_("largest number of distinct units in a hidden layer after training, equal "
             "initial weights"), constant_init_distinct_units, EQUAL, threshold=1.0,
          share=EVERY_SEED,
          note=N_("the book argues this without a run; distinct: units whose incoming weights differ by "
                  "more than 1e-5 of the layer's largest weight, after 2000 SGD iterations (float32 "
                  "rounding leaves equal units a few ulp apart)")),
    Claim("std1_saturates", "2.2.2", N_("Std 1 (sigmoid): activations pile up at 0 and 1"),
          "activation_histograms", "curves",
          N_("fraction of sigmoid activations within 0.05 of 0 or 1 (mean over layers), std 1 "
             "minus Xavier"), _setting_difference("saturated_fraction", "sigmoid/1",
                                                  "sigmoid/xavier"), ABOVE,
          note=_HISTOGRAMS, data_free=True),
    Claim("std001_concentrates", "2.2.2", N_("Std 0.01 (sigmoid): activations concentrate "
                                            "near 0.5, limiting expressiveness"),
          "activation_histograms", "curves",
          N_("fraction of sigmoid activations within 0.05 of 0.5 (mean over layers), std 0.01 "
             "minus Xavier"), _setting_difference("central_fraction", "sigmoid/0.01",
                                                  "sigmoid/xavier"), ABOVE,
          note=_HISTOGRAMS, data_free=True),
    Claim("small_init_no_learning", "2.2.2", N_("Std 0.01 initialisation does not learn in "
                                               "2000 SGD iterations"), "weight_init", "runs",
          N_("final minibatch loss of std 0.01 init (chance: ln 10 = 2.303)"),
          small_init_loss, ABOVE, threshold=CHANCE_LOSS - NOT_LEARNING_MARGIN, book=2.305,
          book_note=_BOOK_1900),
    Claim("xavier_suits_sigmoid_tanh", "2.2.3", N_("Xavier suits sigmoid and tanh"),
          "activation_histograms", "curves",
          N_("fraction of activations in the working range (more than 0.05 from the bounds "
             "and the centre; mean over layers), Xavier minus the better of std 1 and std "
             "0.01, the smaller of sigmoid's and tanh's"), xavier_working_range_margin,
          ABOVE, note=_HISTOGRAMS, data_free=True),
    Claim("he_beats_xavier", "2.2.4", N_("He initialisation beats Xavier for ReLU"),
          "weight_init", "runs", N_("final minibatch loss, Xavier minus He"), _arm_difference(
              "init", "final_minibatch_loss", "he", "xavier"), ABOVE, book=0.377 - 0.286,
          book_note=_BOOK_1900, book_values="Xavier 0.377, He 0.286"),
    Claim("bn_learns_faster", "2.3", N_("Batch norm makes learning faster"), "batch_norm",
          "curves", N_("training accuracy at a quarter of the epochs, with BN minus without, mean "
                       "over the init scales"), bn_early_accuracy_gain, ABOVE,
          note=N_("the book shows one unseeded run per init scale; ours pairs the two arms by "
                  "seed and init scale (the 16 scales of the book)")),
    Claim("bn_robust_to_init", "2.3", N_("Batch norm makes training robust to the initial "
                                        "weight scale"), "batch_norm", "runs",
          N_("std across init scales of the final training accuracy, without BN minus with "
             "BN"), bn_spread_reduction, ABOVE),
    Claim("bn_suppresses_overfitting", "2.3", N_("Batch norm suppresses overfitting"),
          "overfitting_batchnorm", "runs",
          N_("final train-test accuracy gap, without BN minus with BN"),
          _gap_difference("batchnorm", False, True), ABOVE,
          note=N_("the book argues this without a run; ours: the overfitting set-up (300 "
                  "samples, 201 epochs) with and without BN")),
    Claim("weight_decay_narrows_gap", "2.4", N_("Weight decay narrows the train-test gap"),
          "overfitting_weight_decay", "runs",
          N_("final train-test accuracy gap, lambda 0 minus lambda 0.1"),
          _gap_difference("weight_decay", 0, 0.1), ABOVE,
          book_note=N_("book, lambda 0.1 at epoch 200: train 0.927, test 0.721 (no baseline "
                       "number to difference)")),
)


# --------------------------------------------------------------------------- the rules

def verdict(low: float, high: float, n: int, direction: str, threshold: float = 0.0) -> str:
    """The verdict of a tested claim from its interval (see :func:`methods_text`); with the
    interval at :func:`matched_level` it is 'holds' or 'does not hold' exactly when the
    Holm-adjusted p is below the level's alpha."""
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


def _satisfied(values, direction: str, threshold: float):
    if direction == ABOVE:
        return values > threshold
    if direction == BELOW:
        return values < threshold
    if direction == EQUAL:
        return values == threshold
    raise AnalysisError(f"direction {direction!r} is not one of {ABOVE!r}, {BELOW!r}, "
                        f"{EQUAL!r}")


def share_verdict(satisfied: int, n: int, share: SeedShare) -> str:
    """The verdict of a :class:`SeedShare` claim from the number of seeds that satisfy it."""
    if not n:
        return NO_DATA
    if n < MIN_SEEDS:
        return INCONCLUSIVE
    if satisfied >= share.holds_from * n:
        return HOLDS
    if n - satisfied > share.fails_above * n:
        return DOES_NOT_HOLD
    return INCONCLUSIVE


def t_test_p(values, threshold: float = 0.0) -> float:
    """Two-sided p of the one-sample Student-t test of the finite ``values``' mean against
    ``threshold`` (NaN below two values). Equal values: 0 when they differ from the
    threshold, 1 when they equal it (the t statistic is then infinite or undefined)."""
    from scipy import stats

    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    if array.size < 2:
        return math.nan
    mean, sd = float(array.mean()), float(array.std(ddof=1))
    if sd == 0:
        return 0.0 if mean != threshold else 1.0
    t = (mean - threshold) / (sd / math.sqrt(array.size))
    return float(2 * stats.t.sf(abs(t), array.size - 1))


def holm_family(p_values, confidence: float = CONFIDENCE) -> np.ndarray:
    """Holm-adjusted p-values of the family ``p_values`` (statsmodels' multipletests)."""
    from statsmodels.stats.multitest import multipletests

    p_values = np.asarray(p_values, dtype=float)
    if not p_values.size:
        return p_values
    return multipletests(p_values, alpha=1 - confidence, method=FAMILY_METHOD)[1]


def matched_level(p: float, p_adjusted: float, family_size: int,
                  confidence: float = CONFIDENCE) -> float:
    """The confidence level of the interval that excludes the threshold exactly when the
    adjusted p is below alpha = 1 - ``confidence``: 1 - alpha * p / p_adjusted (Holm's
    per-row level). Without an adjusted p (a row outside the family): ``confidence``; a p
    that is 0 (equal values, or an underflow): Bonferroni's 1 - alpha / family_size."""
    alpha = 1 - confidence
    if not math.isfinite(p_adjusted):
        return confidence
    if p <= 0 or p_adjusted <= 0:
        return 1 - alpha / max(family_size, 1)
    return 1 - alpha * p / p_adjusted


def overall_verdict(verdicts) -> str:
    """A claim's verdict across datasets: the datasets' common verdict when they all agree,
    'inconclusive' when they differ (some with no data included), 'no data' without any."""
    verdicts = list(verdicts)
    if not verdicts:
        return NO_DATA
    if len(set(verdicts)) == 1:
        return verdicts[0]
    return INCONCLUSIVE


def near_threshold(table):
    """The rows of a findings table (not the 'all' rows) whose verdict sits near its
    threshold (their ``near_threshold`` column)."""
    rows = table[(table["dataset"] != ALL_DATASETS)]
    return rows[rows["near_threshold"].astype(bool)]


# The methods paragraph, one catalog message per sentence (placeholders filled in the
# reader's language; the verdict words are translated before they are filled in).
_METHODS = (
    N_("Each claim is measured by one number per seed on each dataset (a difference between "
       "two arms run with the same seed, a slope, a spread or a fraction, as the metric column "
       "says), and n is the number of seeds that contribute (a seed is left out when one of its "
       "runs diverged or an arm is missing)."),
    N_("A claim measured on the activation histograms, which use no dataset, has one row "
       "'{gaussian}' (inputs drawn from N(0, 1))."),
    N_("Most claims are tested: a two-sided one-sample Student-t test of the per-seed numbers "
       "against the claim's threshold (0 for a difference) gives the raw p."),
    N_("The family is every tested claim and dataset row with at least {min_seeds} seeds; its "
       "p-values are adjusted with Holm's method (statsmodels.stats.multitest.multipletests, "
       "method '{method}'), which keeps the chance of any wrong '{holds}' or '{does_not_hold}' "
       "in the family at most {alpha}."),
    N_("The interval shown is the Student-t interval of the mean at the level Holm's method "
       "applies to that row, 1 - {alpha} x p / adjusted p (the level column), so that it "
       "excludes the threshold exactly when the adjusted p is below {alpha}."),
    N_("The verdict compares the interval with the claim's threshold in the direction the "
       "claim predicts: '{holds}' when the whole interval lies on the predicted side, "
       "'{does_not_hold}' when it lies wholly on the other side, '{inconclusive}' when it "
       "contains the threshold or fewer than {min_seeds} seeds contribute, and '{no_data}' "
       "when the study, its table or the rows needed are missing."),
    N_("Two claims are counts, not tests, and stay outside the family (no p): a claim about "
       "every run '{holds}' when every seed satisfies it and '{does_not_hold}' when one does "
       "not; a claim about a clear majority of seeds '{holds}' when at least {majority} of the "
       "seeds satisfy it and '{does_not_hold}' when more than {against} do not; their interval "
       "is the {level} Student-t interval, for description only."),
    N_("The row '{all}' gives a claim's verdict across datasets: the datasets' verdict when "
       "they all agree, '{inconclusive}' when they differ."),
    N_("The book's value, where it has one, is the same estimate computed from the book's one "
       "unseeded run and is shown for comparison only; it does not enter the verdict."),
    N_("A verdict sits near its threshold when its adjusted p lies within a factor {factor} of "
       "{alpha} (for a count: when the seeds disagree and one seed more or less would change "
       "it); such a verdict may differ between machines whose BLAS kernels round differently "
       "(nnbench findings-diff compares two findings tables)."),
)
_FAMILY_SIZE = N_("In this report the family has {count} rows.")
_NONE_NEAR = N_("No verdict of this report sits near its threshold.")
_NEAR = N_("Near their threshold in this report: {rows}.")
_NEAR_ROW = N_("{claim} on {dataset} ({verdict}, adjusted p {p})")
_NEAR_COUNT = N_("{claim} on {dataset} ({verdict}, a count)")


def methods_text(confidence: float = CONFIDENCE, table=None, lang: str = "en") -> str:
    """The methods paragraph of the findings table in ``lang``, written from the rules'
    constants; with the findings ``table`` (in English, as evaluate_claims writes it by
    default), also the family's size and the verdicts near their threshold."""
    _ = translator(lang).gettext
    alpha = f"{1 - confidence:.2g}"
    fields = {"gaussian": GAUSSIAN_INPUTS, "min_seeds": MIN_SEEDS, "method": FAMILY_METHOD,
              "alpha": alpha, "level": f"{confidence:.0%}", "all": ALL_DATASETS,
              "majority": f"{CLEAR_MAJORITY.holds_from:.0%}",
              "against": f"{CLEAR_MAJORITY.fails_above:.0%}", "factor": f"{NEAR_FACTOR:g}",
              "holds": _(HOLDS), "does_not_hold": _(DOES_NOT_HOLD),
              "inconclusive": _(INCONCLUSIVE), "no_data": _(NO_DATA)}
    sentences = [_(message).format(**fields) for message in _METHODS]
    if table is not None:
        tested = table[(table["dataset"] != ALL_DATASETS) & table["p_adjusted"].notna()]
        sentences.append(_(_FAMILY_SIZE).format(count=len(tested)))
        near = near_threshold(table)
        if near.empty:
            sentences.append(_(_NONE_NEAR))
        else:
            rows = [_(_NEAR_ROW if math.isfinite(row.p_adjusted) else _NEAR_COUNT).format(
                        claim=row.claim_id, dataset=row.dataset, verdict=_(row.verdict),
                        p=f"{row.p_adjusted:.3g}") for row in near.itertuples()]
            sentences.append(_(_NEAR).format(rows="; ".join(rows)))
    return " ".join(sentences)


# --------------------------------------------------------------------------- evaluation
# A note is a list of parts (message, fields): each message is one sentence of the catalog
# with {placeholders}, translated and filled when the table is rendered in its language.

_NO_TABLE = N_("no {study}/{table}.csv")
_NO_ROWS = N_("no {study} rows for {dataset}")
_LEFT_OUT = N_("{left} of {seeds} seeds left out (an arm missing or diverged)")
_DIVERGED = N_("{count} diverged run(s)")
_ROWS_MISSING = N_("the rows needed are missing")
_TOO_FEW = N_("only {n} seed(s); a verdict needs {min_seeds}")
_COUNTED = {ABOVE: N_("{satisfied} of {n} seeds above {threshold}"),
            BELOW: N_("{satisfied} of {n} seeds below {threshold}"),
            EQUAL: N_("{satisfied} of {n} seeds equal to {threshold}")}
_ON_DATASET = N_("{verdict} on {dataset}")
_NO_DATASET = N_("no dataset")


def _note(parts, gettext) -> str:
    """The parts of a note, each translated with ``gettext`` then filled, joined by '; '."""
    return "; ".join(gettext(message).format(**{key: gettext(value) if key == "verdict" else value
                                                  for key, value in fields.items()})
                     for message, fields in parts if message)


def _datasets(tables, claims) -> list[str]:
    found = set()
    for claim in claims:
        frame = tables.get((claim.study, claim.table))
        if frame is not None and "dataset" in frame.columns and not claim.data_free:
            found |= set(frame["dataset"].dropna().astype(str))
    return sorted(found - {""}, key=lambda d: (d != "mnist", d))


def _measure(claim: Claim, frame, dataset: str) -> dict:
    """The per-seed numbers, n and a note for one claim on one dataset."""
    if frame is None:
        return {"values": None, "n": 0,
                "note": [(_NO_TABLE, {"study": claim.study, "table": claim.table})]}
    if claim.data_free:
        part = frame
    elif "dataset" in frame.columns:
        part = frame[frame["dataset"].astype(str) == dataset]
    else:
        part = frame[:0]
    if claim.table == "runs":
        diverged = len(part) - len(_ok_runs(part))
        part = _ok_runs(part)
    else:
        diverged = 0
    if part.empty:
        return {"values": None, "n": 0,
                "note": [(_NO_ROWS, {"study": claim.study, "dataset": dataset})]}
    values = np.asarray(claim.per_seed(part), dtype=float)
    values = values[np.isfinite(values)]
    n = int(values.size)
    seeds = part["seed"].nunique() if "seed" in part.columns else n
    notes = []
    if n < seeds:
        notes.append((_LEFT_OUT, {"left": seeds - n, "seeds": seeds}))
    if diverged:
        notes.append((_DIVERGED, {"count": diverged}))
    if n == 0:
        notes.insert(0, (_ROWS_MISSING, {}))
    elif n < MIN_SEEDS:
        notes.insert(0, (_TOO_FEW, {"n": n, "min_seeds": MIN_SEEDS}))
    return {"values": values, "n": n, "note": notes}


def _share_row(claim: Claim, values, n: int, confidence: float) -> dict:
    """Estimate, descriptive interval, verdict and near-threshold flag of a count claim."""
    if not n:
        return {"verdict": NO_DATA, "near_threshold": False, "count_note": ("", {})}
    estimate, low, high, _n = t_interval(values, confidence)
    satisfied = int(_satisfied(values, claim.direction, claim.threshold).sum())
    result = share_verdict(satisfied, n, claim.share)
    flips = {share_verdict(k, n, claim.share) for k in (satisfied - 1, satisfied + 1)
             if 0 <= k <= n}
    return {"estimate": estimate, "low": low, "high": high, "level": confidence,
            "verdict": result,
            # unanimous seeds are not near: only a seed that disagrees can tip a count
            "near_threshold": n >= MIN_SEEDS and 0 < satisfied < n and bool(flips - {result}),
            "count_note": (_COUNTED[claim.direction],
                           {"satisfied": satisfied, "n": n, "threshold": f"{claim.threshold:g}"})}


def _tested_row(claim: Claim, measured: dict, p_adjusted: float, family_size: int,
                confidence: float) -> dict:
    """Interval at Holm's level for the row, verdict and near-threshold flag of a tested
    claim on one dataset."""
    level = matched_level(measured["p"], p_adjusted, family_size, confidence)
    estimate, low, high, _n = t_interval(measured["values"], level)
    alpha = 1 - confidence
    return {"estimate": estimate, "low": low, "high": high, "level": level,
            "verdict": verdict(low, high, measured["n"], claim.direction, claim.threshold),
            "near_threshold": (math.isfinite(p_adjusted)
                               and alpha / NEAR_FACTOR <= p_adjusted < alpha * NEAR_FACTOR)}


def _overall_row(claim: Claim, per_dataset: list, gettext) -> dict:
    """The claim's row ``'all'``: its datasets' common verdict (:func:`overall_verdict`)."""
    return {"claim_id": claim.key, "slide": claim.slide, "claim": claim.text,
            "dataset": ALL_DATASETS, "study": claim.study, "metric": claim.metric,
            "estimate": math.nan, "low": math.nan, "high": math.nan, "level": math.nan,
            "n": int(sum(r["n"] for r in per_dataset)), "p": math.nan, "p_adjusted": math.nan,
            "direction": claim.direction, "threshold": claim.threshold, "book": math.nan,
            "verdict": overall_verdict([r["verdict"] for r in per_dataset]),
            "near_threshold": any(r["near_threshold"] for r in per_dataset),
            "note": _note([(_ON_DATASET, {"verdict": r["verdict"],
                                          "dataset": r["dataset"] or gettext(_NO_DATASET)})
                           for r in per_dataset], gettext)}


def evaluate_claims(tables, claims=CLAIMS, datasets=None, confidence: float = CONFIDENCE,
                    lang: str = "en"):
    """The findings table: one row per claim and dataset, then one ``'all'`` row per claim.

    ``tables`` maps ``(study, table)`` (e.g. ``('optimizers', 'runs')``) to a DataFrame
    shaped like ``results/<study>/<table>.csv``; an absent key or None means the table is
    missing. ``datasets`` (default: every dataset found in the claims' tables) lists the
    datasets to report; one without rows gets 'no data'. A data-free claim has one row,
    :data:`GAUSSIAN_INPUTS`, whatever ``datasets``. The tested rows with at least
    :data:`MIN_SEEDS` seeds form the family whose p-values are Holm-adjusted. Returns a
    DataFrame with columns :data:`FINDINGS_COLUMNS`; its claim, metric, verdict and note
    are in ``lang`` (the catalog's; the same numbers in every language).
    """
    import pandas as pd

    _ = translator(lang).gettext
    datasets = list(datasets) if datasets is not None else _datasets(tables, claims)
    measured = []  # (claim, dataset, measurement) in the table's order
    for claim in claims:
        frame = tables.get((claim.study, claim.table))
        for dataset in [GAUSSIAN_INPUTS] if claim.data_free else (datasets or [""]):
            if dataset:
                measurement = _measure(claim, frame, dataset)
            else:  # no dataset at all (no table anywhere): one row that says so
                measurement = {"values": None, "n": 0,
                               "note": [(_NO_TABLE, {"study": claim.study, "table": claim.table})]}
            measurement["p"] = (t_test_p(measurement["values"], claim.threshold)
                                if claim.share is None and measurement["n"] else math.nan)
            measured.append((claim, dataset, measurement))

    family = [i for i, (claim, _dataset, m) in enumerate(measured)
              if claim.share is None and m["n"] >= MIN_SEEDS and math.isfinite(m["p"])]
    adjusted = dict(zip(family, holm_family([measured[i][2]["p"] for i in family],
                                            confidence)))
    rows, per_claim = [], {}
    for index, (claim, dataset, m) in enumerate(measured):
        row = {"claim_id": claim.key, "slide": claim.slide, "claim": claim.text,
               "dataset": dataset, "study": claim.study, "metric": claim.metric,
               "estimate": math.nan, "low": math.nan, "high": math.nan, "level": math.nan,
               "n": m["n"], "p": m["p"], "p_adjusted": adjusted.get(index, math.nan),
               "direction": claim.direction, "threshold": claim.threshold,
               "book": claim.book if dataset == BOOK_DATASET else math.nan}
        notes = list(m["note"])
        if claim.share is not None:
            share = _share_row(claim, m["values"], m["n"], confidence)
            notes.append(share.pop("count_note"))
            row.update(share)
        elif m["n"]:
            row.update(_tested_row(claim, m, row["p_adjusted"], len(family), confidence))
        else:
            row.update(verdict=NO_DATA, near_threshold=False)
        on_book = dataset == BOOK_DATASET
        notes += [(claim.note, {}), (claim.book_note if on_book else "", {}),
                  ("{values}" if on_book and claim.book_values else "",
                   {"values": claim.book_values})]
        row["note"] = _note(notes, _)
        rows.append(row)
        per_claim.setdefault(claim.key, []).append(row)
    table = []
    for claim in claims:
        table.extend(per_claim[claim.key])
        table.append(_overall_row(claim, per_claim[claim.key], _))
    table = pd.DataFrame(table, columns=list(FINDINGS_COLUMNS))
    for column in ("claim", "metric", "verdict"):
        table[column] = table[column].map(_)
    return table


def tables_from_results(results, claims=CLAIMS) -> dict:
    """``{(study, table): DataFrame or None}`` for ``claims`` from any object with a
    ``table(study, name)`` method returning a DataFrame or None (e.g.
    :class:`nnbench.figures.common.Results`)."""
    return {(c.study, c.table): results.table(c.study, c.table) for c in claims}


# --------------------------------------------------------------------------- two tables

#: The columns ``findings-diff`` needs (the others, when present, detail a difference).
DIFF_KEY = ("claim_id", "dataset")
DIFF_COLUMNS = (*DIFF_KEY, "verdict")


def read_findings(path):
    """A findings table (``findings.csv``) as a DataFrame of strings, checked for what
    :func:`verdict_differences` needs; :class:`AnalysisError` names the file and the bad
    column, row or value."""
    from pathlib import Path

    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise AnalysisError(f"findings table {str(path)!r} does not exist")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise AnalysisError(f"findings table {str(path)!r} is not a readable CSV file: "
                            f"{str(error).strip().splitlines()[0] if str(error).strip() else error}")
    missing = [column for column in DIFF_COLUMNS if column not in table.columns]
    if missing:
        raise AnalysisError(f"findings table {str(path)!r} has no column {missing[0]!r}; it "
                            f"needs {', '.join(DIFF_COLUMNS)}")
    bad = table.index[~table["verdict"].isin(VERDICTS)]
    if len(bad):
        row = bad[0]
        raise AnalysisError(f"findings table {str(path)!r}, row {row + 2}: verdict "
                            f"{table.at[row, 'verdict']!r} is not one of {', '.join(VERDICTS)}")
    duplicated = table.index[table.duplicated(list(DIFF_KEY))]
    if len(duplicated):
        row = duplicated[0]
        raise AnalysisError(f"findings table {str(path)!r}, row {row + 2}: claim "
                            f"{table.at[row, 'claim_id']!r} on {table.at[row, 'dataset']!r} "
                            f"appears twice")
    return table


def _detail(row_a, row_b, column: str, label: str) -> str:
    values = [row.get(column, "") if row is not None else "" for row in (row_a, row_b)]
    if not any(values):
        return ""
    shown = []
    for value in values:
        try:
            shown.append(f"{float(value):.3g}" if value != "" else "-")
        except ValueError:
            shown.append(value)
    return f"{label} {shown[0]} -> {shown[1]}"


def verdict_differences(table_a, table_b) -> list[str]:
    """One line per claim and dataset whose verdict differs between two findings tables
    (or that only one has), in the order of ``table_a`` then ``table_b``'s extra rows:
    ``claim_id dataset: verdict_a -> verdict_b (estimate a -> b, adjusted p a -> b)``."""
    rows_a = {tuple(row[k] for k in DIFF_KEY): row for row in table_a.to_dict("records")}
    rows_b = {tuple(row[k] for k in DIFF_KEY): row for row in table_b.to_dict("records")}
    lines = []
    for key in [*rows_a, *(k for k in rows_b if k not in rows_a)]:
        row_a, row_b = rows_a.get(key), rows_b.get(key)
        verdicts = [row["verdict"] if row is not None else "(absent)" for row in (row_a, row_b)]
        if verdicts[0] == verdicts[1]:
            continue
        details = [d for d in (_detail(row_a, row_b, "estimate", "estimate"),
                               _detail(row_a, row_b, "p_adjusted", "adjusted p")) if d]
        lines.append(f"{key[0]} {key[1]}: {verdicts[0]} -> {verdicts[1]}"
                     + (f" ({', '.join(details)})" if details else ""))
    return lines
