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
    The workflow draws each section in a job of its own instead (:func:`draw_section_part`,
    :func:`merge_section_parts`): the same files and manifest.
    """
    from nnbench.figures.writer import check_figure_formats
    from nnbench.i18n import check_language
    from nnbench.validation import Interval

    jobs = Interval(numbers.Integral, 1, None).check("jobs", jobs)
    lang = check_language(lang)
    config_dict = _load_config(config)
    check_figure_formats(config_dict.get("figure_formats"))  # before anything is drawn
    config_hash = _config_hash(config)
    present = _present_studies(results_dir)
    out_dir = Path(out_dir)
    tasks = [(results_dir, out_dir, section_id, module_name, config_dict, config_hash, lang, write_tables)
             for section_id, module_name in _sections_for(present)]
    if jobs == 1 or len(tasks) == 1:
        progress = _progress_printer()
        parts = [_draw_section(*task, progress=progress) for task in tasks]
        if progress:
            print(file=sys.stderr)
    else:
        import concurrent.futures
        import multiprocessing

        # the longest sections first, so that no worker is left with one at the end
        order = sorted(range(len(tasks)), key=lambda index: -section_seconds(tasks[index][2]))
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs,
                                                    mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {index: pool.submit(_draw_section, *tasks[index]) for index in order}
            parts = [futures[index].result() for index in range(len(tasks))]
    return _write_manifest(out_dir, lang, results_dir, config_hash, parts)


def _present_studies(results_dir, studies=None) -> set:
    """The studies with aggregated tables under ``results_dir``: among ``studies`` when
    given (a section job, which may read none of them), else ResultsError when there are none."""
    from nnbench.results import Results, ResultsError

    if studies is not None:
        # a section that reads none of the config's studies may be drawn before any table exists
        return set(Results(results_dir, must_exist=False).studies()) & set(studies)
    present = set(Results(results_dir).studies())
    if not present:
        raise ResultsError(
            f"no results/<study>/runs.csv under {str(results_dir)!r}; run the workflow "
            "(snakemake) or `nnbench aggregate` first")
    return present


def _sections_for(studies) -> list[tuple[str, str | None]]:
    """(section id, module name) of every section drawn for ``studies``: all of
    :data:`SECTIONS` (a section without its studies says so), then the generic section
    ``other`` (module None) when a study no section knows is among them."""
    sections = list(SECTIONS)
    if set(studies) - set(known_studies()):
        sections.append((OTHER_SECTION, None))  # the user's own studies
    return sections


def _write_manifest(out_dir, lang, results_dir, config_hash, parts) -> dict:
    """Write the manifest of ``lang`` under ``out_dir`` from the sections' ``parts`` (in
    the report's order); returns it."""
    from nnbench import __version__
    from nnbench.figures.captions import INTERVAL_TEXT
    from nnbench.files import atomic_open
    from nnbench.i18n import gettext

    manifest = {"nnbench_version": __version__,
                "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "language": lang, "results_dir": str(results_dir),
                "interval": gettext(INTERVAL_TEXT, lang), "config_sha256": config_hash,
                "sections": [], "figures": [], "tables": [], "methods": []}
    for part in parts:
        manifest["sections"].append(part["section"])
        manifest["methods"] += part["methods"]
        manifest["figures"] += part["figures"]
        manifest["tables"] += part["tables"]
    with atomic_open(Path(out_dir) / manifest_name(lang), newline="") as stream:
        stream.write(json.dumps(manifest, indent=2) + "\n")
    return manifest


# --- one section per workflow job -----------------------------------------------------

#: The generic section of the user's own studies.
OTHER_SECTION = "other"
#: A drawn section's manifest part in one language, in its part folder.
PART_NAME = "part.{lang}.json"


def figure_sections(studies) -> list[str]:
    """The ids of the sections drawn for ``studies`` (the config's), in the report's order:
    one workflow job each."""
    return [section_id for section_id, _ in _sections_for(studies)]


def section_studies(section_id: str, studies) -> list[str]:
    """The studies among ``studies`` whose tables section ``section_id`` reads (the
    findings: every claim's study; ``other``: those no section knows)."""
    from nnbench.figures import findings

    module_name = _section_module_name(section_id)
    if module_name is None:
        reads = set(studies) - set(known_studies())
    elif section_id == "findings":
        reads = set(findings.source_studies())
    else:
        reads = set(section_module(module_name).STUDIES)
    return [study for study in studies if study in reads]


