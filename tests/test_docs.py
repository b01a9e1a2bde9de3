"""The README and docs/ against the code: run counts, length, the commands CI runs, links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nnbench.cli import main

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", REPO / "config" / "README.md", *sorted((REPO / "docs").glob("*.md"))]

# A run count quoted in a document carries a marker right after it, naming the config and
# which count: `1692 runs<!-- grid: config/config.yaml, all -->` (all = distinct runs plus the
# pending tuned ones, what the workflow trains; distinct; pending = the tuned runs).
MARKED_COUNT = re.compile(r"(\d[\d,]*)(?:\s[a-z]+){0,2}<!-- grid: (\S+), (all|distinct|pending) -->")
TOTAL = re.compile(r"total: \d+ study runs, (\d+) distinct runs(?: \(\+ up to (\d+) pending tuned runs\))?")


def grid_counts(config: str, capsys) -> dict[str, int]:
    """`nnbench grid --config CONFIG --count`'s total line, as numbers."""
    assert main(["grid", "--config", str(REPO / config), "--count"]) == 0
    distinct, pending = TOTAL.search(capsys.readouterr().out).groups()
    distinct, pending = int(distinct), int(pending or 0)
    return {"distinct": distinct, "pending": pending, "all": distinct + pending}


def test_the_run_counts_quoted_in_readme_and_docs_are_the_grids(capsys):
    quoted = [(path, *match.groups()) for path in DOCS for match in MARKED_COUNT.finditer(path.read_text())]
    assert {path.name for path, *_ in quoted} >= {"README.md", "CONFIG.md", "PERFORMANCE.md"}
    counts = {}
    for path, number, config, which in quoted:
        counts.setdefault(config, grid_counts(config, capsys))
        assert int(number.replace(",", "")) == counts[config][which], \
            f"{path.relative_to(REPO)}: {number} runs of {config} ({which}), but `nnbench grid --count` " \
            f"gives {counts[config][which]}"
    # every marker was read: a marker the pattern misses would check nothing
    markers = sum(path.read_text().count("<!-- grid:") for path in DOCS)
    assert markers == len(quoted)


def test_no_document_points_at_the_issue_tracker():
    for path in DOCS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not re.search(r"\bissues? #?\d+", line, re.IGNORECASE), f"{path.relative_to(REPO)}:{number}: {line}"


def test_the_readme_is_short_and_ci_runs_its_commands():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    ci = (REPO / ".ci" / "run").read_text()
    setup = re.search(r"^readme_setup='([^']+)'$", ci, re.MULTILINE).group(1)
    assert f"\n{setup} && snakemake --cores 8\n" in readme  # the one set-up + study command
    assert "```bash\npytest\n```" in readme and "\npytest\n" in ci  # the test command, as is
    assert "snakemake --cores 2 --configfile config/quick.yaml" in readme
    assert "\n    snakemake --cores 2 --configfile config/quick.yaml\n" in ci


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(REPO)))
def test_relative_links_point_at_files_that_exist(path):
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text()):
        assert (path.parent / target).exists(), f"{path.relative_to(REPO)} links to {target}, which does not exist"
