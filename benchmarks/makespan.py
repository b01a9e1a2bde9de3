"""How long the workflow must take on N cores, and how long its schedule takes (issue 22).

    .venv/bin/python benchmarks/makespan.py                          # config/config.yaml, N = 2 8 16 64
    .venv/bin/python benchmarks/makespan.py --config config/quick.yaml --cores 2 16
    .venv/bin/python benchmarks/makespan.py --from-run DIR           # costs fitted to a finished run
    .venv/bin/python benchmarks/makespan.py --validate               # against issue 22's measurements

The planned job graph of a config, without running it: the groups the workflow plans
for N cores (:func:`nnbench.groups.plan_groups`, the workflow's own planner and
priorities), the tuned studies' choice (a checkpoint) and their groups after it (their
cost does not depend on the value chosen: the first value of the sweep stands in), an
aggregation per study, one figures job per report section (each waiting for its own
studies' aggregates: :func:`nnbench.figures.section_studies`), the merge of the sections,
the report and the slides. ``--figures-as-one-job`` models the workflow before that
change (one figures job after every aggregate; issue 22's measurements were taken with
it, so ``--validate`` uses it). A group's job costs its process
start, a fixed cost per run and its GEMM work (:mod:`nnbench.workload`) at the rate a
busy process reaches; the other jobs cost fixed seconds. All of these are options, or
fitted (least squares) to a finished run's ``logs/benchmarks/groups/*.tsv`` with
``--from-run``.

For each N it prints the work (job-seconds over all slots), the lower bound
max(work / N, critical path), the makespan of the schedule the workflow will use (list
scheduling: whenever slots are free, the ready job of highest Snakemake priority, each
job holding the cores it asks for, as ``snakemake --cores N`` does on N CPUs), the
longest chain and the GEMM floor (work in FLOP over the GEMM rate times N). Results are
saved to ``benchmarks/out/makespan.{json,md}``.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "out" / "makespan.json"

from nnbench.choice import GroupChoice, TunedChoice  # noqa: E402
from nnbench.config import load_config, tuned_studies  # noqa: E402
from nnbench.grid import expand, expand_study, flatten_spec, unique_runs  # noqa: E402
from nnbench.figures import (FIGURE_JOB_JOINER, SECTION_SECONDS, SECTION_SECONDS_OTHERWISE,  # noqa: E402
                             SECTION_SECONDS_PNG, figure_job_name, figure_job_processes, figure_jobs, png_only,
                             figure_job_studies, section_priority, section_seconds, section_studies)
from nnbench.groups import (AGGREGATE_PRIORITY, GATING_PRIORITY, aggregate_job_name,  # noqa: E402
                            aggregate_jobs, plan_groups, run_job_cores)
from nnbench.plan import aggregate_estimates  # noqa: E402
from nnbench.workload import run_workload, training_pass_flop, weight_count  # noqa: E402

#: Issue 22's measurements, each a machine the model is checked against: what a busy run
#: process reached (GFLOP/s of GEMM work per second of its wall time) and the measured
#: wall time of the full default study. The workflow then: one figures job, no slides.
MACHINES = {
    "xeon16": {"config": "config.yaml", "cores": 16, "cpus": 16, "gflops": 43.0, "gemm_gflops": 1562.0 / 16,
               "measured_s": 286.0, "costs": {"figures": 15.0, "report": 13.0, "slides": 0.0},
               "what": "full study, 16-core Intel Xeon (OpenBLAS SkylakeX), --cores 16: 43 GFLOP/s per busy run "
                       "process, figures 15 s, report 13 s; 286 s measured"},
    "xeon16-quick": {"config": "quick.yaml", "cores": 16, "cpus": 16, "gflops": 43.0, "gemm_gflops": 1562.0 / 16,
                     "measured_s": 27.3, "costs": {"figures": 11.0, "report": 7.0, "slides": 0.0},
                     "what": "quick config, the same Xeon, --cores 16: figures 11 s, report 7 s; 27.3 s measured"},
    "epyc2": {"config": "config.yaml", "cores": 8, "cpus": 2, "gflops": 0.55 * 102.0, "gemm_gflops": 199.0 / 2,
              "measured_s": 1351.0, "costs": {"figures": 15.0, "report": 13.0, "slides": 0.0},
              "what": "full study, 2-core AMD EPYC (OpenBLAS SkylakeX), --cores 8: 0.55 of 102 GFLOP/s per run "
                      "process; 1351 s measured"},
}


@dataclass
class Costs:
    """Seconds of each kind of job: a group's ``start`` + ``per_run`` per member + its GEMM
    work at ``gflops`` per busy process; the other rules fixed."""

    gflops: float = 50.0
    start: float = 1.5
    per_run: float = 0.1
    choose: float = 1.0
    aggregate: float = 1.5
    #: seconds of each report section's figures job (both languages); a section not named
    #: costs ``section``. Defaults: nnbench.figures.SECTION_SECONDS (CPU seconds of each
    #: section alone on the full study's tables, on the 2-core EPYC of docs/THROUGHPUT.md);
    #: ``--from-run`` reads a finished run's instead.
    sections: dict = field(default_factory=lambda: dict(SECTION_SECONDS))
    section: float = SECTION_SECONDS_OTHERWISE
    #: a section job's start (Python, pandas, matplotlib), paid once by a job of several
    section_start: float = 1.1
    #: the same for a config whose ``figure_formats`` is png only (config/quick.yaml)
    sections_png: dict = field(default_factory=lambda: dict(SECTION_SECONDS_PNG))
    #: the merge of the sections (the figures job), the report (both languages), the slides
    figures: float = 0.3
    report: float = 1.0
    slides: float = 1.5
    #: the workflow before figures were drawn per section: one figures job on this many cores
    figures_as_one_job: bool = False
    figures_threads: int = 4
    #: the section costs were read from a finished run (--from-run), whatever its formats
    fitted_sections: bool = False

    def group_seconds(self, runs: int, flop: float) -> float:
        return self.start + self.per_run * runs + flop / (self.gflops * 1e9)


@dataclass
class Job:
    name: str
    seconds: float
    cores: int = 1
    priority: float = 0.0
    needs: list = field(default_factory=list)  # names of the jobs it waits for
    flop: float = 0.0


def stand_in_choice(config: dict, study: str) -> TunedChoice:
    """A choice of the sweep's first value for every setting (the cost does not depend on it)."""
    tune = config["studies"][study]["tune"]
    first = expand(config, [tune["from"]])[0]
    value = flatten_spec(first.spec)[tune["key"]]
    return TunedChoice(key=tune["key"], metric=tune["metric"], goal=tune["goal"], group_keys=[],
                       choices=[GroupChoice(group={}, value=value, score=None, seeds=0)])


