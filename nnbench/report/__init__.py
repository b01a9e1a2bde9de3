"""The self-contained HTML report, rendered with jinja2 from ``reports/manifest.json``,
the figures and tables that :func:`nnbench.figures.make_all` wrote, the aggregated
``results/<study>/runs.csv`` (run counts, diverged runs, compute time) and the config.

One file, no network: PNG figures as base64 data URIs, CSS inline, each table's CSV,
Markdown and LaTeX as ``data:`` download links, formulas as HTML/Unicode. Templates are
autoescaped, so a name or label from the config or the results cannot inject markup.

One report per language (``report.html``, ``report.ko.html``: :func:`report_name`): the
template's text goes through jinja2's i18n extension with :func:`nnbench.i18n.translator`,
the figures and captions are that language's (``manifest.<lang>.json``), and the findings
come first as an overview a reader takes in at a glance (:func:`findings_overview`).
"""

from __future__ import annotations

import base64
import json
import math
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from nnbench.errors import NnbenchError
from nnbench.i18n import SOURCE_LANGUAGE, check_language, gettext, language_suffix
from nnbench.provenance import processor_name
from nnbench.vocabulary import CODE_COLUMNS, CONFIG_COLUMNS

TEMPLATE_DIR = Path(__file__).parent / "templates"
SIZE_LIMIT_BYTES = 15 * 1024 * 1024


class ReportError(NnbenchError):
    """The report cannot be rendered from what is on disk (missing manifest or file)."""


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_data_uri(data: bytes) -> str:
    """A PNG file's bytes as a data URI (the figures stage wrote it with a 256-colour
    palette: :func:`nnbench.figures.writer.palette_bytes`)."""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its header chunk (IHDR: right after the signature)."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


#: The media type of each table file offered for download.
_TABLE_MEDIA = {"csv": "text/csv", "md": "text/markdown", "tex": "application/x-tex"}


def report_name(lang: str = SOURCE_LANGUAGE) -> str:
    """The report file of ``lang``: ``report.html``, ``report.ko.html``."""
    return f"report{language_suffix(lang)}.html"


def _data_uri(path: Path, media: str) -> str:
    return f"data:{media};charset=utf-8;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _headings(lang: str):
    """``display_rows``' heading functions: a reader's words in ``lang`` for known columns."""
    from nnbench.labels import COLUMN_LABELS, column_label

    def heading(column):
        return column_label(column, lang) if column in COLUMN_LABELS else column.replace("_", " ")

    def interval_heading(metric):
        return gettext("{label} (95% CI)", lang).format(label=heading(metric))

    return heading, interval_heading


def _table_html(csv_path: Path, lang: str = SOURCE_LANGUAGE) -> dict:
    """Headings (in ``lang``), rows and a download link per file of the table (CSV,
    Markdown and LaTeX where they were written)."""
    import pandas as pd

    from nnbench.tables import display_rows

    frame = pd.read_csv(csv_path, keep_default_na=True)
    headings, rows = display_rows(frame, *_headings(lang))
    downloads = [{"format": ext, "name": csv_path.with_suffix(f".{ext}").name,
                  "uri": _data_uri(csv_path.with_suffix(f".{ext}"), media)}
                 for ext, media in _TABLE_MEDIA.items() if csv_path.with_suffix(f".{ext}").is_file()]
    return {"headings": headings, "rows": rows, "columns": len(headings), "downloads": downloads,
            "csv_uri": downloads[0]["uri"]}


#: Verdict -> CSS class of its badge (colour), in the order of the legend.
VERDICT_CLASSES = {"holds": "holds", "does not hold": "fails", "inconclusive": "open", "no data": "none"}


def reader_texts(reports_dir: Path, manifest: dict) -> dict:
    """The claims' texts in the manifest's language: ``{(claim_id, dataset): {"metric": ...,
    "note": ...}}`` from the file the findings table's entry names
    (:func:`nnbench.figures.findings.write_reader_texts`); empty when it names none (the
    texts of findings.csv, English, stand)."""
    import json

    from nnbench.figures.findings import READER_TEXTS_KEY, TABLE_NAME

    for table in manifest.get("tables", []):
        if table.get("name") == TABLE_NAME and table.get(READER_TEXTS_KEY):
            path = Path(reports_dir) / table[READER_TEXTS_KEY]
            try:
                rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise ReportError(f"cannot read the findings' texts {str(path)!r} ({error}); run "
                                  "`nnbench figures` again") from None
            return {(str(row["claim_id"]), str(row["dataset"] or "")): row for row in rows}
    return {}


