"""One workflow job per report section: ``draw_section_part`` then ``merge_section_parts``
give what ``make_all`` gives; a section reads only its own studies of the config."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nnbench.errors import NnbenchError
from nnbench.figures import (PART_NAME, SECTION_SECONDS, SECTIONS, draw_section_part, figure_job_name,
                             figure_job_studies,
                             figure_job_processes, figure_jobs, figure_sections, make_all, manifest_name, merge_section_parts, section_priority,
                             section_studies)
from report_synthetic import write_synthetic_results


def _files(folder):
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.name.startswith("manifest")}


def test_sections_drawn_one_by_one_and_merged_equal_make_all(tmp_path):
    results = tmp_path / "results"
    studies = write_synthetic_results(results, studies=["optimizer_paths", "batch_norm", "overfitting_dropout"],
                                      extra_study_label="mine")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"studies": {study: {"title": f"{study}!"} for study in studies}}))
    expected = [make_all(results, tmp_path / "whole", config=config, lang=lang, write_tables=lang == "en")
                for lang in ("en", "ko")]
    sections = figure_sections(studies)
    assert sections == [section_id for section_id, _ in SECTIONS] + ["other"]  # "custom": the user's own
    parts = [tmp_path / "parts" / section for section in sections]
    for section, part in zip(sections, parts):
        drawn = draw_section_part(results, part, section, config=config, languages=("ko", "en"))
        assert [p["section"]["id"] for p in drawn] == [section, section]
        assert (part / PART_NAME.format(lang="en")).is_file() and (part / PART_NAME.format(lang="ko")).is_file()
    merged = merge_section_parts(parts, tmp_path / "merged", config=config, results_dir=results,
                                 languages=("en", "ko"))
    assert [manifest["language"] for manifest in merged] == ["en", "ko"]
    for manifest, whole in zip(merged, expected):
        assert manifest["figures"] and {**manifest, "generated": None} == {**whole, "generated": None}
        on_disk = json.loads((tmp_path / "merged" / manifest_name(manifest["language"])).read_text())
        assert on_disk == manifest
    # every figure, table and reader-text file, byte for byte
    assert _files(tmp_path / "merged") == _files(tmp_path / "whole")


def test_a_section_reads_only_the_config_s_studies(tmp_path):
    write_synthetic_results(tmp_path / "results", studies=["optimizer_paths", "batch_norm"])
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"studies": {"optimizer_paths": {}}}))  # batch_norm: a leftover table
    [part] = draw_section_part(tmp_path / "results", tmp_path / "part", "batch_norm", config=config)
    assert part["section"]["studies"] == [] and part["section"]["missing"] == ["batch_norm"]
    assert part["figures"] == []
    [part] = draw_section_part(tmp_path / "results", tmp_path / "part2", "optimizers", config=config)
    assert [figure["name"] for figure in part["figures"]] == ["optimizer_paths_contour"]
    # a section job that reads none of the config's studies may run before results/ exists
    [part] = draw_section_part(tmp_path / "not yet", tmp_path / "part3", "batch_norm", config=config)
    assert part["section"]["missing"] == ["batch_norm"] and part["tables"] == []


def test_section_studies_are_the_tables_a_section_reads():
    from nnbench.analysis.findings import CLAIMS

    studies = ["optimizers", "batch_norm", "mine", "weight_init"]
    assert section_studies("batch_norm", studies) == ["batch_norm"]
    assert section_studies("other", studies) == ["mine"]
    assert section_studies("findings", studies) == [s for s in studies if s in {c.study for c in CLAIMS}]
    assert section_studies("optimizers", ["batch_norm"]) == []
    assert figure_sections(["batch_norm"]) == [section_id for section_id, _ in SECTIONS]
    with pytest.raises(NnbenchError, match=r"unknown section 'optimiser' \(did you mean 'optimizers'\?\)"):
        section_studies("optimiser", studies)
    # a figures job of several sections waits for the studies of all of them
    assert figure_job_studies([("batch_norm", "other"), ("weight_init",)], studies) == [
        {"batch_norm", "mine"}, {"weight_init"}]


def test_unknown_section_or_missing_part_is_one_line_and_exit_2(tmp_path):
    write_synthetic_results(tmp_path / "results", studies=["optimizer_paths"])

    def figures(*args):
        return subprocess.run([sys.executable, "-m", "nnbench", "figures", "--results", str(tmp_path / "results"),
                               *args], capture_output=True, text=True)

    bad = figures("--section", "optimiser", "--out-dir", str(tmp_path / "part"))
    assert bad.returncode == 2
    assert "unknown section 'optimiser' (did you mean 'optimizers'?)" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "part").exists()  # nothing partial
    # every id is checked before any section is drawn
    late = figures("--section", "optimizers", "batch_norms", "--out-dir", str(tmp_path / "part"))
    assert late.returncode == 2 and "unknown section 'batch_norms' (did you mean 'batch_norm'?)" in late.stderr
    assert not (tmp_path / "part").exists()
    twice = figures("--section", "optimizers", "optimizers", "--out-dir", str(tmp_path / "part"))
    assert twice.returncode == 2 and "lists 'optimizers' twice" in twice.stderr
    drawn = figures("--section", "optimizers", "batch_norm", "--out-dir", str(tmp_path / "drawn"))
    assert drawn.returncode == 0, drawn.stderr
    # each section in a folder of its own, in the order given
    assert sorted(path.name for path in (tmp_path / "drawn").iterdir()) == ["batch_norm", "optimizers"]
    assert [line.split(":")[0] for line in drawn.stdout.splitlines()] == ["section optimizers", "section batch_norm"]
    assert (tmp_path / "drawn" / "optimizers" / PART_NAME.format(lang="en")).is_file()
    # the second part is missing: nothing of the first is gathered either
    missing = figures("--merge", str(tmp_path / "drawn" / "optimizers"), str(tmp_path / "nowhere"), "--out-dir",
                      str(tmp_path / "reports"))
    assert missing.returncode == 2 and "no part.en.json in section folder" in missing.stderr
    assert not (tmp_path / "reports").exists()
    both = figures("--section", "optimizers", "--merge", "x")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_the_merge_links_the_section_files_and_a_rerun_replaces_them(tmp_path):
    write_synthetic_results(tmp_path / "results", studies=["optimizer_paths"])
    part = tmp_path / "part"
    draw_section_part(tmp_path / "results", part, "optimizers")
    merge_section_parts([part], tmp_path / "reports", results_dir=tmp_path / "results")
    merge_section_parts([part], tmp_path / "reports", results_dir=tmp_path / "results")  # again: no error
    drawn = part / "figures" / "en" / "optimizer_paths_contour.png"
    gathered = tmp_path / "reports" / "figures" / "en" / "optimizer_paths_contour.png"
    assert gathered.read_bytes() == drawn.read_bytes()
    assert gathered.stat().st_nlink == 2 or sys.platform == "win32"


def test_the_config_s_figure_formats_are_the_files_written(tmp_path):
    write_synthetic_results(tmp_path / "results", studies=["batch_norm"])
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"studies": {"batch_norm": {}}, "figure_formats": ["pdf", "png"]}))
    [part] = draw_section_part(tmp_path / "results", tmp_path / "part", "batch_norm", config=config)
    assert part["figures"]
    for figure in part["figures"]:
        assert list(figure["files"]) == ["png", "pdf"]  # the writer's order, not the config's
    written = {path.suffix for path in (tmp_path / "part" / "figures" / "en").iterdir()}
    assert written == {".png", ".pdf"}
    whole = make_all(tmp_path / "results", tmp_path / "whole", config=config)
    assert {path.suffix for path in (tmp_path / "whole" / "figures" / "en").iterdir()} == {".png", ".pdf"}
    assert whole["figures"] and all(list(f["files"]) == ["png", "pdf"] for f in whole["figures"])


@pytest.mark.parametrize("formats, message", [
    (["svg", "pdf"], "lacks 'png'"),
    (["png", "gif"], "unknown figure format 'gif'"),
    ("png", "must be a list of formats"),
    (3, "must be a list of formats"),
])
def test_bad_figure_formats_are_one_line_and_draw_nothing(tmp_path, formats, message):
    write_synthetic_results(tmp_path / "results", studies=["batch_norm"])
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"studies": {"batch_norm": {}}, "figure_formats": formats}))
    with pytest.raises(NnbenchError, match=message):
        draw_section_part(tmp_path / "results", tmp_path / "part", "batch_norm", config=config)
    with pytest.raises(NnbenchError, match=message):
        make_all(tmp_path / "results", tmp_path / "whole", config=config)
    assert not (tmp_path / "part").exists() and not (tmp_path / "whole").exists()


def test_the_config_schema_offers_exactly_the_writer_s_figure_formats():
    from nnbench.config import load_schema
    from nnbench.figures.writer import FIGURE_FORMATS, REQUIRED_FIGURE_FORMAT

    formats = load_schema()["properties"]["figure_formats"]
    assert formats["items"]["enum"] == list(FIGURE_FORMATS)
    assert formats["default"] == list(FIGURE_FORMATS)
    assert formats["contains"] == {"const": REQUIRED_FIGURE_FORMAT}


def test_a_config_without_the_png_is_one_line_naming_it(tmp_path):
    from nnbench.config import ConfigError, prepare_config

    with pytest.raises(ConfigError, match=r"figure_formats: \['svg'\] lacks 'png'"):
        prepare_config({"studies": {"optimizers": {}}, "figure_formats": ["svg"]})


def test_figure_jobs_one_per_section_where_there_are_cpus_else_balanced():
    studies = ["optimizer_paths", "batch_norm", "vanishing_gradient", "my_study"]
    sections = figure_sections(studies)
    assert figure_jobs(studies, len(sections)) == [(section,) for section in sections]
    assert figure_jobs(studies, 1) == [tuple(sections)]
    for workers in (2, 3, 5):
        jobs = figure_jobs(studies, workers)
        assert len(jobs) == workers
        # every section once, each job in the report's order, the jobs by their first section
        assert sorted(s for job in jobs for s in job) == sorted(sections)
        assert all(list(job) == sorted(job, key=sections.index) for job in jobs)
        assert [sections.index(job[0]) for job in jobs] == sorted(sections.index(job[0]) for job in jobs)
    # balanced: the two slowest sections are never in the same job of two
    slowest = sorted(sections, key=lambda s: -SECTION_SECONDS.get(s, 0))[:2]
    assert all(not set(slowest) <= set(job) for job in figure_jobs(studies, 2))
    with pytest.raises(NnbenchError, match="workers"):
        figure_jobs(studies, 0)


def test_a_figures_job_of_several_sections_is_named_and_ranked_by_them():
    assert figure_job_name(("optimizers", "batch_norm")) == "optimizers+batch_norm"
    assert section_priority("batch_norm+vanishing_gradient") == section_priority("vanishing_gradient")
    slowest_first = sorted(SECTION_SECONDS, key=section_priority, reverse=True)
    assert slowest_first == sorted(SECTION_SECONDS, key=SECTION_SECONDS.get, reverse=True)
    assert max(map(section_priority, SECTION_SECONDS)) < 1e-4  # below every run group


def test_spare_cpus_go_to_the_slowest_sections_one_process_per_language():
    studies = ["optimizer_paths", "batch_norm", "vanishing_gradient"]
    sections = figure_sections(studies)
    jobs = figure_jobs(studies, 16)
    processes = figure_job_processes(jobs, 16, ["en", "ko"])
    by_cost = sorted(jobs, key=lambda job: -SECTION_SECONDS[job[0]])
    spare = 16 - len(jobs)
    assert [processes[job] for job in by_cost] == [2] * min(spare, len(jobs)) + [1] * (len(jobs) - spare)
    # one CPU to spare: only the slowest; one language, or no CPU to spare: one process each
    assert figure_job_processes(jobs, len(jobs) + 1, ["en", "ko"])[by_cost[0]] == 2
    assert sum(figure_job_processes(jobs, len(jobs) + 1, ["en", "ko"]).values()) == len(jobs) + 1
    assert set(figure_job_processes(jobs, 16, ["en"]).values()) == {1}
    few = figure_jobs(studies, 2)
    assert set(figure_job_processes(few, 2, ["en", "ko"]).values()) == {1}
    assert len(sections) == len(jobs)


def test_a_section_s_languages_drawn_at_once_are_the_same_files(tmp_path):
    write_synthetic_results(tmp_path / "results", studies=["batch_norm"])
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"studies": {"batch_norm": {}}, "figure_formats": ["png"]}))
    one = draw_section_part(tmp_path / "results", tmp_path / "one", "batch_norm", config=config,
                            languages=("en", "ko"))
    two = draw_section_part(tmp_path / "results", tmp_path / "two", "batch_norm", config=config,
                            languages=("en", "ko"), jobs=2)
    assert [part["section"]["title"] for part in two] == [part["section"]["title"] for part in one]
    assert _files(tmp_path / "two") == _files(tmp_path / "one")
    assert any(name.startswith("figures/ko/") for name in _files(tmp_path / "two"))
    with pytest.raises(NnbenchError, match="jobs"):
        draw_section_part(tmp_path / "results", tmp_path / "bad", "batch_norm", config=config, jobs=0)
