"""``nnbench report``: render the self-contained HTML report, one per language."""

from __future__ import annotations

from nnbench.commands import add_command, examples
from nnbench.i18n import LANGUAGES, SOURCE_LANGUAGE

# The config as the workflow ran it (workflow/rules/common.smk writes it): the default when
# it exists, so a report re-rendered by hand cites the config that made the results.
WORKFLOW_CONFIG = "resources/config.json"
DEFAULT_CONFIG = "config/config.yaml"


def default_config() -> str:
    """resources/config.json when the workflow wrote one here, else config/config.yaml."""
    from pathlib import Path

    return WORKFLOW_CONFIG if Path(WORKFLOW_CONFIG).is_file() else DEFAULT_CONFIG


def add_rendering_inputs(parser, *, config_help: str) -> None:
    """--results, --reports and --config: what the report and the slides render from."""
    parser.add_argument("--results", default="results", metavar="RESULTS",
                        help="folder with the aggregated tables (default: results)")
    parser.add_argument("--reports", default="reports", metavar="REPORTS",
                        help="folder `nnbench figures` wrote (default: reports)")
    parser.add_argument("--config", default=None, metavar="CONFIG",
                        help=f"{config_help} (default: {WORKFLOW_CONFIG}, which the workflow "
                             f"writes, when it exists, else {DEFAULT_CONFIG})")


def register(subparsers) -> None:
    """Add the ``report`` command."""
    parser = add_command(
        subparsers, "report",
        help="render reports/report.html (one self-contained file per language)",
        description="Render one HTML file per language that opens offline (figures embedded, CSS "
                    "inline, tables downloadable as CSV, Markdown and LaTeX) from REPORTS/manifest.json "
                    "(manifest.<lang>.json) and the files `nnbench figures --lang` wrote, the run counts in "
                    "RESULTS/<study>/runs.csv and the config file (shown under provenance): "
                    "REPORTS/report.html in English, REPORTS/report.<lang>.html in another language.",
        epilog=examples(
            "nnbench report                        # after the workflow: reports/report.html",
            "nnbench report --lang en ko           # reports/report.html and reports/report.ko.html",
            "nnbench report --config config/quick.yaml --out /tmp/quick.html",
        ),
    )
    add_rendering_inputs(parser, config_help="the config the workflow ran")
    parser.add_argument("--lang", nargs="+", default=[SOURCE_LANGUAGE], metavar="LANG",
                        help=f"the languages of the report, one or more of {', '.join(LANGUAGES)} "
                             f"(default {SOURCE_LANGUAGE}); each links to the others")
    parser.add_argument("--out", default=None, metavar="HTML",
                        help="output file of a single language (default: REPORTS/report.html, "
                             "REPORTS/report.<lang>.html)")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Run :func:`nnbench.report.render` once per language; print where each report is and its size."""
    from pathlib import Path

    from nnbench.i18n import LanguageError, check_languages
    from nnbench.report import render, report_name

    languages = check_languages(args.lang, "--lang")
    if args.out and len(languages) > 1:
        raise LanguageError(f"--out names one file but --lang gives {len(languages)} languages "
                            f"({', '.join(languages)}); leave --out out to write REPORTS/report.<lang>.html")
    config = args.config or default_config()
    for lang in languages:
        out = Path(args.out) if args.out else Path(args.reports) / report_name(lang)
        path = render(args.results, args.reports, config, out, lang=lang, languages=languages)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    return 0