def job_graph(config: dict, cores: int, costs: Costs, cpus: int | None = None) -> dict[str, Job]:
    """The jobs of the whole workflow on ``cores`` (``cpus``: the machine's, default ``cores``)."""
    cpus = cpus or cores
    held = run_job_cores(cores, config["threads"], cpus)
    tuned = tuned_studies(config)
    rows = expand(config)
    by_study = {name: [row for row in rows if row.study == name] for name in config["studies"] if name not in tuned}
    gating = {row.run_id for name in tuned for row in by_study[config["studies"][name]["tune"]["from"]]}
    jobs: dict[str, Job] = {}
    group_of: dict[str, str] = {}

    def add_groups(specs: dict, needs: list[str]) -> None:
        pending = {rid: spec for rid, spec in specs.items() if rid not in group_of}
        for group in plan_groups(pending, min_groups=2 * cores):
            gated = not gating.isdisjoint(group.run_ids)
            name = f"run {group.group_id}"
            jobs[name] = Job(name, costs.group_seconds(len(group.run_ids), group.flop), held,
                             (GATING_PRIORITY if gated else 0) + group.flop / 1e12, list(needs), group.flop)
            group_of.update(dict.fromkeys(group.run_ids, name))

    add_groups(unique_runs(rows), [])
    for name in tuned:
        source = config["studies"][name]["tune"]["from"]
        jobs[f"choose {name}"] = Job(f"choose {name}", costs.choose,
                                     priority=0 if costs.figures_as_one_job else GATING_PRIORITY,
                                     needs=sorted({group_of[row.run_id] for row in by_study[source]}))
        by_study[name] = expand_study(config, name, stand_in_choice(config, name))
        add_groups(unique_runs(by_study[name]), [f"choose {name}"])
    studies = list(config["studies"])
    figure_job_list = figure_jobs(studies, cpus, config.get("figure_formats"))
    if costs.figures_as_one_job:  # (then every study had its own aggregation job)
        aggregations = [(name,) for name in by_study]
    else:  # the workflow's: the studies cheaper than a process start share one
        aggregations = aggregate_jobs(aggregate_estimates(config, by_study),
                                      figure_job_studies(figure_job_list, studies), alone=tuned)
    aggregation_of = {}
    for names in aggregations:
        # (before the figures were drawn per section, aggregates had no priority of their own)
        name = f"aggregate {names[0] if len(names) == 1 else aggregate_job_name(names)}"
        jobs[name] = Job(name, costs.aggregate, priority=0 if costs.figures_as_one_job else AGGREGATE_PRIORITY,
                         needs=sorted({group_of[row.run_id] for study in names for row in by_study[study]}))
        aggregation_of.update(dict.fromkeys(names, name))
    if costs.figures_as_one_job:
        jobs["figures"] = Job("figures", costs.figures, min(costs.figures_threads, cores),
                              needs=sorted(set(aggregation_of.values())))
    else:
        png = png_only(config.get("figure_formats"))
        section_costs = costs.sections_png if png and not costs.fitted_sections else costs.sections
        # the workflow's figures jobs: one per section, or several sections each on few CPUs
        process_cores = run_job_cores(cores, 1, cpus)
        processes = figure_job_processes(figure_job_list, cpus, config["languages"], config.get("figure_formats"))
        for sections in figure_job_list:
            name = f"section {figure_job_name(sections)}"
            # a job of several sections starts Python once (costs: one section's job each);
            # one drawing its languages in p processes starts p of them at once
            seconds = sum(section_costs.get(section, costs.section) for section in sections)
            seconds -= costs.section_start * (len(sections) - 1)
            seconds = costs.section_start + (seconds - costs.section_start) / processes[sections]
            reads = sorted({aggregation_of[study] for section in sections for study in section_studies(section, studies)})
            jobs[name] = Job(name, seconds, process_cores * processes[sections],
                             priority=section_priority(figure_job_name(sections)), needs=reads)
        jobs["figures"] = Job("figures", costs.figures, needs=[name for name in jobs if name.startswith("section ")])
    jobs["report"] = Job("report", costs.report, needs=["figures"])
    # the slides read what the report reads, not the report: the two run at once (before
    # the figures were drawn per section, the slides came after the report)
    jobs["slides"] = Job("slides", costs.slides, needs=["report" if costs.figures_as_one_job else "figures"])
    return jobs


