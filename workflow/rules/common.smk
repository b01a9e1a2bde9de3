# Wiring shared by the rules: the prepared config, the grid and the input functions.
# Package code does the work (nnbench.config, nnbench.grid, nnbench.groups,
# nnbench.aggregate, nnbench.choice); the rules stay thin.

import os
import sys
from pathlib import Path

from snakemake.utils import min_version

import nnbench.grid as grid
from nnbench.aggregate import status_line
from nnbench.choice import TunedChoice
from nnbench.config import ConfigError, prepare_config, tuned_studies, write_effective_config
from nnbench.groups import describe_group, plan_groups, read_group_file, write_group_files
from nnbench.records import run_folder
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
    group_id="[0-9a-f]{12}",
    study="|".join(STUDIES),
    dataset="[a-z0-9-]+",


# The software of every rule under --sdm conda (relative to workflow/rules/; untested where
# CI runs: README, "Conda").
CONDA_ENV = "../envs/nnbench.yaml"

RESULTS = CONFIG["results"].rstrip("/")
REPORTS = CONFIG["reports"].rstrip("/")
SPECS = "resources/specs"
GROUPS = "resources/groups"
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


def summary_path(run_id):
    return f"{run_folder(RESULTS, run_id)}/{SUMMARY_FILE}"


def group_marker(group_id):
    return f"{GROUPS}/{group_id}.done"


# Runs are trained in groups, one job each (nnbench.groups). Only runs without a
# record are planned: a finished record is a plain input file, never the output of a
# job snakemake could delete and rerun. A killed group leaves its finished records and
# the next invocation plans the rest as new groups. Small studies are spread over at
# least twice --cores groups so that every core has work.
def _cores():
    cores = getattr(workflow.resource_settings, "cores", None)
    return cores if isinstance(cores, int) and cores > 0 else 1


MIN_GROUPS = 2 * _cores()


def _machine_cpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# The cores a `run` job holds in snakemake's count. Locally, training jobs never outnumber
# the machine's CPUs whatever --cores says: with `--cores 8` on 2 CPUs, 8 BLAS processes
# time-sharing 2 cores took 17% longer than 2 (README, "Threads"), so each holds
# --cores / CPUs of them while its BLAS still uses THREADS. On a cluster a job's
# `threads` are the CPUs it asks for: THREADS.
def _run_job_cores():
    if workflow.non_local_exec or _machine_cpus() >= _cores():
        return THREADS
    return max(THREADS, -(-_cores() * THREADS // _machine_cpus()))


RUN_JOB_CORES = _run_job_cores()
GROUP_OF = {}  # run_id of a run without record -> the group that trains it
PLANNED_GROUPS = {}  # group_id -> nnbench.groups.RunGroup


def plan_runs(specs):
    """Plan groups over the runs of ``specs`` that have no record and no group yet."""
    unplanned = {run_id: spec for run_id, spec in specs.items() if run_id not in GROUP_OF}
    groups = plan_groups(unplanned, lambda run_id: os.path.exists(summary_path(run_id)), min_groups=MIN_GROUPS)
    write_group_files(groups, unplanned, GROUPS)
    for group in groups:
        # a marker left from a time its records existed (they were deleted since) is stale
        Path(group_marker(group.group_id)).unlink(missing_ok=True)
        PLANNED_GROUPS[group.group_id] = group
        GROUP_OF.update(dict.fromkeys(group.run_ids, group.group_id))


plan_runs(RUN_SPECS)

# The config as run, for the report's provenance section (rewritten only when it changes).
EFFECTIVE_CONFIG = "resources/config.json"
write_effective_config(CONFIG, EFFECTIVE_CONFIG)


def planned_group(group_id):
    """A group planned here, or one of an earlier plan asked for by its file."""
    if group_id not in PLANNED_GROUPS:
        PLANNED_GROUPS[group_id] = describe_group(read_group_file(f"{GROUPS}/{group_id}.json"))
    return PLANNED_GROUPS[group_id]


# The runs a checkpoint waits for (the sources of the tuned studies' choices): their groups
# start first, so the tuned runs are planned and trained while the other studies still
# train instead of at the end, alone. Then the larger groups first (longest processing
# time first), so the last minutes keep every core busy.
CHECKPOINT_SOURCE_RUNS = {row.run_id for name in TUNED for row in ROWS_BY_STUDY.get(CONFIG["studies"][name]["tune"]["from"], ())}


def group_priority(wildcards):
    """Snakemake's priority of a group's job: 1000 plus for the runs a checkpoint waits
    for, then the group's GEMM work in TFLOP (bigger first)."""
    group = planned_group(wildcards.group_id)
    gating = any(run_id in CHECKPOINT_SOURCE_RUNS for run_id in group.run_ids)
    return (1000 if gating else 0) + group.flop / 1e12


def group_data_input(wildcards):
    """The dataset markers a group's training runs need (none for the data-free kinds)."""
    return [f"resources/data/{dataset}.ready" for dataset in planned_group(wildcards.group_id).datasets]


def group_runtime(wildcards):
    """A generous wall-time estimate in minutes (for cluster schedulers): its runs' sum."""
    return planned_group(wildcards.group_id).minutes


def group_memory(wildcards):
    """The memory (MB) a group's job asks for: 1.5 x its largest run's estimated peak
    (nnbench.workload.memory_request_mb; benchmarks/group_memory.py checks it)."""
    return planned_group(wildcards.group_id).memory_mb


def runs_inputs(run_ids):
    """The inputs that stand for the records of ``run_ids``: summary.json of each
    finished run, the marker of each group that trains the others (each once, in order)."""
    paths = [group_marker(GROUP_OF[run_id]) if run_id in GROUP_OF else summary_path(run_id) for run_id in run_ids]
    return list(dict.fromkeys(paths))


def tuned_rows(study):
    """The runs of a tuned study; needs its checkpoint (the choice) to have run."""
    choice_file = checkpoints.choose.get(study=study).output[0]
    rows = grid.expand_study(CONFIG, study, TunedChoice.read(choice_file))
    runs = grid.unique_runs(rows)
    grid.write_specs(runs, SPECS)
    for run_id, spec in runs.items():
        RUN_SPECS.setdefault(run_id, spec)
    plan_runs(runs)
    ROWS_BY_STUDY[study] = rows
    return rows


def study_rows(study):
    return tuned_rows(study) if study in TUNED else ROWS_BY_STUDY[study]


def study_summaries(wildcards):
    """The records of every run of a study (see runs_inputs)."""
    return runs_inputs([row.run_id for row in study_rows(wildcards.study)])


def tune_source_summaries(wildcards):
    """The records of every run of the sweep a tuned study chooses from."""
    return runs_inputs([row.run_id for row in ROWS_BY_STUDY[tune_source(wildcards)]])


def tune_source(wildcards):
    return CONFIG["studies"][wildcards.study]["tune"]["from"]


def tune_setting(name):
    """A param function: the tuned study's tune.<name> (key, metric, goal)."""
    return lambda wildcards: CONFIG["studies"][wildcards.study]["tune"][name]


def study_run_folders(wildcards):
    """The run folders of a study, in grid order."""
    return [str(run_folder(RESULTS, row.run_id)) for row in study_rows(wildcards.study)]


def tune_source_run_folders(wildcards):
    """The run folders of the sweep a tuned study chooses from, in grid order."""
    return [str(run_folder(RESULTS, row.run_id)) for row in ROWS_BY_STUDY[tune_source(wildcards)]]


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
