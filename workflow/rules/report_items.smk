# How `snakemake --report` files each figure and table of the figures rule: its report
# section (category), study (subcategory) and caption, read from the manifest of the first
# language (reports/manifest.json for English).
# Called only while the report is made (never when the workflow runs), so nothing here
# can make a job rerun. Functions only: the rules are in figures.smk.

import json
from pathlib import Path


def manifest_entries():
    path = Path(f"{REPORTS}/{manifest_name(LANGUAGES[0])}")  # the language of the figures it lists
    return json.loads(path.read_text()) if path.is_file() else {}


def manifest_item(kind, name):
    """The entry named ``name`` in the manifest's ``kind`` list (figures, tables), else {}."""
    return next((item for item in manifest_entries().get(kind, []) if item.get("name") == name), {})


def report_category(kind):
    """report(category=...): the title of the item's report section."""

    def category(wildcards):
        titles = {entry.get("id"): entry.get("title") for entry in manifest_entries().get("sections", [])}
        return titles.get(manifest_item(kind, wildcards.name).get("section")) or "Other"

    return category


def report_subcategory(kind):
    """report(subcategory=...): the study the item shows."""
    return lambda wildcards: manifest_item(kind, wildcards.name).get("study") or "-"


def report_labels(kind):
    """report(labels=...): name, study, caption and provenance line (the caption rst shows
    the caption and the provenance)."""

    def labels(wildcards):
        item = manifest_item(kind, wildcards.name)
        return {"name": wildcards.name, "study": item.get("study") or "-", "caption": item.get("caption") or "-",
                "provenance": item.get("provenance_line") or "-"}

    return labels
