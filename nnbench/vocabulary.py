"""nnbench's vocabulary: every name a user writes and every column a file holds, once.

Base layer: imports nothing from nnbench, so every stage (core, data, spec, grid, runs,
aggregate, figures, report) and the config schema can read its names from here. The
core keeps the name -> implementation maps (``nnbench.core.OPTIMIZERS`` ...); tests
check that their keys equal these tuples, and that the schema's enumerations equal them.

Tuples are in *display order*: the order of legends, table rows and report sections.
"""

from __future__ import annotations

# ------------------------------------------------------------------ names users write

DATASETS = ("mnist", "fashion-mnist", "digits")
DTYPES = ("float32", "float64")
RUN_KINDS = ("train", "optimizer_path", "activation_histogram")
#: The kind of a spec that names none.
DEFAULT_KIND = RUN_KINDS[0]
#: Built-in optimizers (a user's own is named by import path, ``package.module:Class``).
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam")
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
#: The bounds and the centre of the bounded activations: the activation histograms record
#: the fraction of activations within ACTIVATION_MARGIN of a bound (``saturated_fraction``)
#: and of the centre (``central_fraction``), the findings' measure of the deck's slide 2.2.2.
ACTIVATION_RANGES = {"sigmoid": (0.0, 0.5, 1.0), "tanh": (-1.0, 0.0, 1.0)}
ACTIVATION_MARGIN = 0.05
#: Named initializers; a positive number is also an init (the std).
INITIALIZERS = ("he", "xavier", "glorot", "constant")
#: ``loss_after_update``: the loss of each minibatch right after the update made on it (the
#: book's ch06 logging), ``split=minibatch, metric=loss_after_update`` rows of curves.csv.
DIAGNOSTICS = ("grad_norms", "activations", "dead_units", "distinct_units", "minibatch_spread",
               "loss_after_update")

#: The studies of STUDY.md, in the report's (the lecture's) order.
STUDIES = (
    "optimizer_paths", "optimizers", "optimizers_lr_sweep", "optimizers_tuned",
    "activation_histograms", "weight_init", "vanishing_gradient", "minibatch_noise",
    "batch_size", "batch_norm", "overfitting_weight_decay", "overfitting_dropout",
    "overfitting_capacity", "overfitting_batchnorm", "factorial", "factorial_long",
)
#: A study of the user's own: any other name of this form that declares ``plot:``.
USER_STUDY_PATTERN = "^[a-z][a-z0-9_]*$"
#: Curve splits and metrics a user study may plot as ``split/metric`` (docs/ARCHITECTURE.md "Run record").
CURVE_SPLITS = ("minibatch", "train", "validation", "test")
CURVE_METRICS = ("loss", "accuracy", "grad_norm", "activation_mean", "activation_std", "dead_fraction",
                 "distinct_units")

#: Names people write for a spec key -> the key (dotted where it is nested), for
#: "did you mean" hints in specs and configs alike.
KEY_ALIASES = {
    "learning_rate": "optimizer.lr", "lr": "optimizer.lr", "momentum": "optimizer.momentum",
    "lambda": "weight_decay", "lamda": "weight_decay", "l2": "weight_decay", "wd": "weight_decay",
    "weight_init": "init", "initializer": "init", "std": "init",
    "bn": "batchnorm", "batch_norm": "batchnorm",
    "width": "hidden_sizes", "depth": "hidden_sizes", "layers": "hidden_sizes",
}

# ------------------------------------------------------------------ datasets

#: Input size per dataset (for describing the network in captions).
INPUT_SIZES = {"mnist": 784, "fashion-mnist": 784, "digits": 64}

# ------------------------------------------------------------------ file formats

# A run record (one folder per run, docs/ARCHITECTURE.md "Run record"):
# <results>/<RUNS_FOLDER>/<run_id>/.
RUNS_FOLDER = "runs"
SPEC_FILE = "spec.json"
CURVES_FILE = "curves.csv"
SUMMARY_FILE = "summary.json"
HISTOGRAMS_FILE = "histograms.csv"
MINIBATCH_SPREAD_FILE = "minibatch_spread.csv"
#: Per-run tables besides curves.csv, gathered by aggregation when present.
EXTRA_TABLES = (HISTOGRAMS_FILE, MINIBATCH_SPREAD_FILE)
RECORD_FILES = (SPEC_FILE, CURVES_FILE, SUMMARY_FILE) + EXTRA_TABLES

CURVES_COLUMNS = ("step", "epoch", "split", "metric", "layer", "value")
HISTOGRAM_COLUMNS = ("layer", "bin_left", "bin_right", "count")
MINIBATCH_SPREAD_COLUMNS = ("step", "batch_size", "draws", "mean_loss", "std_loss", "full_loss")

# Aggregated tables (results/<study>/).
RUNS_TABLE = "runs.csv"
CURVES_TABLE = "curves.csv"
#: A tuned study's choice (results/<study>/choice.json), and the directions it may optimise.
CHOICE_FILE = "choice.json"
GOALS = ("max", "min")
#: What a tuned study maximises unless it says otherwise (the config schema's default, tested equal).
DEFAULT_TUNE_METRIC = "final_validation_acc"

#: The flattened description of a run: the first columns of every aggregated table.
RUN_COLUMNS = ("study", "run_id", "kind", "dataset", "seed", "optimizer", "lr", "init", "activation",
               "batchnorm", "dropout", "weight_decay", "batch_size", "width", "depth", "n_train")
#: Run columns that describe a configuration (what may vary between the arms of a study).
CONFIG_COLUMNS = ("dataset", "optimizer", "lr", "init", "activation", "batchnorm", "dropout",
                  "weight_decay", "batch_size", "width", "depth", "n_train")
#: Keys of a run's code identity (summary.json "code", nnbench.provenance) that runs.csv
#: keeps as columns under the same names: the report cites the commit and its date.
CODE_COLUMNS = ("commit", "commit_date", "dirty", "lock_sha256", "numerics_fingerprint")
#: Columns read as text (never parsed as numbers) when a table is loaded.
STRING_COLUMNS = ("study", "run_id", "kind", "dataset", "optimizer", "init", "activation",
                  "split", "metric", "status") + CODE_COLUMNS
