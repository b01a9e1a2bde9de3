"""``nnbench report``: render the self-contained HTML report."""

from __future__ import annotations


def register(subparsers) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser(
        "report",
        help="render reports/report.html (one self-contained file)",
        description="Render one HTML file that opens offline (figures embedded, CSS inline, "
                    "tables downloadable as CSV) from REPORTS/manifest.json and the files "
                    "`nnbench figures` wrote, the run counts in RESULTS/<study>/runs.csv and "
                    "the config file (shown under provenance).",
    )
    parser.add_argument("--results", default="results", metavar="RESULTS",
                        help="folder with the aggregated tables (default: results)")
    parser.add_argument("--reports", default="reports", metavar="REPORTS",
                        help="folder `nnbench figures` wrote (default: reports)")
    parser.add_argument("--config", default="config/config.yaml", metavar="CONFIG",
                        help="the config YAML the workflow ran (default: config/config.yaml)")
    parser.add_argument("--out", default=None, metavar="HTML",
                        help="output file (default: REPORTS/report.html)")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Run :func:`nnbench.report.render`; print where the report is and its size."""
    from pathlib import Path

    from nnbench.report import render

    out = Path(args.out) if args.out else Path(args.reports) / "report.html"
    path = render(args.results, args.reports, args.config, out)
    print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    return 0
