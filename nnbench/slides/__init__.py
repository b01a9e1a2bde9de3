"""The lecture regenerated: one PowerPoint deck per language (``nnbench slides``).

``reports/slides/lecture.<lang>.pptx`` follows the seed deck slide for slide
(:mod:`nnbench.slides.outline`): title, introduction, the techniques, one slide per claim or
figure of the deck with the measured figure, the verdict line (estimate, interval, n) and the
deck's sentence quoted, then the findings as a native table, the corrections and the
closing slide. It reads what the report reads, never a run folder: ``reports/manifest.json``,
the figures and ``reports/tables/findings.csv`` that ``nnbench figures`` wrote, and the code
identity of ``results/<study>/runs.csv`` (the report's citation). Provenance (commit, config
SHA-256, seeds, runs, dates) goes to each slide's notes.

Every text a reader sees comes from the message catalog (:mod:`nnbench.i18n`). The decks
are 16:9 with no text under 18 pt; the Korean deck names "Malgun Gothic" (맑은 고딕, on
every Korean Windows) for Latin and East-Asian text, and the template's theme maps Hangul
to it as well, so PowerPoint and LibreOffice fall back to a Hangul font where it is absent.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from nnbench.errors import NnbenchError
from nnbench.i18n import LANGUAGES, N_, LanguageError, check_language, check_languages, translator
from nnbench.slides.outline import (CLOSING, CONTENT_SLIDES, CORRECTIONS, DECK_SUBTITLE, DECK_TITLE,
                                    INTRODUCTION, PART_TITLES, PROBLEMS, TECHNIQUES, TECHNIQUES_TITLE,
                                    ContentSlide)

__all__ = ["SlidesError", "SLIDES_FOLDER", "deck_name", "deck_path", "config_languages", "DeckInputs",
           "read_inputs", "build_deck", "write_decks", "findings_cells", "findings_pages", "slide_claims",
           "outline_length", "MIN_FONT_PT"]

SLIDES_FOLDER = "slides"  # under the reports folder
FINDINGS_CSV = "tables/findings.csv"  # under the reports folder (nnbench.figures.findings)

# 16:9 at PowerPoint's default widescreen size, in EMU (914400 per inch).
EMU_PER_INCH = 914400
SLIDE_WIDTH, SLIDE_HEIGHT = int(13.333 * EMU_PER_INCH), int(7.5 * EMU_PER_INCH)
MARGIN = int(0.5 * EMU_PER_INCH)

# Type sizes (pt): nothing a reader sees is smaller than MIN_FONT_PT (the back of a room).
MIN_FONT_PT = 18
TITLE_PT, SUBTITLE_PT, HEADING_PT, BODY_PT, QUOTE_PT, LINE_PT = 40, 24, 28, 24, 20, MIN_FONT_PT

#: The height the findings table's rows may take on a slide (inches, below its heading row,
#: above the footnote) and what a row takes: a line of 18 pt text per 28 characters of the
#: claim column (LibreOffice's wide fallback font, measured on a rendered deck; at least the
#: two lines of a dataset cell) and its margins. The pages are cut from findings.csv's
#: (English) claims, so every language has the same slides.
FINDINGS_TABLE_INCHES = 4.8
FINDINGS_LINE_INCHES, FINDINGS_ROW_MARGIN_INCHES, FINDINGS_CLAIM_CHARACTERS = 0.28, 0.06, 28
#: Widths (inches) of the findings table's columns; the datasets share the rest.
FINDINGS_WIDTHS = {"slide": 0.8, "claim": 4.0, "book": 0.9}

#: The deck's fonts: (Latin, East-Asian, language tag). None leaves the theme's (Calibri).
FONTS = {"en": (None, None, "en-US"), "ko": ("Malgun Gothic", "Malgun Gothic", "ko-KR")}

# Colours (RGB hex): text, the quote's accent, muted text, and one fill per verdict (light,
# with the verdict's word written in it, so colour is never the only cue).
INK, ACCENT, MUTED = "1F1F1F", "2F5597", "595959"
VERDICT_FILLS = {"holds": "D9EAD3", "does not hold": "F4CCCC", "inconclusive": "FFF2CC",
                 "no data": "E7E6E6"}
VERDICT_INKS = {"holds": "274E13", "does not hold": "990000", "inconclusive": "7F6000",
                "no data": "595959"}

# Reader-visible texts of the deck (besides the outline).
_FINDINGS_TITLE = N_("Findings: does each claim of the lecture hold?")
_FINDINGS_PAGE = N_("Findings: does each claim of the lecture hold? ({page}/{pages})")
_FINDINGS_FOOTNOTE = N_("estimate [95% CI], n = seeds; the verdict rule: the report's methods")
_SLIDE = N_("slide")
_CLAIM = N_("claim")
_BOOK = N_("book")
_CORRECTIONS_TITLE = N_("Corrections to the lecture")
_MEASURED_WITH = N_("Measured with nnbench {version}, commit {commit}, figures of {date}")
_NO_FIGURE_STUDY = N_("Not measured here: the study {study} is not in this config, so it drew no figure.")
_NO_FIGURE = N_("No figure: the study {study} ran but drew no {figure}.")
_NO_VERDICT = N_("No verdict: the findings do not measure this claim yet.")
_NOT_IN_FINDINGS = N_("{claim}: not in the findings table")
_VERDICT_PART = N_("{dataset}: {verdict}, {estimate} [{low}, {high}], n = {n}")
_VERDICT_PART_NO_ESTIMATE = N_("{dataset}: {verdict}, n = {n}")
_QUOTE = N_("“{quote}”")
_NOTE_FIGURE = N_("Figure: {file}")
_NOTE_PROVENANCE = N_("Figure provenance: {line}")
_NOTE_FINDINGS = N_("Findings provenance: {line}")
_NOTE_CITE = N_("Cite: {citation}")
_NOTE_CONFIG = N_("Config SHA-256: {sha}")
_NOTE_GENERATED = N_("Figures generated: {date}")


class SlidesError(NnbenchError):
    """The decks cannot be made from what is on disk (no manifest, no findings table)."""


def deck_name(lang: str) -> str:
    """``lecture.<lang>.pptx``."""
    return f"lecture.{check_language(lang)}.pptx"


def deck_path(reports_dir, lang: str) -> Path:
    """Where the deck of ``lang`` goes: ``<reports>/slides/lecture.<lang>.pptx``."""
    return Path(reports_dir) / SLIDES_FOLDER / deck_name(lang)


def config_languages(config_path) -> tuple[str, ...]:
    """The config's ``languages`` (checked), or every language when the key is absent."""
    import yaml

    path = Path(config_path)
    if not path.is_file():
        raise SlidesError(f"config file {str(path)!r} does not exist; pass --config with the YAML "
                          "file the workflow ran (e.g. config/config.yaml)")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SlidesError(f"config file {str(path)!r} is not valid YAML: {error}") from error
    if not isinstance(config, dict) or config.get("languages") is None:
        return LANGUAGES
    try:
        return check_languages(config["languages"], "language")
    except LanguageError as error:
        raise LanguageError(f"{path}, key languages: {error}") from None


