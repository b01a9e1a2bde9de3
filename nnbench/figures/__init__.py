"""Figures and tables from the aggregated tables under ``results/<study>/``.

One module per report section, in the slides' order (:data:`SECTIONS`). Each module
has public figure functions (a tidy DataFrame in, a matplotlib Figure out, usable from
a notebook) and ``build(results, writer) -> list[str]`` which saves that section's
figures and tables and returns generated "what this shows" sentences; a module with
``methods() -> str`` adds a paragraph to the report's methods section.

:func:`make_all` runs every section in one language and writes its manifest
(``manifest.json`` for English, ``manifest.<lang>.json`` otherwise: :func:`manifest_name`).
"""

from __future__ import annotations

import importlib
import json
import numbers
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

# (section id, module name) in the report's order: the findings, the slides' order, then
# the factorial. A section whose module lists no STUDIES (the findings) always runs.
SECTIONS = (
    ("findings", "findings"),
    ("overfitting", "overfitting"),
    ("optimizers", "optimizers"),
    ("vanishing_gradient", "vanishing_gradient"),
    ("minibatch", "minibatch"),
    ("weight_init", "weight_init"),
    ("batch_norm", "batch_norm"),
    ("weight_decay", "weight_decay"),
    ("factorial", "factorial"),
)
MANIFEST_NAME = "manifest.json"


def manifest_name(lang: str = "en") -> str:
    """The manifest of the figures in ``lang``: ``manifest.json``, ``manifest.ko.json``."""
    from nnbench.i18n import language_suffix

    return MANIFEST_NAME.replace(".json", f"{language_suffix(lang)}.json")


def section_module(module_name: str):
    return importlib.import_module(f"nnbench.figures.{module_name}")


def known_studies() -> list[str]:
    """Every study name a section draws (docs/ARCHITECTURE.md)."""
    return [s for _, m in SECTIONS for s in section_module(m).STUDIES]


def _load_config(config):
    """``config`` as a dict: None, a dict, or a path to a YAML file."""
    if config is None or isinstance(config, dict):
        return config or {}
    from nnbench.config import read_config_file
    from nnbench.results import ResultsError

    loaded = read_config_file(config, error=ResultsError)
    return loaded if isinstance(loaded, dict) else {}


def _config_hash(config) -> str | None:
    """SHA-256 of the config file passed (for a dict: of its canonical JSON), else None."""
    from nnbench.citation import config_sha256

    if config is None:
        return None
    if isinstance(config, dict):
        import hashlib

        return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()
    return config_sha256(config)


def _progress_printer():
    if not sys.stderr.isatty():
        return None
    start = time.monotonic()

    def report(message):
        print(f"\r[{time.monotonic() - start:6.1f}s] {message:<60}", end="", file=sys.stderr,
              flush=True)
    return report


def make_all(results_dir, out_dir, config=None, jobs: int = 1, lang: str = "en",
             write_tables: bool = True) -> dict:
    """Write every figure in ``lang`` (``out_dir/figures/<lang>``), every table
    (``out_dir/tables``; with ``write_tables=False`` only listed, as another language's
    call wrote them) and the manifest (:func:`manifest_name`); returns the manifest.

    A study whose ``results/<study>/runs.csv`` is absent is skipped and named in the
    manifest (its section says so); studies no section knows (the user's own) get the
    generic section, last, drawn as their ``plot:`` in ``config`` says. Every entry has a
    stable id and its study's provenance (seeds, runs, commits, the config's SHA-256:
    :func:`nnbench.citation.study_provenance`). ``jobs`` > 1 draws that many sections at
    once, each in its own process (the files and the manifest are the same either way).
    """
    from nnbench import __version__
    from nnbench.figures.captions import INTERVAL_TEXT
    from nnbench.files import atomic_open
    from nnbench.i18n import check_language, gettext
    from nnbench.results import Results, ResultsError
    from nnbench.validation import Interval

    jobs = Interval(numbers.Integral, 1, None).check("jobs", jobs)
    lang = check_language(lang)
    config_dict = _load_config(config)
    config_hash = _config_hash(config)
    present = set(Results(results_dir).studies())
    if not present:
        raise ResultsError(
            f"no results/<study>/runs.csv under {str(results_dir)!r}; run the workflow "
            "(snakemake) or `nnbench aggregate` first")
    out_dir = Path(out_dir)
    manifest = {"nnbench_version": __version__,
                "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "language": lang, "results_dir": str(results_dir),
                "interval": gettext(INTERVAL_TEXT, lang), "config_sha256": config_hash,
                "sections": [], "figures": [], "tables": [], "methods": []}
    sections = list(SECTIONS)
    if sorted(present - set(known_studies())):
        sections.append(("other", None))  # the user's own studies
    tasks = [(results_dir, out_dir, section_id, module_name, config_dict, config_hash, lang, write_tables)
             for section_id, module_name in sections]
    if jobs == 1 or len(tasks) == 1:
        progress = _progress_printer()
        parts = [_draw_section(*task, progress=progress) for task in tasks]
        if progress:
            print(file=sys.stderr)
    else:
        import concurrent.futures
        import multiprocessing

        # the longest sections first, so that no worker is left with one at the end
        order = sorted(range(len(tasks)), key=lambda index: tasks[index][2] not in _SLOW_SECTIONS)
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs,
                                                    mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {index: pool.submit(_draw_section, *tasks[index]) for index in order}
            parts = [futures[index].result() for index in range(len(tasks))]
    for part in parts:
        manifest["sections"].append(part["section"])
        manifest["methods"] += part["methods"]
        manifest["figures"] += part["figures"]
        manifest["tables"] += part["tables"]
    with atomic_open(out_dir / manifest_name(lang), newline="") as stream:
        stream.write(json.dumps(manifest, indent=2) + "\n")
    return manifest


