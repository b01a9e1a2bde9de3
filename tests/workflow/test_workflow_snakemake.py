"""The Snakemake workflow: planning, bad configs, the quick study end to end, reruns."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest
import yaml
from workflow_testing import QUICK_CONFIG, REPO, aggregated_studies, job_counts, snakemake, snakemake_command

from nnbench.config import load_config
from nnbench.grid import expand
from nnbench.vocabulary import STUDIES as STUDY_NAMES


def planned_run_ids(workdir, output: str) -> set[str]:
    """run_ids trained by the `run` jobs (groups of runs) of a dry run's output."""
    groups = set(re.findall(r"output: resources/groups/([0-9a-f]{12}).done", output))
    run_ids = [spec["run_id"] for group in groups
               for spec in json.loads((workdir / "resources" / "groups" / f"{group}.json").read_text())["runs"]]
    assert len(run_ids) == len(set(run_ids)), "a run is in two groups"
    return set(run_ids)


def test_dry_run_of_the_default_config_plans_every_study(workdir):
    result = snakemake(workdir, "-n")
    assert result.returncode == 0, result.stderr[-2000:]
    counts = job_counts(result.stdout)
    rows = expand(load_config(REPO / "config" / "config.yaml"))
    expected = {row.run_id for row in rows}
    # runs are trained in groups: far fewer jobs than runs, every run in exactly one
    assert 0 < counts["run"] <= len(expected) / 4
    assert planned_run_ids(workdir, result.stdout) == expected
    # one table set per study, the tuned one included (the cheapest few share a job)
    assert aggregated_studies(counts) == len(STUDY_NAMES) and counts["aggregate"] >= len(STUDY_NAMES) - 4
    assert counts["choose"] == 1 and counts["data"] == 2 and counts["report"] == 1 and counts["slides"] == 1
    assert len(list((workdir / "resources" / "specs").glob("*.json"))) == len(expected)
    assert not (workdir / "results").exists()


def test_slurm_profile_plans_the_jobs(workdir):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    result = snakemake(workdir, "-n", "--profile", str(REPO / "workflow" / "profiles" / "slurm"),
                       "--configfile", str(QUICK_CONFIG))
    assert result.returncode == 0, result.stderr[-2000:]
    counts = job_counts(result.stdout)
    runs = {row.run_id for row in expand(load_config(QUICK_CONFIG))}
    assert 0 < counts["run"] <= len(runs) / 4  # groups of runs, one SLURM job each
    assert planned_run_ids(workdir, result.stdout) == runs


@pytest.mark.parametrize("text, message", [
    ("studies:\n  optimizers:\n    axes:\n      optimizer.name: [sgd, adamw]\n",
     "study 'optimizers', key axes.optimizer.name[1]: unknown value 'adamw' (did you mean 'adam'?)"),
    ("studies:\n  overfitting_weight_decay:\n    axes:\n      weight_decay: [0, -1e-2]\n",
     "study 'overfitting_weight_decay', key axes.weight_decay[1]: -0.01 is less than the minimum of 0"),
    ("studies:\n  weight_init:\n    fixed: {dataset: digits, init: he, int_value: 0.1}\n",
     "study 'weight_init', key fixed: unknown key 'int_value' (did you mean 'init_value'?)"),
])
def test_bad_config_fails_before_any_job(workdir, text, message):
    (workdir / "bad.yaml").write_text(text)
    result = snakemake(workdir, "--cores", "1", "--configfile", "bad.yaml")
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert not (workdir / "results").exists() and not (workdir / "resources" / "specs").exists()


def check_decks(workdir):
    """The decks of every language, as python-pptx opens them: the outline's slide count, a
    figure on every content slide (the quick config has every study), the findings table's
    first column the claims of findings.csv, the runs' commit in the notes (the details:
    tests/report/test_slides.py)."""
    import pandas as pd
    from pptx import Presentation

    from nnbench.citation import results_code
    from nnbench.i18n import LANGUAGES, gettext
    from nnbench.results import Results
    from nnbench.slides import outline_length
    from nnbench.slides.outline import CONTENT_SLIDES

    findings = pd.read_csv(workdir / "reports" / "tables" / "findings.csv")
    commit = results_code(Results(workdir / "results"))["commit"]
    decks = json.loads((workdir / "reports" / "slides" / "manifest.json").read_text())
    assert [entry["lang"] for entry in decks["slides"]] == list(LANGUAGES)
    for lang in LANGUAGES:
        deck = Presentation(str(workdir / "reports" / "slides" / f"lecture.{lang}.pptx"))
        assert len(deck.slides) == outline_length(findings)
        content = list(deck.slides)[3:3 + len(CONTENT_SLIDES)]
        assert all(sum(shape.shape_type == 13 for shape in slide.shapes) == 1 for slide in content)  # 13: picture
        tables = [shape.table for slide in deck.slides for shape in slide.shapes if shape.has_table]
        column = [cell.text for cell in tables[0].rows[0].cells].index(gettext("claim", lang))
        claims = [row.cells[column].text for table in tables for row in list(table.rows)[1:]]
        assert claims == [gettext(claim, lang) for claim in dict.fromkeys(findings["claim"])]
        assert all(commit[:12] in slide.notes_slide.notes_text_frame.text for slide in deck.slides)