# --------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class DeckInputs:
    """What every deck of one reports folder is made from (read once for all languages)."""

    reports_dir: Path
    manifest: dict
    findings: object  # DataFrame of findings.csv (NaN for empty cells)
    citation: dict  # nnbench.report.results_citation: plain, bibtex, commit, ...


def read_inputs(results_dir, reports_dir, lang: str) -> DeckInputs:
    """The manifest of the figures in ``lang`` (``manifest.json``, ``manifest.<lang>.json``),
    ``findings.csv`` and the report's citation; SlidesError naming the missing file and the
    command that makes it."""
    import pandas as pd

    from nnbench.report import ReportError, read_manifest, reader_texts, results_citation, with_reader_texts

    reports_dir = Path(reports_dir)
    try:
        manifest = read_manifest(reports_dir, lang)
    except ReportError as error:
        raise SlidesError(str(error)) from None
    findings_path = reports_dir / FINDINGS_CSV
    if not findings_path.is_file():
        raise SlidesError(f"no findings table {str(findings_path)!r}; run `nnbench figures` first")
    try:
        texts = reader_texts(reports_dir, manifest)
    except ReportError as error:
        raise SlidesError(str(error)) from None
    # the metric and note texts in the deck's language (findings.csv is English)
    findings = with_reader_texts(pd.read_csv(findings_path, keep_default_na=False, na_values=[""]), texts)
    return DeckInputs(reports_dir, manifest, findings, results_citation(results_dir, manifest, lang))


