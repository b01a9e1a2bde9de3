"""Figures per language: every label from the labelled vocabulary, Korean drawn with a
Hangul font (a missing glyph is an error), one folder and one manifest per language."""

from __future__ import annotations

import json
import warnings

import pytest

from nnbench.figures import factorial, make_all, manifest_name, plotting
from nnbench.figures.plotting import FontError, hangul_font_files, setup_matplotlib
from nnbench.i18n import using_language
from nnbench.results import Results
from report_synthetic import write_synthetic_results


@pytest.fixture
def glyphs_must_exist():
    """matplotlib's "Glyph ... missing from font(s)" warning fails the test."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from")
        yield


def _tick_texts(ax):
    return [tick.get_text() for tick in ax.get_xticklabels()]


@pytest.fixture(scope="module")
def factorial_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("factorial")
    write_synthetic_results(root, studies=["factorial"])
    return Results(root).runs("factorial")


def _main_effects(runs):
    from matplotlib import pyplot as plt

    fig = factorial.main_effects_figure(runs)
    panels = {ax.get_title(): ax for ax in fig.axes if ax.axison}
    ylabel = fig.axes[0].get_ylabel()
    fig.canvas.draw()  # renders every text: a missing glyph warns here
    plt.close(fig)
    return panels, ylabel


def test_main_effects_levels_say_which_level_in_english(factorial_runs):
    setup_matplotlib("en")
    panels, ylabel = _main_effects(factorial_runs)
    assert ylabel == "final test accuracy"
    assert _tick_texts(panels["batch normalisation"]) == ["without BN", "with BN"]
    assert _tick_texts(panels["initial weights"]) == ["std 0.01", "Xavier", "He"]


def test_main_effects_in_korean_use_the_decks_terms(factorial_runs, glyphs_must_exist):
    setup_matplotlib("ko")
    with using_language("ko"):
        panels, ylabel = _main_effects(factorial_runs)
    assert ylabel == "최종 테스트 정확도"
    assert _tick_texts(panels["배치 정규화"]) == ["배치 정규화 없음", "배치 정규화 사용"]
    assert _tick_texts(panels["가중치의 초기값"]) == ["표준편차 0.01", "Xavier", "He"]


def test_a_missing_glyph_fails_the_korean_tests(glyphs_must_exist):
    # Without the Hangul font (English set-up) Korean text has no glyphs: the warning is an error.
    from matplotlib import pyplot as plt

    setup_matplotlib("en")
    fig, axes = plotting.new_figure()
    axes[0, 0].set_title("배치 정규화")
    with pytest.raises(UserWarning, match="missing from font"):
        fig.canvas.draw()
    plt.close(fig)


def test_the_hangul_font_is_found_without_importing_its_package():
    import sys

    files = hangul_font_files()
    assert [path.name for path in files] == ["NanumGothic.ttf", "NanumGothicBold.ttf"]
    assert "koreanize_matplotlib" not in sys.modules  # importing it changes matplotlib's settings


def test_a_missing_font_package_is_one_clear_line(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "koreanize_matplotlib" else real(name, *args))
    with pytest.raises(FontError) as error:
        setup_matplotlib("ko")
    assert "\n" not in str(error.value) and "pip install koreanize-matplotlib" in str(error.value)


def test_each_language_has_its_figures_and_manifest(tmp_path, glyphs_must_exist):
    write_synthetic_results(tmp_path / "results", studies=["batch_norm", "overfitting_dropout"])
    english = make_all(tmp_path / "results", tmp_path / "reports", lang="en")
    table = tmp_path / "reports" / "tables" / "batch_norm_final.csv"
    written = table.stat().st_mtime_ns
    korean = make_all(tmp_path / "results", tmp_path / "reports", lang="ko", write_tables=False)
    assert table.stat().st_mtime_ns == written  # the tables are the source language's
    assert manifest_name("en") == "manifest.json" and manifest_name("ko") == "manifest.ko.json"
    assert json.loads((tmp_path / "reports" / "manifest.ko.json").read_text()) == korean
    assert korean["language"] == "ko"
    assert [f["name"] for f in korean["figures"]] == [f["name"] for f in english["figures"]]
    assert [t["files"] for t in korean["tables"]] == [t["files"] for t in english["tables"]]
    for figure in korean["figures"]:
        for path in figure["files"].values():
            assert path.startswith("figures/ko/") and (tmp_path / "reports" / path).is_file()
    titles = {s["id"]: s["title"] for s in korean["sections"]}
    assert titles["batch_norm"] == "배치 정규화" and titles["overfitting"] == "오버피팅과 드롭아웃"
    assert korean["interval"] == "시드에 대한 평균의 95% t-신뢰구간"
    svg = (tmp_path / "reports" / "figures" / "ko" / "batch_norm_mnist_grid.svg").read_text()
    english_svg = (tmp_path / "reports" / "figures" / "en" / "batch_norm_mnist_grid.svg").read_text()
    assert svg != english_svg  # Korean labels, not a copy of the English figure


def test_an_unknown_language_draws_nothing(tmp_path):
    from nnbench.errors import NnbenchError

    write_synthetic_results(tmp_path / "results", studies=["batch_norm"])
    with pytest.raises(NnbenchError, match="unknown language 'kr'.*allowed: en, ko"):
        make_all(tmp_path / "results", tmp_path / "reports", lang="kr")
    assert not (tmp_path / "reports").exists()


# ------------------------------------------------------------------ the reports per language

def test_the_korean_report_speaks_korean(rendered):
    html = rendered["korean_html"]
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"ko\">")
    assert '<a href="report.html" hreflang="en" lang="en">English</a>' in html
    assert '<a href="report.ko.html" hreflang="ko" lang="ko">한국어</a>' in rendered["html"]
    assert "<h2>목차</h2>" in html and "<h2>출처</h2>" in html
    assert "배치 정규화" in html and "SGD가 optimizer 중 가장 느리다" in html
    for figure in rendered["korean_manifest"]["figures"]:
        assert figure["files"]["png"].startswith("figures/ko/")
    assert "nnbench report: what makes" in rendered["html"] and "nnbench report: what makes" not in html


def _overview(html):
    start = html.index('<table class="overview" id="findings-overview">')
    return html[start:html.index("</table>", start)]


def test_findings_overview_one_row_per_claim_with_a_badge_per_dataset(rendered):
    import pandas as pd

    findings = pd.read_csv(rendered["reports"] / "tables" / "findings.csv", dtype={"slide": str})
    claims = findings["claim_id"].unique()
    for html, words in ((rendered["html"], ("holds", "inconclusive")),
                        (rendered["korean_html"], ("성립", "판단 보류"))):
        overview = _overview(html)
        assert overview.count('<tr id="claim-') == len(claims)
        for claim_id, slide in findings.groupby("claim_id")["slide"].first().items():
            row = overview[overview.index(f'<tr id="claim-{claim_id}">'):]
            row = row[:row.index("</tr>")]
            assert f'<td class="slide">{slide}</td>' in row
            assert row.count('<span class="badge ') == 3  # MNIST, Fashion-MNIST, overall
        for word in words:
            assert f">{word}</span>" in overview
    sgd = findings[(findings["claim_id"] == "sgd_slowest") & (findings["dataset"] == "mnist")].iloc[0]
    overview = _overview(rendered["html"])
    row = overview[overview.index('<tr id="claim-sgd_slowest">'):]
    assert '<span class="badge holds">holds</span>' in row[:row.index("</tr>")]
    assert "n=3" in row and "book 0.1" in row and f"{sgd['estimate']:.3g}" in row
    # the notes are footnotes, and the full table is one click away, CSV, Markdown, LaTeX
    notes = findings[(findings["dataset"] != "all") & findings["note"].notna()]
    assert rendered["html"].count('<li id="note-') == len(notes) > 0
    block = rendered["html"][rendered["html"].index('id="table-findings"'):]
    block = block[:block.index('<section id="overfitting"')]
    assert '<details class="full-table">' in block
    for name in ("findings.csv", "findings.md", "findings.tex"):
        assert f'download="{name}"' in block


def test_every_table_links_its_latex_beside_its_csv(rendered):
    for table in rendered["manifest"]["tables"]:
        name = table["name"]
        block = rendered["html"][rendered["html"].index(f'id="table-{name}"'):]
        assert block.index(f'download="{name}.csv"') < block.index(f'download="{name}.tex"') \
            < block.index("</p>")


def test_the_overview_reads_whatever_findings_csv_holds(tmp_path):
    # a claim the code does not know, an extra column, no slide column: all rendered
    from nnbench.report import findings_overview

    path = tmp_path / "findings.csv"
    path.write_text("claim_id,claim,dataset,estimate,low,high,n,book,verdict,p_adjusted,note\n"
                    "new_claim,A claim added later,mnist,0.5,0.1,0.9,5,,holds,0.01,\n"
                    "new_claim,A claim added later,digits,0.1,-0.2,0.4,5,,inconclusive,0.6,only 2 seeds\n"
                    "new_claim,A claim added later,all,,,,10,,inconclusive,,holds on mnist\n")
    overview = findings_overview(path, "ko")
    assert [d["id"] for d in overview["datasets"]] == ["mnist", "digits"]
    (claim,) = overview["claims"]
    assert claim["claim"] == "A claim added later" and claim["slide"] == ""
    assert [cell["text"] for cell in claim["cells"]] == ["성립", "판단 보류"]
    assert claim["cells"][0]["interval"] == "[0.1, 0.9]" and claim["cells"][0]["n"] == "5"
    assert claim["overall"] == {"class": "open", "text": "판단 보류"}
    assert [note["text"] for note in overview["footnotes"]] == ["only 2 seeds"]  # not the 'all' row's


@pytest.mark.parametrize("command", ["figures", "report"])
def test_an_unknown_language_on_the_command_line_exits_2_and_writes_nothing(tmp_path, capsys, command):
    from nnbench.cli import main

    write_synthetic_results(tmp_path / "results", studies=["batch_norm"])
    out = ["--out", str(tmp_path / "reports")] if command == "figures" else ["--reports", str(tmp_path / "reports")]
    code = main([command, "--results", str(tmp_path / "results"), *out, "--lang", "en", "kr"])
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1
    assert "unknown --lang entry 'kr' (did you mean 'ko'?); allowed: en, ko" in error
    assert not (tmp_path / "reports").exists()


def test_one_out_file_for_two_languages_is_refused(tmp_path, capsys):
    from nnbench.cli import main

    code = main(["report", "--reports", str(tmp_path), "--lang", "en", "ko", "--out", str(tmp_path / "r.html")])
    assert code == 2 and "--out names one file" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_the_korean_findings_sentences_are_korean(rendered):
    import re

    hangul = re.compile("[\uac00-\ud7a3]")
    translated = {"findings", "overfitting", "minibatch", "weight_init", "batch_norm", "weight_decay"}
    korean = {s["id"]: s for s in rendered["korean_manifest"]["sections"]}
    english = {s["id"]: s for s in rendered["manifest"]["sections"]}
    for section_id in translated:
        assert len(korean[section_id]["findings"]) == len(english[section_id]["findings"]) > 0
        for sentence in korean[section_id]["findings"]:
            assert hangul.search(sentence) and "{" not in sentence, sentence
    for section in korean.values():  # every placeholder filled, whatever the language
        assert not any(re.search(r"\{[a-z_]*\}", sentence) for sentence in section["findings"])
