"""The workflow's plan in one invocation of snakemake: the runs of every study, their spec
and group files, and what each rule's input and resource functions answer.

``workflow/rules/common.smk`` builds one :class:`WorkflowPlan` and names its methods in
the rules; the methods take snakemake's ``wildcards`` (anything with ``study`` or
``group_id`` attributes), so they are tested without snakemake. A tuned study's runs are
known once its choice exists: ``choice_file(study)`` gives that file's path (snakemake's
checkpoint, which raises until the choice has been made).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

from nnbench import grid
from nnbench.aggregate import status_line
from nnbench.choice import TunedChoice
from nnbench.config import tuned_studies
from nnbench.groups import GroupPlanner, aggregate_jobs, machine_cpus, run_job_cores
from nnbench.records import run_folder
from nnbench.workload import aggregate_seconds

__all__ = ["WorkflowPlan", "aggregate_estimates", "SPECS_DIR", "GROUPS_DIR"]

#: Where the workflow writes a spec file per run and a group file per group.
SPECS_DIR = "resources/specs"
GROUPS_DIR = "resources/groups"


def aggregate_estimates(config: Mapping[str, Any], rows_by_study: Mapping[str, list]) -> dict[str, float]:
    """Each study's estimated aggregation seconds (:func:`nnbench.workload.aggregate_seconds`
    summed over its runs), in the config's order; ``rows_by_study``: the grid rows of the
    untuned studies. A tuned study's runs are not known before its choice: its estimate is
    its sweep's (more runs of the same kind)."""
    tuned = tuned_studies(config)
    return {name: sum(aggregate_seconds(row.spec) for row in
                      rows_by_study[config["studies"][name]["tune"]["from"] if name in tuned else name])
            for name in config["studies"]}