def _figure_for(inputs: DeckInputs, slide: ContentSlide):
    """``(manifest entry, dataset slug or None)`` of the first figure matching the slide's
    pattern (the manifest lists datasets in the vocabulary's order), else ``(None, None)``."""
    pattern = re.escape(slide.figure).replace(re.escape("{dataset}"), "(?P<dataset>[a-z0-9_]+)")
    for item in inputs.manifest.get("figures", []):
        match = re.fullmatch(pattern, item.get("name", ""))
        if match:
            return item, match.groupdict().get("dataset")
    return None, None


def _study_missing(inputs: DeckInputs, study: str) -> bool:
    """True when the manifest says ``study`` has no results (not in the config)."""
    return any(study in section.get("missing", []) for section in inputs.manifest.get("sections", [])) \
        or not any(study in section.get("studies", []) for section in inputs.manifest.get("sections", []))


def _column_datasets(findings) -> list[str]:
    """The datasets of findings.csv that are datasets of the vocabulary, in its order: one
    column each in the findings table. Other rows (a claim measured without a dataset, e.g.
    on Gaussian inputs; 'all', the verdict across datasets) are not columns."""
    from nnbench.vocabulary import DATASETS

    present = set(findings["dataset"].astype(str))
    return [dataset for dataset in DATASETS if dataset in present]


def _claim_rows(findings, claim_id: str, dataset: str | None):
    """The claim's rows of ``dataset`` (none given: of every dataset); a claim without a
    row of that dataset (one measured without a dataset) gives all its rows but 'all'."""
    from nnbench.analysis.findings import ALL_DATASETS

    rows = findings[(findings["claim_id"] == claim_id) & (findings["dataset"].astype(str) != ALL_DATASETS)]
    chosen = rows[rows["dataset"].astype(str) == dataset] if dataset is not None else rows
    return chosen if len(chosen) else rows


# --------------------------------------------------------------------------- texts

def _number(value) -> str:
    from nnbench.formatting import fmt_number

    return fmt_number(value)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _dataset_label(dataset: str, _) -> str:
    from nnbench.labels import dataset_label

    return _(dataset_label(dataset))


def _verdict_part(row, _) -> str:
    """``MNIST: holds, 0.12 [0.1, 0.14], n = 5`` for one row of findings.csv."""
    fields = {"dataset": _dataset_label(row["dataset"], _), "verdict": _(str(row["verdict"])),
              "n": int(row["n"]) if not _is_missing(row["n"]) else 0}
    if _is_missing(row["estimate"]) or _is_missing(row["low"]):
        return _(_VERDICT_PART_NO_ESTIMATE).format(**fields)
    return _(_VERDICT_PART).format(estimate=_number(row["estimate"]), low=_number(row["low"]),
                                   high=_number(row["high"]), **fields)


def verdict_lines(findings, claims, dataset: str | None, _) -> list[tuple[str, list[tuple[str, str]]]]:
    """Per claim of a slide: ``(claim text, [(part text, verdict), ...])``, one part per row
    of :func:`_claim_rows` (the slide's dataset), read from findings.csv (nothing computed
    here)."""
    lines = []
    for claim_id in claims:
        rows = findings[findings["claim_id"] == claim_id]
        if rows.empty:
            lines.append((_(_NOT_IN_FINDINGS).format(claim=claim_id), []))
            continue
        parts = [(_verdict_part(row, _), str(row["verdict"]))
                 for _index, row in _claim_rows(findings, claim_id, dataset).iterrows()]
        lines.append((_(str(rows["claim"].iloc[0])), parts))
    return lines


#: A findings table cell covered by the merged cell to its left.
SPANNED = None


