"""The makespan model of benchmarks/makespan.py: its graph, bounds and list schedule on small
cases with known answers (the speed itself is measured by running the script, never in tests)."""

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def makespan():
    spec = importlib.util.spec_from_file_location("makespan", REPO / "benchmarks" / "makespan.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["makespan"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("makespan", None)


def test_list_schedule_and_critical_path_of_a_small_graph(makespan):
    Job = makespan.Job
    jobs = {"a": Job("a", 4.0, priority=1), "b": Job("b", 3.0, priority=2), "c": Job("c", 2.0),
            "d": Job("d", 1.0, needs=["a", "b"]), "e": Job("e", 5.0, cores=2, needs=["c"])}
    assert makespan.critical_path(jobs) == (7.0, ["c", "e"])
    # 2 cores: b (highest priority) and a start; c at 3 s; d at 4 s; e needs both cores: 5 to 10
    assert makespan.list_schedule(jobs, 2) == 10.0
    assert makespan.list_schedule(jobs, 4) == 7.0  # enough cores: the critical path


def test_the_quick_configs_graph_has_every_run_once_and_ends_with_the_report(makespan):
    from nnbench.config import load_config
    from nnbench.grid import expand, unique_runs

    config = load_config(REPO / "config" / "quick.yaml")
    costs = makespan.Costs(gflops=50.0)
    for cores in (2, 16):
        jobs = makespan.job_graph(config, cores, costs)
        groups = [job for job in jobs.values() if job.name.startswith("run ")]
        assert sum(job.flop for job in groups) >= sum(makespan.run_workload(spec).flop
                                                      for spec in unique_runs(expand(config)).values())
        seconds, chain = makespan.critical_path(jobs)
        # the slides (1.5 s) outlast the report (1 s): both right after the figures job
        assert chain[-2:] == ["figures", "slides"] and chain[0].startswith("run ")
        assert jobs["slides"].needs == ["figures"] and jobs["report"].needs == ["figures"]
        assert chain[-3].startswith("section ") and chain[-4].startswith("aggregate ")
        # the workflow's figures jobs, each after the aggregates of its own studies only: one
        # per section on 16 cores, two jobs of several sections on 2
        sections = {name: job for name, job in jobs.items() if name.startswith("section ")}
        assert list(sections) == [f"section {makespan.figure_job_name(job)}"
                                  for job in makespan.figure_jobs(list(config["studies"]), cores, ["png"])]
        assert len(sections) == (2 if cores == 2 else 9)
        if cores == 16:
            assert jobs["section batch_norm"].needs == ["aggregate batch_norm"]
            # png only (config/quick.yaml): the png-only costs of the sections; the 7 CPUs the
            # 9 jobs leave go to the 7 slowest, which draw their two languages at once
            slow = costs.sections_png["vanishing_gradient"]
            assert jobs["section vanishing_gradient"].seconds == pytest.approx(
                costs.section_start + (slow - costs.section_start) / 2)
            assert jobs["section vanishing_gradient"].cores == 2
            assert sorted(job.cores for job in sections.values()) == [1, 1] + [2] * 7
        else:  # one Python start per job, not per section
            assert sum(job.seconds for job in sections.values()) == pytest.approx(
                sum(costs.sections_png.values()) - 7 * costs.section_start)
        assert jobs["figures"].needs == list(sections)
        row = makespan.model(REPO / "config" / "quick.yaml", [cores], costs, 100.0)[0]
        assert row["lower_bound_s"] <= row["makespan_s"] <= row["work_s"]
        assert row["lower_bound_s"] == max(row["work_s"] / cores, row["critical_path_s"])


def test_the_old_workflow_shape_has_one_figures_job_after_every_aggregate(makespan):
    from nnbench.config import load_config

    config = load_config(REPO / "config" / "quick.yaml")
    jobs = makespan.job_graph(config, 16, makespan.Costs(gflops=50.0, figures_as_one_job=True))
    assert not [name for name in jobs if name.startswith("section ")]
    assert sorted(jobs["figures"].needs) == sorted(f"aggregate {study}" for study in config["studies"])
    assert jobs["figures"].cores == 4


def test_many_core_script_calls_the_benchmarks_with_options_they_have():
    """benchmarks/many_core.sh runs once on a borrowed machine: its calls must not drift from the scripts."""
    import re
    import subprocess

    script = (REPO / "benchmarks" / "many_core.sh").read_text()
    assert subprocess.run(["bash", "-n", str(REPO / "benchmarks" / "many_core.sh")]).returncode == 0
    for name in ("workflow_scale.py", "makespan.py", "lockstep.py"):
        calls = [line for line in script.replace("\\\n", " ").splitlines() if f"benchmarks/{name} " in line]
        assert calls, name
        source = (REPO / "benchmarks" / name).read_text()
        for option in {option for line in calls for option in re.findall(r"\s(--[a-z-]+)", line)}:
            assert f'"{option}"' in source, (name, option)
    assert "pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl" in script


def test_rule_seconds_reads_each_jobs_start_and_finish_from_a_snakemake_log(makespan, tmp_path):
    log = tmp_path / "x.snakemake.log"
    log.write_text("[Fri Dec  4 19:27:00 2026]\nlocalrule run:\n    input: a\n    jobid: 3\n"
                   "[Fri Dec  4 19:27:01 2026]\nrule figures:\n    jobid: 7\n"
                   "[Fri Dec  4 19:27:05 2026]\nFinished jobid: 3 (Rule: run)\n"
                   "[Fri Dec  4 19:27:16 2026]\nFinished jobid: 7 (Rule: figures)\n")
    assert makespan.rule_seconds(log) == {"run": [5.0], "figures": [15.0]}
