"""The lecture decks (``nnbench slides``), opened with python-pptx: the outline slide for slide,
a picture (or the one line saying why not) on every content slide, the findings table equal to
findings.csv as its tables display it, provenance in the notes, 16:9 and >= 18 pt, the
languages, and the decks in their index and the bundle."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from report_synthetic import SYNTHETIC_CODE, write_synthetic_results
from nnbench.analysis.findings import ALL_DATASETS, BOOK_DATASET, CLAIMS
from nnbench.cli import main
from nnbench.i18n import LANGUAGES, gettext
from nnbench.slides import MIN_FONT_PT, deck_path, findings_pages, outline_length, slide_claims, write_decks
from nnbench.slides.outline import CONTENT_SLIDES

pptx = pytest.importorskip("pptx")
from pptx.util import Pt  # noqa: E402

FIRST_CONTENT = 3  # title, introduction, techniques
HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def decks(rendered, tmp_path_factory):
    """Both decks written into a copy of the rendered reports folder (the manifest gains
    the decks; the session's folder stays as the report tests expect it)."""
    reports = tmp_path_factory.mktemp("decks") / "reports"
    shutil.copytree(rendered["reports"], reports)
    manifest_bytes = (reports / "manifest.json").read_bytes()
    written = write_decks(rendered["results"], reports, rendered["config"], LANGUAGES)
    findings = pd.read_csv(reports / "tables" / "findings.csv", keep_default_na=False, na_values=[""])
    return {"reports": reports, "written": written, "findings": findings, "manifest_bytes": manifest_bytes,
            "open": {lang: pptx.Presentation(str(deck_path(reports, lang))) for lang in LANGUAGES}}


def _texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def _pictures(slide) -> list:
    return [shape for shape in slide.shapes if shape.shape_type == pptx.enum.shapes.MSO_SHAPE_TYPE.PICTURE]


def _tables(deck) -> list:
    return [shape.table for slide in deck.slides for shape in slide.shapes if shape.has_table]


def _runs(deck):
    for slide in deck.slides:
        for shape in slide.shapes:
            frames = ([shape.text_frame] if shape.has_text_frame else
                      [cell.text_frame for row in shape.table.rows for cell in row.cells] if shape.has_table else [])
            for frame in frames:
                for paragraph in frame.paragraphs:
                    yield from paragraph.runs


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_deck_follows_the_outline_slide_for_slide(decks, lang):
    deck = decks["open"][lang]
    assert len(deck.slides) == outline_length(decks["findings"])
    assert len(deck.slides) == 3 + len(CONTENT_SLIDES) + len(findings_pages(decks["findings"])) + 2
    assert [count for _path, count in decks["written"]] == [len(deck.slides)] * len(LANGUAGES)
    assert round(deck.slide_width / deck.slide_height, 2) == round(16 / 9, 2)
    for index, spec in enumerate(CONTENT_SLIDES):
        slide = deck.slides[FIRST_CONTENT + index]
        texts = _texts(slide)
        assert any(text.startswith(f"{spec.section} {gettext(spec.title, lang)}") for text in texts), texts
        assert any(gettext(spec.quote, lang) in text for text in texts)
        assert len(_pictures(slide)) == 1, f"slide {spec.section} has no figure"
    assert gettext("Thank you", lang) in " ".join(_texts(deck.slides[-1]))


def test_content_slides_show_the_verdicts_of_findings_csv(decks):
    """The verdict line of a slide is its claims' rows of findings.csv, on the figure's
    dataset (the first: MNIST), with estimate, interval and n as the tables format them."""
    from nnbench.labels import dataset_label
    from nnbench.tables import display_rows

    findings = decks["findings"]
    headings, rows = display_rows(findings)
    shown = {(row[headings.index("claim id")], row[headings.index("dataset")]): dict(zip(headings, row))
             for row in rows}
    deck = decks["open"]["en"]
    checked = 0
    shown_claims = slide_claims(findings)
    for index, spec in enumerate(CONTENT_SLIDES):
        text = "\n".join(_texts(deck.slides[FIRST_CONTENT + index]))
        for claim_id in shown_claims[index]:
            # the figure's dataset (MNIST, the first), else the claim's own row (one measured
            # without a dataset)
            row = shown.get((claim_id, "mnist")) or next(
                value for (key, dataset), value in shown.items() if key == claim_id and dataset != ALL_DATASETS)
            part = (f"{dataset_label(row['dataset'])}: {row['verdict']}, {row['estimate']} [{row['low']}, "
                    f"{row['high']}], n = {row['n']}") if row["low"] else f"{dataset_label(row['dataset'])}: " \
                f"{row['verdict']}, n = {row['n']}"
            assert f"{row['claim']} — {part}" in text
            checked += 1
        if not shown_claims[index]:
            assert "No verdict" in text
    assert checked == sum(len(claims) for claims in shown_claims)


def test_every_claim_on_a_slide_is_a_claim_of_the_findings():
    known = {claim.key for claim in CLAIMS}
    assert {claim for spec in CONTENT_SLIDES for claim in spec.claims} <= known


def test_the_findings_table_is_native_and_equals_findings_csv_as_displayed(decks):
    from nnbench.labels import dataset_label
    from nnbench.tables import display_rows

    findings = decks["findings"]
    headings, rows = display_rows(findings)
    column = {name: headings.index(name) for name in ("claim id", "claim", "dataset", "verdict", "estimate",
                                                        "low", "high", "n", "book")}
    with_slide = "slide" in headings  # the deck's slide of each claim, where findings.csv has it
    deck = decks["open"]["en"]
    tables = _tables(deck)
    pages = len(findings_pages(findings))
    assert len(tables) == pages and not any(_pictures(slide) for slide in list(deck.slides)[-2 - pages:-2])
    cells = [[cell.text for cell in row.cells] for table in tables for row in list(table.rows)[1:]]
    assert [cell.text for cell in tables[0].rows[0].cells] == ["slide"] * with_slide + [
        "claim", "MNIST", "Fashion-MNIST", "book"]
    expected = []
    for claim_id in dict.fromkeys(row[column["claim id"]] for row in rows):
        by_dataset = {row[column["dataset"]]: row for row in rows if row[column["claim id"]] == claim_id}
        overall = by_dataset[ALL_DATASETS]
        line = ([overall[headings.index("slide")]] if with_slide else []) + [overall[column["claim"]]]
        def cell(row):
            text = row[column["verdict"]] + (f", n = {row[column['n']]}" if row[column["n"]] not in ("", "0") else "")
            if row[column["estimate"]] and row[column["low"]]:
                text += f"\n{row[column['estimate']]} [{row[column['low']]}, {row[column['high']]}]"
            return text

        if "mnist" in by_dataset or "fashion-mnist" in by_dataset:
            line += [cell(by_dataset[dataset]) if dataset in by_dataset else "" for dataset in ("mnist", "fashion-mnist")]
        else:  # measured without a dataset: one merged cell, named by its inputs
            (dataset,) = set(by_dataset) - {ALL_DATASETS}
            line += [f"{dataset_label(dataset)}: {cell(by_dataset[dataset])}", ""]
        line.append(by_dataset[BOOK_DATASET][column["book"]] if BOOK_DATASET in by_dataset else "")
        expected.append(line)
    assert cells == expected


def test_notes_carry_the_provenance(decks, rendered):
    deck = decks["open"]["en"]
    commit = SYNTHETIC_CODE["commit"]
    figures = {item["files"]["png"]: item for item in rendered["manifest"]["figures"]}
    for number, slide in enumerate(deck.slides, start=1):
        notes = slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""
        assert commit[:12] in notes, f"slide {number} has no commit in its notes"
    for index in range(len(CONTENT_SLIDES)):
        notes = deck.slides[FIRST_CONTENT + index].notes_slide.notes_text_frame.text
        figure = re.search(r"Figure: (\S+)", notes).group(1)
        assert figures[figure]["provenance_line"] in notes  # study, seeds, runs, commit, config sha256
    title_notes = deck.slides[0].notes_slide.notes_text_frame.text
    assert commit in title_notes and rendered["manifest"]["config_sha256"] in title_notes
    assert rendered["manifest"]["generated"] in title_notes and "@software{" in title_notes


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_under_18_pt(decks, lang):
    sizes = [run.font.size for run in _runs(decks["open"][lang])]
    assert sizes and all(size is not None and size >= Pt(MIN_FONT_PT) for size in sizes)


def test_the_korean_deck_speaks_the_decks_words_in_a_hangul_font(decks):
    deck = decks["open"]["ko"]
    text = "\n".join(text for slide in deck.slides for text in _texts(slide))
    for words in ("감사합니다", "배치 정규화", "가중치 감소", "뉴런들을 랜덤하게 버린다"):
        assert words in text
    runs = list(_runs(deck))
    hangul = [run for run in runs if HANGUL.search(run.text)]
    assert hangul
    for run in hangul:
        properties = run._r.rPr
        assert properties.get("lang") == "ko-KR"
        assert properties.find(pptx.oxml.ns.qn("a:ea")).get("typeface") == "Malgun Gothic"
    assert not HANGUL.search("\n".join(text for slide in decks["open"]["en"].slides for text in _texts(slide)))


def test_the_decks_are_listed_in_their_own_index_and_the_figures_manifest_is_left_alone(decks):
    index = json.loads((decks["reports"] / "slides" / "manifest.json").read_text(encoding="utf-8"))
    assert index["slides"] == [{"lang": lang, "file": f"slides/lecture.{lang}.pptx"} for lang in LANGUAGES]
    assert all((decks["reports"] / entry["file"]).is_file() for entry in index["slides"])
    # an input of the report and the decks in the workflow: a later stage never rewrites it
    assert (decks["reports"] / "manifest.json").read_bytes() == decks["manifest_bytes"]


def test_the_bundle_holds_the_decks_but_not_their_lock_files(decks, tmp_path):
    import tarfile

    from nnbench.bundle import bundle

    slides = decks["reports"] / "slides"
    (slides / ".~lock.lecture.en.pptx#").write_text("LibreOffice has it open")
    (slides / "~$lecture.ko.pptx").write_bytes(b"PowerPoint has it open")
    try:
        archive = bundle(decks["reports"], tmp_path / "talk.tar.gz")
    finally:
        for lock in (".~lock.lecture.en.pptx#", "~$lecture.ko.pptx"):
            (slides / lock).unlink()
    with tarfile.open(archive.path) as opened:
        names = opened.getnames()
        sums = opened.extractfile("reports/SHA256SUMS").read().decode()
    assert {f"reports/slides/lecture.{lang}.pptx" for lang in LANGUAGES} <= set(names)
    assert all(f"  slides/lecture.{lang}.pptx\n" in sums for lang in LANGUAGES)
    assert not [name for name in names if "lock" in name or "~$" in name]


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory):
    """Figures and findings of a config with only the optimizers and weight_init studies."""
    from nnbench.figures import make_all

    root = tmp_path_factory.mktemp("two_studies")
    write_synthetic_results(root / "results", studies=["optimizers", "weight_init"])
    make_all(root / "results", root / "reports")
    return root


