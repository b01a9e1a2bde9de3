"""Groups of runs (nnbench.groups): the plan, one process training many runs, kill and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnbench.cli import main
from nnbench.grid import expand, load_config, unique_runs
from nnbench.groups import (RUN_OVERHEAD_FLOP, GroupError, describe_group, group_id, plan_groups,
                            read_group_file, run_group, write_group_files, RUN_LOG_LINE,
                            GROUP_LOG_LINE)
from nnbench.records import record_is_complete
from nnbench.runs import run
from nnbench.spec import resolve_spec, run_id
from nnbench.workload import run_workload

QUICK = Path(__file__).resolve().parents[2] / "config" / "quick.yaml"
# what may differ between two runs of the same spec: times and where/how it ran
VARYING_SUMMARY_KEYS = {"wall_seconds", "train_seconds", "samples_per_second", "versions", "blas", "provenance",
                        "code"}


@pytest.fixture(scope="module")
def quick_specs():
    return unique_runs(expand(load_config(QUICK)))


def _cost(spec):
    return run_workload(spec).flop + RUN_OVERHEAD_FLOP


def _setting(spec):
    return json.dumps({key: value for key, value in spec.items() if key != "seed"}, sort_keys=True)


def test_plan_is_deterministic_complete_and_keeps_settings_and_datasets_apart(quick_specs):
    groups = plan_groups(quick_specs, min_groups=8)
    again = plan_groups(dict(reversed(list(quick_specs.items()))), min_groups=8)
    assert groups == again
    members = [rid for group in groups for rid in group.run_ids]
    assert sorted(members) == sorted(quick_specs)  # every run exactly once
    assert 8 <= len(groups) < len(quick_specs) / 4
    setting_groups = {}
    for group in groups:
        assert group.group_id == group_id(group.run_ids)
        kinds = {(quick_specs[rid]["kind"], quick_specs[rid].get("dataset")) for rid in group.run_ids}
        assert len(kinds) == 1, kinds  # one kind and dataset per group: its data loads once
        for rid in group.run_ids:
            setting_groups.setdefault(_setting(quick_specs[rid]), set()).add(group.group_id)
    assert all(len(ids) == 1 for ids in setting_groups.values())  # all seeds of a setting together


def test_plan_is_balanced_against_the_target(quick_specs):
    target = 5e10
    groups = plan_groups(quick_specs, target_flop=target)
    for group in groups:
        cost = sum(_cost(quick_specs[rid]) for rid in group.run_ids)
        settings = {_setting(quick_specs[rid]) for rid in group.run_ids}
        # over the target only when a single run is larger than it
        assert cost <= target or len(group.run_ids) == 1 or len(settings) == 1, (cost, group)
    # a chunk closes only when the next setting would not fit: no two neighbours of one
    # kind and dataset would fit together
    costs = [sum(_cost(quick_specs[rid]) for rid in group.run_ids) for group in groups]
    assert sum(cost < target / 2 for cost in costs) <= len({group.datasets for group in groups}) + 3


def test_plan_covers_only_missing_runs_and_a_changed_membership_is_a_new_group(quick_specs):
    groups = plan_groups(quick_specs, min_groups=8)
    first = groups[0]
    done = {first.run_ids[0]}
    replanned = plan_groups(quick_specs, lambda rid: rid in done, min_groups=8)
    members = {rid for group in replanned for rid in group.run_ids}
    assert members == set(quick_specs) - done
    assert first.group_id not in {group.group_id for group in replanned}
    assert plan_groups(quick_specs, lambda rid: True) == []
    assert group_id(["b", "a"]) == group_id(["a", "b"]) != group_id(["a", "c"])


def test_group_file_round_trip_and_bad_file(tmp_path, quick_specs):
    groups = plan_groups(quick_specs, min_groups=8)
    written = write_group_files(groups, quick_specs, tmp_path)
    assert len(written) == len(groups)
    mtimes = [path.stat().st_mtime_ns for path in written]
    assert write_group_files(groups, quick_specs, tmp_path) == []  # never rewritten
    assert [path.stat().st_mtime_ns for path in written] == mtimes
    specs = read_group_file(written[0])
    assert describe_group(specs) == groups[0]
    for spec in specs:
        assert run_id({key: value for key, value in spec.items() if key != "run_id"}) == spec["run_id"]
    (tmp_path / "bad.json").write_text("{\"runs\": 3}")
    with pytest.raises(GroupError, match="is not a group file"):
        read_group_file(tmp_path / "bad.json")
    with pytest.raises(GroupError, match="does not exist"):
        read_group_file(tmp_path / "none.json")


def _group_specs(count, iterations):
    specs = []
    for seed in range(count):
        spec = resolve_spec({"dataset": "digits", "hidden_sizes": [64, 64], "batch_size": 32, "iterations": iterations,
                             "eval_every": 100, "seed": seed, "diagnostics": ["activations", "grad_norms"]})
        specs.append({**spec, "run_id": run_id(spec)})
    return specs


def _record_bytes(folder):
    files = {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.name != "summary.json"}
    summary = json.loads((folder / "summary.json").read_text())
    return files, {key: value for key, value in summary.items() if key not in VARYING_SUMMARY_KEYS}


def test_a_group_writes_each_record_as_one_run_alone_would(tmp_path, capsys):
    specs = _group_specs(3, 60)
    group_file = tmp_path / "group.json"
    group_file.write_text(json.dumps({"group_id": group_id(s["run_id"] for s in specs), "runs": specs}))
    assert main(["run-group", str(group_file), "--results", str(tmp_path / "results")]) == 0
    *lines, last = capsys.readouterr().out.splitlines()
    matches = [RUN_LOG_LINE.match(line) for line in lines]
    assert all(matches), lines
    assert [match["run_id"] for match in matches] == [spec["run_id"] for spec in specs]  # one line per run
    for match in matches:  # one core: a run's CPU seconds do not exceed its wall seconds by much
        assert 0 < float(match["cpu_s"]) <= float(match["wall_s"]) + 0.05
    group = GROUP_LOG_LINE.match(last)
    assert group and (group["trained"], group["runs"]) == ("3", "3"), last
    assert float(group["cpu_s"]) >= sum(float(match["cpu_s"]) for match in matches)
    for spec in specs:
        alone = tmp_path / "alone" / spec["run_id"]
        run(spec, out=alone)
        assert _record_bytes(tmp_path / "results" / "runs" / spec["run_id"]) == _record_bytes(alone)
    # complete records are skipped, not retrained
    again = run_group(specs, tmp_path / "results")
    assert again == []


def test_killed_group_keeps_finished_records_and_resumes_with_the_others(tmp_path):
    specs = _group_specs(4, 600)
    group_file = tmp_path / "group.json"
    group_file.write_text(json.dumps({"group_id": "x", "runs": specs}))
    runs = tmp_path / "results" / "runs"
    process = subprocess.Popen([sys.executable, "-m", "nnbench", "run-group", str(group_file), "--results",
                                str(tmp_path / "results")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(runs.glob("*/summary.json")) and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    finished = {path.parent.name: path.parent.stat() for path in runs.glob("*/summary.json")}
    assert 1 <= len(finished) < len(specs), "the group finished before it could be killed"
    stats = {rid: [(path.name, path.stat().st_ino, path.stat().st_mtime_ns) for path in sorted((runs / rid).iterdir())]
             for rid in finished}

    trained = run_group(specs, tmp_path / "results")
    assert {summary["run_id"] for summary in trained} == {spec["run_id"] for spec in specs} - set(finished)
    for rid, before in stats.items():  # untouched: same files, inodes and times
        assert [(path.name, path.stat().st_ino, path.stat().st_mtime_ns) for path in sorted((runs / rid).iterdir())] \
            == before
    for spec in specs:
        assert record_is_complete(runs / spec["run_id"], spec["run_id"])
    # the killed run's temporary folder is gone
    assert sorted(os.listdir(runs)) == sorted(spec["run_id"] for spec in specs)
