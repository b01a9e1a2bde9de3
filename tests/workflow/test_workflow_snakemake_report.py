"""Snakemake's own report and conventions: figures and tables with captions in
`snakemake --report`, declared outputs, useful logs, benchmark files, lint."""

from __future__ import annotations

import html
import json
import re
import zipfile
from pathlib import Path

import pytest
from workflow_testing import REPO, snakemake

from nnbench.grid import expand, load_config
from nnbench.groups import GROUP_LOG_LINE, RUN_LOG_LINE


def report_results(archive) -> tuple[dict, dict]:
    """The ``results`` and ``categories`` objects the report's page embeds."""
    with zipfile.ZipFile(archive) as bundle:
        page = next(name for name in bundle.namelist() if name.endswith("/report.html") and name.count("/") == 1)
        text = bundle.read(page).decode()
    objects = {}
    for name in ("results", "categories"):
        match = re.search(rf'<script id="{name}">\s*var {name} = (\{{.*\}});\s*</script>', text)
        assert match, f"no {name} object in {page}"
        objects[name] = json.loads(match.group(1))
    return objects["results"], objects["categories"]


def plain(caption_html: str) -> str:
    """Caption HTML as whitespace-normalised text."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", caption_html)).split())


@pytest.mark.slow
def test_snakemake_report_holds_every_figure_and_table_with_its_caption(quick_study, tmp_path):
    workdir, result = quick_study
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    archive = tmp_path / "snakemake-report.zip"
    result = snakemake(workdir, "--configfile", "config/quick.yaml", "--report", str(archive))
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    results, categories = report_results(archive)
    manifest = json.loads((workdir / "reports" / "manifest.json").read_text())
    sections = {section["id"]: section["title"] for section in manifest["sections"]}
    assert manifest["figures"] and manifest["tables"]
    for kind, extension, label in (("figures", "png", "Figure"), ("tables", "csv", "Table")):
        for item in manifest[kind]:
            key = item["files"][extension] and f"reports/{item['files'][extension]}"
            assert key in results, f"{key} is not in the snakemake report"
            entry = results[key]
            caption = plain(entry["caption"])
            assert caption.startswith(f"{label} {item['name']} (study {item['study']}):"), caption[:200]
            assert " ".join(item["caption"].split()) in caption
            assert key in categories[sections[item["section"]]][item["study"]]
    assert results["reports/figures/en/optimizer_paths_contour.png"]["mime_type"] == "image/png"
    assert "reports/figures/ko/optimizer_paths_contour.png" in results  # every language's figures
    assert "reports/report.html" in categories["nnbench report"]["Other"]
    assert "reports/report.ko.html" in categories["nnbench report"]["Other"]
    with zipfile.ZipFile(archive) as bundle:  # the figures themselves travel in the archive
        pngs = [name for name in bundle.namelist() if name.endswith(".png")]
    assert len(pngs) >= len(manifest["figures"])


@pytest.mark.slow
def test_run_groups_log_each_run_and_record_a_benchmark(quick_study):
    workdir, result = quick_study
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    run_ids = sorted({row.run_id for row in expand(load_config(workdir / "config" / "quick.yaml"))})
    logged = set()
    group_logs = sorted((workdir / "logs" / "groups").glob("*.log"))
    assert 0 < len(group_logs) <= len(run_ids) / 4  # many runs per job
    for log in group_logs:
        *lines, last = log.read_text().splitlines()
        assert lines, log
        for line in lines:  # one line per run of the group, then the process's CPU seconds
            match = RUN_LOG_LINE.match(line)
            assert match and match["status"] in ("ok", "diverged"), line
            logged.add(match["run_id"])
        assert GROUP_LOG_LINE.match(last), last
        header, row = (workdir / "logs" / "benchmarks" / "groups" / f"{log.stem}.tsv").read_text().splitlines()[:2]
        values = dict(zip(header.split("\t"), row.split("\t")))
        assert float(values["s"]) > 0 and float(values["cpu_time"]) >= 0 and "max_rss" in values
    # every record was logged by its group, the tuned study's runs (not in run_ids, unless
    # the sweep it tunes from already made them) too
    assert logged == {path.name for path in (workdir / "results" / "runs").iterdir()} >= set(run_ids)
    for name in ("figures", "report", "aggregate"):
        logs = [workdir / "logs" / f"{name}.log"] if name != "aggregate" else \
            list((workdir / "logs" / "aggregate").glob("*.log"))
        assert logs and all(path.read_text().strip() for path in logs), name

    # a lost record is planned again, alone: one group holding just that run
    folder = workdir / "results" / "runs" / run_ids[0]
    kept = workdir / "record.kept"
    folder.rename(kept)
    try:
        planned = snakemake(workdir, "-n", "--configfile", "config/quick.yaml")
    finally:
        kept.rename(folder)
    assert planned.returncode == 0, (planned.stdout + planned.stderr)[-2000:]
    assert re.search(r"^run\s+1$", planned.stdout, re.MULTILINE), planned.stdout[-2000:]
    group = re.search(r"output: resources/groups/([0-9a-f]{12}).done", planned.stdout).group(1)
    members = json.loads((workdir / "resources" / "groups" / f"{group}.json").read_text())["runs"]
    assert [spec["run_id"] for spec in members] == [run_ids[0]]


def test_lint_is_clean(workdir):
    # Every rule names the conda environment (workflow/envs/nnbench.yaml) and declares its
    # log: snakemake --lint has nothing to say.
    result = snakemake(workdir, "--lint")
    output = result.stdout + result.stderr
    lints = {}
    for block in re.split(r"^(?=Lints for )", output, flags=re.MULTILINE):
        header = re.match(r"Lints for (rule (\S+) \(line \d+, (.+?)\)|.+?):", block)
        if header:
            where = (header.group(2), Path(header.group(3)).name) if header.group(2) else (header.group(1), "")
            lints[where] = set(re.findall(r"^\s+\* (.+?):?$", block, re.MULTILINE))
    assert not lints, lints
    assert "Lints for" not in output or lints, output[-2000:]  # the parsing saw what snakemake printed
