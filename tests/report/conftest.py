"""Fixtures of the report tests: synthetic aggregated tables for every study, the figures
and the report rendered from them once per session (rendering takes ~30 s)."""

from __future__ import annotations

import pytest

from report_synthetic import CONFIG_TEXT, INJECTED_LABEL, write_synthetic_results


@pytest.fixture(scope="session")
def synthetic_results(tmp_path_factory):
    """``results/`` with every study (3 seeds, two datasets, some diverged runs) plus an
    extra study whose optimizer label and config title are :data:`INJECTED_LABEL`."""
    root = tmp_path_factory.mktemp("synthetic")
    results = root / "results"
    write_synthetic_results(results, extra_study_label=INJECTED_LABEL)
    config = root / "config.yaml"
    config.write_text(CONFIG_TEXT + f"  custom:\n    title: \"{INJECTED_LABEL}\"\n"
                      "    seeds: [0, 1, 2]\n", encoding="utf-8")
    return {"root": root, "results": results, "config": config}


@pytest.fixture(scope="session")
def rendered(synthetic_results):
    """Figures, tables, manifests and report.html / report.ko.html made from
    :func:`synthetic_results` (the Korean figures with a missing glyph as an error)."""
    import warnings

    from nnbench.figures import make_all
    from nnbench.report import render

    reports = synthetic_results["root"] / "reports"
    manifest = make_all(synthetic_results["results"], reports, config=synthetic_results["config"])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from")
        korean = make_all(synthetic_results["results"], reports, config=synthetic_results["config"],
                          lang="ko", write_tables=False)
    html_path = render(synthetic_results["results"], reports, synthetic_results["config"],
                       reports / "report.html", languages=("en", "ko"))
    korean_path = render(synthetic_results["results"], reports, synthetic_results["config"],
                         reports / "report.ko.html", lang="ko", languages=("en", "ko"))
    return dict(synthetic_results, reports=reports, manifest=manifest, html_path=html_path,
                html=html_path.read_text(encoding="utf-8"), korean_manifest=korean,
                korean_path=korean_path, korean_html=korean_path.read_text(encoding="utf-8"))