def figure_job_studies(jobs, studies) -> list[set[str]]:
    """The studies among ``studies`` that each figures job of ``jobs`` (tuples of section
    ids, :func:`figure_jobs`) reads: what it waits for."""
    return [{study for section in sections for study in section_studies(section, studies)} for sections in jobs]


def section_tables(results_dir, section_id: str, studies) -> list[str]:
    """The aggregated tables (runs and curves) of the studies among ``studies`` that section
    ``section_id`` reads: a section job's inputs."""
    from nnbench.vocabulary import CURVES_TABLE, RUNS_TABLE

    return [f"{results_dir}/{study}/{table}" for study in section_studies(section_id, studies)
            for table in (RUNS_TABLE, CURVES_TABLE)]


def _every_section() -> dict:
    """Section id -> module name of every section there is (the generic one's: None)."""
    return {**dict(SECTIONS), OTHER_SECTION: None}


def check_sections(section_ids) -> list[str]:
    """``section_ids`` (the workflow's ids: :func:`figure_sections`), each known and listed
    once; else one line naming the first bad one and the sections there are."""
    from nnbench.results import ResultsError

    for section_id in section_ids:
        _section_module_name(section_id)
    if len(set(section_ids)) < len(section_ids):
        repeated = next(section_id for section_id in section_ids if list(section_ids).count(section_id) > 1)
        raise ResultsError(f"--section lists {repeated!r} twice; give each section once")
    return list(section_ids)


def _section_module_name(section_id: str) -> str | None:
    """The module that draws section ``section_id`` (None: the generic section); an unknown
    id is one line naming the sections there are."""
    from nnbench.results import ResultsError
    from nnbench.validation import unknown_name_error

    modules = _every_section()
    if section_id not in modules:
        raise unknown_name_error("section", section_id, modules, where="--section", error=ResultsError)
    return modules[section_id]


def draw_section_part(results_dir, part_dir, section_id: str, config=None, languages=("en",),
                      jobs: int = 1) -> list[dict]:
    """Draw section ``section_id`` in each of ``languages`` into ``part_dir``: its figures
    (``figures/<lang>/``), tables (``tables/``, written once) and manifest part
    (:data:`PART_NAME`) per language; returns the parts. ``jobs`` > 1 draws that many
    languages at once, each in its own process (the same files).

    Only the studies of ``config`` are read when it lists studies (a table left over from
    another config is not), so the part is the same whenever the job runs.
    """
    from nnbench.figures.writer import check_figure_formats
    from nnbench.files import atomic_open
    from nnbench.i18n import check_languages
    from nnbench.validation import Interval

    languages = drawing_order(check_languages(languages, "--lang"))
    config_dict = _load_config(config)
    check_figure_formats(config_dict.get("figure_formats"))  # before anything is drawn
    present = _present_studies(results_dir, studies=(config_dict.get("studies") or None))
    module_name = _section_module_name(section_id)
    jobs = Interval(numbers.Integral, 1, None).check("jobs", jobs)
    config_hash = _config_hash(config)
    part_dir = Path(part_dir)
    tasks = [(results_dir, part_dir, section_id, module_name, config_dict, config_hash, lang, index == 0,
              None, present) for index, lang in enumerate(languages)]
    if jobs == 1 or len(tasks) == 1:
        parts = [_draw_section(*task) for task in tasks]
    else:
        import concurrent.futures
        import multiprocessing

        with concurrent.futures.ProcessPoolExecutor(max_workers=min(jobs, len(tasks)),
                                                    mp_context=multiprocessing.get_context("spawn")) as pool:
            parts = list(pool.map(_draw_section, *zip(*tasks)))
    for lang, part in zip(languages, parts):
        with atomic_open(part_dir / PART_NAME.format(lang=lang), newline="") as stream:
            stream.write(json.dumps(part, indent=2) + "\n")
    return parts