class WorkflowPlan:
    """The runs of a prepared ``config`` and their groups, on ``cores`` of snakemake's.

    Writes a spec file per run_id of the untuned studies (its name is the hash of its
    content and of the numerics code, so it never changes and never reruns anything) and
    the group files of the runs without a record. ``local``: jobs run on this machine
    (not on a cluster), whose ``cpus`` bound how many train at once.
    """

    def __init__(self, config: Mapping[str, Any], *, cores: int, choice_file: Callable[[str], str],
                 local: bool = True, cpus: int | None = None, specs_dir: str = SPECS_DIR,
                 groups_dir: str = GROUPS_DIR):
        self.config = config
        self.results = config["results"].rstrip("/")
        self.reports = config["reports"].rstrip("/")
        self.tuned = tuned_studies(config)
        self.specs_dir = specs_dir
        self._choice_file = choice_file
        rows = grid.expand(config)
        self.rows_by_study = {name: [row for row in rows if row.study == name]
                              for name in config["studies"] if name not in self.tuned}
        grid.write_specs(grid.unique_runs(rows), specs_dir)
        cpus = cpus or machine_cpus()
        self.local = local
        self.run_job_cores = run_job_cores(cores, config["threads"], cpus, local)
        #: snakemake's cores a one-thread job holds (a figures job): never more such jobs
        #: at once than CPUs, locally
        self.process_cores = run_job_cores(cores, 1, cpus, local)
        #: the figures jobs are planned for this machine's CPUs, whatever --cores says: the
        #: jobs (their names are their outputs) stay the same from one invocation to the
        #: next, so a rerun with other --cores, or a dry run, redraws nothing
        self.figure_workers = cpus
        gating = {row.run_id for name in self.tuned for row in self.rows_by_study[self.tune_source(name)]}
        self.planner = GroupPlanner(self.results, groups_dir, cores=cores, gating_runs=gating)
        self.planner.plan(grid.unique_runs(rows))
        self._tuned_rows: dict[str, list] = {}

    def tune_source(self, study: str) -> str:
        """The study a tuned ``study`` chooses from."""
        return self.config["studies"][study]["tune"]["from"]

    def study_rows(self, study: str) -> list:
        """The runs of a study; for a tuned one, once its choice exists (then planned too)."""
        if study not in self.tuned:
            return self.rows_by_study[study]
        if study not in self._tuned_rows:
            rows = grid.expand_study(self.config, study, TunedChoice.read(self._choice_file(study)))
            grid.write_specs(grid.unique_runs(rows), self.specs_dir)
            self.planner.plan(grid.unique_runs(rows))
            self._tuned_rows[study] = rows
        return self._tuned_rows[study]

    # ---------------------------------------------------------------- the rules' functions

    def group_priority(self, wildcards) -> float:
        return self.planner.priority(wildcards.group_id)

    def group_data_input(self, wildcards) -> list[str]:
        """The dataset markers a group's training runs need (none for the data-free kinds)."""
        return [f"resources/data/{name}.ready" for name in self.planner.group(wildcards.group_id).datasets]

    def group_runtime(self, wildcards) -> int:
        """A generous wall-time estimate in minutes (for cluster schedulers): its runs' sum."""
        return self.planner.group(wildcards.group_id).minutes

    def group_memory(self, wildcards) -> int:
        """The memory (MB) a group's job asks for: 1.5 x its largest run's estimated peak
        (nnbench.workload.memory_request_mb; benchmarks/group_memory.py checks it)."""
        return self.planner.group(wildcards.group_id).memory_mb

    def study_summaries(self, wildcards) -> list[str]:
        """The records of every run of a study (see :meth:`GroupPlanner.inputs`)."""
        return self._summaries(wildcards.study)

    def _summaries(self, study: str) -> list[str]:
        return self.planner.inputs(row.run_id for row in self.study_rows(study))

    def aggregate_jobs(self, readers) -> list[tuple[str, ...]]:
        """The aggregation jobs (:func:`nnbench.groups.aggregate_jobs`), ``readers`` the
        studies each figures job reads; a tuned study's is its own."""
        return aggregate_jobs(aggregate_estimates(self.config, self.rows_by_study), readers, self.local,
                              alone=self.tuned)

    def studies_summaries(self, studies) -> Callable[[Any], list[str]]:
        """An input function: the records of every run of ``studies``."""
        return lambda wildcards: [path for study in studies for path in self._summaries(study)]

    def studies_run_folders(self, studies) -> Callable[[Any], str]:
        """A param function: ``--study-runs S RUN...`` for each of ``studies``, their run
        folders in grid order (``nnbench aggregate``'s arguments for a shared job)."""
        return lambda wildcards: " ".join(" ".join(["--study-runs", study, *self._run_folders(study)])
                                          for study in studies)

    def tune_source_summaries(self, wildcards) -> list[str]:
        """The records of every run of the sweep a tuned study chooses from."""
        return self.planner.inputs(row.run_id for row in self.rows_by_study[self.tune_source(wildcards.study)])

    def study_run_folders(self, wildcards) -> list[str]:
        """The run folders of a study, in grid order."""
        return self._run_folders(wildcards.study)

    def _run_folders(self, study: str) -> list[str]:
        return [str(run_folder(self.results, row.run_id)) for row in self.study_rows(study)]

    def tune_source_run_folders(self, wildcards) -> list[str]:
        """The run folders of the sweep a tuned study chooses from, in grid order."""
        rows = self.rows_by_study[self.tune_source(wildcards.study)]
        return [str(run_folder(self.results, row.run_id)) for row in rows]

    def tune_setting(self, name: str) -> Callable[[Any], Any]:
        """A param function: the tuned study's tune.<name> (key, metric, goal)."""
        return lambda wildcards: self.config["studies"][wildcards.study]["tune"][name]

    def final_line(self) -> str:
        """How many runs are ok and diverged (of a tuned study, those planned in this
        invocation), and where the report is. Never asks a checkpoint: it runs after the
        workflow, also when it stopped on an error."""
        run_ids = grid.study_run_ids({**self.rows_by_study, **self._tuned_rows})
        return status_line([run_folder(self.results, run_id) for run_id in run_ids],
                           os.path.join(self.reports, "report.html"))
