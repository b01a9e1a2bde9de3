"""Many runs per process: the workflow's unit of work is a *group* of runs.

Starting a process per run costs an interpreter, the imports and a data load each
time, and a scheduler job each (issue 10). A group trains several runs one after
another in one process; every run still gets its own record, ``run_id`` and content,
written atomically by :func:`nnbench.runs.run` the moment it completes.

Planning (:func:`plan_groups`, at the workflow's DAG-build time) looks only at the runs
whose record is missing, so a finished run is never an output of a job that could
rerun (Snakemake deletes a job's outputs before rerunning it): a killed group leaves
its finished records, and the next plan holds only the others. Runs are grouped by
kind and dataset; all seeds of one setting stay together; settings are packed in a
fixed order into chunks of about ``target_flop`` of GEMM work (:mod:`nnbench.workload`,
plus a per-run fixed cost), so groups are balanced. A group's id is the hash of its
members' run_ids: a changed membership is a new group.

A group file (``resources/groups/<group_id>.json``) lists its members' resolved specs;
:func:`run_group` (``nnbench run-group FILE --results DIR``) trains the members whose
complete record is missing and prints one line per run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from nnbench.errors import NnbenchError
from nnbench.files import atomic_open
from nnbench.records import record_is_complete, run_folder
from nnbench.vocabulary import DEFAULT_KIND, SUMMARY_FILE
from nnbench.workload import estimate_minutes, memory_request_mb, run_workload

__all__ = ["RunGroup", "GroupError", "GroupPlanner", "plan_groups", "describe_group", "group_id", "write_group_files",
           "read_group_file", "run_group", "run_job_cores", "machine_cpus", "TARGET_FLOP", "RUN_OVERHEAD_FLOP",
           "GATING_PRIORITY", "AGGREGATE_PRIORITY", "AGGREGATE_START_SECONDS", "aggregate_jobs", "aggregate_job_name"]

#: GEMM work a group aims at: about 25 s at 120 GFLOP/s, 75 s at 40. Long enough that
#: the process start is small and snakemake has few jobs to schedule (its own CPU grew
#: faster than the job count: 13 s for 52 groups, 236 s of the full study's 2102 CPU s
#: for its 223 jobs of 1 TFLOP groups); short enough that the last groups end together
#: and a killed group loses little (its finished runs are kept).
TARGET_FLOP = 3.0e12
#: What a run costs beyond its GEMM work (data load, conversions, bookkeeping), counted
#: as GEMM work for packing: about 0.1 s at 40 GFLOP/s. Keeps data-free runs from piling up.
RUN_OVERHEAD_FLOP = 4.0e9


class GroupError(NnbenchError):
    """A group file that is missing or malformed."""


@dataclass(frozen=True)
class RunGroup:
    """Runs trained in one process: their ids (in training order), GEMM work, the wall
    time (minutes) and memory (MB) a scheduler is asked for, the datasets they read."""

    group_id: str
    run_ids: tuple[str, ...]
    flop: float
    minutes: int
    datasets: tuple[str, ...]
    memory_mb: int


def group_id(run_ids: Iterable[str]) -> str:
    """The id of a group: 12 hex digits of the SHA-256 of its members' sorted run_ids."""
    text = "\n".join(sorted(run_ids))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _setting_key(spec: Mapping[str, Any]) -> str:
    """The spec without its seed: the runs of one setting share it."""
    return json.dumps({key: value for key, value in spec.items() if key not in ("seed", "run_id")},
                      sort_keys=True, default=str)


def _cost(spec: Mapping[str, Any]) -> float:
    return run_workload(spec).flop + RUN_OVERHEAD_FLOP