def _cell_text(row, _) -> str:
    """A findings table cell: "verdict, n = n" and "estimate [low, high]" on two lines."""
    text = _(str(row["verdict"])) + (f", n = {int(row['n'])}" if not _is_missing(row["n"]) and row["n"] else "")
    if not _is_missing(row["estimate"]) and not _is_missing(row["low"]):
        text += f"\n{_number(row['estimate'])} [{_number(row['low'])}, {_number(row['high'])}]"
    return text


def findings_cells(findings, lang: str) -> tuple[list[str], list[list[tuple[str, str | None]]]]:
    """The findings table as the slide shows it: ``(column kinds, rows)``, a heading row
    first, then one row per claim of ``(text, verdict or None)`` cells: its slide (when
    findings.csv has that column), the claim, one cell per dataset ("verdict, n = n" and
    "estimate [low, high]" on two lines, coloured by the verdict) and the book's value.
    Every value is findings.csv's, formatted as its tables are. (The rows 'all', the
    verdict across datasets, are the per-dataset verdicts side by side here.)"""
    from nnbench.analysis.findings import BOOK_DATASET

    _ = translator(lang).gettext
    datasets = _column_datasets(findings)
    kinds = (["slide"] if "slide" in findings.columns else []) + ["claim"] + ["dataset"] * len(datasets) \
        + ["book"]
    headings = {"slide": _(_SLIDE), "claim": _(_CLAIM), "book": _(_BOOK)}
    labels = iter(datasets)
    table = [[(headings[kind] if kind != "dataset" else _dataset_label(next(labels), _), None) for kind in kinds]]
    for claim_id, rows in findings.groupby("claim_id", sort=False):
        by_dataset = {str(row["dataset"]): row for _index, row in rows.iterrows()}
        first = rows.iloc[0]
        row = ([("" if _is_missing(first["slide"]) else str(first["slide"]), None)] if kinds[0] == "slide" else []) \
            + [(_(str(first["claim"])), None)]
        if datasets and not any(dataset in by_dataset for dataset in datasets):
            # measured without a dataset: one cell across the dataset columns, named by its inputs
            found = _claim_rows(findings, claim_id, None).iloc[0]
            row.append((f"{_dataset_label(str(found['dataset']), _)}: {_cell_text(found, _)}",
                        str(found["verdict"])))
            row += [(SPANNED, None)] * (len(datasets) - 1)
        else:
            for dataset in datasets:
                found = by_dataset.get(dataset)
                row.append(("", None) if found is None else (_cell_text(found, _), str(found["verdict"])))
        book = by_dataset.get(BOOK_DATASET)
        row.append((_number(book["book"]) if book is not None else "", None))
        table.append(row)
    return kinds, table


# --------------------------------------------------------------------------- drawing

