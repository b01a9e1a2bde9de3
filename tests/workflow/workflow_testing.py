"""Helpers of the workflow tests: repository paths, snakemake runs, hand-made run records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
DEFAULT_CONFIG = REPO / "config" / "config.yaml"
QUICK_CONFIG = REPO / "config" / "quick.yaml"


# Python's string hashing fixed, so snakemake's own ordering repeats from run to run
SNAKEMAKE_ENV = {"PYTHONHASHSEED": "0"}


def snakemake_command(workdir: Path, *args: str) -> list[str]:
    """The command line of snakemake on the repository's Snakefile in ``workdir``."""
    return [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "--directory", str(workdir), *args]


def snakemake(workdir: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run snakemake on the repository's Snakefile with ``workdir`` as working directory."""
    env = {**os.environ, **SNAKEMAKE_ENV}
    return subprocess.run(snakemake_command(workdir, *args), capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=workdir)


def aggregated_studies(counts: dict[str, int]) -> int:
    """How many studies the aggregation jobs of :func:`job_counts` aggregate: one per job of
    rule ``aggregate``, ``n + 1`` per job of a rule ``aggregate_<study>+<n>`` (a shared one,
    nnbench.groups.aggregate_job_name)."""
    shared = [int(rule.rsplit("+", 1)[1]) + 1 for rule in counts if rule.startswith("aggregate_")]
    return counts.get("aggregate", 0) + sum(shared)


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a snakemake dry run: rule -> number of jobs."""
    counts: dict[str, int] = {}
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == "Job stats:":
            for row in lines[index + 3:]:
                parts = row.split()
                if len(parts) != 2 or not parts[1].isdigit():
                    break
                counts[parts[0]] = int(parts[1])
            break
    return counts


def write_record(folder: Path, spec: dict, summary: dict, curves: list[tuple] | None = None,
                 extra: dict[str, tuple[list[str], list[tuple]]] | None = None) -> Path:
    """A hand-made run record folder (the format of docs/ARCHITECTURE.md)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.json").write_text(json.dumps({**spec, "run_id": folder.name}, indent=2))
    (folder / "summary.json").write_text(json.dumps({"run_id": folder.name, "kind": spec.get("kind", "train"),
                                                     **summary}, indent=2))
    rows = curves if curves is not None else [(0, 0.0, "test", "accuracy", "", 0.1)]
    lines = ["step,epoch,split,metric,layer,value"] + [",".join(repr(v) if isinstance(v, float) else str(v)
                                                                for v in row) for row in rows]
    (folder / "curves.csv").write_text("\n".join(lines) + "\n")
    for name, (columns, table_rows) in (extra or {}).items():
        body = [",".join(columns)] + [",".join(str(v) for v in row) for row in table_rows]
        (folder / name).write_text("\n".join(body) + "\n")
    return folder
