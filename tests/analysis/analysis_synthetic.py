"""Synthetic aggregated tables with planted effects for the findings tests.

Every tested claim's per-seed estimate is planted exactly: ``sign * DELTA + OFFSETS[seed]``,
where the offsets have mean exactly 0 and a spread of a tenth of DELTA. So sign +1 plants
the claimed effect (interval far from 0 on the claimed side), -1 the reverse, and 0 a null
effect whose mean over seeds is exactly the threshold (the interval must contain it).
The claims that count seeds (dead ReLU units, equal initial weights) are planted per seed:
+1 satisfied in every seed, 0 in 3 of 5, -1 in none.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

DELTA = 0.05
OFFSETS = DELTA / 10 * np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
SEEDS = range(len(OFFSETS))
DATASETS = ("mnist", "fashion-mnist")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam")
# Threshold of the small-init claim: ln 10 - 0.1 (nnbench.analysis.findings).
SMALL_INIT_THRESHOLD = math.log(10) - 0.1


def _planted(sign, seed):
    return sign * DELTA + OFFSETS[seed]


def _run(study, dataset, seed, **columns):
    run_id = f"{study}-{dataset}-{seed}-" + "-".join(f"{v}" for v in columns.values())
    return {"study": study, "run_id": run_id, "dataset": dataset, "seed": seed,
            "status": "ok", **columns}


def optimizers_runs(sign):
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            effect = _planted(sign, seed)
            # Minibatch loss: momentum is the slowest of the others (0.2); SGD = 0.2 + effect.
            minibatch = {"sgd": 0.2 + effect, "momentum": 0.2, "nesterov": 0.15,
                         "adagrad": 0.05, "rmsprop": 0.1, "adadelta": 0.12, "adam": 0.04}
            # Training loss: best plain optimizer 0.1 (momentum), adam = 0.1 - effect.
            train = {"sgd": 0.2, "momentum": 0.1, "nesterov": 0.12, "adagrad": 0.3,
                     "rmsprop": 0.3, "adadelta": 0.35, "adam": 0.1 - effect}
            for name in OPTIMIZERS:
                rows.append(_run("optimizers", dataset, seed, optimizer=name,
                                 final_minibatch_loss=minibatch[name],
                                 final_train_loss=train[name]))
    return pd.DataFrame(rows)


def weight_init_runs(sign):
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            effect = _planted(sign, seed)
            losses = {"0.01": SMALL_INIT_THRESHOLD + effect, "xavier": 0.3 + effect,
                      "he": 0.3, "constant": 2.3}
            for init, loss in losses.items():
                rows.append(_run("weight_init", dataset, seed, init=init,
                                 final_minibatch_loss=loss))
    return pd.DataFrame(rows)


def vanishing_curves(sign, layers=11):
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            effect = _planted(sign, seed)
            # log10(g_1/g_L): ReLU 0, sigmoid -effect, so ReLU minus sigmoid = effect.
            slopes = {"sigmoid": effect / (layers - 1), "relu": 0.0, "tanh": 0.01}
            for activation, slope in slopes.items():
                run_id = f"vg-{dataset}-{seed}-{activation}"
                for step, scale in ((0, 1.0), (1000, -5.0)):  # the later step must be ignored
                    for layer in range(1, layers + 1):
                        rows.append({"study": "vanishing_gradient", "run_id": run_id,
                                     "dataset": dataset, "seed": seed,
                                     "activation": activation, "step": step,
                                     "split": "train", "metric": "grad_norm",
                                     "layer": layer,
                                     "value": 10.0 ** (scale * slope * (layer - layers))})
                    rows.append({"study": "vanishing_gradient", "run_id": run_id,
                                 "dataset": dataset, "seed": seed, "activation": activation,
                                 "step": step, "split": "train", "metric": "loss",
                                 "layer": np.nan, "value": 2.0})
    return pd.DataFrame(rows)


def minibatch_spread(sign):
    rows = []
    sizes = [2 ** k for k in range(11)]
    for dataset in DATASETS:
        for seed in SEEDS:
            slope = -_planted(sign, seed)  # the claim predicts a negative slope
            for step, exponent in ((0, 1.0), (2000, slope)):  # the initial step is ignored
                for size in sizes:
                    rows.append({"study": "minibatch_noise", "run_id": f"mb-{dataset}-{seed}",
                                 "dataset": dataset, "seed": seed, "step": step,
                                 "batch_size": size, "draws": 50, "mean_loss": 1.0,
                                 "std_loss": 0.5 * size ** exponent, "full_loss": 1.0})
    return pd.DataFrame(rows)


def batch_norm_runs(sign):
    stds = np.logspace(0, -4, 16)
    z = np.linspace(-1, 1, 16)
    z = z / z.std(ddof=1)
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            spread_bn = 2 * DELTA
            spread_plain = spread_bn + _planted(sign, seed)
            for std, unit in zip(stds, z):
                for bn, spread in ((False, spread_plain), (True, spread_bn)):
                    rows.append(_run("batch_norm", dataset, seed, init=f"{std:g}",
                                     batchnorm=bn, final_train_acc=0.8 + spread * unit))
    return pd.DataFrame(rows)


def gap_runs(study, column, baseline, treated, sign):
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            effect = _planted(sign, seed)
            rows.append(_run(study, dataset, seed, **{column: baseline},
                             final_train_acc=1.0, final_test_acc=0.7))
            rows.append(_run(study, dataset, seed, **{column: treated},
                             final_train_acc=1.0, final_test_acc=0.7 + effect))
    return pd.DataFrame(rows)


def capacity_runs(sign):
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            effect = _planted(sign, seed)
            for width in (10, 50, 100, 500):
                gap = 0.1 + effect * math.log2(width)
                rows.append(_run("overfitting_capacity", dataset, seed, width=width,
                                 final_train_acc=0.8 + gap, final_test_acc=0.8))
    return pd.DataFrame(rows)


def batch_size_runs(sign):
    """Full batch (batch_size = n_train) vs batch 128: training loss full minus 128 and
    test accuracy 128 minus full are both the planted effect; batch 8 is ignored."""
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            effect = _planted(sign, seed)
            for size, train_loss, test_acc in ((8, 9.0, 0.0), (128, 0.5, 0.9),
                                               (10000, 0.5 + effect, 0.9 - effect)):
                rows.append(_run("batch_size", dataset, seed, batch_size=size, n_train=10000,
                                 final_train_loss=train_loss, final_test_acc=test_acc))
    return pd.DataFrame(rows)


def vanishing_runs(sign):
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            losses = {"sigmoid": 0.5 + _planted(sign, seed), "relu": 0.5, "tanh": 0.1}
            for activation, loss in losses.items():
                rows.append(_run("vanishing_gradient", dataset, seed, activation=activation,
                                 final_train_loss=loss))
    return pd.DataFrame(rows)


def _curve(study, dataset, seed, run_id, step, metric, layer, value, split="train", **columns):
    return {"study": study, "run_id": run_id, "dataset": dataset, "seed": seed, **columns,
            "step": step, "epoch": step, "split": split, "metric": metric, "layer": layer,
            "value": value}


def dead_fraction(sign, seed):
    """The ReLU network's dead fraction of ``seed``: +1 dead units in every seed, 0 in 3
    of 5 (a count that is neither a clear majority for nor against), -1 in none."""
    return max(0.0, _planted(sign, seed) + DELTA / 20)


def _layer_curves(study, metric, column, finals, last_step, layers, first=1.0, only_layer=None):
    """Per dataset, seed and arm (``finals(seed) -> {arm of column: final value}``) one run
    whose layers log ``first`` at step 0 (to be ignored) and the final value at
    ``last_step``; with ``only_layer``, only that layer has it (the others stay ``first``)."""
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            for arm, final in finals(seed).items():
                run_id = f"{study}-{dataset}-{seed}-{arm}"
                for layer in range(1, layers + 1):
                    last = final if only_layer in (None, layer) else first
                    rows += [_curve(study, dataset, seed, run_id, step, metric, layer, value,
                                    **{column: arm})
                             for step, value in ((0, first), (last_step, last))]
    return pd.DataFrame(rows)


def dead_unit_curves(sign):
    return _layer_curves("vanishing_gradient", "dead_fraction", "activation",
                         lambda seed: {"relu": dead_fraction(sign, seed), "sigmoid": 0.0},
                         last_step=1000, layers=10, first=0.5)


def distinct_units(sign, seed):
    """Distinct units of the equal-init network of ``seed``: 1 (symmetric) in every seed for
    +1, in 3 of 5 for 0, in none for -1."""
    return 1.0 if _planted(sign, seed) + DELTA / 20 > 0 else 2.0


def distinct_unit_curves(sign):
    return _layer_curves("weight_init", "distinct_units", "init",
                         lambda seed: {"constant": distinct_units(sign, seed), "he": 100.0},
                         last_step=2000, layers=4, only_layer=2)


def histogram_curves(sign, layers=5):
    """Data-free activation histograms: std 1 saturates more than Xavier, std 0.01 is more
    central, both by the planted effect, so Xavier's working range is larger by it too."""
    rows = []
    for seed in SEEDS:
        effect = _planted(sign, seed)
        for activation in ("sigmoid", "tanh", "relu"):
            for init, saturated, central in ((1.0, 0.1 + effect, 0.1), (0.01, 0.1, 0.1 + effect),
                                             ("xavier", 0.1, 0.1)):
                run_id = f"ah-{seed}-{activation}-{init}"
                for layer in range(1, layers + 1):
                    for metric, value in (("saturated_fraction", saturated),
                                          ("central_fraction", central),
                                          ("activation_std", 0.2)):
                        if activation == "relu" and metric != "activation_std":
                            continue
                        rows.append(_curve("activation_histograms", None, seed, run_id, 0,
                                           metric, layer, value, split="forward",
                                           activation=activation, init=init))
    return pd.DataFrame(rows)