class _Deck:
    """One presentation being drawn in one language (fonts, sizes, helpers)."""

    def __init__(self, lang: str):
        from pptx import Presentation

        self.lang = lang
        self._ = translator(lang).gettext
        self.latin, self.east_asian, self.language_tag = FONTS.get(lang, FONTS["en"])
        self.presentation = Presentation()
        self.presentation.slide_width, self.presentation.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
        self._blank = self.presentation.slide_layouts[6]

    def slide(self, notes: list[str]):
        slide = self.presentation.slides.add_slide(self._blank)
        if notes:
            slide.notes_slide.notes_text_frame.text = "\n".join(notes)
        return slide

    def font(self, run, size: int, *, bold=False, italic=False, color=INK) -> None:
        from pptx.dml.color import RGBColor
        from pptx.util import Pt

        font = run.font
        font.size, font.bold, font.italic = Pt(max(size, MIN_FONT_PT)), bold, italic
        font.color.rgb = RGBColor.from_string(color)
        properties = run._r.get_or_add_rPr()
        properties.set("lang", self.language_tag)
        if self.latin:
            font.name = self.latin
        if self.east_asian:
            from pptx.oxml.ns import qn

            for old in properties.findall(qn("a:ea")):
                properties.remove(old)
            east_asian = properties.makeelement(qn("a:ea"), {"typeface": self.east_asian})
            latin = properties.find(qn("a:latin"))
            if latin is not None:
                latin.addnext(east_asian)
            else:
                properties.append(east_asian)

    def text(self, slide, box, paragraphs, size: int, *, bold=False, italic=False, color=INK,
             align=None, anchor=None):
        """A text box at ``box`` (left, top, width, height in EMU); ``paragraphs``: a list of
        paragraphs, each a string or a list of ``(text, colour)`` runs."""
        from pptx.enum.text import MSO_ANCHOR

        shape = slide.shapes.add_textbox(*box)
        frame = shape.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = anchor or MSO_ANCHOR.TOP
        for index, paragraph in enumerate(paragraphs):
            target = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            if align is not None:
                target.alignment = align
            for text, run_color in ([(paragraph, color)] if isinstance(paragraph, str) else paragraph):
                run = target.add_run()
                run.text = text
                self.font(run, size, bold=bold, italic=italic, color=run_color)
        return shape

    def heading(self, slide, title: str, part: str | None = None) -> None:
        top = int(0.3 * EMU_PER_INCH)
        if part:
            self.text(slide, (MARGIN, top, SLIDE_WIDTH - 2 * MARGIN, int(0.45 * EMU_PER_INCH)),
                      [self._(part)], LINE_PT, color=MUTED)
            top += int(0.4 * EMU_PER_INCH)
        self.text(slide, (MARGIN, top, SLIDE_WIDTH - 2 * MARGIN, int(0.7 * EMU_PER_INCH)), [title],
                  HEADING_PT, bold=True)

    def picture(self, slide, path: Path, box) -> None:
        """The PNG at ``path``, as large as fits ``box`` without distortion, centred in it."""
        from PIL import Image

        left, top, width, height = box
        with Image.open(path) as image:
            pixels_wide, pixels_high = image.size
        scale = min(width / pixels_wide, height / pixels_high)
        shown_w, shown_h = int(pixels_wide * scale), int(pixels_high * scale)
        slide.shapes.add_picture(str(path), left + (width - shown_w) // 2, top + (height - shown_h) // 2,
                                 shown_w, shown_h)


def _inches(value: float) -> int:
    return int(value * EMU_PER_INCH)


def _provenance_notes(inputs: DeckInputs, _, item: dict | None = None) -> list[str]:
    """Notes lines: the figure's file and provenance line (manifest), the findings table's
    provenance line, the figures' date, the config's SHA-256 and the citation (the report's)."""
    notes = []
    if item is not None:
        notes.append(_(_NOTE_FIGURE).format(file=item["files"]["png"]))
        if item.get("provenance_line"):
            notes.append(_(_NOTE_PROVENANCE).format(line=item["provenance_line"]))
    findings_item = next((t for t in inputs.manifest.get("tables", []) if t.get("name") == "findings"), {})
    if findings_item.get("provenance_line"):
        notes.append(_(_NOTE_FINDINGS).format(line=findings_item["provenance_line"]))
    if inputs.manifest.get("config_sha256"):
        notes.append(_(_NOTE_CONFIG).format(sha=inputs.manifest["config_sha256"]))
    notes.append(_(_NOTE_GENERATED).format(date=inputs.manifest.get("generated", "")))
    notes.append(_(_NOTE_CITE).format(citation=inputs.citation["plain"]))
    return notes


def _title_slides(deck: _Deck, inputs: DeckInputs) -> None:
    from pptx.enum.text import PP_ALIGN

    from nnbench import __version__

    _ = deck._
    slide = deck.slide(_provenance_notes(inputs, _) + [inputs.citation["bibtex"]])
    commit = (inputs.citation.get("commit") or "")[:12] or "-"
    deck.text(slide, (MARGIN, _inches(2.0), SLIDE_WIDTH - 2 * MARGIN, _inches(1.2)), [_(DECK_TITLE)],
              TITLE_PT + 4, bold=True, align=PP_ALIGN.CENTER)
    deck.text(slide, (MARGIN, _inches(3.3), SLIDE_WIDTH - 2 * MARGIN, _inches(0.8)), [_(DECK_SUBTITLE)],
              SUBTITLE_PT, align=PP_ALIGN.CENTER)
    deck.text(slide, (MARGIN, _inches(5.6), SLIDE_WIDTH - 2 * MARGIN, _inches(0.5)),
              [_(_MEASURED_WITH).format(version=inputs.manifest.get("nnbench_version") or __version__,
                                        commit=commit, date=inputs.manifest.get("generated", "")[:10])],
              LINE_PT, color=MUTED, align=PP_ALIGN.CENTER)
    for title, items in ((INTRODUCTION, PROBLEMS), (TECHNIQUES_TITLE, TECHNIQUES)):
        slide = deck.slide(_provenance_notes(inputs, _))
        deck.heading(slide, _(title))
        deck.text(slide, (_inches(1.0), _inches(1.8), SLIDE_WIDTH - _inches(2.0), _inches(4.5)),
                  [f"• {_(item)}" for item in items], BODY_PT + 4)


