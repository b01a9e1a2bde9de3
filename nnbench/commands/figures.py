"""``nnbench figures``: every figure and table of the report, plus ``manifest.json``."""

from __future__ import annotations

from nnbench.commands import add_command, add_out_dir, examples, positive_int


def register(subparsers) -> None:
    """Add the ``figures`` command."""
    parser = add_command(
        subparsers, "figures",
        help="draw the figures and tables from results/<study>/*.csv",
        description="Read the aggregated tables under RESULTS/<study>/ and write "
                    "DIR/figures/<name>.png (150 dpi) and .svg, DIR/tables/<name>.csv, .md and "
                    ".tex (booktabs), and DIR/manifest.json listing every figure and table with "
                    "its section and caption. Studies without results are skipped and named.",
        epilog=examples(
            "nnbench figures --config resources/config.json             # results/ -> reports/",
            "nnbench figures --results results --out-dir /tmp/figs --jobs 2",
        ),
    )
    parser.add_argument("--results", default="results", metavar="RESULTS",
                        help="folder with the aggregated tables (default: results)")
    add_out_dir(parser, default="reports", help="output folder (default: reports)")
    parser.add_argument("--config", default=None, metavar="CONFIG",
                        help="the config the workflow ran, YAML or JSON (optional; study titles and the plots of your own studies)")
    parser.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                        help="draw N sections at once, each in its own process (default 1)")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Run :func:`nnbench.figures.make_all`; print a one-line summary."""
    import sys

    from nnbench.figures import make_all

    manifest = make_all(args.results, args.out_dir, config=args.config, jobs=args.jobs)
    skipped = [s for section in manifest["sections"] for s in section["missing"]]
    print(f"wrote {len(manifest['figures'])} figures and {len(manifest['tables'])} tables "
          f"under {args.out_dir}/ (manifest: {args.out_dir}/manifest.json)")
    if skipped:
        print(f"no results for: {', '.join(skipped)} (their figures are skipped)",
              file=sys.stderr)
    return 0
