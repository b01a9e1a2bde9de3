# Wiring shared by the rules: the prepared config, the grid and the input functions.
# Package code does the work (nnbench.config, nnbench.grid, nnbench.runkinds,
# nnbench.aggregate, nnbench.choice); the rules stay thin.

import json
import os
import sys
from pathlib import Path

from snakemake.utils import min_version

import nnbench.grid as grid
from nnbench.aggregate import status_line
from nnbench.choice import TunedChoice
from nnbench.config import ConfigError, prepare_config, tuned_studies, write_effective_config
from nnbench.records import run_folder
from nnbench.runkinds import estimate_minutes
from nnbench.vocabulary import SUMMARY_FILE

min_version("8.0")

# Without --configfile, the full default study next to this Snakefile (with any
# --config KEY=VALUE on top). A `configfile:` directive would instead deep-merge it
# with the user's --configfile, mixing two studies' settings.
DEFAULT_CONFIGFILE = Path(workflow.main_snakefile).parent / "config" / "config.yaml"
if "studies" not in config:
    import yaml

    config = {**yaml.safe_load(DEFAULT_CONFIGFILE.read_text()), **config}

# Numbers YAML 1.1 reads as strings (1e-4) become numbers; the package's schema
# (nnbench/schemas/config.schema.yaml) is checked once, naming the study and key of a
# bad value; the defaults are filled in.
try:
    CONFIG = prepare_config(config)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
STUDIES = list(CONFIG["studies"])
TUNED = tuned_studies(CONFIG)

wildcard_constraints:
    run_id="[0-9a-f]{12}",
    study="|".join(STUDIES),
    dataset="[a-z0-9-]+",


# The software of every rule under --sdm conda (relative to workflow/rules/; untested where
# CI runs: README, "Conda").
CONDA_ENV = "../envs/nnbench.yaml"

RESULTS = CONFIG["results"].rstrip("/")
REPORTS = CONFIG["reports"].rstrip("/")
SPECS = "resources/specs"
LOGS = "logs"
THREADS = CONFIG["threads"]

# Jobs find `nnbench` next to the Python running snakemake (a venv need not be active);
# under --sdm conda the job's environment is put first on PATH and wins.
_bin = os.path.dirname(sys.executable)
_path = os.environ.get("PATH", "")
if _bin not in _path.split(os.pathsep):
    os.environ.update(PATH=os.pathsep.join([_bin, _path]))

# Where data comes from is not part of any run, so it travels in the environment, not
# in a shell command or a param: moving the data never reruns anything.
os.environ.update(NNBENCH_CACHE=os.path.abspath(CONFIG["cache_dir"]))
if CONFIG["data_dir"]:
    os.environ.update(NNBENCH_DATA=os.path.abspath(os.path.expanduser(CONFIG["data_dir"])))

# Every run of every study not tuned from another's results; a spec file is written
# once per run_id (its name is the hash of its content and of the numerics code, so it
# never changes and snakemake never reruns a run because the config changed elsewhere;
# a change to the numerics code renames, and so reruns, every run).
try:
    ROWS = grid.expand(CONFIG)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
RUN_SPECS = grid.unique_runs(ROWS)
grid.write_specs(RUN_SPECS, SPECS)
ROWS_BY_STUDY = {name: [row for row in ROWS if row.study == name] for name in STUDIES}

# The config as run, for the report's provenance section (rewritten only when it changes).
EFFECTIVE_CONFIG = "resources/config.json"
write_effective_config(CONFIG, EFFECTIVE_CONFIG)


def summary_path(run_id):
    return f"{run_folder(RESULTS, run_id)}/{SUMMARY_FILE}"


def run_spec(run_id):
    """The resolved spec of a run (from memory, else from its spec file)."""
    if run_id not in RUN_SPECS:
        RUN_SPECS[run_id] = json.loads(Path(f"{SPECS}/{run_id}.json").read_text())
    return RUN_SPECS[run_id]


def run_data_input(wildcards):
    """The dataset marker a training run needs (nothing for the data-free kinds)."""
    dataset = run_spec(wildcards.run_id).get("dataset")
    return [f"resources/data/{dataset}.ready"] if dataset else []


def run_runtime(wildcards):
    """A generous wall-time estimate in minutes (for cluster schedulers)."""
    return estimate_minutes(run_spec(wildcards.run_id))


def tuned_rows(study):
    """The runs of a tuned study; needs its checkpoint (the choice) to have run."""
    choice_file = checkpoints.choose.get(study=study).output[0]
    rows = grid.expand_study(CONFIG, study, TunedChoice.read(choice_file))
    runs = grid.unique_runs(rows)
    grid.write_specs(runs, SPECS)
    for run_id, spec in runs.items():
        RUN_SPECS.setdefault(run_id, spec)
    ROWS_BY_STUDY[study] = rows
    return rows


def study_rows(study):
    return tuned_rows(study) if study in TUNED else ROWS_BY_STUDY[study]


def study_summaries(wildcards):
    """summary.json of every run of a study, in grid order."""
    return [summary_path(row.run_id) for row in study_rows(wildcards.study)]


def tune_source_summaries(wildcards):
    """summary.json of every run of the sweep a tuned study chooses from."""
    source = CONFIG["studies"][wildcards.study]["tune"]["from"]
    return [summary_path(row.run_id) for row in ROWS_BY_STUDY[source]]


def tune_setting(name):
    """A param function: the tuned study's tune.<name> (key, metric, goal)."""
    return lambda wildcards: CONFIG["studies"][wildcards.study]["tune"][name]


def run_folders(wildcards, input):
    """The run folders of a rule's summary.json inputs."""
    return [os.path.dirname(path) for path in input]


def results_folder(wildcards, input):
    """The results folder, from a rule's first input (``<results>/<study>/runs.csv``)."""
    return os.path.dirname(os.path.dirname(input[0])) if input else RESULTS


def reports_folder(wildcards, output):
    """The reports folder, from a rule's output (``<reports>/<file>``)."""
    return os.path.dirname(output[0])


def used_datasets():
    return sorted({spec["dataset"] for spec in RUN_SPECS.values() if spec.get("dataset")})


def final_line():
    """How many runs are ok and diverged, and where the report is."""
    run_ids = grid.study_run_ids(ROWS_BY_STUDY)
    return status_line([run_folder(RESULTS, run_id) for run_id in run_ids], f"{REPORTS}/report.html")