def counted_work_factor(config: dict) -> float:
    """The config's GEMM work as counted now over as counted before the first layer's input
    gradient (never computed) was left out: a rate measured then times this is the same
    speed in today's count."""
    from nnbench.vocabulary import INPUT_SIZES

    now = before = 0.0
    for spec in unique_runs(expand(config)).values():
        work = run_workload(spec)
        now += work.flop
        before += work.flop
        if spec.get("kind", "train") == "train" and spec.get("dataset") in INPUT_SIZES:
            layers = (INPUT_SIZES[spec["dataset"]], spec["hidden_sizes"])
            before += (6.0 * weight_count(*layers) - training_pass_flop(*layers)) * work.train_samples
    return now / before if before else 1.0


def critical_path(jobs: dict[str, Job]) -> tuple[float, list[str]]:
    """The longest chain of the graph: its seconds and its jobs."""
    finish: dict[str, tuple[float, list[str]]] = {}

    def longest(name: str) -> tuple[float, list[str]]:
        if name not in finish:
            job = jobs[name]
            before = max((longest(need) for need in job.needs), default=(0.0, []))
            finish[name] = (before[0] + job.seconds, before[1] + [name])
        return finish[name]

    return max((longest(name) for name in jobs), key=lambda item: item[0])


def list_schedule(jobs: dict[str, Job], cores: int) -> float:
    """The makespan of Snakemake's way: whenever cores are free, start the ready jobs in
    order of priority (highest first) that fit; a job holds its cores until it ends."""
    waiting = {name: set(job.needs) for name, job in jobs.items()}
    ready = [(-job.priority, name) for name, job in jobs.items() if not job.needs]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    free, now, done = cores, 0.0, 0
    dependants: dict[str, list[str]] = {name: [] for name in jobs}
    for name, job in jobs.items():
        for need in job.needs:
            dependants[need].append(name)
    while done < len(jobs):
        skipped = []
        while ready:
            priority, name = heapq.heappop(ready)
            if jobs[name].cores <= free:
                free -= jobs[name].cores
                heapq.heappush(running, (now + jobs[name].seconds, name))
            else:
                skipped.append((priority, name))
        for item in skipped:
            heapq.heappush(ready, item)
        now, name = heapq.heappop(running)
        free += jobs[name].cores
        done += 1
        for dependant in dependants[name]:
            waiting[dependant].discard(name)
            if not waiting[dependant]:
                heapq.heappush(ready, (-jobs[dependant].priority, dependant))
    return now