@pytest.mark.slow
def test_quick_config_end_to_end_then_nothing_to_do_then_only_new_seeds(quick_study, request):
    workdir, result = quick_study  # run once per session (tests/conftest.py), shared with the cluster test
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    config = load_config(QUICK_CONFIG)
    runs = {row.run_id for row in expand(config)}
    final = [line for line in (result.stdout + result.stderr).splitlines() if line.startswith("nnbench: ")]
    assert final and re.match(r"nnbench: \d+ runs ok, \d+ diverged; report: reports/report.html", final[-1])
    for name in STUDY_NAMES:
        assert (workdir / "results" / name / "runs.csv").is_file(), name
        assert (workdir / "results" / name / "curves.csv").is_file(), name
    assert (workdir / "results" / "activation_histograms" / "histograms.csv").is_file()
    assert (workdir / "results" / "minibatch_noise" / "minibatch_spread.csv").is_file()
    # config languages [en, ko]: a report, a manifest and a figure folder per language
    for lang, report, manifest_file in (("en", "report.html", "manifest.json"),
                                        ("ko", "report.ko.html", "manifest.ko.json")):
        assert (workdir / "reports" / report).is_file()
        manifest = json.loads((workdir / "reports" / manifest_file).read_text())
        assert manifest["language"] == lang and manifest["figures"]
        for figure in manifest["figures"]:
            assert all((workdir / "reports" / path).is_file() and path.startswith(f"figures/{lang}/")
                       for path in figure["files"].values())
        if shutil.which("chromium") or shutil.which("chromium-browser"):
            # the quick report, as the workflow rendered it, opens offline with every image decoded
            open_in_chromium = request.getfixturevalue("open_in_chromium")
            attributes, console = open_in_chromium(workdir / "reports" / report, width=1400)
            assert int(attributes["data-images-total"]) == len(manifest["figures"]) > 0
            assert attributes["data-images-ok"] == attributes["data-images-total"]
            assert attributes["data-errors"] == "0" and console == []
            assert attributes["data-lang"] == lang
            assert int(attributes["data-scroll-width"]) <= int(attributes["data-client-width"])
    check_decks(workdir)
    for run_id in runs:
        summary = json.loads((workdir / "results" / "runs" / run_id / "summary.json").read_text())
        assert summary["status"] in ("ok", "diverged")
    tuned = json.loads((workdir / "results" / "optimizers_tuned" / "choice.json").read_text())
    assert {item["group"]["optimizer.name"] for item in tuned["choices"]} == {"sgd", "adam"}

    again = snakemake(workdir, "-n", "--configfile", "config/quick.yaml")
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr

    # one more seed: only the new runs are planned (plus the tables and report that use them)
    more = yaml.safe_load(QUICK_CONFIG.read_text())
    more["seeds"] = [0, 1, 2]
    (workdir / "more.yaml").write_text(yaml.safe_dump(more))
    planned = snakemake(workdir, "-n", "--configfile", "more.yaml")
    assert planned.returncode == 0, planned.stderr[-2000:]
    new_runs = {row.run_id for row in expand(load_config(workdir / "more.yaml"))} - runs
    assert new_runs and planned_run_ids(workdir, planned.stdout) == new_runs


def test_killed_workflow_completes_on_rerun_without_corrupt_records(workdir):
    # runs long enough (a few tenths of a second each) that the kill, sent as the first record
    # appears, always lands before the last of the ten, however loaded the machine
    config = {"datasets": ["digits"], "seeds": [0, 1, 2, 3, 4],
              "studies": {"optimizers": {"fixed": {"hidden_sizes": [16], "batch_size": 16, "iterations": 3000,
                                                   "diagnostics": []},
                                         "axes": {"optimizer.name": ["sgd", "adam"]}}}}
    (workdir / "small.yaml").write_text(yaml.safe_dump(config))
    target = "results/optimizers/runs.csv"
    command = snakemake_command(workdir, target, "--cores", "1", "--configfile", "small.yaml")
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    runs = workdir / "results" / "runs"
    while time.monotonic() < deadline and not list(runs.glob("*/summary.json")) and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the workflow and its running job
    process.wait(timeout=60)
    assert len(list(runs.glob("*/summary.json"))) < 10, "the workflow finished before it could be killed"

    # the record that finished as the kill came may be flagged incomplete by snakemake: the
    # workflow's default profile (profiles/default, found next to the Snakefile without any
    # flag: rerun-incomplete) reruns it instead of stopping
    result = snakemake(workdir, target, "--cores", "1", "--configfile", "small.yaml")
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    expected = {row.run_id for row in expand(config)}
    assert {path.name for path in runs.iterdir()} == expected  # no temporary or duplicate folders
    for run_id in expected:
        assert json.loads((runs / run_id / "summary.json").read_text())["run_id"] == run_id
    table = (workdir / target).read_text().splitlines()
    assert len(table) == 1 + len(expected)