def _slide_dataset(findings, dataset_slug: str | None) -> str | None:
    """The dataset whose verdicts a slide shows: its figure's, else the first of the
    findings table's columns (MNIST, the book's, when present)."""
    from nnbench.formatting import slug

    datasets = _column_datasets(findings)
    if dataset_slug is not None:
        return next((dataset for dataset in datasets if slug(dataset) == dataset_slug), None)
    return datasets[0] if datasets else None


def _line_height(text: str) -> int:
    """The height of a verdict line of ``text`` at 18 pt across the slide: lines of about
    90 characters (a wide fallback font's; a Hangul or other wide character counts twice),
    0.32 in each, plus spacing."""
    width = sum(2 if ord(character) >= 0x1100 else 1 for character in text)
    return _inches(0.32 * max(1, math.ceil(width / 90)) + 0.14)


def slide_claims(findings) -> list[tuple[str, ...]]:
    """The claims each content slide shows, in :data:`CONTENT_SLIDES`' order: the ones the
    outline names, then any claim of findings.csv the outline does not name whose ``slide``
    column is that slide's section (on the first slide of the section). A claim knows its
    slide (nnbench.analysis.findings); the outline only picks among slides of one section."""
    named = {claim for spec in CONTENT_SLIDES for claim in spec.claims}
    unnamed = {}
    if "slide" in findings.columns:
        for claim_id, section in zip(findings["claim_id"], findings["slide"].astype(str)):
            if claim_id not in named:
                unnamed.setdefault(section, []).append(claim_id)
    shown, seen = [], set()
    for spec in CONTENT_SLIDES:
        extra = () if spec.section in seen else tuple(dict.fromkeys(unnamed.get(spec.section, ())))
        seen.add(spec.section)
        shown.append(spec.claims + extra)
    return shown


def _content_slide(deck: _Deck, inputs: DeckInputs, slide_spec: ContentSlide, claims: tuple[str, ...]) -> None:
    _ = deck._
    item, dataset_slug = _figure_for(inputs, slide_spec)
    slide = deck.slide(_provenance_notes(inputs, _, item))
    deck.heading(slide, f"{slide_spec.section} {_(slide_spec.title)}", PART_TITLES[slide_spec.part])
    width = SLIDE_WIDTH - 2 * MARGIN
    deck.text(slide, (MARGIN, _inches(1.3), width, _inches(0.8)),
              [_(_QUOTE).format(quote=_(slide_spec.quote))], QUOTE_PT, italic=True, color=ACCENT)
    lines = verdict_lines(inputs.findings, claims, _slide_dataset(inputs.findings, dataset_slug), _)
    heights = [_line_height(claim + " — " + ";  ".join(text for text, _verdict in parts))
               for claim, parts in lines] or [_line_height(_(_NO_VERDICT))]
    lines_top = SLIDE_HEIGHT - _inches(0.2) - sum(heights)
    figure_box = (MARGIN, _inches(2.15), width, lines_top - _inches(2.25))
    if item is not None:
        deck.picture(slide, inputs.reports_dir / item["files"]["png"], figure_box)
    else:
        message = (_(_NO_FIGURE_STUDY) if _study_missing(inputs, slide_spec.study) else _(_NO_FIGURE)).format(
            study=slide_spec.study, figure=slide_spec.figure.replace("{dataset}", "<dataset>"))
        deck.text(slide, (MARGIN, _inches(3.8), width, _inches(0.6)), [message], BODY_PT, color=MUTED)
    if not lines:
        deck.text(slide, (MARGIN, lines_top, width, heights[0]), [_(_NO_VERDICT)], LINE_PT, color=MUTED)
    top = lines_top
    for (claim, parts), height in zip(lines, heights):
        runs = [(claim + (" — " if parts else ""), INK)]
        for number, (text, verdict) in enumerate(parts):
            runs.append(((";  " if number else "") + text, VERDICT_INKS.get(verdict, INK)))
        deck.text(slide, (MARGIN, top, width, height), [runs], LINE_PT)
        top += height