def merge_section_parts(part_dirs, out_dir, config=None, results_dir="results", languages=("en",)) -> list[dict]:
    """Gather the sections drawn by :func:`draw_section_part` (``part_dirs``, in the report's
    order) under ``out_dir``: their files hard-linked (copied where links are not possible)
    into ``figures/<lang>/`` and ``tables/``, one manifest per language; returns the manifests."""
    from nnbench.i18n import check_languages

    languages = drawing_order(check_languages(languages, "--lang"))
    out_dir, part_dirs = Path(out_dir), [Path(part_dir) for part_dir in part_dirs]
    # every part read before anything is written: a missing one leaves out_dir as it was
    parts = {lang: [_read_part(part_dir, lang) for part_dir in part_dirs] for lang in languages}
    config_hash = _config_hash(config)
    manifests = []
    for lang in languages:
        for part_dir, part in zip(part_dirs, parts[lang]):
            for entry in part["figures"] + part["tables"]:
                for relative in entry["files"].values():
                    _link_or_copy(part_dir / relative, out_dir / relative)
            for extra in _extra_files(part):
                _link_or_copy(part_dir / extra, out_dir / extra)
        manifests.append(_write_manifest(out_dir, lang, results_dir, config_hash, parts[lang]))
    return manifests


def _read_part(part_dir: Path, lang: str) -> dict:
    """The manifest part of the section drawn in ``part_dir`` in ``lang``."""
    from nnbench.results import ResultsError

    part_file = part_dir / PART_NAME.format(lang=lang)
    if not part_file.is_file():
        raise ResultsError(f"no {part_file.name} in section folder {str(part_dir)!r}; draw it with "
                           f"`nnbench figures --section ID --lang {lang} --out-dir {part_dir}`")
    return json.loads(part_file.read_text(encoding="utf-8"))


def _extra_files(part) -> list[str]:
    """Files a part's entries name beside their ``files`` (the findings' reader texts)."""
    from nnbench.figures.findings import READER_TEXTS_KEY

    return [entry[READER_TEXTS_KEY] for entry in part["tables"] if entry.get(READER_TEXTS_KEY)]


def _link_or_copy(source: Path, target: Path) -> None:
    import os
    import shutil

    from nnbench.results import ResultsError

    if not source.is_file():
        raise ResultsError(f"section file {str(source)!r} is missing; draw the section again")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def drawing_order(languages) -> list[str]:
    """The tables are data, the same in every language: the source language's pass writes them."""
    from nnbench.i18n import SOURCE_LANGUAGE

    return sorted(languages, key=lambda lang: lang != SOURCE_LANGUAGE)


#: CPU seconds of each section's figures (`nnbench figures --section ID --lang en ko`, png,
#: svg and pdf, start-up included) on the full default study's tables, alone on the 2-core
#: EPYC of docs/THROUGHPUT.md; a section not named: :data:`SECTION_SECONDS_OTHERWISE`.
#: They order the figures jobs (slowest first) and balance them on few CPUs.
SECTION_SECONDS = {"optimizers": 18.4, "vanishing_gradient": 16.0, "overfitting": 12.6, "minibatch": 9.7,
                   "factorial": 8.2, "batch_norm": 7.7, "weight_init": 7.5, "weight_decay": 4.5, "findings": 3.4}
SECTION_SECONDS_OTHERWISE = 8.0
#: The same with png only (config/quick.yaml's figure_formats), on the quick config's
#: tables: each section job's wall seconds in that workflow, two at a time on the two cores.
SECTION_SECONDS_PNG = {"vanishing_gradient": 9.4, "optimizers": 6.6, "overfitting": 4.5, "factorial": 4.7,
                       "minibatch": 3.7, "weight_init": 3.0, "weight_decay": 2.0, "batch_norm": 2.1, "findings": 2.1}
#: Joins the sections of one figures job in its name (and its folder under resources/sections/).
FIGURE_JOB_JOINER = "+"


def png_only(formats) -> bool:
    """Whether the figure ``formats`` (a config's ``figure_formats``; None: all) are the PNG
    alone: the costs of :data:`SECTION_SECONDS_PNG` apply."""
    return formats is not None and list(formats) == ["png"]


