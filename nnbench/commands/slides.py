"""``nnbench slides``: the lecture's slide deck per language, from the report's inputs."""

from __future__ import annotations

from nnbench.commands import add_command, examples
from nnbench.commands.report import add_rendering_inputs, default_config


def register(subparsers) -> None:
    """Add the ``slides`` command."""
    parser = add_command(
        subparsers, "slides",
        help="write reports/slides/lecture.<lang>.pptx (the seed deck with the measured results)",
        description="Write one PowerPoint deck per language that follows the seed lecture slide for "
                    "slide: each claim's slide shows its measured figure, the verdict with its "
                    "estimate, interval and n from REPORTS/tables/findings.csv, and the deck's "
                    "sentence quoted; then the findings as a table, the corrections and the closing "
                    "slide. Reads what `nnbench report` reads (REPORTS/manifest.json, the figures and "
                    "tables, RESULTS/<study>/runs.csv for the citation); provenance goes to the "
                    "slide notes. The decks are listed in REPORTS/manifest.json.",
        epilog=examples(
            "nnbench slides --config resources/config.json    # after the workflow: both decks",
            "nnbench slides --lang ko                         # reports/slides/lecture.ko.pptx only",
        ),
    )
    add_rendering_inputs(parser, config_help="the config the workflow ran; its `languages` are the "
                                             "decks written when --lang is not given")
    parser.add_argument("--lang", nargs="+", default=None, metavar="LANG",
                        help="the languages of the decks, one or more (default: the config's "
                             "`languages`, else every language nnbench has)")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Run :func:`nnbench.slides.write_decks`; print each deck written and its slide count."""
    from nnbench.slides import write_decks

    for path, slides in write_decks(args.results, args.reports, args.config or default_config(), args.lang):
        print(f"wrote {path} ({slides} slides, {path.stat().st_size / 2**20:.1f} MiB)")
    return 0
