"""Memory requests against measured peaks: a finished study's benchmark files (issue 13).

    .venv/bin/python benchmarks/group_memory.py WORKDIR     # a folder the workflow ran in

Each group of runs (``rule run``) is one job; Snakemake's ``benchmark:`` file of it,
``logs/benchmarks/groups/<group_id>.tsv``, holds its measured peak resident memory
(``max_rss``, MB, the job's whole process tree). This compares, per group, that peak with
the estimate the workflow asks a cluster for (``resources/groups/<group_id>.json`` ->
:func:`nnbench.workload.peak_memory_mb`, the request :func:`~nnbench.workload.memory_request_mb`
= 1.5 x that, at least 500 MB) and prints, per dataset, the groups, the largest measured
peak, the largest estimate and request, and the least headroom (request / measured).
Saves ``benchmarks/out/group_memory.{json,md}``. Exit status 1 when a group's measured
peak exceeded its request (the estimate needs raising), 2 when WORKDIR has no
benchmark files.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nnbench.groups import read_group_file  # noqa: E402
from nnbench.workload import memory_request_mb, peak_memory_mb  # noqa: E402

OUT = REPO / "benchmarks" / "out" / "group_memory"


def measured_groups(workdir: Path) -> list[dict]:
    """One row per group that has both its group file and its benchmark file."""
    rows = []
    for tsv in sorted((workdir / "logs" / "benchmarks" / "groups").glob("*.tsv")):
        group_file = workdir / "resources" / "groups" / f"{tsv.stem}.json"
        if not group_file.is_file():
            continue
        with open(tsv, newline="") as stream:
            measurements = list(csv.DictReader(stream, delimiter="\t"))
        if not measurements or measurements[-1].get("max_rss") in (None, "", "NA", "-"):
            continue
        specs = read_group_file(group_file)
        datasets = sorted({spec.get("dataset") or f"({spec['kind']})" for spec in specs})
        rows.append({"group_id": tsv.stem, "dataset": ", ".join(datasets), "runs": len(specs),
                     "measured_mb": float(measurements[-1]["max_rss"]),
                     "estimate_mb": max(peak_memory_mb(spec) for spec in specs),
                     "request_mb": memory_request_mb(specs)})
    return rows


def summary(rows: list[dict]) -> list[dict]:
    by_dataset = defaultdict(list)
    for row in rows:
        by_dataset[row["dataset"]].append(row)
    table = []
    for dataset, items in sorted(by_dataset.items()):
        table.append({"dataset": dataset, "groups": len(items),
                      "measured_max_mb": max(row["measured_mb"] for row in items),
                      "estimate_max_mb": max(row["estimate_mb"] for row in items),
                      "request_max_mb": max(row["request_mb"] for row in items),
                      "least_headroom": min(row["request_mb"] / row["measured_mb"] for row in items),
                      "estimate_over_measured_min": min(row["estimate_mb"] / row["measured_mb"] for row in items),
                      "over_request": sum(row["measured_mb"] > row["request_mb"] for row in items)})
    return table


def markdown(table: list[dict]) -> str:
    lines = ["| dataset | groups | measured peak, max (MB) | estimate, max (MB) | request, max (MB) | "
             "least request / measured | least estimate / measured | groups over their request |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in table:
        lines.append(f"| {row['dataset']} | {row['groups']} | {row['measured_max_mb']:.0f} | {row['estimate_max_mb']:.0f} | "
                     f"{row['request_max_mb']} | {row['least_headroom']:.2f} | {row['estimate_over_measured_min']:.2f} | "
                     f"{row['over_request']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path, help="the folder a workflow ran in (has logs/benchmarks/groups/)")
    args = parser.parse_args(argv)
    rows = measured_groups(args.workdir)
    if not rows:
        print(f"group_memory: no benchmark files of groups under {args.workdir / 'logs' / 'benchmarks' / 'groups'} "
              "(run the workflow there first)", file=sys.stderr)
        return 2
    table = summary(rows)
    text = markdown(table)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps({"workdir": str(args.workdir), "table": table, "groups": rows},
                                                   indent=2) + "\n")
    OUT.with_suffix(".md").write_text(text)
    print(text)
    over = sum(row["over_request"] for row in table)
    if over:
        print(f"group_memory: {over} group(s) peaked above their request; raise nnbench.workload's estimate",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