def test_a_study_not_in_the_config_leaves_one_line_instead_of_its_figure(two_studies, capsys):
    root = two_studies
    assert main(["slides", "--results", str(root / "results"), "--reports", str(root / "reports"),
                 "--lang", "en"]) == 0
    assert re.fullmatch(r"wrote \S+lecture\.en\.pptx \(\d+ slides, [\d.]+ MiB\)\n", capsys.readouterr().out)
    deck = pptx.Presentation(str(deck_path(root / "reports", "en")))
    for index, spec in enumerate(CONTENT_SLIDES):
        slide = deck.slides[FIRST_CONTENT + index]
        if spec.study in ("optimizers", "weight_init"):
            assert len(_pictures(slide)) == 1
            continue
        assert not _pictures(slide)
        lines = [text for text in _texts(slide) if spec.study in text]
        assert lines == [f"Not measured here: the study {spec.study} is not in this config, so it drew no figure."]
    assert not (root / "reports" / "slides" / "lecture.ko.pptx").exists()


@pytest.mark.parametrize("arguments, config, named", [
    (["--lang", "en", "fr"], None, "'fr'"),
    ([], "languages: [en, kr]\n", "'kr'"),
])
def test_an_unknown_language_is_one_line_exit_2_and_nothing_written(two_studies, tmp_path, capsys, arguments,
                                                                    config, named):
    reports = tmp_path / "reports"
    shutil.copytree(two_studies / "reports", reports)
    before = {path: path.read_bytes() for path in reports.rglob("*") if path.is_file()}
    config_path = tmp_path / "config.yaml"
    config_path.write_text(config or "studies: {}\n")
    assert main(["slides", "--results", str(two_studies / "results"), "--reports", str(reports),
                 "--config", str(config_path), *arguments]) == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1 and named in error and "en, ko" in error
    assert {path: path.read_bytes() for path in reports.rglob("*") if path.is_file()} == before


