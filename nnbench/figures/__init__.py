"""Figures and tables from the aggregated tables under ``results/<study>/``.

One module per report section, in the slides' order (:data:`SECTIONS`). Each module
has public figure functions (a tidy DataFrame in, a matplotlib Figure out, usable from
a notebook) and ``build(results, writer) -> list[str]`` which saves that section's
figures and tables and returns generated "what this shows" sentences; a module with
``methods() -> str`` adds a paragraph to the report's methods section.

:func:`make_all` runs every section and writes ``manifest.json``.
"""

from __future__ import annotations

import importlib
import json
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


def section_module(module_name: str):
    return importlib.import_module(f"nnbench.figures.{module_name}")


def known_studies() -> list[str]:
    """Every study name a section draws (docs/ARCHITECTURE.md)."""
    return [s for _, m in SECTIONS for s in section_module(m).STUDIES]


def _load_config(config):
    """``config`` as a dict: None, a dict, or a path to a YAML file."""
    if config is None or isinstance(config, dict):
        return config or {}
    import yaml

    from nnbench.results import ResultsError

    path = Path(config)
    if not path.is_file():
        raise ResultsError(f"config file {str(path)!r} does not exist; pass --config with "
                           "the YAML file the workflow ran (e.g. config/config.yaml)")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ResultsError(f"config file {str(path)!r} is not valid YAML: {error}") from error
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


def make_all(results_dir, out_dir, config=None) -> dict:
    """Write every figure (``out_dir/figures``), table (``out_dir/tables``) and
    ``out_dir/manifest.json``; returns the manifest.

    A study whose ``results/<study>/runs.csv`` is absent is skipped and named in the
    manifest (its section says so); studies no section knows (the user's own) get the
    generic section, last, drawn as their ``plot:`` in ``config`` says. Every entry has a
    stable id and its study's provenance (seeds, runs, commits, the config's SHA-256:
    :func:`nnbench.citation.study_provenance`).
    """
    from nnbench.citation import study_provenance
    from nnbench import __version__
    from nnbench.figures import findings as findings_section
    from nnbench.figures import generic
    from nnbench.figures.captions import INTERVAL_TEXT
    from nnbench.figures.plotting import setup_matplotlib
    from nnbench.figures.writer import Writer
    from nnbench.files import atomic_open
    from nnbench.results import Results, ResultsError

    config_dict = _load_config(config)
    config_hash = _config_hash(config)
    results = Results(results_dir)
    present = set(results.studies())
    if not present:
        raise ResultsError(
            f"no results/<study>/runs.csv under {str(results_dir)!r}; run the workflow "
            "(snakemake) or `nnbench aggregate` first")
    setup_matplotlib()
    progress = _progress_printer()
    out_dir = Path(out_dir)
    manifest = {"nnbench_version": __version__,
                "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "results_dir": str(results_dir), "interval": INTERVAL_TEXT, "config_sha256": config_hash,
                "sections": [], "figures": [], "tables": [], "methods": []}
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
            described[study] = study_provenance(runs_of(study), study,
                                                config_hash)
        return described[study]

    for section_id, module_name in SECTIONS:
        module = section_module(module_name)
        writer = Writer(out_dir, section_id, progress, describe)
        studies_here = [s for s in module.STUDIES if s in present]
        missing = [s for s in module.STUDIES if s not in present]
        findings = module.build(results, writer) if studies_here or not module.STUDIES else []
        if hasattr(module, "methods"):  # a paragraph for the report's methods section
            manifest["methods"].append({"section": section_id, "title": module.TITLE,
                                        "text": module.methods()})
        manifest["sections"].append({
            "id": section_id, "title": module.TITLE, "studies": studies_here,
            "missing": missing, "findings": findings,
            "study_titles": {s: titles[s] for s in studies_here if titles.get(s)},
        })
        manifest["figures"] += writer.figures
        manifest["tables"] += writer.tables
    others = sorted(present - set(known_studies()))
    if others:
        writer = Writer(out_dir, "other", progress, describe)
        plots = {name: spec.get("plot") for name, spec in (config_dict.get("studies") or {}).items()
                 if isinstance(spec, dict)}
        findings = generic.build(results, writer, others, plots)
        manifest["sections"].append({
            "id": "other", "title": generic.TITLE, "studies": others, "missing": [],
            "findings": findings,
            "study_titles": {s: titles[s] for s in others if titles.get(s)}})
        manifest["figures"] += writer.figures
        manifest["tables"] += writer.tables
    if progress:
        print(file=sys.stderr)
    with atomic_open(out_dir / MANIFEST_NAME, newline="") as stream:
        stream.write(json.dumps(manifest, indent=2) + "\n")
    return manifest