def findings_pages(findings) -> list[range]:
    """The findings table's rows (claims, in findings.csv's order) on each findings slide:
    as many as :data:`FINDINGS_TABLE_INCHES` holds (see there), at least one."""
    claims = list(dict.fromkeys(zip(findings["claim_id"], findings["claim"].astype(str))))
    heights = [FINDINGS_ROW_MARGIN_INCHES + FINDINGS_LINE_INCHES * max(2, math.ceil(len(text) / FINDINGS_CLAIM_CHARACTERS))
               for _claim_id, text in claims]
    pages, start, used = [], 0, 0.0
    for index, height in enumerate(heights):
        if index > start and used + height > FINDINGS_TABLE_INCHES:
            pages.append(range(start, index))
            start, used = index, 0.0
        used += height
    return pages + [range(start, len(heights))]


def _findings_slides(deck: _Deck, inputs: DeckInputs) -> None:
    from pptx.dml.color import RGBColor

    _ = deck._
    kinds, cells = findings_cells(inputs.findings, deck.lang)
    heading, body = cells[0], cells[1:]
    pages = findings_pages(inputs.findings)
    width = SLIDE_WIDTH - 2 * MARGIN
    fixed = {kind: _inches(inches) for kind, inches in FINDINGS_WIDTHS.items() if kind in kinds}
    per_dataset = (width - sum(fixed.values())) // max(1, kinds.count("dataset"))
    for page, claims in enumerate(pages):
        rows = [body[index] for index in claims]
        slide = deck.slide(_provenance_notes(inputs, _))
        deck.heading(slide, _(_FINDINGS_TITLE) if len(pages) == 1 else
                     _(_FINDINGS_PAGE).format(page=page + 1, pages=len(pages)))
        shape = slide.shapes.add_table(len(rows) + 1, len(heading), MARGIN, _inches(1.2), width,
                                       _inches(0.45) + _inches(0.6) * len(rows))
        table = shape.table
        # minimum heights: a row grows with its text (a claim on two or three lines)
        table.rows[0].height = _inches(0.45)
        for row in list(table.rows)[1:]:
            row.height = _inches(0.6)
        for column in range(len(heading)):
            table.columns[column].width = fixed.get(kinds[column], per_dataset)
        for row_index, row in enumerate([heading] + rows):
            for column, (text, verdict) in enumerate(row):
                cell = table.cell(row_index, column)
                if text is SPANNED:  # covered by the merged cell to its left
                    continue
                span = next((end for end in range(column + 1, len(row)) if row[end][0] is not SPANNED), len(row))
                if span > column + 1:
                    cell.merge(table.cell(row_index, span - 1))
                cell.margin_left = cell.margin_right = _inches(0.06)
                cell.margin_top = cell.margin_bottom = _inches(0.03)
                cell.text_frame.word_wrap = True
                paragraph = cell.text_frame.paragraphs[0]
                for line_number, line in enumerate(text.split("\n")):
                    target = paragraph if line_number == 0 else cell.text_frame.add_paragraph()
                    run = target.add_run()
                    run.text = line
                    deck.font(run, LINE_PT, bold=row_index == 0 or (verdict is not None and line_number == 0),
                              color=("FFFFFF" if row_index == 0 else VERDICT_INKS.get(verdict, INK)))
                if row_index and verdict in VERDICT_FILLS:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = RGBColor.from_string(VERDICT_FILLS[verdict])
        deck.text(slide, (MARGIN, SLIDE_HEIGHT - _inches(0.7), width, _inches(0.5)), [_(_FINDINGS_FOOTNOTE)],
                  LINE_PT, color=MUTED)