def test_without_figures_it_names_the_command_to_run(tmp_path, capsys):
    assert main(["slides", "--results", str(tmp_path), "--reports", str(tmp_path / "reports"), "--lang", "en"]) == 2
    assert "nnbench figures" in capsys.readouterr().err


def _findings_frame(rows):
    columns = ["claim_id", "claim", "dataset", "estimate", "low", "high", "n", "book", "verdict", "note"]
    return pd.DataFrame([dict(zip(columns, row)) for row in rows], columns=columns)


def test_a_claim_measured_without_a_dataset_spans_the_dataset_columns():
    """A data-free claim (one row, e.g. on Gaussian inputs) fills one merged cell across the
    dataset columns, named by its inputs; the other claims keep a cell per dataset."""
    from nnbench.slides import DeckInputs, build_deck

    nan = float("nan")
    findings = _findings_frame([
        ("sgd_slowest", "SGD is the slowest of the optimizers", "mnist", 0.5, 0.4, 0.6, 5, 0.1, "holds", ""),
        ("sgd_slowest", "SGD is the slowest of the optimizers", "fashion-mnist", 0.2, -0.1, 0.5, 5, nan,
         "inconclusive", ""),
        ("sgd_slowest", "SGD is the slowest of the optimizers", "all", nan, nan, nan, 10, nan, "inconclusive", ""),
        ("saturates", "Std 1: activations pile up at 0 and 1", "gaussian", 0.9, 0.8, 1.0, 5, nan, "holds", ""),
        ("saturates", "Std 1: activations pile up at 0 and 1", "all", nan, nan, nan, 5, nan, "holds", ""),
    ])
    inputs = DeckInputs(reports_dir=None, manifest={"figures": [], "tables": [], "sections": []},
                        findings=findings, citation={"plain": "nnbench at commit abc", "bibtex": "@software{x}"})
    deck = build_deck(inputs, "en")
    assert len(deck.slides) == outline_length(findings) == 3 + len(CONTENT_SLIDES) + 1 + 2
    (table,) = _tables(deck)
    rows = list(table.rows)
    assert [cell.text for cell in rows[1].cells] == [
        "SGD is the slowest of the optimizers", "holds, n = 5\n0.5 [0.4, 0.6]", "inconclusive, n = 5\n0.2 [-0.1, 0.5]",
        "0.1"]
    spanning = rows[2].cells[1]
    assert spanning.is_merge_origin and spanning.span_width == 2 and rows[2].cells[2].is_spanned
    assert spanning.text.endswith(": holds, n = 5\n0.9 [0.8, 1]") and "gaussian" in spanning.text.lower()
    # no study ran: every content slide says so in one line instead of its figure
    for index, spec in enumerate(CONTENT_SLIDES):
        slide = deck.slides[FIRST_CONTENT + index]
        assert not _pictures(slide) and any(f"the study {spec.study} is not in this config" in text
                                            for text in _texts(slide))