def fit_costs(workdir: Path, costs: Costs) -> Costs:
    """Group costs fitted to a finished run: wall seconds of each group's job (Snakemake's
    benchmark file) = start + per_run x runs + flop / rate, by least squares."""
    import numpy as np

    from nnbench.groups import describe_group, read_group_file

    rows, seconds = [], []
    for tsv in sorted((workdir / "logs" / "benchmarks" / "groups").glob("*.tsv")):
        group_file = workdir / "resources" / "groups" / f"{tsv.stem}.json"
        if not group_file.is_file():
            continue
        group = describe_group(read_group_file(group_file))
        with tsv.open() as stream:
            wall = float(next(csv.DictReader(stream, delimiter="\t"))["s"])
        rows.append([1.0, len(group.run_ids), group.flop / 1e9])
        seconds.append(wall)
    if len(rows) < 3:
        raise SystemExit(f"makespan: {workdir} holds fewer than 3 group benchmark files; give a finished workflow's "
                         "folder (logs/benchmarks/groups/*.tsv beside resources/groups/*.json)")
    (start, per_run, per_gflop), *_ = np.linalg.lstsq(np.array(rows), np.array(seconds), rcond=None)
    fitted = {"start": max(0.0, float(start)), "per_run": max(0.0, float(per_run)),
              "gflops": 1.0 / max(float(per_gflop), 1e-9)}
    logs = sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    if logs:  # the other rules' seconds from the latest Snakemake log (a median where several ran)
        for rule, durations in rule_seconds(logs[-1]).items():
            if rule in ("choose", "aggregate", "figures", "report", "slides"):
                fitted[rule] = float(np.median(durations))
    sections = {}
    start = Costs.section_start
    for tsv in sorted((workdir / "logs" / "benchmarks" / "figures").glob("*.tsv")):
        with tsv.open() as stream:
            seconds = float(next(csv.DictReader(stream, delimiter="\t"))["s"])
        # a job of several sections: its seconds shared in proportion to their usual costs
        names = tsv.stem.split(FIGURE_JOB_JOINER)
        usual = [section_seconds(name) for name in names]
        for name, share in zip(names, usual):
            sections[name] = (seconds + start * (len(names) - 1)) * share / sum(usual)
    if sections:
        fitted["sections"] = sections
        fitted["fitted_sections"] = True
    return Costs(**{**costs.__dict__, **fitted})