def section_seconds(section_id: str, formats=None) -> float:
    """The usual cost of drawing ``section_id`` in ``formats`` (None: every figure format)."""
    costs = SECTION_SECONDS_PNG if png_only(formats) else SECTION_SECONDS
    return costs.get(section_id, SECTION_SECONDS_OTHERWISE)


def section_priority(section_id: str) -> float:
    """Snakemake's priority of a figures job of ``section_id`` (of a job of several, its
    slowest): the slower (:data:`SECTION_SECONDS`), the higher, yet below every run group
    (whose priority is its GEMM work in TFLOP, 1e-4 for the smallest): the sections fill
    the cores the runs leave, the slowest first."""
    return max(section_seconds(section) for section in section_id.split(FIGURE_JOB_JOINER)) * 1e-10


def figure_jobs(studies, workers: int, formats=None) -> list[tuple[str, ...]]:
    """The sections of ``studies`` (:func:`figure_sections`) as the workflow's figures jobs,
    for ``workers`` processes at once (the machine's CPUs), drawing ``formats`` (the
    config's ``figure_formats``; None: all).

    With a worker per section, one job per section: each starts as soon as its own studies'
    tables exist. With fewer, each job draws several sections one after another, balanced
    by :func:`section_seconds` (longest first onto the least loaded): a process costs about a
    second of start-up (Python, pandas, matplotlib), which two cores pay for every section
    otherwise. A job's sections are in the report's order."""
    from nnbench.validation import Interval

    workers = Interval(numbers.Integral, 1, None).check("workers", workers)
    sections = figure_sections(studies)
    if workers >= len(sections):
        return [(section,) for section in sections]
    jobs: list[list[str]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for section in sorted(sections, key=lambda name: -section_seconds(name, formats)):
        least = loads.index(min(loads))
        jobs[least].append(section)
        loads[least] += section_seconds(section, formats)
    order = {section: index for index, section in enumerate(sections)}
    return sorted((tuple(sorted(job, key=order.get)) for job in jobs if job), key=lambda job: order[job[0]])


def figure_job_processes(jobs, workers: int, languages, formats=None) -> dict[tuple[str, ...], int]:
    """How many processes each of the figures ``jobs`` (:func:`figure_jobs`) draws with:
    the CPUs the jobs leave free (``workers`` - jobs) go to the slowest one-section jobs,
    one more process per language each (a section's languages are drawn apart), so that
    with CPUs to spare the slowest section is not the end of the workflow's chain."""
    processes = {job: 1 for job in jobs}
    spare = workers - len(jobs)
    for job in sorted((job for job in jobs if len(job) == 1), key=lambda job: -section_seconds(job[0], formats)):
        extra = min(len(languages) - 1, spare)
        if extra <= 0:
            break
        processes[job] += extra
        spare -= extra
    return processes


def figure_job_name(sections) -> str:
    """A figures job's name: its sections' ids joined by :data:`FIGURE_JOB_JOINER`."""
    return FIGURE_JOB_JOINER.join(sections)


def _draw_section(results_dir, out_dir, section_id, module_name, config_dict, config_hash, lang="en",
                  write_tables=True, progress=None, studies=None) -> dict:
    """Draw one section in ``lang`` (``module_name`` None: the generic section of the
    user's own studies) from the tables of ``studies`` (default: every study with tables);
    returns its manifest parts: the section entry, methods, figures, tables."""
    from nnbench.i18n import using_language

    with using_language(lang):
        return _draw_section_here(results_dir, out_dir, section_id, module_name, config_dict, config_hash,
                                  lang, write_tables, progress, studies)


def _draw_section_here(results_dir, out_dir, section_id, module_name, config_dict, config_hash, lang,
                       write_tables, progress, studies) -> dict:
    from nnbench.citation import study_provenance
    from nnbench.figures import findings as findings_section
    from nnbench.figures import generic
    from nnbench.figures.plotting import setup_matplotlib
    from nnbench.figures.writer import Writer
    from nnbench.i18n import gettext
    from nnbench.results import Results

    setup_matplotlib(lang)
    results = Results(results_dir, must_exist=studies is None)
    present = set(results.studies()) if studies is None else set(studies)
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

    writer = Writer(out_dir, section_id, progress, describe, lang=lang, write_tables=write_tables,
                    formats=config_dict.get("figure_formats"))
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
