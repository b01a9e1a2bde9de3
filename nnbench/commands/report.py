"""``nnbench report``: render the self-contained HTML report."""

from __future__ import annotations

from nnbench.commands import add_command, examples

# The config as the workflow ran it (workflow/rules/common.smk writes it): the default when
# it exists, so a report re-rendered by hand cites the config that made the results.
WORKFLOW_CONFIG = "resources/config.json"
DEFAULT_CONFIG = "config/config.yaml"


def default_config() -> str:
    """resources/config.json when the workflow wrote one here, else config/config.yaml."""
    from pathlib import Path

    return WORKFLOW_CONFIG if Path(WORKFLOW_CONFIG).is_file() else DEFAULT_CONFIG


def register(subparsers) -> None:
    """Add the ``report`` command."""
    parser = add_command(
        subparsers, "report",
        help="render reports/report.html (one self-contained file)",
        description="Render one HTML file that opens offline (figures embedded, CSS inline, "
                    "tables downloadable as CSV) from REPORTS/manifest.json and the files "
                    "`nnbench figures` wrote, the run counts in RESULTS/<study>/runs.csv and "
                    "the config file (shown under provenance).",
        epilog=examples(
            "nnbench report                        # after the workflow: reports/report.html",
            "nnbench report --config config/quick.yaml --out /tmp/quick.html",
        ),
    )
    parser.add_argument("--results", default="results", metavar="RESULTS",
                        help="folder with the aggregated tables (default: results)")
    parser.add_argument("--reports", default="reports", metavar="REPORTS",
                        help="folder `nnbench figures` wrote (default: reports)")
    parser.add_argument("--config", default=None, metavar="CONFIG",
                        help=f"the config the workflow ran (default: {WORKFLOW_CONFIG}, which the workflow "
                             f"writes, when it exists, else {DEFAULT_CONFIG})")
    parser.add_argument("--out", default=None, metavar="HTML",
                        help="output file (default: REPORTS/report.html)")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Run :func:`nnbench.report.render`; print where the report is and its size."""
    from pathlib import Path

    from nnbench.report import render

    out = Path(args.out) if args.out else Path(args.reports) / "report.html"
    path = render(args.results, args.reports, args.config or default_config(), out)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    return 0
