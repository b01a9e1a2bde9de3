"""What a reader calls things, in every language: the one labelled vocabulary of the
figures, tables, report and slides.

:mod:`nnbench.vocabulary` holds the names users write (``"adam"``, ``"fashion-mnist"``,
``"final_test_acc"``); this module maps them to the words a reader understands
(``"Adam"``, ``"Fashion-MNIST"``, ``"final test accuracy"``), marked for the message
catalog (:mod:`nnbench.i18n`) and translated into the :func:`~nnbench.i18n.current_language`
(or the ``lang`` given). A level label says which level it is on its own ("with BN" /
"without BN", "std 0.01"), so a legend or an axis tick never needs its neighbour to be read.
"""

from __future__ import annotations

import math

from nnbench.formatting import as_bool, init_key
from nnbench.i18n import N_, gettext

__all__ = ["DATASET_LABELS", "OPTIMIZER_LABELS", "ACTIVATION_LABELS", "INIT_LABELS", "INIT_SHORT_LABELS",
           "BATCHNORM_LABELS", "COLUMN_LABELS", "SPLIT_LABELS", "METRIC_LABELS", "VERDICT_LABELS",
           "dataset_label", "optimizer_label", "activation_label", "init_label", "batchnorm_label",
           "column_label", "split_label", "curve_label", "verdict_label"]

DATASET_LABELS = {"mnist": N_("MNIST"), "fashion-mnist": N_("Fashion-MNIST"), "digits": N_("digits (8x8)")}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
                    "rmsprop": "RMSprop", "adadelta": "Adadelta", "adam": "Adam"}
ACTIVATION_LABELS = {"sigmoid": N_("sigmoid"), "tanh": "tanh", "relu": "ReLU", "leaky_relu": N_("leaky ReLU")}
INIT_LABELS = {"constant": N_("equal (constant)"), "xavier": "Xavier √(1/n)",
               "glorot": "Glorot √(2/(n_in+n_out))", "he": "He √(2/n)"}
#: Tick labels where space is short (a heatmap column, a main-effects tick).
INIT_SHORT_LABELS = {"constant": N_("equal"), "xavier": "Xavier", "glorot": "Glorot", "he": "He"}
BATCHNORM_LABELS = {True: N_("with BN"), False: N_("without BN")}
#: A number as the initial weights' standard deviation.
STD_LABEL = N_("std {value}")

#: Columns of the aggregated tables shown on an axis or as a table heading.
COLUMN_LABELS = {
    "final_test_acc": N_("final test accuracy"), "final_train_acc": N_("final training accuracy"),
    "final_validation_acc": N_("final validation accuracy"),
    "final_test_loss": N_("final test loss"), "final_train_loss": N_("final training loss"),
    "best_test_acc": N_("best test accuracy"), "optimizer": N_("optimizer"), "init": N_("initial weights"),
    "activation": N_("activation function"), "batchnorm": N_("batch normalisation"),
    "dropout": N_("dropout rate"), "weight_decay": N_("weight decay λ"), "batch_size": N_("batch size"),
    "lr": N_("learning rate"), "dataset": N_("dataset"), "seed": N_("seed"), "width": N_("hidden width"),
    "depth": N_("hidden layers"), "n_train": N_("training samples"), "epoch": N_("epoch"), "step": N_("iteration"),
    "study": N_("study"), "runs": N_("runs"), "seeds": N_("seeds"), "diverged": N_("diverged"),
    "mean": N_("mean"), "low": N_("95% CI low"), "high": N_("95% CI high"), "n": N_("n"),
}
SPLIT_LABELS = {"minibatch": N_("minibatch"), "train": N_("training"), "validation": N_("validation"),
                "test": N_("test")}
METRIC_LABELS = {"loss": N_("loss"), "accuracy": N_("accuracy"), "grad_norm": N_("gradient norm"),
                 "activation_mean": N_("activation mean"), "activation_std": N_("activation std"),
                 "dead_fraction": N_("fraction of dead units"), "distinct_units": N_("distinct units"),
                 "loss_after_update": N_("loss after the update")}
#: "{split} {metric}": a curve's axis label ("training accuracy", "test loss").
CURVE_LABEL = N_("{split} {metric}")
VERDICT_LABELS = {"holds": N_("holds"), "does not hold": N_("does not hold"),
                  "inconclusive": N_("inconclusive"), "no data": N_("no data")}


def _missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def dataset_label(name, lang: str | None = None) -> str:
    """'mnist' -> 'MNIST'; nothing -> 'no data'."""
    if _missing(name):
        return gettext(VERDICT_LABELS["no data"], lang)
    text = str(name)
    return gettext(DATASET_LABELS[text.lower()], lang) if text.lower() in DATASET_LABELS else text


def optimizer_label(name, lang: str | None = None) -> str:
    """'adam' -> 'Adam'; a user's optimizer 'my_package.optim:Lion' -> its class name 'Lion'."""
    text = str(name)
    return OPTIMIZER_LABELS.get(text.lower(), text.rsplit(":", 1)[-1])


def activation_label(name, lang: str | None = None) -> str:
    text = str(name)
    return gettext(ACTIVATION_LABELS[text.lower()], lang) if text.lower() in ACTIVATION_LABELS else text


def init_label(value, lang: str | None = None, *, short: bool = False) -> str:
    """'he' -> 'He √(2/n)' (short: 'He'), a std '0.01' -> 'std 0.01'."""
    key = init_key(value)
    labels = INIT_SHORT_LABELS if short else INIT_LABELS
    if key in labels:
        return gettext(labels[key], lang)
    try:
        float(key)
    except ValueError:
        return key
    return gettext(STD_LABEL, lang).format(value=key)


def batchnorm_label(flag, lang: str | None = None) -> str:
    """'with BN' / 'without BN'."""
    return gettext(BATCHNORM_LABELS[as_bool(flag)], lang)


def column_label(column: str, lang: str | None = None) -> str:
    """A table column as a reader names it ('final_test_acc' -> 'final test accuracy');
    a column not in :data:`COLUMN_LABELS` as it is."""
    return gettext(COLUMN_LABELS[column], lang) if column in COLUMN_LABELS else str(column)


def split_label(split: str, lang: str | None = None) -> str:
    """'train' -> 'training', 'test' -> 'test' (a legend entry of a learning curve)."""
    return gettext(SPLIT_LABELS[split], lang) if split in SPLIT_LABELS else str(split)


def curve_label(split: str, metric: str, lang: str | None = None) -> str:
    """A learning curve's axis label: ('train', 'accuracy') -> 'training accuracy'."""
    split_text = gettext(SPLIT_LABELS[split], lang) if split in SPLIT_LABELS else split
    metric_text = gettext(METRIC_LABELS[metric], lang) if metric in METRIC_LABELS else metric
    return gettext(CURVE_LABEL, lang).format(split=split_text, metric=metric_text)


def verdict_label(verdict, lang: str | None = None) -> str:
    """'holds' -> 'holds' / '성립'; an unknown verdict as it is; nothing -> 'no data'."""
    if _missing(verdict):
        verdict = "no data"
    return gettext(VERDICT_LABELS[verdict], lang) if verdict in VERDICT_LABELS else str(verdict)
