"""Scheduling in the workflow (nnbench.groups.GroupPlanner, run_job_cores; nnbench.plan.WorkflowPlan),
without snakemake: the wildcards are plain namespaces."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from nnbench.choice import GroupChoice, TunedChoice
from nnbench.config import job_environment, load_config, prepare_config
from nnbench.grid import expand, unique_runs
from nnbench.groups import GATING_PRIORITY, GroupPlanner, run_job_cores
from nnbench.plan import WorkflowPlan

QUICK = Path(__file__).resolve().parents[2] / "config" / "quick.yaml"


@pytest.mark.parametrize(("cores", "threads", "cpus", "local", "held"),
                         [(8, 1, 1, True, 8), (8, 1, 2, True, 4), (3, 1, 2, True, 2), (2, 1, 2, True, 1),
                          (1, 1, 2, True, 1), (16, 1, 16, True, 1), (8, 2, 2, True, 8), (8, 1, 2, False, 1),
                          (8, 4, 2, False, 4)])
def test_run_jobs_hold_enough_cores_that_trainers_never_outnumber_the_cpus(cores, threads, cpus, local, held):
    assert run_job_cores(cores, threads, cpus, local) == held
    if local:  # at most `cpus` jobs of `held` cores fit in `cores`
        assert cores // held * threads <= max(cpus, threads)


@pytest.fixture
def quick_config():
    return prepare_config(load_config(QUICK))


def test_planner_plans_each_run_once_marks_and_prioritises_checkpoint_sources(tmp_path, quick_config):
    specs = unique_runs(expand(quick_config, ["optimizers_lr_sweep", "optimizers"]))
    sweep = {row.run_id for row in expand(quick_config, ["optimizers_lr_sweep"])}
    results, groups_dir = tmp_path / "results", tmp_path / "groups"
    finished = sorted(specs)[0]
    (results / "runs" / finished).mkdir(parents=True)
    (results / "runs" / finished / "summary.json").write_text("{}")
    planner = GroupPlanner(results, groups_dir, cores=2, gating_runs=sweep)
    groups = planner.plan(specs)
    assert len(groups) >= planner.min_groups == 4
    assert planner.plan(specs) == []  # every run is planned once
    assert sorted(path.stem for path in groups_dir.glob("*.json")) == sorted(group.group_id for group in groups)
    # a finished run stands for itself, the others for their group's marker
    inputs = planner.inputs(sorted(specs))
    assert inputs[0] == f"{results}/runs/{finished}/summary.json"
    assert set(inputs[1:]) == {planner.marker(group.group_id) for group in groups}
    for group in groups:
        gating = not sweep.isdisjoint(group.run_ids)
        assert planner.priority(group.group_id) == pytest.approx((GATING_PRIORITY if gating else 0) + group.flop / 1e12)
    # another invocation (no plan of its own) finds a group by its file
    assert GroupPlanner(results, groups_dir, cores=2).group(groups[0].group_id) == groups[0]


def test_a_stale_marker_is_removed_when_its_group_is_planned_again(tmp_path, quick_config):
    specs = unique_runs(expand(quick_config, ["optimizers"]))
    planner = GroupPlanner(tmp_path / "results", tmp_path / "groups", cores=1)
    group = GroupPlanner(tmp_path / "results", tmp_path / "other", cores=1).plan(specs)[0]
    Path(planner.marker(group.group_id)).parent.mkdir(parents=True)
    Path(planner.marker(group.group_id)).touch()
    planner.plan(specs)
    assert not Path(planner.marker(group.group_id)).exists()


def test_workflow_plan_answers_the_rules_and_plans_a_tuned_study_once_chosen(tmp_path, monkeypatch, quick_config):
    monkeypatch.chdir(tmp_path)
    chosen = {}

    def choice_file(study):
        if study not in chosen:
            raise LookupError("the checkpoint has not run")  # snakemake raises its own
        return chosen[study]

    plan = WorkflowPlan(quick_config, cores=2, cpus=2, choice_file=choice_file)
    assert plan.tuned == ["optimizers_tuned"] and plan.run_job_cores == 1
    assert plan.process_cores == 1 and plan.figure_workers == 2
    sweep = SimpleNamespace(study="optimizers_tuned")
    assert plan.tune_source(sweep.study) == "optimizers_lr_sweep"
    assert plan.tune_setting("metric")(sweep) == "final_validation_acc"
    folders = plan.tune_source_run_folders(sweep)
    assert folders == [f"results/runs/{row.run_id}" for row in plan.rows_by_study["optimizers_lr_sweep"]]
    assert all(path.endswith(".done") for path in plan.tune_source_summaries(sweep))
    with pytest.raises(LookupError):
        plan.study_summaries(sweep)
    groups_before = set(os.listdir("resources/groups"))
    choice = tmp_path / "choice.json"
    TunedChoice(key="optimizer.lr", metric="final_validation_acc", goal="max", group_keys=["optimizer.name"],
                choices=[GroupChoice({"optimizer.name": "sgd"}, 0.05, 0.5, 2),
                         GroupChoice({"optimizer.name": "adam"}, 0.002, 0.5, 2)]).write(choice)
    chosen["optimizers_tuned"] = str(choice)
    rows = plan.study_rows("optimizers_tuned")
    assert {row.spec["optimizer"]["lr"] for row in rows} == {0.05, 0.002}  # not in the sweep: new runs
    assert set(os.listdir("resources/groups")) > groups_before  # the tuned runs are planned
    assert plan.study_rows("optimizers_tuned") is rows
    datasets = set()
    for name in os.listdir("resources/groups"):
        wildcards = SimpleNamespace(group_id=name.removesuffix(".json"))
        datasets.update(plan.group_data_input(wildcards))
        assert plan.group_memory(wildcards) >= 500 and plan.group_runtime(wildcards) >= 1
    assert datasets == {"resources/data/digits.ready"}  # and none for the data-free kinds
    # the tuned study's runs count once planned (without asking the checkpoint again)
    runs = len({row.run_id for study_rows in [*plan.rows_by_study.values(), rows] for row in study_rows})
    assert plan.final_line() == f"nnbench: 0 runs ok, 0 diverged, {runs} not run yet; no report yet"


def test_job_environment_names_the_data_and_cache_folders_and_puts_pythons_bin_first(tmp_path):
    config = {"cache_dir": "cache", "data_dir": "~/data"}
    env = job_environment(config, {"PATH": "/usr/bin"}, "/venv/bin/python")
    assert env == {"NNBENCH_CACHE": os.path.abspath("cache"), "NNBENCH_DATA": os.path.expanduser("~/data"),
                   "PATH": os.pathsep.join(["/venv/bin", "/usr/bin"])}
    assert "PATH" not in job_environment({**config, "data_dir": None}, {"PATH": "/venv/bin:/usr/bin"},
                                         "/venv/bin/python")


@pytest.mark.parametrize("cores, cpus, local, process_cores", [
    (8, 2, True, 4),     # the README's --cores 8 on 2 CPUs: one figures job per CPU at a time
    (2, 2, True, 1),
    (16, 16, True, 1),
    (1, 8, True, 1),
    (100, 2, False, 1),  # a cluster: a job's cores are the CPUs it asks for
])
def test_one_thread_jobs_never_outnumber_the_cpus_and_figures_jobs_follow_the_machine(
        tmp_path, monkeypatch, quick_config, cores, cpus, local, process_cores):
    monkeypatch.chdir(tmp_path)
    plan = WorkflowPlan(quick_config, cores=cores, cpus=cpus, local=local, choice_file=lambda study: "")
    # the figures jobs depend on the machine only: another --cores redraws nothing
    assert (plan.process_cores, plan.figure_workers) == (process_cores, cpus)


def test_cheap_studies_share_the_aggregation_job_of_their_most_specific_reader():
    from nnbench.groups import AGGREGATE_START_SECONDS, aggregate_job_name, aggregate_jobs

    cheap, dear = AGGREGATE_START_SECONDS / 10, AGGREGATE_START_SECONDS
    seconds = {"a": cheap, "b": dear, "c": cheap, "d": cheap, "e": cheap, "f": cheap}
    readers = [{"a", "b", "c", "d", "e"},  # the findings: every claim's study
               {"a", "b", "c"}, {"d"}]
    # a and c go to the second reader (fewer studies than the first), d alone to the third;
    # b costs a process start or more, f is read by no figures job: jobs of their own
    jobs = aggregate_jobs(seconds, readers)
    assert jobs == [("a", "c"), ("b",), ("d",), ("e",), ("f",)]
    assert sorted(study for job in jobs for study in job) == sorted(seconds)  # each study once
    assert aggregate_jobs(seconds, readers, local=False) == [(study,) for study in seconds]
    # a tuned study's runs wait for its choice: sharing its job would hold the others' back
    assert aggregate_jobs(seconds, readers, alone=["c"]) == [("a",), ("b",), ("c",), ("d",), ("e",), ("f",)]
    assert aggregate_job_name(("a", "c", "d")) == "a+2"


def test_aggregation_estimates_grow_with_runs_and_curve_rows_and_split_the_quick_config_from_the_full(
        tmp_path, monkeypatch, quick_config):
    from nnbench.groups import AGGREGATE_START_SECONDS
    from nnbench.plan import aggregate_estimates
    from nnbench.spec import resolve_spec
    from nnbench.workload import aggregate_seconds

    short = resolve_spec({"dataset": "mnist", "iterations": 100, "eval_every": 50})
    long = resolve_spec({"dataset": "mnist", "iterations": 10000, "eval_every": 50})
    path = resolve_spec({"kind": "optimizer_path", "iterations": 30})
    assert aggregate_seconds(path) < aggregate_seconds(short) < aggregate_seconds(long)
    # the full study's optimizers (70 runs of 2000 updates) measured 2.3 s: far above a start
    assert 70 * aggregate_seconds(resolve_spec({"dataset": "mnist", "iterations": 2000, "eval_every": 100})) > \
        3 * AGGREGATE_START_SECONDS
    monkeypatch.chdir(tmp_path)
    plan = WorkflowPlan(quick_config, cores=2, cpus=2, choice_file=lambda study: "")
    estimates = aggregate_estimates(quick_config, plan.rows_by_study)
    assert list(estimates) == list(quick_config["studies"])
    assert estimates["optimizers_tuned"] == estimates["optimizers_lr_sweep"]  # its runs are not known yet
    # the quick config's studies are all cheap but the factorial one (96 runs)
    assert [name for name, value in estimates.items() if value >= AGGREGATE_START_SECONDS] == ["factorial"]
    readers = [set(quick_config["studies"])]
    jobs = plan.aggregate_jobs(readers)  # the tuned study and the factorial alone, the others together
    shared = tuple(name for name in quick_config["studies"] if name not in ("factorial", "optimizers_tuned"))
    assert sorted(jobs) == sorted([shared, ("factorial",), ("optimizers_tuned",)])


def test_a_shared_aggregation_job_names_each_study_s_runs_in_grid_order(tmp_path, monkeypatch, quick_config):
    monkeypatch.chdir(tmp_path)
    plan = WorkflowPlan(quick_config, cores=2, cpus=2, choice_file=lambda study: "")
    arguments = plan.studies_run_folders(["batch_norm", "optimizers"])(SimpleNamespace()).split()
    expected = [word for study in ("batch_norm", "optimizers") for word in
                ["--study-runs", study, *plan.study_run_folders(SimpleNamespace(study=study))]]
    assert arguments == expected
    summaries = plan.studies_summaries(["batch_norm", "optimizers"])(SimpleNamespace())
    assert summaries == [*plan.study_summaries(SimpleNamespace(study="batch_norm")),
                         *plan.study_summaries(SimpleNamespace(study="optimizers"))]
