"""Studies no section knows (a study added to the config): a table of final metrics."""

from __future__ import annotations

from nnbench.figures import common as c

TITLE = "Other studies"
STUDIES = ()


def build(results, writer, studies) -> list[str]:
    """One final-metrics table per study in ``studies``; returns generated findings."""
    from nnbench.tables import final_metrics_table

    findings = []
    for study in studies:
        runs = results.runs(study)
        table = final_metrics_table(runs)
        writer.table(table, f"{study}_final",
                     f"Final metrics per configuration of study {study}: mean with "
                     f"{c.INTERVAL_TEXT}, seeds, diverged runs, seconds per run. "
                     f"{c.describe_setup(runs)}.", study)
        findings.append(f"Study {study}: {len(runs)} runs in {len(table)} configurations.")
    return findings