def rule_seconds(snakemake_log: Path) -> dict[str, list[float]]:
    """Each rule's job durations in a Snakemake log (its time stamps are whole seconds):
    ``[time]`` then ``(local)rule NAME:`` ... ``jobid: N`` starts a job, ``[time]`` then
    ``Finished jobid: N`` ends it."""
    import re
    from datetime import datetime

    started: dict[str, tuple[str, datetime]] = {}
    seconds: dict[str, list[float]] = {}
    stamp, rule = None, None
    for line in snakemake_log.read_text(errors="replace").splitlines():
        if line.startswith("[") and line.endswith("]"):
            try:
                stamp = datetime.strptime(line.strip("[]"), "%a %b %d %H:%M:%S %Y")
            except ValueError:
                pass
        elif match := re.match(r"^(?:local)?(?:rule|checkpoint) (\w+):$", line):
            rule = match[1]
        elif (match := re.match(r"^\s+jobid: (\d+)$", line)) and rule and stamp:
            started[match[1]] = (rule, stamp)
            rule = None
        elif (match := re.match(r"^Finished jobid: (\d+)", line)) and match[1] in started and stamp:
            name, began = started.pop(match[1])
            seconds.setdefault(name, []).append((stamp - began).total_seconds())
    return seconds


def measured_timeline(workdir: Path) -> dict:
    """When a finished run's group jobs ran: each ends when its log was last written and
    lasted its benchmark's wall seconds. The span from the first start to the last end,
    the job-seconds, and until when as many jobs ran as at the busiest moment."""
    spans = []
    for tsv in sorted((workdir / "logs" / "benchmarks" / "groups").glob("*.tsv")):
        log_file = workdir / "logs" / "groups" / f"{tsv.stem}.log"
        if log_file.is_file():
            with tsv.open() as stream:
                seconds = float(next(csv.DictReader(stream, delimiter="\t"))["s"])
            end = log_file.stat().st_mtime
            spans.append((end - seconds, end))
    if not spans:
        return {}
    origin = min(start for start, _ in spans)
    events = sorted([(start - origin, 1) for start, _ in spans] + [(end - origin, -1) for _, end in spans])
    running, busiest, full_until = 0, 0, 0.0
    for moment, change in events:
        running += change
        busiest = max(busiest, running)
    running = 0
    for moment, change in events:
        if change < 0 and running == busiest:
            full_until = moment
        running += change
    return {"groups": len(spans), "span_s": max(end for _, end in spans) - origin,
            "job_seconds": sum(end - start for start, end in spans), "most_at_once": busiest,
            "last_moment_at_most_s": full_until}


def model(config_path: Path, cores_list: list[int], costs: Costs, gemm_gflops: float,
          cpus: int | None = None) -> list[dict]:
    """Per ``--cores`` N (on ``cpus`` CPUs, default N): the bounds, the schedule and the floor."""
    config = load_config(config_path)
    table = []
    for cores in cores_list:
        jobs = job_graph(config, cores, costs, cpus)
        work = sum(job.seconds * job.cores for job in jobs.values())
        chain_seconds, chain = critical_path(jobs)
        makespan = list_schedule(jobs, cores)
        flop = sum(job.flop for job in jobs.values())
        floor = flop / (gemm_gflops * 1e9 * min(cores, cpus or cores))
        groups = [job for job in jobs.values() if job.name.startswith("run ")]
        table.append({"cores": cores, "groups": len(groups), "work_s": work, "critical_path_s": chain_seconds,
                      "lower_bound_s": max(work / cores, chain_seconds), "makespan_s": makespan,
                      "floor_s": floor, "floor_over_makespan": floor / makespan,
                      "longest_chain": [f"{name} {jobs[name].seconds:.1f} s" for name in chain]})
    return table