def with_reader_texts(frame, texts: dict):
    """``frame`` (findings.csv) with its metric and note texts replaced by ``texts``'
    (:func:`reader_texts`) where a row has them."""
    from nnbench.figures.findings import READER_TEXT_COLUMNS

    if not texts or "claim_id" not in frame.columns:
        return frame
    frame = frame.copy()
    for index, row in frame.iterrows():
        dataset = row.get("dataset")
        found = texts.get((str(row["claim_id"]), "" if dataset != dataset or dataset is None else str(dataset)))
        for column in READER_TEXT_COLUMNS:
            if found is not None and column in frame.columns:
                frame.at[index, column] = found.get(column)
    return frame


def findings_overview(csv_path: Path, lang: str = SOURCE_LANGUAGE, texts: dict | None = None) -> dict:
    """The findings table as a reader takes it in: one row per claim (its slide, its text
    in ``lang``, its verdict across datasets) with one cell per dataset (a verdict badge,
    the estimate with its interval and n, the book's value), the notes as numbered
    footnotes. Reads whatever rows and columns ``findings.csv`` has (``claim_id``,
    ``slide``, ``claim``, ``dataset``, ``verdict``, ``estimate``, ``low``, ``high``, ``n``,
    ``book``, ``note``; a missing column is left blank); ``texts`` (:func:`reader_texts`)
    give the metric and note in ``lang``."""
    import pandas as pd

    from nnbench.analysis.findings import ALL_DATASETS
    from nnbench.figures.labels import datasets_of
    from nnbench.formatting import fmt_number
    from nnbench.labels import dataset_label, verdict_label

    frame = with_reader_texts(pd.read_csv(csv_path, keep_default_na=True, dtype={"slide": str, "dataset": str}),
                              texts or {})

    def value(row, column):
        text = row.get(column)
        return None if text is None or (isinstance(text, float) and math.isnan(text)) or text == "" else text

    def number(row, column):
        x = value(row, column)
        return fmt_number(float(x)) if x is not None else ""

    def badge(verdict):
        verdict = verdict if verdict in VERDICT_CLASSES else "no data"
        return {"class": VERDICT_CLASSES[verdict], "text": verdict_label(verdict, lang)}

    key = "claim_id" if "claim_id" in frame.columns else "claim"
    per_dataset = frame[frame["dataset"].fillna("") != ALL_DATASETS] if "dataset" in frame.columns else frame
    datasets = datasets_of(per_dataset.fillna({"dataset": ""}) if "dataset" in per_dataset.columns else per_dataset)
    if len(datasets) > 1:
        datasets = [d for d in datasets if d]  # "": a claim without any data, shown as its badge only
    footnotes, claims = [], []
    for claim_key, rows in frame.groupby(key, sort=False):
        first = rows.iloc[0]
        overall = rows[rows["dataset"] == ALL_DATASETS] if "dataset" in rows.columns else rows[:0]
        cells = {}
        for _, row in rows.iterrows():
            dataset = value(row, "dataset") or ""
            if dataset == ALL_DATASETS:
                continue
            note = value(row, "note")
            marks = []
            if note:
                footnotes.append({"number": len(footnotes) + 1, "text": str(note),
                                  "where": f"{value(row, 'slide') or ''} {dataset_label(dataset, lang)}".strip()})
                marks.append(len(footnotes))
            estimate, low, high = number(row, "estimate"), number(row, "low"), number(row, "high")
            cells[dataset] = dict(badge(value(row, "verdict")), estimate=estimate,
                                  interval=f"[{low}, {high}]" if low and high else "",
                                  n=number(row, "n"), book=number(row, "book"), notes=marks)
        text = value(first, "claim") or str(claim_key)
        claims.append({"id": str(claim_key), "slide": value(first, "slide") or "",
                       "claim": gettext(str(text), lang),
                       "overall": badge(value(overall.iloc[0], "verdict")) if len(overall) else None,
                       "cells": [cells.get(dataset) for dataset in datasets]})
    return {"datasets": [{"id": d, "label": dataset_label(d, lang)} for d in datasets],
            "claims": claims, "footnotes": footnotes,
            "legend": [badge(verdict) for verdict in VERDICT_CLASSES]}


def read_manifest(reports_dir: Path, lang: str = SOURCE_LANGUAGE) -> dict:
    """The manifest of the figures in ``lang`` (what ``nnbench figures --lang`` wrote);
    ReportError when it is absent or not JSON."""
    from nnbench.figures import manifest_name

    path = reports_dir / manifest_name(lang)
    if not path.is_file():
        raise ReportError(f"no manifest {str(path)!r}; run `nnbench figures --results RESULTS "
                          f"--out-dir {reports_dir} --lang {lang}` first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ReportError(f"manifest {str(path)!r} is not valid JSON ({error}); rerun "
                          "`nnbench figures`") from error


