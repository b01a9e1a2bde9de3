"""``nnbench run-group FILE --results DIR``: train a group of runs in one process."""

from __future__ import annotations

import argparse
import sys
import time

from nnbench.commands import add_command, examples
from nnbench.commands.run import add_environment_options

# Internal: the workflow's run jobs call it (workflow/rules/runs.smk); `nnbench --help`
# does not list it (nnbench.cli hides it), its own --help says what it is for.
INTERNAL = True


def register(subparsers) -> None:
    """Add the ``run-group`` command."""
    parser = add_command(
        subparsers, "run-group",
        help="internal (the workflow's run jobs): train the runs of a group file in one process",
        description="Internal command of the workflow (workflow/rules/runs.smk); to run one "
                    "spec by hand, use `nnbench run`. Train, one after another in this process, "
                    "every run of a group file (resources/groups/<group_id>.json, written by the workflow) whose complete record "
                    "is missing under DIR/runs/<run_id>. Each record is written the moment its run ends, "
                    "exactly as `nnbench run` writes it; a killed group keeps its finished records. "
                    "Prints one line per run (status, wall and CPU seconds, folder) and the CPU "
                    "seconds of the whole process.",
        epilog=examples(
            "nnbench run-group resources/groups/<group_id>.json --results results --threads 1",
        ),
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
    # user + system CPU seconds of this process (getrusage's ru_utime + ru_stime, on every OS)
    report(group_log_line(len(trained), len(specs), time.process_time()))
    return 0
