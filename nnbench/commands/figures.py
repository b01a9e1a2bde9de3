"""``nnbench figures``: every figure and table of the report, plus ``manifest.json``."""

from __future__ import annotations

from nnbench.commands import add_command, add_out_dir, examples, positive_int
from nnbench.i18n import LANGUAGES, SOURCE_LANGUAGE


def register(subparsers) -> None:
    """Add the ``figures`` command."""
    parser = add_command(
        subparsers, "figures",
        help="draw the figures and tables from results/<study>/*.csv",
        description="Read the aggregated tables under RESULTS/<study>/ and write, for each "
                    "language, DIR/figures/<lang>/<name>.png (150 dpi), .svg and .pdf and "
                    "DIR/manifest.json (English; manifest.<lang>.json for another language) "
                    "listing every figure and table with its section and caption; the tables "
                    "once, DIR/tables/<name>.csv, .md and .tex (booktabs). Studies without "
                    "results are skipped and named.",
        epilog=examples(
            "nnbench figures --config resources/config.json             # results/ -> reports/",
            "nnbench figures --lang en ko --jobs 2                      # both languages",
            "nnbench figures --results results --out-dir /tmp/figs --jobs 2",
        ),
    )
    parser.add_argument("--results", default="results", metavar="RESULTS",
                        help="folder with the aggregated tables (default: results)")
    add_out_dir(parser, default="reports", help="output folder (default: reports)")
    parser.add_argument("--config", default=None, metavar="CONFIG",
                        help="the config the workflow ran, YAML or JSON (optional; study titles and the plots of your own studies)")
    parser.add_argument("--lang", nargs="+", default=[SOURCE_LANGUAGE], metavar="LANG",
                        help=f"the languages of the figures and captions, one or more of {', '.join(LANGUAGES)} "
                             f"(default {SOURCE_LANGUAGE})")
    parser.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                        help="draw N sections at once, each in its own process (default 1)")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Run :func:`nnbench.figures.make_all` once per language; print a one-line summary each."""
    import sys

    from nnbench.figures import make_all, manifest_name
    from nnbench.i18n import check_languages

    languages = check_languages(args.lang, "--lang")  # every code checked before anything is drawn
    # the tables are data, the same in every language: the source language's pass writes them
    languages = sorted(languages, key=lambda lang: lang != SOURCE_LANGUAGE)
    for index, lang in enumerate(languages):
        manifest = make_all(args.results, args.out_dir, config=args.config, jobs=args.jobs, lang=lang,
                            write_tables=index == 0)
        print(f"wrote {len(manifest['figures'])} figures ({lang}) and {len(manifest['tables'])} tables "
              f"under {args.out_dir}/ (manifest: {args.out_dir}/{manifest_name(lang)})")
    skipped = [s for section in manifest["sections"] for s in section["missing"]]
    if skipped:
        print(f"no results for: {', '.join(skipped)} (their figures are skipped)",
              file=sys.stderr)
    return 0
