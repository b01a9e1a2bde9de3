"""``nnbench findings-diff A B``: the claims whose verdict differs between two findings
tables (two machines, two BLAS kernels, two versions of the code)."""

from __future__ import annotations

from nnbench.commands import add_command, examples

#: Exit status: every verdict agrees / some differ (errors exit 2, as every command's).
SAME, DIFFERENT = 0, 1


def register(subparsers) -> None:
    """Add the ``findings-diff`` command."""
    parser = add_command(
        subparsers, "findings-diff",
        help="list the claims whose verdict differs between two findings.csv files",
        description="Compare two findings tables (reports/tables/findings.csv) row by row (claim "
                    "and dataset) and print one line per row whose verdict differs or that only "
                    "one table has: 'claim_id dataset: verdict-in-A -> verdict-in-B (estimate a -> "
                    "b, adjusted p a -> b)'. Exit status 0 when every verdict agrees, 1 when some "
                    "differ, 2 when a file cannot be read or lacks a column it needs (one line "
                    "naming the file and the column). docs/FINDINGS.md says which verdicts sit "
                    "near their threshold.",
        epilog=examples(
            "nnbench findings-diff machine-a/reports/tables/findings.csv machine-b/reports/tables/findings.csv",
            "nnbench findings-diff old.csv reports/tables/findings.csv || echo 'some verdicts differ'",
        ),
    )
    parser.add_argument("a", metavar="A", help="the first findings.csv")
    parser.add_argument("b", metavar="B", help="the second findings.csv")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    from nnbench.analysis.findings import read_findings, verdict_differences

    table_a, table_b = read_findings(args.a), read_findings(args.b)
    lines = verdict_differences(table_a, table_b)
    for line in lines:
        print(line)
    return DIFFERENT if lines else SAME