#: sections that take longest to draw (started first when drawing in parallel)
_SLOW_SECTIONS = ("factorial", "findings", "optimizers")


def _draw_section(results_dir, out_dir, section_id, module_name, config_dict, config_hash, lang="en",
                  write_tables=True, progress=None) -> dict:
    """Draw one section in ``lang`` (``module_name`` None: the generic section of the
    user's own studies); returns its manifest parts: the section entry, methods, figures,
    tables."""
    from nnbench.i18n import using_language

    with using_language(lang):
        return _draw_section_here(results_dir, out_dir, section_id, module_name, config_dict, config_hash,
                                  lang, write_tables, progress)


def _draw_section_here(results_dir, out_dir, section_id, module_name, config_dict, config_hash, lang,
                       write_tables, progress) -> dict:
    from nnbench.citation import study_provenance
    from nnbench.figures import findings as findings_section
    from nnbench.figures import generic
    from nnbench.figures.plotting import setup_matplotlib
    from nnbench.figures.writer import Writer
    from nnbench.i18n import gettext
    from nnbench.results import Results

    setup_matplotlib(lang)
    results = Results(results_dir)
    present = set(results.studies())
    titles = {name: (spec or {}).get("title") or (spec or {}).get("description") for name, spec in
              (config_dict.get("studies") or {}).items() if isinstance(spec, dict)}
    described: dict = {}

    def runs_of(study):
        if study in present:
            return results.runs(study)
        if study == findings_section.PSEUDO_STUDY:  # the findings read every claim's study
            import pandas as pd

            frames = [results.runs(name) for name in findings_section.source_studies() if name in present]
            return pd.concat(frames, ignore_index=True) if frames else None
        return None

    def describe(study):
        if study not in described:
            described[study] = study_provenance(runs_of(study), study, config_hash)
        return described[study]

    writer = Writer(out_dir, section_id, progress, describe, lang=lang, write_tables=write_tables)
    methods = []
    if module_name is None:
        others = sorted(present - set(known_studies()))
        plots = {name: spec.get("plot") for name, spec in (config_dict.get("studies") or {}).items()
                 if isinstance(spec, dict)}
        findings = generic.build(results, writer, others, plots)
        section = {"id": "other", "title": gettext(generic.TITLE), "studies": others, "missing": [],
                   "findings": findings, "study_titles": {s: titles[s] for s in others if titles.get(s)}}
    else:
        module = section_module(module_name)
        studies_here = [s for s in module.STUDIES if s in present]
        missing = [s for s in module.STUDIES if s not in present]
        findings = module.build(results, writer) if studies_here or not module.STUDIES else []
        if hasattr(module, "methods"):  # a paragraph for the report's methods section
            methods.append({"section": section_id, "title": gettext(module.TITLE), "text": module.methods(results)})
        section = {"id": section_id, "title": gettext(module.TITLE), "studies": studies_here, "missing": missing,
                   "findings": findings, "study_titles": {s: titles[s] for s in studies_here if titles.get(s)}}
    return {"section": section, "methods": methods, "figures": writer.figures, "tables": writer.tables}
