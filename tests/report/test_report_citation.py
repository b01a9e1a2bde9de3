"""The report cites: a ready citation in the header (the runs' commit and date), and every
figure and table with a stable id and a provenance line, in the report and the manifest."""

from __future__ import annotations

import hashlib
import html as html_module
import re

import pandas as pd

from report_synthetic import SYNTHETIC_CODE
from nnbench import __version__, provenance
from nnbench.citation import citation, provenance_line, results_code, study_provenance
from nnbench.figures import findings as findings_section
from nnbench.results import Results


def test_every_manifest_entry_has_a_stable_id_and_its_studys_provenance(rendered):
    manifest = rendered["manifest"]
    config_hash = hashlib.sha256(rendered["config"].read_bytes()).hexdigest()
    assert manifest["config_sha256"] == config_hash
    results = Results(rendered["results"])
    ids = []
    for kind in ("figures", "tables"):
        for item in manifest[kind]:
            assert item["id"] == f"{kind[:-1]}-{item['name']}"
            ids.append(item["id"])
            if item["study"] == findings_section.PSEUDO_STUDY:  # reads every claim's study
                import pandas as pd

                present = set(results.studies())
                runs = pd.concat([results.runs(name) for name in findings_section.source_studies() if name in present])
            else:
                runs = results.runs(item["study"])
            expected = {"study": item["study"], "runs": len(runs), "seeds": sorted(set(runs["seed"].astype(int))),
                        "commits": [SYNTHETIC_CODE["commit"]], "dirty": False, "config_sha256": config_hash}
            assert item["provenance"] == expected, item["name"]
            line = item["provenance_line"]
            assert line.startswith(f"study {item['study']}; ") and f"; {len(runs)} runs; " in line
            assert f"commit {SYNTHETIC_CODE['commit'][:12]}; config sha256 {config_hash[:12]}" in line
    assert len(ids) == len(set(ids))


def test_the_report_shows_each_items_id_and_provenance_line(rendered):
    page = html_module.unescape(rendered["html"])
    for kind, tag in (("figures", "figure"), ("tables", "div")):
        for item in rendered["manifest"][kind]:
            start = page.index(f'<{tag} id="{item["id"]}"' if tag == "figure" else f'id="{item["id"]}"')
            block = page[start:page.index("</figcaption>" if tag == "figure" else "</p>", start)]
            assert f'<a href="#{item["id"]}">{item["id"]}</a>: {item["provenance_line"]}' in block, item["id"]


def test_the_header_cites_the_runs_commit_and_date(rendered):
    page = html_module.unescape(rendered["html"])
    header = page[page.index("<header>"):page.index("</header>")]
    assert "How to cite" in header
    commit, date = SYNTHETIC_CODE["commit"], SYNTHETIC_CODE["commit_date"][:10]
    bibtex = re.search(r'<pre class="bibtex">(.*?)</pre>', header, re.DOTALL).group(1)
    assert bibtex.startswith(f"@software{{nnbench_{commit[:7]},")
    for field in (f"version = {{{__version__}}}", "year    = {2026}", "month   = {11}", f"date    = {{{date}}}",
                  f"note    = {{git commit {commit}; figures generated"):
        assert field in bibtex, field
    assert f"nnbench contributors (2026). nnbench, version {__version__}, git commit {commit}, {date}" in header
    assert "every run recorded" in header


def test_citation_of_a_dirty_tree_and_of_runs_from_several_commits():
    code = {"commit": "a" * 40, "commit_date": "2025-02-03T04:05:06+01:00", "dirty": True,
            "commits": ["a" * 40, "b" * 40]}
    cited = citation(code, "0.2.0", "2025-03-01")
    assert "git commit " + "a" * 40 + " with uncommitted changes (runs from 2 commits, listed per figure), " \
           "2025-02-03 [software]. Figures generated 2025-03-01." in cited["plain"]
    assert "month   = {2}" in cited["bibtex"] and cited["bibtex"].split("\n\n")[0].endswith("license = {MIT}\n}")
    unknown = citation({"commit": None, "commit_date": None}, "0.2.0", "2025-03-01")
    assert "commit unknown" in unknown["plain"] and "date    = {2025-03-01}" in unknown["bibtex"]
    assert unknown["bibtex"].startswith("@software{nnbench_0_2_0,")


def write_runs(folder, rows):
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(folder / "runs.csv", index=False)


def test_results_code_is_the_commit_most_runs_recorded_else_this_checkout(tmp_path):
    base = {"study": "s", "run_id": "r", "seed": 0, "status": "ok"}
    write_runs(tmp_path / "with" / "s", [dict(base, commit="1" * 40, commit_date="2026-01-01T00:00:00Z", dirty=False),
                                         dict(base, commit="2" * 40, commit_date="2026-01-02T00:00:00Z", dirty=True),
                                         dict(base, commit="2" * 40, commit_date="2026-01-02T00:00:00Z", dirty=False)])
    code = results_code(Results(tmp_path / "with"))
    assert code == {"commit": "2" * 40, "commit_date": "2026-01-02T00:00:00Z", "dirty": True,
                    "commits": ["2" * 40, "1" * 40], "source": "runs"}
    write_runs(tmp_path / "other" / "s", [dict(base, commit="1" * 40, commit_date="2026-01-01T00:00:00Z", dirty=True),
                                          dict(base, commit="2" * 40, commit_date="2026-01-02T00:00:00Z", dirty=False),
                                          dict(base, commit="2" * 40, commit_date="2026-01-02T00:00:00Z", dirty=False)])
    assert results_code(Results(tmp_path / "other"))["dirty"] is False  # the cited commit's runs were clean
    write_runs(tmp_path / "without" / "s", [base])
    identity = provenance.code_identity()
    code = results_code(Results(tmp_path / "without"))
    assert code["source"] == "checkout" and code["commit"] == identity["commit"]


def test_provenance_line_says_seeds_runs_commits_and_config():
    runs = pd.DataFrame({"seed": [0, 1, 2, 0], "commit": ["c" * 40] * 3 + [""], "dirty": ["False"] * 4})
    item = study_provenance(runs, "optimizers", "f" * 64)
    assert provenance_line(item) == "study optimizers; seeds 0-2; 4 runs; commit cccccccccccc; config sha256 ffffffffffff"
    paths = study_provenance(pd.DataFrame({"seed": [None, None]}), "optimizer_paths", None)
    assert provenance_line(paths) == "study optimizer_paths; no seeds; 2 runs; commit unknown; config not given"
    dirty = study_provenance(pd.DataFrame({"seed": [3], "commit": ["c" * 40, ], "dirty": ["True"]}), "x", None)
    assert provenance_line(dirty).endswith("seed 3; 1 run; commit cccccccccccc (with uncommitted changes); "
                                           "config not given")