def format_duration(seconds: float) -> str:
    """A compute time people read at a glance: ``42.0 s``, ``12.5 min``, ``3.20 h``."""
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


def _environment_versions() -> dict:
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for package in ("nnbench", "numpy", "pandas", "matplotlib", "seaborn", "jinja2"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _environment_blas() -> list[str]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [f"{i.get('internal_api')} {i.get('version')} ({i.get('threading_layer', '')}, "
            f"{i.get('num_threads')} threads)" for i in threadpool_info()]


def _provenance(results_dir: Path, config_path: Path | None, manifest: dict) -> dict:
    """Run counts, diverged runs, versions, BLAS, machine and compute time."""
    import pandas as pd

    from nnbench.results import Results

    results = Results(results_dir)
    counts, diverged, recorded = [], [], {}
    wall = train = 0.0
    for study in results.studies():
        runs = results.runs(study)
        status = runs["status"] if "status" in runs.columns else pd.Series(["ok"] * len(runs))
        n_diverged = int((status == "diverged").sum())
        counts.append({"study": study, "runs": len(runs), "ok": int((status == "ok").sum()),
                       "diverged": n_diverged,
                       "seeds": int(runs["seed"].nunique()) if "seed" in runs.columns else 0})
        for _, row in runs[status == "diverged"].iterrows():
            config = ", ".join(
                f"{k}={row[k]}" for k in CONFIG_COLUMNS if k in row and str(row[k]) not in ("", "nan", "None"))
            diverged.append({"study": study, "run_id": row["run_id"], "seed": row.get("seed"),
                             "config": config})
        if "wall_seconds" in runs.columns:
            wall += float(runs["wall_seconds"].fillna(0).sum())
        if "train_seconds" in runs.columns:
            train += float(runs["train_seconds"].fillna(0).sum())
        # versions / BLAS recorded by the runs, when the aggregation keeps them as columns
        for column in runs.columns:
            lowered = column.lower()
            if lowered.startswith(("version", "blas")) or lowered in ("threads", "machine", "platform",
                                                                       *CODE_COLUMNS):
                values = sorted(set(runs[column].dropna().astype(str)))
                recorded.setdefault(column, set()).update(values)
    config_text = ""
    if config_path is not None:
        config_text = config_path.read_text(encoding="utf-8", errors="replace")
    return {
        "counts": counts,
        "total_runs": sum(c["runs"] for c in counts),
        "diverged": diverged,
        "wall_time": format_duration(wall),
        "train_time": format_duration(train),
        "recorded": {k: ", ".join(sorted(v)) for k, v in sorted(recorded.items())},
        "versions": _environment_versions(),
        "blas": _environment_blas(),
        "machine": f"{platform.platform()}; {platform.machine()}; {processor_name()}",
        "python": sys.version.split()[0],
        "config_path": str(config_path) if config_path else "",
        "config_text": config_text,
        "figures_generated": manifest.get("generated", ""),
        "rendered": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _by_section(manifest: dict, kind: str, file_format: str, reports_dir: Path, entry) -> dict:
    """``{section id: [entry(item, path, number)]}`` for the manifest's ``kind`` ("figures"
    or "tables"), numbered in manifest order; the file of ``file_format`` must exist."""
    by_section = {}
    for number, item in enumerate(manifest.get(kind, []), start=1):
        path = reports_dir / item["files"][file_format]
        if not path.is_file():
            raise ReportError(f"{kind[:-1]} file {str(path)!r} listed in the manifest is missing; "
                              "rerun `nnbench figures`")
        by_section.setdefault(item["section"], []).append(
            dict(entry(path), number=number, name=item["name"], caption=item["caption"],
                 study=item.get("study", ""), id=item.get("id") or f"{kind[:-1]}-{item['name']}",
                 provenance_line=item.get("provenance_line", "")))
    return by_section


def _figure_entry(png: Path) -> dict:
    data = png.read_bytes()
    if not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ReportError(f"figure {str(png)!r} is not a readable PNG file; rerun `nnbench figures`")
    width, height = _png_size(data)
    # shown at half the 150-dpi pixel size (about the size drawn in inches)
    return {"src": _png_data_uri(data), "width": max(1, width // 2), "height": max(1, height // 2)}


def _table_entry(csv: Path, lang: str = SOURCE_LANGUAGE) -> dict:
    return dict(_table_html(csv, lang), csv_name=csv.name)


def results_citation(results_dir: Path, manifest: dict, lang: str = SOURCE_LANGUAGE) -> dict:
    """The citation of the report and the decks: the code most runs recorded (else this checkout's), dated by
    its commit; ``source`` says which."""
    from nnbench import __version__
    from nnbench.citation import citation, results_code
    from nnbench.results import Results

    code = results_code(Results(results_dir))
    generated = (manifest.get("generated") or datetime.now(timezone.utc).strftime("%Y-%m-%d"))[:10]
    return dict(citation(code, manifest.get("nnbench_version") or __version__, generated, lang), **code)


def build_context(results_dir, reports_dir, config_path, lang: str = SOURCE_LANGUAGE,
                  languages=(SOURCE_LANGUAGE,)) -> dict:
    """Everything the template needs in ``lang``, read from disk (no HTML in here; the
    template escapes every value). ``languages``: the reports rendered beside this one
    (the header links to each)."""
    from nnbench.figures.findings import TABLE_NAME as FINDINGS_TABLE

    lang = check_language(lang)
    reports_dir = Path(reports_dir)
    results_dir = Path(results_dir)
    config = Path(config_path) if config_path else None
    if config is not None and not config.is_file():
        raise ReportError(f"config file {str(config)!r} does not exist; pass --config with the "
                          "YAML file the workflow ran (e.g. config/config.yaml)")
    manifest = read_manifest(reports_dir, lang)
    figures_by_section = _by_section(manifest, "figures", "png", reports_dir, _figure_entry)
    tables_by_section = _by_section(manifest, "tables", "csv", reports_dir,
                                    lambda csv: _table_entry(csv, lang))
    sections = []
    for section in manifest.get("sections", []):
        tables = tables_by_section.get(section["id"], [])
        overview = None
        for table in tables:
            if table["name"] == FINDINGS_TABLE:
                overview = findings_overview(reports_dir / "tables" / f"{FINDINGS_TABLE}.csv", lang,
                                             reader_texts(reports_dir, manifest))
                table["collapsed"] = True  # one click away, below the overview
        sections.append(dict(section, figures=figures_by_section.get(section["id"], []), tables=tables,
                             overview=overview))
    others = [{"lang": other, "file": report_name(other)} for other in languages if other != lang]
    # the studies with results, in report order: a part of the study (`studies=[...]`)
    # says so at the top
    held = list(dict.fromkeys(study for section in sections for study in section.get("studies", [])))
    return {"lang": lang, "other_languages": others, "sections": sections, "manifest": manifest,
            "studies_held": held,
            "provenance": _provenance(results_dir, config, manifest),
            "citation": results_citation(results_dir, manifest, lang),
            "interval": manifest.get("interval", ""),
            "css": (TEMPLATE_DIR / "style.css").read_text(encoding="utf-8")}


def template_environment(lang: str = SOURCE_LANGUAGE):
    """The report's jinja2 environment in ``lang``: autoescaped, with the i18n extension
    (``{% trans %}`` and ``_()``, whitespace-trimmed messages as ``nnbench/locale/babel.cfg``
    extracts them) reading nnbench's catalog."""
    import jinja2

    from nnbench.i18n import translator

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(translator(lang), newstyle=True)
    return environment


def render_html(context: dict) -> str:
    """The report HTML from :func:`build_context`'s dict (autoescaped jinja2)."""
    return template_environment(context.get("lang", SOURCE_LANGUAGE)).get_template(
        "report.html.j2").render(**context)


def render(results_dir, reports_dir, config_path, out_path, lang: str = SOURCE_LANGUAGE,
           languages=None) -> Path:
    """Render ``out_path`` (one self-contained HTML file in ``lang``) from ``reports_dir``
    (manifest, figures, tables), ``results_dir`` (runs.csv per study) and the config file;
    ``languages``: the reports rendered beside it (linked from its header)."""
    from nnbench.files import atomic_open

    html = render_html(build_context(results_dir, reports_dir, config_path, lang,
                                     tuple(languages or (lang,))))
    out_path = Path(out_path)
    with atomic_open(out_path, newline="") as stream:
        stream.write(html)
    size = out_path.stat().st_size
    if size > SIZE_LIMIT_BYTES:
        print(f"nnbench: warning: {out_path} is {size / 2**20:.1f} MiB, over the "
              f"{SIZE_LIMIT_BYTES / 2**20:.0f} MiB target", file=sys.stderr)
    return out_path