def _closing_slides(deck: _Deck, inputs: DeckInputs) -> None:
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN

    _ = deck._
    slide = deck.slide(_provenance_notes(inputs, _))
    deck.heading(slide, _(_CORRECTIONS_TITLE))
    deck.text(slide, (_inches(0.9), _inches(1.6), SLIDE_WIDTH - _inches(1.8), _inches(5.2)),
              [f"• {_(text)}" for text in CORRECTIONS], BODY_PT)
    slide = deck.slide(_provenance_notes(inputs, _))
    deck.text(slide, (MARGIN, _inches(2.5), SLIDE_WIDTH - 2 * MARGIN, _inches(2.0)), [_(CLOSING)],
              TITLE_PT + 8, bold=True, align=PP_ALIGN.CENTER, anchor=MSO_ANCHOR.MIDDLE)


def outline_length(findings) -> int:
    """The number of slides of a deck: title, introduction, techniques, one per content slide
    of the outline, the findings pages, corrections, closing."""
    return 3 + len(CONTENT_SLIDES) + len(findings_pages(findings)) + 2


def build_deck(inputs: DeckInputs, lang: str):
    """The deck of ``lang`` (a python-pptx Presentation), slide for slide the outline's."""
    deck = _Deck(check_language(lang))
    _title_slides(deck, inputs)
    for slide_spec, claims in zip(CONTENT_SLIDES, slide_claims(inputs.findings)):
        _content_slide(deck, inputs, slide_spec, claims)
    _findings_slides(deck, inputs)
    _closing_slides(deck, inputs)
    properties = deck.presentation.core_properties
    properties.title = deck._(DECK_TITLE)
    properties.author = "nnbench"
    properties.language = deck.language_tag
    properties.comments = inputs.citation["plain"]
    return deck.presentation


#: The decks' own index, beside them: the figures' manifest is an input of the report and
#: of the decks, so this later stage lists what it wrote in a file of its own.
DECKS_MANIFEST = "slides/manifest.json"


def _list_decks(reports_dir: Path, decks: dict[str, Path]) -> None:
    """List the decks in :data:`DECKS_MANIFEST` (``slides``: by language, paths relative to
    the reports folder), keeping the entries of languages not written this time."""
    from nnbench.files import atomic_open

    path = reports_dir / DECKS_MANIFEST
    listed = {}
    if path.is_file():
        listed = {entry["lang"]: entry for entry in json.loads(path.read_text(encoding="utf-8")).get("slides", [])}
    for lang, deck in decks.items():
        listed[lang] = {"lang": lang, "file": deck.relative_to(reports_dir).as_posix()}
    with atomic_open(path, newline="") as stream:
        stream.write(json.dumps({"slides": [listed[lang] for lang in sorted(listed, key=_language_order)]},
                                indent=2) + "\n")


def _language_order(lang: str) -> tuple[int, str]:
    return (LANGUAGES.index(lang) if lang in LANGUAGES else len(LANGUAGES), lang)


def write_decks(results_dir, reports_dir, config_path, languages=None) -> list[tuple[Path, int]]:
    """Write ``<reports>/slides/lecture.<lang>.pptx`` for each of ``languages`` (default: the
    config's ``languages``, else all) and list them in :data:`DECKS_MANIFEST`; returns ``(path, number
    of slides)`` per deck. Every language is checked before anything is written."""
    from nnbench.files import atomic_open

    if languages:
        languages = tuple(dict.fromkeys(check_language(lang, "--lang") for lang in languages))
    else:
        languages = config_languages(config_path)
    decks = {lang: build_deck(read_inputs(results_dir, reports_dir, lang), lang)
             for lang in languages}  # all or none written
    written = {}
    for lang, presentation in decks.items():
        path = deck_path(reports_dir, lang)
        with atomic_open(path, "wb") as stream:
            presentation.save(stream)
        written[lang] = (path, len(presentation.slides))
    _list_decks(Path(reports_dir), {lang: path for lang, (path, _count) in written.items()})
    return list(written.values())
