"""``nnbench run SPEC --out DIR``: run one spec, write one record."""

from __future__ import annotations

import argparse
import sys

from nnbench.commands import positive_int


def register(subparsers) -> None:
    """Add the ``run`` command."""
    parser = subparsers.add_parser(
        "run",
        help="run one spec and write its record (spec.json, curves.csv, summary.json)",
        description="Run one spec (a YAML or JSON file, or - for standard input) and write its record "
                    "into DIR: spec.json, curves.csv, summary.json. The folder is written under a "
                    "temporary name and renamed when complete. A bad spec writes nothing and exits 2; "
                    "a diverged run is a result (exit 0).",
    )
    parser.add_argument("spec", metavar="SPEC", help="spec file (YAML or JSON), or - to read standard input")
    parser.add_argument("--out", required=True, metavar="DIR", help="the record's folder, e.g. results/runs/<run_id>")
    add_environment_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    parser.set_defaults(func=handle)


def add_environment_options(parser) -> None:
    """--threads, --data-dir and --cache-dir: where and how runs run, never part of a spec."""
    parser.add_argument("--threads", type=positive_int, default=1, metavar="N",
                        help="BLAS threads for each run (default 1)")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="folder holding mnist/ and fashion-mnist/ (not part of the spec)")
    parser.add_argument("--cache-dir", metavar="DIR", default=None, help="dataset cache folder (not part of the spec)")




def handle(args: argparse.Namespace) -> int:
    """Run the spec; print one summary line on stdout unless ``--quiet``."""
    from nnbench.runs import run
    from nnbench.spec import read_spec

    spec = read_spec(args.spec)
    summary = run(spec, out=args.out, data_dir=args.data_dir, cache_dir=args.cache_dir, threads=args.threads,
                  progress=False if args.quiet else None)
    if not args.quiet:
        print(_summary_line(summary, args.out), file=sys.stdout)
    return 0


def _summary_line(summary: dict, out: str) -> str:
    parts = [f"run {summary['run_id']} ({summary['kind']}): {summary['status']}"]
    if summary.get("final_test_acc") is not None:
        parts.append(f"test acc {summary['final_test_acc']:.4f}")
    if summary.get("final_f") is not None:
        parts.append(f"f {summary['final_f']:.4g}")
    parts.append(f"{summary['wall_seconds']:.2f} s")
    return ", ".join(parts) + f" -> {out}"
