"""``nnbench report``: render the self-contained HTML report, one per language."""

from __future__ import annotations

from nnbench.i18n import LANGUAGES, SOURCE_LANGUAGE


def register(subparsers) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser(
        "report",
        help="render reports/report.html (one self-contained file per language)",
        description="Render one HTML file per language that opens offline (figures embedded, CSS "
                    "inline, tables downloadable as CSV, Markdown and LaTeX) from REPORTS/manifest.json "
                    "(manifest.<lang>.json) and the files `nnbench figures --lang` wrote, the run counts in "
                    "RESULTS/<study>/runs.csv and the config file (shown under provenance): "
                    "REPORTS/report.html in English, REPORTS/report.<lang>.html in another language.",
    )
    parser.add_argument("--results", default="results", metavar="RESULTS",
                        help="folder with the aggregated tables (default: results)")
    parser.add_argument("--reports", default="reports", metavar="REPORTS",
                        help="folder `nnbench figures` wrote (default: reports)")
    parser.add_argument("--config", default="config/config.yaml", metavar="CONFIG",
                        help="the config YAML the workflow ran (default: config/config.yaml)")
    parser.add_argument("--lang", nargs="+", default=[SOURCE_LANGUAGE], metavar="LANG",
                        help=f"the languages of the report, one or more of {', '.join(LANGUAGES)} "
                             f"(default {SOURCE_LANGUAGE}); each links to the others")
    parser.add_argument("--out", default=None, metavar="HTML",
                        help="output file of a single language (default: REPORTS/report.html, "
                             "REPORTS/report.<lang>.html)")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Run :func:`nnbench.report.render`; print where the report is and its size."""
    from pathlib import Path

    from nnbench.i18n import LanguageError, check_languages
    from nnbench.report import render, report_name

    languages = check_languages(args.lang, "--lang")
    if args.out and len(languages) > 1:
        raise LanguageError(f"--out names one file but --lang gives {len(languages)} languages "
                            f"({', '.join(languages)}); leave --out out to write REPORTS/report.<lang>.html")
    for lang in languages:
        out = Path(args.out) if args.out else Path(args.reports) / report_name(lang)
        path = render(args.results, args.reports, args.config, out, lang=lang, languages=languages)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    return 0
