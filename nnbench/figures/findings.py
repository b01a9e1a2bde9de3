"""Section "findings" (top of the report): a verdict for every claim of the lecture,
computed by :func:`nnbench.analysis.findings.evaluate_claims` from the aggregated tables.

The table is ``reports/tables/findings.{csv,md,tex}``; the verdict rule
(:func:`nnbench.analysis.findings.methods_text`) goes to the report's methods section
through :func:`methods`. This section owns no study: it reads every claim's study, and a
claim whose study did not run is a row with the verdict "no data".
"""

from __future__ import annotations

from pathlib import Path

from nnbench.analysis.findings import (ALL_DATASETS, CLAIMS, VERDICTS, evaluate_claims, methods_text,
                                       tables_from_results)
from nnbench.figures.labels import dataset_label
from nnbench.i18n import N_, _
from nnbench.labels import verdict_label

TITLE = N_("Findings: does each claim of the lecture hold?")
STUDIES = ()  # reads the studies of every claim (nnbench.analysis.findings.CLAIMS)
TABLE_NAME = "findings"
#: The findings table's "study" in the manifest: it draws on every claim's study.
PSEUDO_STUDY = "findings"
#: The claims' reader texts in one language, beside the table (findings.csv stays English so
#: that findings-diff compares any two): ``tables/findings.<lang>.json``, named by the findings
#: table's manifest entry under this key.
READER_TEXTS_KEY = "reader_texts"
#: The columns of findings.csv whose text is in the reader's language there: sentences joined
#: from data that a catalog lookup of the CSV's English cannot find (a claim is one catalog
#: message, translated where it is shown; the decks cut their pages by its English length).
READER_TEXT_COLUMNS = ("metric", "note")


def source_studies() -> list[str]:
    """The studies the claims read (the findings table's provenance covers their runs)."""
    return sorted({claim.study for claim in CLAIMS})
#: The table's columns in display order (the CSV keeps them all).
COLUMNS = ("slide", "claim", "dataset", "metric", "estimate", "low", "high", "level", "n", "p",
           "p_adjusted", "book", "verdict", "near_threshold", "study", "direction", "threshold",
           "note", "claim_id")


def findings_table(results, datasets=None, lang: str = "en"):
    """The findings table of the results (one row per claim and dataset, then 'all'); its
    claim, metric, verdict and note texts in ``lang``."""
    table = evaluate_claims(tables_from_results(results), datasets=datasets, lang=lang)
    return table[list(COLUMNS)]


def write_reader_texts(table, out_dir, lang: str) -> str:
    """Write the claims' texts in ``lang`` (``claim_id``, ``dataset`` and
    :data:`READER_TEXT_COLUMNS` of every row of ``table``, the findings table in ``lang``) to
    ``tables/findings.<lang>.json`` under ``out_dir``; returns that path relative to ``out_dir``."""
    import json

    from nnbench.files import atomic_open

    relative = f"tables/{TABLE_NAME}.{lang}.json"
    rows = [{column: (None if value != value else value) for column, value in row.items()}  # NaN: None
            for row in table[["claim_id", "dataset", *READER_TEXT_COLUMNS]].astype(object).to_dict("records")]
    with atomic_open(Path(out_dir) / relative) as stream:
        json.dump({"lang": lang, "rows": rows}, stream, ensure_ascii=False, indent=1)
        stream.write("\n")
    return relative


def methods(results=None) -> str:
    """The methods paragraph of the findings (the verdict rules, the family and, with
    ``results``, the verdicts of this report near their threshold)."""
    return methods_text(table=findings_table(results) if results is not None else None)


def build(results, writer) -> list[str]:
    table = findings_table(results)
    texts = write_reader_texts(table if writer.lang == "en" else findings_table(results, lang=writer.lang),
                               writer.out_dir, writer.lang)
    writer.table(table, TABLE_NAME,
                 _("A verdict for every claim of the lecture, by the deck's slide, per dataset "
                   "and overall ('all'): the estimate (mean over seeds of one number per seed, as "
                   "the metric column says) with its Student-t interval at the level column's "
                   "level (Holm's level for the row, so that it excludes the threshold exactly "
                   "when the adjusted p is below 0.05; 95 percent for the claims that count seeds) and n "
                   "seeds, the raw and the Holm-adjusted p over the whole family, the book's value "
                   "where it has one (for comparison only), and the verdict from the rules in the "
                   "methods section."), PSEUDO_STUDY)
    writer.tables[-1][READER_TEXTS_KEY] = texts  # the manifest in this language names its texts
    overall = table[table["dataset"] == ALL_DATASETS]
    counts = overall["verdict"].value_counts()
    summary = ", ".join(f"{int(counts[v])} {verdict_label(v)}" for v in VERDICTS if v in counts)
    findings = [_("Of the {count} claims, across datasets: {summary}.").format(count=len(CLAIMS), summary=summary)]
    for verdict in VERDICTS:
        claims = overall.loc[overall["verdict"] == verdict, "claim"].tolist()
        if claims:
            findings.append(_("{verdict}: {claims}.").format(
                verdict=verdict_label(verdict).capitalize(), claims="; ".join(_(claim) for claim in claims)))
    per_dataset = table[table["dataset"] != ALL_DATASETS]
    datasets = sorted(set(per_dataset["dataset"]) - {""})
    if datasets:
        findings.append(_("Datasets: {datasets}.").format(datasets=", ".join(dataset_label(d) for d in datasets)))
    return findings
