# Wiring shared by the rules: the prepared config and the plan of this invocation, whose
# methods are the rules' input and resource functions (nnbench.plan.WorkflowPlan; the
# scheduling is nnbench.groups'). Package code does the work; the rules stay thin.

import os
import sys
from pathlib import Path

from snakemake.utils import min_version

from nnbench.config import ConfigError, job_environment, prepare_config, select_studies, write_effective_config
from nnbench.figures import figure_job_name, figure_job_studies, figure_jobs
from nnbench.groups import AGGREGATE_PRIORITY, GATING_PRIORITY
from nnbench.plan import GROUPS_DIR, WorkflowPlan

min_version("9.27.1")  # the snakemake of requirements.lock (a test keeps them equal)

# Without --configfile, the full default study next to this Snakefile (with any
# --config KEY=VALUE on top). A `configfile:` directive would instead deep-merge it
# with the user's --configfile, mixing two studies' settings.
# `--config studies=[a,b]` keeps only those studies of the config (nnbench.config.select_studies).
DEFAULT_CONFIGFILE = Path(workflow.main_snakefile).parent / "config" / "config.yaml"

# The schema (nnbench/schemas/config.schema.yaml) is checked once, naming the study and key
# of a bad value; the defaults are filled in. Then every run of every study not tuned from
# another's results is planned: its spec file, its group (runs without a record only).
_cores = getattr(workflow.resource_settings, "cores", None)
try:
    CONFIG = prepare_config(select_studies(config, workflow.config_settings.configfiles or [DEFAULT_CONFIGFILE]))
    PLAN = WorkflowPlan(CONFIG, cores=_cores if isinstance(_cores, int) and _cores > 0 else 1,
                        local=not workflow.non_local_exec,
                        choice_file=lambda study: checkpoints.choose.get(study=study).output[0])
except ConfigError as error:  # the error contract: one line, exit 2, nothing run
    print(f"nnbench: error: {error}", file=sys.stderr)
    sys.exit(2)
STUDIES = list(CONFIG["studies"])
TUNED = PLAN.tuned

wildcard_constraints:
    run_id="[0-9a-f]{12}",
    group_id="[0-9a-f]{12}",
    study="|".join(STUDIES),
    dataset="[a-z0-9-]+",


# The software of every rule under --sdm conda (relative to workflow/rules/; docs/CONFIG.md, "Conda").
CONDA_ENV = "../envs/nnbench.yaml"

RESULTS, REPORTS = PLAN.results, PLAN.reports
GROUPS, LOGS, THREADS = GROUPS_DIR, "logs", CONFIG["threads"]
RUN_JOB_CORES = PLAN.run_job_cores  # nnbench.groups.run_job_cores: never more trainers than CPUs
os.environ.update(job_environment(CONFIG, os.environ, sys.executable))  # data and cache folders, PATH

# The config as run, for the report's provenance section (rewritten only when it changes).
EFFECTIVE_CONFIG = "resources/config.json"
write_effective_config(CONFIG, EFFECTIVE_CONFIG)

group_priority, group_data_input = PLAN.group_priority, PLAN.group_data_input
group_runtime, group_memory = PLAN.group_runtime, PLAN.group_memory
study_summaries, study_run_folders = PLAN.study_summaries, PLAN.study_run_folders
tune_source_summaries, tune_source_run_folders = PLAN.tune_source_summaries, PLAN.tune_source_run_folders
tune_setting, final_line = PLAN.tune_setting, PLAN.final_line

# The figures jobs (nnbench.figures.figure_jobs: a section each, or several on few CPUs)
# and the aggregation jobs (nnbench.groups.aggregate_jobs: cheap studies share one).
FIGURE_JOBS = {figure_job_name(sections): sections
               for sections in figure_jobs(STUDIES, PLAN.figure_workers, CONFIG["figure_formats"])}
AGGREGATE_JOBS = PLAN.aggregate_jobs(figure_job_studies(FIGURE_JOBS.values(), STUDIES))


def results_folder(wildcards, input):
    """The results folder, from a rule's first input (``<results>/<study>/runs.csv``)."""
    return os.path.dirname(os.path.dirname(input[0])) if input else RESULTS


def reports_folder(wildcards, output):
    """The reports folder, from a rule's output (``<reports>/<file>``)."""
    return os.path.dirname(output[0])