def markdown(table: list[dict], title: str) -> str:
    lines = [f"{title}", "",
             "| cores | groups | work (job-s) | critical path (s) | lower bound (s) | schedule makespan (s) | "
             "GEMM floor (s) | floor / makespan |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in table:
        lines.append(f"| {row['cores']} | {row['groups']} | {row['work_s']:.0f} | {row['critical_path_s']:.1f} | "
                     f"{row['lower_bound_s']:.1f} | {row['makespan_s']:.1f} | {row['floor_s']:.1f} | "
                     f"{row['floor_over_makespan']:.2f} |")
    for row in table:
        lines.append(f"\nLongest chain on {row['cores']} cores: " + " -> ".join(
            row["longest_chain"][:2] + (["..."] if len(row["longest_chain"]) > 4 else []) + row["longest_chain"][-2:]))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--cores", type=int, nargs="+", default=[2, 8, 16, 64])
    parser.add_argument("--gflops", type=float, help="GEMM GFLOP/s a busy run process reaches (default: "
                                                     "0.55 of this machine's one-core GEMM rate)")
    parser.add_argument("--gemm-gflops", type=float, help="one process's GEMM rate for the floor (default: measured)")
    parser.add_argument("--from-run", type=Path, help="a finished workflow's folder: fit the group costs to it")
    parser.add_argument("--validate", action="store_true", help="model issue 22's machines and compare")
    parser.add_argument("--figures-as-one-job", action="store_true",
                        help="model the workflow before figures were drawn per section (one figures job)")
    args = parser.parse_args(argv)
    report: dict = {"config": str(args.config)}
    if args.validate:
        lines = []
        for key, machine in MACHINES.items():
            # the rates were measured against the work counted then: 6W per trained sample,
            # the first layer's never-computed input gradient included
            factor = counted_work_factor(load_config(REPO / "config" / machine["config"]))
            costs = Costs(gflops=machine["gflops"] * factor, figures_as_one_job=True, **machine["costs"])
            row = model(REPO / "config" / machine["config"], [machine["cores"]], costs, machine["gemm_gflops"],
                        machine["cpus"])[0]
            row["measured_s"] = machine["measured_s"]
            row["model_over_measured"] = row["makespan_s"] / machine["measured_s"]
            report[key] = row
            lines.append(f"{machine['what']}: model {row['makespan_s']:.0f} s (lower bound {row['lower_bound_s']:.0f} s,"
                         f" chain {row['critical_path_s']:.0f} s), {row['model_over_measured']:.2f} of the measured")
        text = "Issue 22's measurements against the model\n\n" + "\n".join(lines) + "\n"
    else:
        gemm = args.gemm_gflops
        if gemm is None or args.gflops is None:
            sys.path.insert(0, str(REPO / "benchmarks"))
            from workflow_scale import gemm_rate

            measured = gemm_rate()["gflops_per_core"]
            gemm = gemm or measured
        costs = Costs(gflops=args.gflops or 0.55 * gemm, figures_as_one_job=args.figures_as_one_job)
        if args.from_run:
            costs = fit_costs(args.from_run, costs)
            report["measured_groups"] = measured_timeline(args.from_run)
        report.update(costs=costs.__dict__, gemm_gflops=gemm, table=model(args.config, args.cores, costs, gemm))
        text = markdown(report["table"], f"Makespan model of {args.config.name}: a busy run process at "
                                         f"{costs.gflops:.1f} GFLOP/s, group start {costs.start:.2f} s, "
                                         f"{costs.per_run:.2f} s per run, aggregate {costs.aggregate:.1f} s, "
                                         + (f"figures {costs.figures:.1f} s" if costs.figures_as_one_job else
                                            f"figures per section {sum(costs.sections.values()):.1f} s in all")
                                         + f", report {costs.report:.1f} s; GEMM {gemm:.1f} GFLOP/s per process")
        if report.get("measured_groups"):
            measured = report["measured_groups"]
            text += (f"\nMeasured in {args.from_run}: {measured['groups']} group jobs from the first start to the last "
                     f"end {measured['span_s']:.1f} s, {measured['job_seconds']:.0f} job-seconds; "
                     f"{measured['most_at_once']} at once at the most, the last time at "
                     f"{measured['last_moment_at_most_s']:.1f} s\n")
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    OUT.with_suffix(".md").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