def test_a_claim_the_outline_does_not_name_goes_to_the_first_slide_of_its_section():
    from nnbench.slides import slide_claims

    nan = float("nan")
    rows = [("sgd_slowest", "1.2", "SGD is the slowest of the optimizers"),
            ("full_batch_too_slow", "1.2", "Plain gradient descent is too slow"),
            ("dead_relu_units", "1.3", "ReLU: negative inputs give zero derivative"),
            ("no_such_section", "9.9", "A claim of no slide of the outline")]
    findings = pd.DataFrame([{"claim_id": key, "slide": slide, "claim": text, "dataset": "mnist", "estimate": nan,
                              "low": nan, "high": nan, "n": 0, "book": nan, "verdict": "no data", "note": ""}
                             for key, slide, text in rows])
    shown = slide_claims(findings)
    sections = [spec.section for spec in CONTENT_SLIDES]
    optimizers = sections.index("1.2")
    assert shown[optimizers] == CONTENT_SLIDES[optimizers].claims + ("full_batch_too_slow",)
    first_13 = sections.index("1.3")
    assert shown[first_13][-1] == "dead_relu_units" and "dead_relu_units" not in shown[first_13 + 1] + shown[first_13 + 2]
    assert shown[sections.index("2.4")] == CONTENT_SLIDES[sections.index("2.4")].claims
    assert not any("no_such_section" in claims for claims in shown)  # on the findings slides only
    # without a slide column the outline alone decides
    assert slide_claims(findings.drop(columns="slide")) == [spec.claims for spec in CONTENT_SLIDES]