def plan_groups(specs: Mapping[str, Mapping[str, Any]], is_done: Callable[[str], bool] = lambda rid: False,
                target_flop: float = TARGET_FLOP, min_groups: int = 1) -> list[RunGroup]:
    """Groups over the runs of ``specs`` (run_id -> resolved spec) that are not ``is_done``.

    Deterministic: the same pending runs give the same groups whatever the order of
    ``specs``. Runs of different kinds or datasets are never in one group; the seeds of
    one setting are together unless they alone exceed the target. The target shrinks
    to ``total work / min_groups`` when that is smaller, so a small study still spreads
    over ``min_groups`` parallel jobs.
    """
    pending = {rid: specs[rid] for rid in sorted(specs) if not is_done(rid)}
    if not pending:
        return []
    costs = {rid: _cost(spec) for rid, spec in pending.items()}
    target = min(float(target_flop), sum(costs.values()) / max(1, int(min_groups)))
    # setting -> its runs (by seed, then run_id); settings ordered by kind, dataset, key
    settings: dict[tuple, list[str]] = {}
    for rid, spec in pending.items():
        key = (spec.get("kind", DEFAULT_KIND), spec.get("dataset") or "", _setting_key(spec))
        settings.setdefault(key, []).append(rid)
    groups: list[RunGroup] = []
    chunk: list[str] = []
    chunk_cost = 0.0
    chunk_kind = None

    def close() -> None:
        nonlocal chunk, chunk_cost
        if chunk:
            groups.append(_group(chunk, pending, costs))
        chunk, chunk_cost = [], 0.0

    for key in sorted(settings):
        members = sorted(settings[key], key=lambda rid: (pending[rid].get("seed", 0), rid))
        setting_cost = sum(costs[rid] for rid in members)
        if key[:2] != chunk_kind or (chunk and chunk_cost + setting_cost > target):
            close()
            chunk_kind = key[:2]
        if setting_cost > target:  # a large setting: its seeds in chunks of their own
            for rid in members:
                if chunk and chunk_cost + costs[rid] > target:
                    close()
                chunk.append(rid)
                chunk_cost += costs[rid]
            close()
            continue
        chunk.extend(members)
        chunk_cost += setting_cost
    close()
    return groups


def describe_group(specs: Iterable[Mapping[str, Any]]) -> RunGroup:
    """The group of the given specs (each with its ``run_id``), as a group file lists them."""
    by_id = {spec["run_id"]: {key: value for key, value in spec.items() if key != "run_id"} for spec in specs}
    return _group(list(by_id), by_id, {rid: _cost(spec) for rid, spec in by_id.items()})


def _group(run_ids: list[str], specs: Mapping[str, Mapping[str, Any]], costs: Mapping[str, float]) -> RunGroup:
    return RunGroup(group_id=group_id(run_ids), run_ids=tuple(run_ids),
                    flop=sum(costs[rid] - RUN_OVERHEAD_FLOP for rid in run_ids),
                    minutes=sum(estimate_minutes(specs[rid]) for rid in run_ids),
                    datasets=tuple(sorted({specs[rid]["dataset"] for rid in run_ids if specs[rid].get("dataset")})),
                    memory_mb=memory_request_mb(specs[rid] for rid in run_ids))


# ---------------------------------------------------------------- group files


def write_group_files(groups: Iterable[RunGroup], specs: Mapping[str, Mapping[str, Any]],
                      directory: str | os.PathLike) -> list[Path]:
    """Write ``<directory>/<group_id>.json`` for every group whose file is missing.

    The name is the hash of the content's run_ids, so an existing file is never
    rewritten (its modification time stays and nothing reruns). Returns the paths written.
    """
    directory = Path(directory)
    written = []
    for group in groups:
        path = directory / f"{group.group_id}.json"
        if path.exists():
            continue
        content = {"group_id": group.group_id,
                   "runs": [{**specs[rid], "run_id": rid} for rid in group.run_ids]}
        with atomic_open(path) as stream:
            stream.write(json.dumps(content, indent=1, sort_keys=True, allow_nan=False) + "\n")
        written.append(path)
    return written


