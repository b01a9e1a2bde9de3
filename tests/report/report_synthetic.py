"""Small but realistic aggregated tables (``results/<study>/*.csv``) for every study.

The numbers are made up (seeded ``numpy.random.Generator``) with the shapes the real
aggregation writes (docs/ARCHITECTURE.md): run columns, ``runs.csv`` with status and
summary keys, ``curves.csv``, ``histograms.csv`` and ``minibatch_spread.csv``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from nnbench.vocabulary import RUN_COLUMNS

DATASETS = ("mnist", "fashion-mnist")
OPTIMIZERS = {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.01,
              "rmsprop": 0.01, "adadelta": 1.0, "adam": 0.001}
# How fast each optimizer's synthetic loss falls (bigger = faster).
SPEED = {"sgd": 0.4, "momentum": 1.6, "nesterov": 1.7, "adagrad": 2.5, "rmsprop": 2.2,
         "adadelta": 1.2, "adam": 2.0}
# Iterations between logged minibatch losses (the real runs log every one).
MINIBATCH_EVERY = 20
DEFAULTS = dict(kind="train", optimizer="sgd", lr=0.01, init="he", activation="relu",
                batchnorm=False, dropout=0.0, weight_decay=0.0, batch_size=128, width=100,
                depth=4, n_train=60000)


#: The code identity every synthetic run records (runs.csv's code columns).
SYNTHETIC_CODE = {"commit": "5ca1ab1e" * 5, "commit_date": "2026-11-30T09:00:00+00:00", "dirty": False}


class _Study:
    def __init__(self, name):
        self.name = name
        self.runs, self.curves, self.hist, self.spread = [], [], [], []
        self.count = 0

    def run(self, rng, *, dataset, seed, status="ok", summary=None, **config):
        self.count += 1
        row = dict(DEFAULTS)
        row.update(config)
        row.update(study=self.name, run_id=f"{self.name[:6]}{self.count:05d}",
                   dataset=dataset, seed=seed)
        iterations = summary.pop("iterations", 2000) if summary else 2000
        n_train = row["n_train"] or 60000
        base = dict(status=status, iterations=iterations,
                    epochs=iterations * row["batch_size"] / n_train,
                    wall_seconds=float(rng.uniform(20, 30)),
                    train_seconds=float(rng.uniform(15, 20)),
                    samples_per_second=float(rng.uniform(4000, 6000)), **SYNTHETIC_CODE)
        base.update(summary or {})
        row.update(base)
        self.runs.append(row)
        return row

    def curve(self, row, step, split, metric, value, layer=""):
        base = {c: row[c] for c in RUN_COLUMNS}
        n_train = row["n_train"] or 60000
        self.curves.append(dict(base, step=int(step), epoch=step * row["batch_size"] / n_train,
                                split=split, metric=metric, layer=layer, value=float(value)))

    def write(self, root: Path):
        folder = root / self.name
        folder.mkdir(parents=True, exist_ok=True)
        runs = pd.DataFrame(self.runs)
        runs.to_csv(folder / "runs.csv", index=False)
        if self.curves:
            pd.DataFrame(self.curves).to_csv(folder / "curves.csv", index=False)
        for rows, name in ((self.hist, "histograms"), (self.spread, "minibatch_spread")):
            if rows:
                pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)


def _loss(rng, steps, speed, floor=0.05, start=2.3, noise=0.05):
    clean = floor + (start - floor) * np.exp(-speed * steps / 1000.0)
    return clean * np.exp(noise * rng.standard_normal(len(steps)))


def _acc(loss):
    return np.clip(1.0 - loss / 2.6, 0.1, 0.995)


def _summary_from(loss, test_gap=0.02):
    final = float(np.mean(loss[-3:]))
    return dict(final_train_loss=final, final_train_acc=float(_acc(final)),
                final_test_loss=final + 0.05, final_test_acc=float(_acc(final) - test_gap),
                final_minibatch_loss=final, best_test_acc=float(_acc(final) - test_gap / 2))


def _training_study(study, rng, seeds, datasets, arms, *, speed_of, extra=None,
                    diverge=lambda arm, seed: False, after_update=False, validation=False):
    """Runs with minibatch loss and test accuracy curves, one per arm and seed (with
    ``after_update`` also the loss after each update, 20% lower; with ``validation`` a
    validation accuracy curve)."""
    steps = np.arange(0, 2001, MINIBATCH_EVERY)
    eval_steps = np.arange(0, 2001, 200)
    for dataset, arm, seed in itertools.product(datasets, arms, seeds):
        speed = speed_of(arm) * (0.8 if dataset == "fashion-mnist" else 1.0)
        loss = _loss(rng, steps, speed)
        status = "diverged" if diverge(arm, seed) else "ok"
        if status == "diverged":
            loss = loss.copy()
            loss[len(loss) // 2:] = np.inf
            summary = dict(final_train_loss=np.nan, final_train_acc=np.nan,
                           final_test_loss=np.nan, final_test_acc=np.nan)
        else:
            summary = _summary_from(loss)
        row = study.run(rng, dataset=dataset, seed=seed, status=status, summary=summary, **arm)
        for step, value in zip(steps, loss):
            study.curve(row, step, "minibatch", "loss", value)
            if after_update:
                study.curve(row, step, "minibatch", "loss_after_update", 0.8 * value)
        test_loss = np.interp(eval_steps, steps, loss) + 0.05
        for step, value in zip(eval_steps, test_loss):
            study.curve(row, step, "test", "loss", value)
            study.curve(row, step, "test", "accuracy", _acc(value))
            study.curve(row, step, "train", "loss", value - 0.05)
            if validation:
                study.curve(row, step, "validation", "accuracy", _acc(value))
        if extra:
            extra(study, row, rng, arm)


def write_synthetic_results(root, seeds=(0, 1, 2), datasets=DATASETS, studies=None,
                            extra_study_label=None):
    """Write synthetic ``root/<study>/*.csv`` for every study (or the ones named)."""
    root = Path(root)
    rng = np.random.default_rng(12345)
    seeds = list(seeds)
    out = {}

    def want(name):
        return studies is None or name in studies

    if want("optimizer_paths"):
        study = out["optimizer_paths"] = _Study("optimizer_paths")
        lrs = {"sgd": 0.95, "momentum": 0.1, "nesterov": 0.1, "adagrad": 1.5, "rmsprop": 0.1,
               "adadelta": 1.0, "adam": 0.3}
        for name, lr in lrs.items():
            row = study.run(rng, dataset="", seed=0, kind="optimizer_path", optimizer=name,
                            lr=lr, batch_size=1, n_train=0,
                            summary=dict(iterations=30, epochs=np.nan))
            decay, wobble = 0.8 + 0.02 * SPEED[name], 0.5 + 0.1 * SPEED[name]
            for step in range(31):
                x = -7.0 * decay ** step
                y = 2.0 * decay ** step * np.cos(wobble * step)
                for metric, value in (("x", x), ("y", y), ("f", x * x / 20 + y * y)):
                    study.curve(row, step, "path", metric, value)

    if want("optimizers"):
        study = out["optimizers"] = _Study("optimizers")
        arms = [dict(optimizer=o, lr=lr) for o, lr in OPTIMIZERS.items()]
        _training_study(study, rng, seeds, datasets, arms,
                        speed_of=lambda a: SPEED[a["optimizer"]], after_update=True)

    if want("optimizers_lr_sweep"):
        study = out["optimizers_lr_sweep"] = _Study("optimizers_lr_sweep")
        for dataset, name, exponent, seed in itertools.product(
                datasets, OPTIMIZERS, (-4, -3, -2, -1, 0), seeds):
            lr = 10.0 ** exponent
            best = np.log10(OPTIMIZERS[name]) + 0.5
            loss = 0.05 + 0.3 * (exponent - best) ** 2 + 0.01 * rng.standard_normal()
            diverged = name == "sgd" and exponent == 0
            summary = dict(final_validation_loss=np.nan if diverged else loss,
                           final_validation_acc=np.nan if diverged else float(_acc(loss)),
                           **({} if diverged else _summary_from(np.array([loss]))))
            study.run(rng, dataset=dataset, seed=seed, optimizer=name, lr=lr,
                      status="diverged" if diverged else "ok", summary=summary)

    if want("optimizers_tuned"):
        study = out["optimizers_tuned"] = _Study("optimizers_tuned")
        arms = [dict(optimizer=o, lr=lr * 3) for o, lr in OPTIMIZERS.items()]
        _training_study(study, rng, seeds, datasets, arms,
                        speed_of=lambda a: SPEED[a["optimizer"]] * 1.3 + 0.5, validation=True)

    if want("activation_histograms"):
        study = out["activation_histograms"] = _Study("activation_histograms")
        configs = [("sigmoid", "1"), ("sigmoid", "0.01"), ("sigmoid", "xavier"),
                   ("tanh", "xavier"), ("relu", "0.01"), ("relu", "xavier"), ("relu", "he")]
        for (activation, init), seed in itertools.product(configs, seeds[:2]):
            row = study.run(rng, dataset="", seed=seed, kind="activation_histogram",
                            activation=activation, init=init, batch_size=1000, n_train=0,
                            width=100, depth=5, summary=dict(iterations=0, epochs=np.nan))
            high = 1.0 if activation == "sigmoid" else 1.0
            low = 0.0 if activation in ("sigmoid", "relu") else -1.0
            edges = np.linspace(low, high, 31)
            centre = {"1": 0.0, "0.01": 0.5, "xavier": 0.5, "he": 0.3}[init]
            spread = {"1": 2.0, "0.01": 0.01, "xavier": 0.2, "he": 0.3}[init]
            for layer in range(1, 6):
                samples = rng.normal(centre, spread / layer ** 0.5, 100_000)
                if activation == "sigmoid" and init == "1":
                    samples = np.where(rng.random(100_000) < 0.5, 0.01, 0.99)
                counts, _ = np.histogram(np.clip(samples, low, high), bins=edges)
                for i, count in enumerate(counts):
                    study.hist.append({**{c: row[c] for c in RUN_COLUMNS}, "layer": layer,
                                       "bin_left": edges[i], "bin_right": edges[i + 1],
                                       "count": int(count)})
                for metric, value in (("activation_mean", centre),
                                      ("activation_std", spread / layer ** 0.5),
                                      ("mean_abs_grad", 1e-3 * (0.25 if activation == "sigmoid"
                                                                else 0.9) ** layer)):
                    study.curve(row, 0, "forward", metric, value, layer=layer)

    if want("weight_init"):
        study = out["weight_init"] = _Study("weight_init")
        speeds = {"0.01": 0.01, "xavier": 1.2, "he": 1.6, "constant": 0.02}

        def distinct(study, row, rng, arm):
            for step, layer in itertools.product(range(0, 2001, 500), range(1, 5)):
                value = 1 if arm["init"] == "constant" else 100
                study.curve(row, step, "train", "distinct_units", value, layer=layer)
        _training_study(study, rng, seeds, datasets, [dict(init=i) for i in speeds],
                        speed_of=lambda a: speeds[a["init"]], extra=distinct, after_update=True)

    if want("vanishing_gradient"):
        study = out["vanishing_gradient"] = _Study("vanishing_gradient")
        speeds = {"sigmoid": 0.05, "tanh": 0.9, "relu": 1.5, "leaky_relu": 1.6}
        inits = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he", "leaky_relu": "he"}

        def grads(study, row, rng, arm):
            shrink = {"sigmoid": 0.3, "tanh": 0.8, "relu": 0.97, "leaky_relu": 0.98}
            for step in (0, 1000, 2000):
                for layer in range(1, 12):
                    value = shrink[arm["activation"]] ** (11 - layer) * rng.uniform(0.8, 1.2)
                    study.curve(row, step, "train", "grad_norm", value, layer=layer)
                    if layer <= 10:
                        dead = (0.02 * layer + 0.01 * step / 1000
                                if arm["activation"] == "relu" else 0.0)
                        study.curve(row, step, "train", "dead_fraction", dead, layer=layer)
        arms = [dict(activation=a, init=inits[a], depth=10) for a in speeds]
        _training_study(study, rng, seeds, datasets, arms,
                        speed_of=lambda a: speeds[a["activation"]], extra=grads)

    if want("minibatch_noise"):
        study = out["minibatch_noise"] = _Study("minibatch_noise")
        for dataset, seed in itertools.product(datasets, seeds):
            row = study.run(rng, dataset=dataset, seed=seed, kind="train",
                            summary=_summary_from(np.array([0.1])))
            for step, full in ((0, 2.3), (2000, 0.12)):
                for exponent in range(11):
                    size = 2 ** exponent
                    std = (0.4 if step == 0 else 0.25) / np.sqrt(size) * rng.uniform(0.9, 1.1)
                    study.spread.append({**{c: row[c] for c in RUN_COLUMNS}, "step": step,
                                         "batch_size": size, "draws": 200,
                                         "mean_loss": full + std * 0.1 * rng.standard_normal(),
                                         "std_loss": std, "full_loss": full})

    if want("batch_size"):
        study = out["batch_size"] = _Study("batch_size")
        for dataset, size, seed in itertools.product(datasets, [8, 32, 128, 512, 2048], seeds):
            epochs = 5
            iterations = epochs * 60000 // size
            seconds = 60000 * epochs / (2000 * np.log2(size) * rng.uniform(0.9, 1.1))
            loss = _loss(rng, np.arange(0, epochs + 1) * 1000.0, 3.0 / np.log2(size))
            row = study.run(rng, dataset=dataset, seed=seed, batch_size=size,
                            summary=dict(iterations=iterations, train_seconds=seconds,
                                         samples_per_second=60000 * epochs / seconds,
                                         **_summary_from(loss)))
            for epoch, value in enumerate(loss):
                study.curve(row, epoch * 60000 // size, "train", "loss", value)

    if want("batch_norm"):
        study = out["batch_norm"] = _Study("batch_norm")
        stds = np.logspace(0, -4, 16)
        for dataset, std, flag, seed in itertools.product(datasets, stds, (False, True), seeds):
            good = flag or 0.05 < std < 0.6
            speed = 0.4 if good else 0.02
            if flag and abs(std - 0.293) < 0.01:
                speed = 0.08  # the book's std-0.29 case: without BN wins
            acc = 0.1 + 0.89 * (1 - np.exp(-speed * np.arange(21)))
            acc = np.clip(acc + 0.01 * rng.standard_normal(21), 0, 1)
            row = study.run(rng, dataset=dataset, seed=seed, init=repr(float(std)),
                            batchnorm=flag, depth=5, batch_size=100, n_train=1000,
                            summary=dict(iterations=200, final_train_acc=acc[-1],
                                         final_test_acc=acc[-1] - 0.1,
                                         **({"batchnorm_eps": 1e-6} if flag else {})))
            for epoch, value in enumerate(acc):
                study.curve(row, epoch * 10, "train", "accuracy", value)

    for name, key, values, epochs in (
            ("overfitting_weight_decay", "weight_decay", [0.0, 0.001, 0.01, 0.03, 0.1, 0.3], 201),
            ("overfitting_dropout", "dropout", [0.0, 0.1, 0.15, 0.2, 0.3, 0.5], 301),
            ("overfitting_capacity", "width", [10, 50, 100, 500], 201)):
        if not want(name):
            continue
        study = out[name] = _Study(name)
        for dataset, value, seed in itertools.product(datasets, values, seeds):
            strength = {"weight_decay": value * 3, "dropout": value, "width": 0.0}[key]
            gap = (0.3 * np.log10(value) / np.log10(500) if key == "width" else 0.3) \
                * (1 - min(strength, 0.9))
            epoch_axis = np.arange(0, epochs, 10)
            train = np.clip(0.1 + 0.9 * (1 - np.exp(-epoch_axis / 40)), 0, 1)
            test = train - gap * (1 - np.exp(-epoch_axis / 60))
            test = test + 0.01 * rng.standard_normal(len(test))
            row = study.run(rng, dataset=dataset, seed=seed, depth=6, batch_size=100,
                            n_train=300, **{key: value},
                            summary=dict(iterations=epochs * 3, final_train_acc=train[-1],
                                         final_test_acc=test[-1], final_train_loss=0.1,
                                         final_test_loss=1.0))
            for epoch, tr, te in zip(epoch_axis, train, test):
                study.curve(row, epoch * 3, "train", "accuracy", tr)
                study.curve(row, epoch * 3, "test", "accuracy", te)

    effect_init = {"0.01": -0.3, "xavier": 0.0, "he": 0.02}
    effect_opt = {"sgd": -0.1, "momentum": 0.0, "adagrad": 0.01, "rmsprop": 0.0,
                  "adadelta": -0.02, "adam": 0.02}
    for name, optimizers, decays, iterations in (
            ("factorial", effect_opt, (0.0, 1e-4, 1e-2), 500),
            ("factorial_long", ("sgd", "adam"), (0.0,), 2000)):
        if not want(name):
            continue
        study = out[name] = _Study(name)
        for dataset, init, opt, flag, dropout, decay, seed in itertools.product(
                datasets, effect_init, optimizers, (False, True), (0.0, 0.2), decays, seeds):
            acc = 0.9 + effect_init[init] * (0.2 if flag else 1.0) + effect_opt[opt] \
                - 0.02 * dropout - 2 * decay + 0.005 * rng.standard_normal() \
                + (0.01 if iterations > 500 else 0.0)
            diverged = opt == "adadelta" and init == "0.01" and not flag and seed == 0 \
                and dropout == 0 and decay == 0
            study.run(rng, dataset=dataset, seed=seed, optimizer=opt, lr=OPTIMIZERS[opt],
                      init=init, batchnorm=flag, dropout=dropout, weight_decay=decay,
                      status="diverged" if diverged else "ok",
                      summary=dict(iterations=iterations,
                                   final_test_acc=np.nan if diverged else acc,
                                   final_train_acc=np.nan if diverged else acc + 0.01,
                                   final_train_loss=np.nan if diverged else 1 - acc))

    if extra_study_label is not None:
        study = out["custom"] = _Study("custom")
        for seed in seeds:
            study.run(rng, dataset="mnist", seed=seed, optimizer=extra_study_label,
                      summary=_summary_from(np.array([0.2])))
            study.run(rng, dataset="mnist", seed=seed, optimizer="sgd",
                      summary=_summary_from(np.array([0.3])))

    for study in out.values():
        study.write(root)
    return sorted(out)


# A label that would run script if the templates did not escape it.
INJECTED_LABEL = "<script>alert(1)</script>"

CONFIG_TEXT = """\
# synthetic config for the report tests
studies:
  optimizers:
    fixed: {optimizer: sgd, iterations: 2000}
    axes: {optimizer: [sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam]}
    seeds: [0, 1, 2]
"""
