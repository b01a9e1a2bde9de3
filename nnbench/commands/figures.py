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
                    "language, DIR/figures/<lang>/<name>.png (150 dpi), .svg and .pdf (the "
                    "config's figure_formats) and "
                    "DIR/manifest.json (English; manifest.<lang>.json for another language) "
                    "listing every figure and table with its section and caption; the tables "
                    "once, DIR/tables/<name>.csv, .md and .tex (booktabs). Studies without "
                    "results are skipped and named.",
        epilog=examples(
            "nnbench figures --config resources/config.json             # results/ -> reports/",
            "nnbench figures --lang en ko --jobs 2                      # both languages",
            "nnbench figures --results results --out-dir /tmp/figs --jobs 2",
            "nnbench figures --section optimizers batch_norm --lang en ko --out-dir resources/sections/job1",
            "nnbench figures --merge resources/sections/job1/optimizers resources/sections/job1/batch_norm "
            "--lang en ko --out-dir reports",
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
                        help="draw N sections at once (with --section: N languages of a section), each in "
                             "its own process (default 1)")
    parts = parser.add_mutually_exclusive_group()
    parts.add_argument("--section", nargs="+", metavar="ID", default=None,
                       help="draw only these sections (a figures job of the workflow), each into DIR/<ID>/: "
                            "its figures, tables and part.<lang>.json; only the studies of --config are read")
    parts.add_argument("--merge", nargs="+", metavar="PART", default=None,
                       help="gather section folders drawn with --section, in the report's order, into DIR "
                            "(hard links) and write its manifests")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Run :func:`nnbench.figures.make_all` once per language (or draw one section, or merge
    drawn sections); print a one-line summary each."""
    import sys

    from nnbench.figures import (drawing_order, draw_section_part, make_all, manifest_name,
                                 merge_section_parts)
    from nnbench.i18n import check_languages

    languages = check_languages(args.lang, "--lang")  # every code checked before anything is drawn
    if args.section is not None:
        from pathlib import Path

        from nnbench.figures import check_sections

        check_sections(args.section)  # every id checked before anything is drawn
        for section in args.section:
            parts = draw_section_part(args.results, Path(args.out_dir) / section, section, config=args.config,
                                      languages=languages, jobs=args.jobs)
            print(f"section {section}: wrote {len(parts[0]['figures'])} figures per language "
                  f"({', '.join(languages)}) and {len(parts[0]['tables'])} tables under {args.out_dir}/{section}/",
                  flush=True)
        return 0
    if args.merge is not None:
        manifests = merge_section_parts(args.merge, args.out_dir, config=args.config, results_dir=args.results,
                                        languages=languages)
    else:
        manifests = [make_all(args.results, args.out_dir, config=args.config, jobs=args.jobs, lang=lang,
                              write_tables=index == 0)
                     for index, lang in enumerate(drawing_order(languages))]
    for manifest in manifests:
        lang = manifest["language"]
        print(f"wrote {len(manifest['figures'])} figures ({lang}) and {len(manifest['tables'])} tables "
              f"under {args.out_dir}/ (manifest: {args.out_dir}/{manifest_name(lang)})")
    skipped = [s for section in manifest["sections"] for s in section["missing"]]
    if skipped:
        print(f"no results for: {', '.join(skipped)} (their figures are skipped)",
              file=sys.stderr)
    return 0
