"""``nnbench run-group FILE --results DIR``: train a group of runs in one process."""

from __future__ import annotations

import argparse
import resource
import sys

from nnbench.commands.run import add_environment_options


def register(subparsers) -> None:
    """Add the ``run-group`` command."""
    parser = subparsers.add_parser(
        "run-group",
        help="train the runs of a group file in one process, one record each",
        description="Train, one after another in this process, every run of a group file "
                    "(resources/groups/<group_id>.json, written by the workflow) whose complete record "
                    "is missing under DIR/runs/<run_id>. Each record is written the moment its run ends, "
                    "exactly as `nnbench run` writes it; a killed group keeps its finished records. "
                    "Prints one line per run (status, wall and CPU seconds, folder) and the CPU "
                    "seconds of the whole process.",
    )
    parser.add_argument("group", metavar="FILE", help="group file: JSON with a 'runs' list of specs with run_id")
    parser.add_argument("--results", required=True, metavar="DIR", help="results folder (records go to DIR/runs/)")
    add_environment_options(parser)
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from nnbench.groups import group_log_line, read_group_file, run_group

    def report(line: str) -> None:
        print(line, file=sys.stdout, flush=True)

    specs = read_group_file(args.group)
    trained = run_group(specs, args.results, data_dir=args.data_dir, cache_dir=args.cache_dir,
                        threads=args.threads, report=report)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report(group_log_line(len(trained), len(specs), usage.ru_utime + usage.ru_stime))
    return 0
