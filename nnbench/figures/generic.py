"""Studies no section knows (a study added to the config): a table of final metrics."""

from __future__ import annotations

from nnbench.figures.sections import write_final_table

TITLE = "Other studies"
STUDIES = ()


def build(results, writer, studies) -> list[str]:
    """One final-metrics table per study in ``studies``; returns generated findings."""
    findings = []
    for study in studies:
        runs = results.runs(study)
        table = write_final_table(writer, runs, study, of=f"per configuration of study {study}")
        findings.append(f"Study {study}: {len(runs)} runs in {len(table)} configurations.")
    return findings