def read_group_file(path: str | os.PathLike) -> list[dict]:
    """The members' specs (each with its ``run_id``) of a group file."""
    path = Path(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        runs = content["runs"]
        if not isinstance(runs, list) or not all(isinstance(spec, dict) and "run_id" in spec for spec in runs):
            raise TypeError
    except FileNotFoundError:
        raise GroupError(f"group file {str(path)!r} does not exist; give a resources/groups/<group_id>.json "
                         "the workflow wrote") from None
    except (ValueError, KeyError, TypeError):
        raise GroupError(f"group file {str(path)!r} is not a group file; expected JSON with a 'runs' list of "
                         "specs that carry their run_id") from None
    return runs


# ---------------------------------------------------------------- scheduling in the workflow

#: Snakemake priority added to a group that a checkpoint waits for (the sources of the
#: tuned studies' choices): it starts first, so the tuned runs are planned and trained
#: while the other studies still train instead of at the end, alone.
GATING_PRIORITY = 1000
#: Snakemake priority of a study's aggregation: above every other run group (a group's
#: priority is its GEMM work in TFLOP, a few at most), below the gating ones. Aggregating
#: takes a second or two and lets that study's figures section start beside the runs.
AGGREGATE_PRIORITY = 100


#: What starting an aggregation process costs before it reads a record (Python, pandas,
#: nnbench: 0.31 s wall, 0.3-0.4 CPU s on the 2-core EPYC). A study whose aggregation is
#: estimated below it (:func:`nnbench.workload.aggregate_seconds`) shares its process.
AGGREGATE_START_SECONDS = 0.3


def aggregate_jobs(seconds: Mapping[str, float], readers: Iterable[Iterable[str]],
                   local: bool = True, alone: Iterable[str] = ()) -> list[tuple[str, ...]]:
    """The studies of ``seconds`` (each study's estimated aggregation seconds, in the
    config's order) as the workflow's aggregation jobs.

    A study estimated at :data:`AGGREGATE_START_SECONDS` or more is a job of its own, and
    so is every study on a cluster (not ``local``), where jobs run side by side on other
    machines. The cheaper ones share a job with the other cheap studies of the figures job
    that reads them (``readers``: the studies each figures job reads; of those reading a
    study, the one reading the fewest: the findings, which read every claim's study,
    would tie them all to the last one): that figures job waits for all of them anyway, and the
    quick config's 17 aggregations cost 7 CPU seconds of process starts, a fifth of its
    CPU on 2 cores. The studies ``alone`` keep a job of their own too: a tuned study's
    runs are known once its choice is made, and a job sharing its inputs would hold the
    others' runs back until then. Jobs are in the config's order of their first study."""
    studies = list(seconds)
    readers, alone = [set(reads) for reads in readers], set(alone)
    bundles: dict[int, list[str]] = {}
    jobs: list[tuple[str, ...]] = []
    for study in studies:
        reading = [index for index, reads in enumerate(readers) if study in reads]
        if not local or seconds[study] >= AGGREGATE_START_SECONDS or not reading or study in alone:
            jobs.append((study,))
            continue
        bundles.setdefault(min(reading, key=lambda index: len(readers[index])), []).append(study)
    jobs += [tuple(bundle) for bundle in bundles.values()]
    order = {study: index for index, study in enumerate(studies)}
    return sorted(jobs, key=lambda job: order[job[0]])


def aggregate_job_name(studies: Iterable[str]) -> str:
    """A shared aggregation job's name: its first study, ``+`` and how many others (all
    the names joined could outgrow a file name; a study is in one job only)."""
    first, *others = studies
    return f"{first}+{len(others)}"


def machine_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_job_cores(cores: int, threads: int, cpus: int, local: bool = True) -> int:
    """The cores a group's job holds in snakemake's count of ``cores``.

    Locally, training jobs never outnumber the machine's ``cpus`` whatever ``--cores``
    says: with ``--cores 8`` on 2 CPUs, 8 BLAS processes time-sharing 2 cores took 17%
    longer than 2 (docs/CONFIG.md, "Threads"), so each job holds ``cores / cpus`` of them while its
    BLAS still uses ``threads``. On a cluster a job's cores are the CPUs it asks for.
    """
    if not local or cpus >= cores:
        return threads
    return max(threads, -(-cores * threads // cpus))


class GroupPlanner:
    """The groups of one workflow invocation, planned over the runs without a record.

    Only runs without a record are planned: a finished record is a plain input file,
    never the output of a job snakemake could delete and rerun. A killed group leaves its
    finished records and the next invocation plans the rest as new groups. Small studies
    are spread over at least twice ``cores`` groups so that every core has work.
    ``gating_runs`` are the runs a checkpoint waits for (see :meth:`priority`).
    """

    def __init__(self, results: str | os.PathLike, directory: str | os.PathLike, *, cores: int,
                 gating_runs: Iterable[str] = ()):
        self.results = str(results)
        self.directory = str(directory)
        self.min_groups = 2 * max(1, int(cores))
        self.gating_runs = frozenset(gating_runs)
        self._group_of: dict[str, str] = {}  # run_id of a run without record -> the group training it
        self._groups: dict[str, RunGroup] = {}

    def summary_path(self, run_id: str) -> str:
        return f"{run_folder(self.results, run_id)}/{SUMMARY_FILE}"

    def marker(self, group_id: str) -> str:
        """The file a group's job writes when every member's record exists."""
        return f"{self.directory}/{group_id}.done"

    def plan(self, specs: Mapping[str, Mapping[str, Any]]) -> list[RunGroup]:
        """Plan groups over the runs of ``specs`` without a record and without a group yet,
        and write their group files."""
        unplanned = {run_id: spec for run_id, spec in specs.items() if run_id not in self._group_of}
        groups = plan_groups(unplanned, lambda run_id: os.path.exists(self.summary_path(run_id)),
                             min_groups=self.min_groups)
        write_group_files(groups, unplanned, self.directory)
        for group in groups:
            # a marker left from a time its records existed (they were deleted since) is stale
            Path(self.marker(group.group_id)).unlink(missing_ok=True)
            self._groups[group.group_id] = group
            self._group_of.update(dict.fromkeys(group.run_ids, group.group_id))
        return groups

    def group(self, group_id: str) -> RunGroup:
        """A group planned here, or one of an earlier plan asked for by its file."""
        if group_id not in self._groups:
            self._groups[group_id] = describe_group(read_group_file(f"{self.directory}/{group_id}.json"))
        return self._groups[group_id]

    def inputs(self, run_ids: Iterable[str]) -> list[str]:
        """The inputs that stand for the records of ``run_ids``: summary.json of each
        finished run, the marker of each group that trains the others (each once, in order)."""
        paths = [self.marker(self._group_of[run_id]) if run_id in self._group_of else self.summary_path(run_id)
                 for run_id in run_ids]
        return list(dict.fromkeys(paths))

    def priority(self, group_id: str) -> float:
        """Snakemake's priority of a group's job: :data:`GATING_PRIORITY` for the runs a
        checkpoint waits for, plus the group's GEMM work in TFLOP (longest processing time
        first, so the last minutes keep every core busy)."""
        group = self.group(group_id)
        gating = not self.gating_runs.isdisjoint(group.run_ids)
        return (GATING_PRIORITY if gating else 0) + group.flop / 1e12


# ---------------------------------------------------------------- training a group

# A group's log: one line per run, then one for the process. CPU seconds beside wall:
# with more jobs than cores a run's wall time includes its waits for a core.
RUN_LOG_LINE = re.compile(r"run (?P<run_id>[0-9a-f]{12}) \((?P<kind>\w+)\): (?P<status>\w+), "
                          r"(?P<wall_s>[0-9.]+) s wall, (?P<cpu_s>[0-9.]+) s CPU -> ")
GROUP_LOG_LINE = re.compile(r"group: (?P<trained>\d+) of (?P<runs>\d+) runs trained; this process used "
                            r"(?P<cpu_s>[0-9.]+) s CPU")


def run_log_line(run_id: str, summary: Mapping[str, Any], cpu_seconds: float, out) -> str:
    return (f"run {run_id} ({summary['kind']}): {summary['status']}, {summary['wall_seconds']:.2f} s wall, "
            f"{cpu_seconds:.2f} s CPU -> {out}")


def group_log_line(trained: int, runs: int, cpu_seconds: float) -> str:
    return (f"group: {trained} of {runs} runs trained; this process used {cpu_seconds:.2f} s CPU "
            "(start, imports, data and runs)")


def run_group(specs: Iterable[Mapping[str, Any]], results: str | os.PathLike, *, data_dir=None, cache_dir=None,
              threads: int = 1, report: Callable[[str], None] = lambda line: None) -> list[dict]:
    """Train each spec whose complete record is missing under ``results``, in order.

    Each record is written (atomically) as soon as its run ends, so a killed group keeps
    its finished runs. ``report`` gets one line per member: the run's result, or that its
    record already existed. Returns the summaries of the runs trained here.
    """
    from nnbench.data import reusing_loaded_datasets
    from nnbench.runs import run

    with reusing_loaded_datasets():  # the group's runs share one load of their dataset
        return _run_members(specs, results, run, data_dir=data_dir, cache_dir=cache_dir, threads=threads,
                            report=report)


def _run_members(specs, results, run, *, data_dir, cache_dir, threads, report) -> list[dict]:
    summaries = []
    for spec in specs:
        rid = spec["run_id"]
        out = run_folder(results, rid)
        if record_is_complete(out, rid):
            report(f"run {rid}: record exists, skipped -> {out}")
            continue
        for stale in out.parent.glob(f"{rid}.tmp-*"):  # left by a killed process training this run
            shutil.rmtree(stale, ignore_errors=True)
        cpu_before = time.process_time()
        summary = run(spec, out=out, data_dir=data_dir, cache_dir=cache_dir, threads=threads, progress=False)
        summaries.append(summary)
        report(run_log_line(rid, summary, time.process_time() - cpu_before, out))
    return summaries
