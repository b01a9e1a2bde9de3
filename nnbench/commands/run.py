"""``nnbench run SPEC --out-dir DIR``: run one spec, write one record."""

from __future__ import annotations

import argparse
import sys

from nnbench.commands import add_command, add_out_dir, examples, positive_int


def register(subparsers) -> None:
    """Add the ``run`` command."""
    parser = add_command(
        subparsers, "run",
        help="run one spec and write its record (spec.json, curves.csv, summary.json)",
        description="Run one spec (a YAML or JSON file, or - for standard input) and write its record "
                    "into DIR: spec.json, curves.csv, summary.json. The folder is written under a "
                    "temporary name and renamed when complete. A bad spec writes nothing and exits 2; "
                    "a diverged run is a result (exit 0).",
        epilog=examples(
            "# adam.yaml holds:  {dataset: mnist, optimizer: {name: adam, lr: 0.001}, epochs: 2}",
            "nnbench run adam.yaml --out-dir results/runs/adam",
            "nnbench run - --out-dir /tmp/adam --threads 2 < adam.yaml    # the spec from standard input",
        ),
    )
    parser.add_argument("spec", metavar="SPEC", help="spec file (YAML or JSON), or - to read standard input")
    add_out_dir(parser, default=None, help="the record's folder, e.g. results/runs/<run_id> (required)")
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
    from nnbench.errors import NnbenchError
    from nnbench.runs import run
    from nnbench.spec import read_spec

    if not args.out_dir:
        raise NnbenchError("--out-dir DIR is required: the folder the run's record is written to")
    spec = read_spec(args.spec)
    summary = run(spec, out=args.out_dir, data_dir=args.data_dir, cache_dir=args.cache_dir, threads=args.threads,
                  progress=False if args.quiet else None)
    if not args.quiet:
        print(_summary_line(summary, args.out_dir), file=sys.stdout)
    return 0


def _summary_line(summary: dict, out: str) -> str:
    parts = [f"run {summary['run_id']} ({summary['kind']}): {summary['status']}"]
    if summary.get("final_test_acc") is not None:
        parts.append(f"test acc {summary['final_test_acc']:.4f}")
    if summary.get("final_f") is not None:
        parts.append(f"f {summary['final_f']:.4g}")
    parts.append(f"{summary['wall_seconds']:.2f} s")
    return ", ".join(parts) + f" -> {out}"
