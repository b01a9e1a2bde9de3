"""The quick study (config/quick.yaml) measures every claim: no row of its findings table
says 'no data' (with 2 seeds each verdict is 'inconclusive', but every number is there),
so the pipeline behind each claim is exercised on every commit."""

from __future__ import annotations

import pandas as pd

from nnbench.analysis.findings import CLAIMS, NO_DATA


def test_the_quick_study_has_a_measured_row_for_every_claim(quick_study):
    folder, result = quick_study
    assert result.returncode == 0, result.stderr[-3000:]
    table = pd.read_csv(folder / "reports" / "tables" / "findings.csv")
    assert set(table["claim_id"]) == {claim.key for claim in CLAIMS}
    missing = table[table["verdict"] == NO_DATA]
    assert missing.empty, missing[["claim_id", "dataset", "note"]].to_string()
    rows = table[table["dataset"] != "all"]
    assert (rows["n"] == 2).all() and rows["estimate"].notna().all()
