"""``nnbench grid --config CONFIG``: list (or count) the runs a study config asks for."""

from __future__ import annotations

import argparse
import sys

from nnbench.commands import add_command, examples


def register(subparsers) -> None:
    """Add the ``grid`` command."""
    parser = add_command(
        subparsers, "grid",
        help="list or count the runs a config asks for",
        description="Validate CONFIG and print its runs, one line per run (study, run_id, axis values), "
                    "or with --count the number of runs per study. Runs shared by several studies have "
                    "the same run_id and run once. A tuned study (tune:) is listed once its source "
                    "study's choice exists under --results; before that it is counted as pending.",
        epilog=examples(
            "nnbench grid --config config/config.yaml --count",
            "nnbench grid --config config/quick.yaml --study batch_norm --format tsv",
        ),
    )
    parser.add_argument("--config", metavar="CONFIG", default=None,
                        help="study config, e.g. config/config.yaml (required)")
    # the old form `nnbench grid CONFIG`: still accepted, with a line naming the new one
    parser.add_argument("positional_config", nargs="?", metavar="CONFIG", help=argparse.SUPPRESS)
    parser.add_argument("--study", action="append", metavar="S", default=None,
                        help="only this study (repeatable)")
    parser.add_argument("--count", action="store_true", help="print the number of runs per study")
    parser.add_argument("--results", default=None, metavar="DIR",
                        help="results folder holding tuned choices (default: the config's `results`)")
    parser.add_argument("--format", choices=("table", "tsv", "json"), default="table",
                        help="output format of the run list (default: table)")
    parser.set_defaults(func=handle)


def _choices(config, names, results):
    """The tuned choices already written under ``results`` (tuned study -> TunedChoice)."""
    from nnbench.choice import TunedChoice, choice_path
    from nnbench.config import tuned_studies

    return {name: TunedChoice.read(choice_path(results, name)) for name in tuned_studies(config)
            if name in names and choice_path(results, name).is_file()}


def handle(args) -> int:
    """Print the runs or the counts; exit 0, or 2 (via NnbenchError) for a bad config."""
    import json

    from nnbench.config import ConfigError, load_config
    from nnbench.grid import expand_study, format_value, pending_count
    from nnbench.validation import unknown_name_error

    if args.positional_config:
        if args.config:
            raise ConfigError(f"give the config once: --config {args.config} or {args.positional_config}, not both")
        print("nnbench: warning: `nnbench grid CONFIG` is deprecated; use nnbench grid --config CONFIG",
              file=sys.stderr)
        args.config = args.positional_config
    if not args.config:
        raise ConfigError("--config CONFIG is required, e.g. nnbench grid --config config/config.yaml --count")
    config = load_config(args.config)
    names = args.study or list(config["studies"])
    for name in names:
        if name not in config["studies"]:
            raise unknown_name_error(f"study of {args.config}", name, config["studies"], where="--study",
                                     error=ConfigError)
    choices = _choices(config, names, args.results or config["results"])
    rows_by_study, pending = {}, {}
    for name in names:
        if config["studies"][name].get("tune") and name not in choices:
            pending[name] = pending_count(config, name)
            continue
        rows_by_study[name] = expand_study(config, name, choices.get(name))

    out = sys.stdout
    if args.count:
        unique = set()
        width = max(len(name) for name in names)
        print(f"{'study':<{width}}  runs", file=out)
        for name in names:
            if name in pending:
                source = config["studies"][name]["tune"]["from"]
                print(f"{name:<{width}}  {pending[name]} (pending: values chosen from {source})", file=out)
            else:
                print(f"{name:<{width}}  {len(rows_by_study[name])}", file=out)
                unique.update(row.run_id for row in rows_by_study[name])
        total = sum(len(rows) for rows in rows_by_study.values())
        line = f"total: {total} study runs, {len(unique)} distinct runs"
        if pending:
            line += f" (+ up to {sum(pending.values())} pending tuned runs)"
        print(line, file=out)
        return 0

    rows = [row for name in names if name in rows_by_study for row in rows_by_study[name]]
    if args.format == "json":
        json.dump([{"study": row.study, "run_id": row.run_id, "axes": row.axes, "spec": row.spec} for row in rows],
                  out, indent=2, sort_keys=True)
        print(file=out)
        return 0
    separator = "\t" if args.format == "tsv" else "  "
    width = max([len(row.study) for row in rows] + [5])
    print(separator.join([f"{'study':<{width}}" if args.format == "table" else "study", "run_id", "axes"]), file=out)
    for row in rows:
        study = f"{row.study:<{width}}" if args.format == "table" else row.study
        axes = " ".join(f"{key}={format_value(value)}" for key, value in row.axes.items())
        print(separator.join([study, row.run_id, axes]), file=out)
    for name, count in pending.items():
        print(f"# {name}: {count} runs pending (values of {config['studies'][name]['tune']['key']} chosen from "
              f"{config['studies'][name]['tune']['from']})", file=out)
    return 0