def batch_norm_curves(sign, epochs=20):
    """Training accuracy per epoch: with BN ahead by the planted effect at epoch 5 (a
    quarter of 20), every other epoch equal with and without BN."""
    rows = []
    for dataset in DATASETS:
        for seed in SEEDS:
            for std in np.logspace(0, -4, 4):
                for bn in (False, True):
                    run_id = f"bn-{dataset}-{seed}-{std:g}-{bn}"
                    for epoch in range(epochs + 1):
                        value = 0.5 + (_planted(sign, seed) if bn and epoch == 5 else 0.0)
                        rows.append(_curve("batch_norm", dataset, seed, run_id, epoch,
                                           "accuracy", None, value, init=f"{std:g}",
                                           batchnorm=bn))
    return pd.DataFrame(rows)


def tables(sign):
    """``{(study, table): DataFrame}`` for every claim, all planted with ``sign``."""
    result = {
        ("optimizers", "runs"): optimizers_runs(sign),
        ("weight_init", "runs"): weight_init_runs(sign),
        ("vanishing_gradient", "curves"): vanishing_curves(sign),
        ("minibatch_noise", "minibatch_spread"): minibatch_spread(sign),
        ("batch_norm", "runs"): batch_norm_runs(sign),
        ("overfitting_weight_decay", "runs"): gap_runs(
            "overfitting_weight_decay", "weight_decay", 0.0, 0.1, sign),
        ("overfitting_dropout", "runs"): gap_runs(
            "overfitting_dropout", "dropout", 0.0, 0.2, sign),
        ("overfitting_capacity", "runs"): capacity_runs(sign),
        ("overfitting_batchnorm", "runs"): gap_runs(
            "overfitting_batchnorm", "batchnorm", False, True, sign),
        ("batch_size", "runs"): batch_size_runs(sign),
        ("vanishing_gradient", "runs"): vanishing_runs(sign),
        ("activation_histograms", "curves"): histogram_curves(sign),
        ("batch_norm", "curves"): batch_norm_curves(sign),
    }
    result[("vanishing_gradient", "curves")] = pd.concat(
        [result[("vanishing_gradient", "curves")], dead_unit_curves(sign)], ignore_index=True)
    result[("weight_init", "curves")] = distinct_unit_curves(sign)
    return result
