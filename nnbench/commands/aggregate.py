"""``nnbench aggregate``: gather run records into a study's tidy tables, or choose tuned values."""

from __future__ import annotations

import sys

from nnbench.commands import add_command, examples
from nnbench.vocabulary import DEFAULT_TUNE_METRIC, GOALS


def register(subparsers) -> None:
    """Add the ``aggregate`` command."""
    parser = add_command(
        subparsers, "aggregate",
        help="gather run records into results/<study>/*.csv",
        description="Write results/<study>/runs.csv and curves.csv (plus histograms.csv and "
                    "minibatch_spread.csv when the runs have them) from run folders. The runs are "
                    "either given as RUN folders (or their summary.json files), or per study with "
                    "--study-runs (several studies in one process), or taken from "
                    "--config (every study, or those named with --study). With --choose KEY, instead "
                    "write the best value of KEY per setting of the sweep's other varying keys "
                    "(the tuned study's choice) to the JSON file --out FILE.",
        epilog=examples(
            "nnbench aggregate --config config/quick.yaml                # every study of the config",
            "nnbench aggregate --config config/config.yaml --study batch_norm",
            "nnbench aggregate --study mine results/runs/* --out-dir results/mine",
            "nnbench aggregate --study-runs a results/runs/1* --study-runs b results/runs/2*   # one process",
            "nnbench aggregate --choose optimizer.lr results/runs/* --out choice.json",
        ),
    )
    parser.add_argument("runs", nargs="*", metavar="RUN", help="run folders, e.g. results/runs/<run_id>")
    parser.add_argument("--study", action="append", metavar="S", default=None,
                        help="study name (the first column of every table); with --config, repeatable")
    parser.add_argument("--study-runs", nargs="+", action="append", metavar=("S", "RUN"), default=None,
                        help="a study and its run folders, written to <results>/<S>; repeatable: "
                             "several studies in one process (the workflow's cheap studies)")
    parser.add_argument("--config", metavar="CONFIG", default=None,
                        help="take each study's runs from this config instead of RUN arguments")
    parser.add_argument("--results", metavar="DIR", default=None,
                        help="results folder (default: the config's `results`, else results)")
    parser.add_argument("--out-dir", metavar="DIR", default=None,
                        help="output folder of the tables (default: <results>/<study>)")
    parser.add_argument("--out", metavar="FILE", default=None,
                        help="with --choose: the JSON file of the choice")
    parser.add_argument("--choose", metavar="KEY", default=None,
                        help="choose the best value of this spec key (e.g. optimizer.lr) from RUN folders")
    parser.add_argument("--metric", default=DEFAULT_TUNE_METRIC, metavar="M",
                        help=f"summary key scoring a run for --choose (default: {DEFAULT_TUNE_METRIC})")
    parser.add_argument("--goal", choices=GOALS, default="max", help="maximise or minimise --metric")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Aggregate or choose; bad input raises an NnbenchError (exit 2)."""
    from pathlib import Path

    from nnbench.aggregate import aggregate_study, choose_best
    from nnbench.errors import NnbenchError

    if args.choose:
        if not args.runs or not args.out:
            raise NnbenchError("--choose needs RUN folders (the sweep's runs) and --out FILE")
        if args.out_dir:
            raise NnbenchError("--out-dir is for the tables; with --choose, give --out FILE")
        choice = choose_best(args.runs, args.choose, metric=args.metric, goal=args.goal)
        choice.write(args.out)
        for item in choice.choices:
            group = ", ".join(f"{key}={value}" for key, value in item.group.items()) or "all runs"
            print(f"{group}: {args.choose}={item.value} ({args.metric} {item.score})", file=sys.stdout)
        return 0
    if args.out:  # the old name of --out-dir in this mode
        print("nnbench: warning: `nnbench aggregate --out DIR` is deprecated; use --out-dir DIR "
              "(--out is the file of --choose)", file=sys.stderr)
        args.out_dir = args.out_dir or args.out

    if args.study_runs:
        if args.runs or args.study or args.config or args.out_dir:
            raise NnbenchError("--study-runs S RUN... names each study's runs; give no RUN folders, --study, "
                               "--config or --out-dir with it")
        return _aggregate_study_runs(args.study_runs, Path(args.results or "results"))
    if args.config:
        if args.runs:
            raise NnbenchError("give either RUN folders or --config, not both")
        return _aggregate_config(args)
    if not args.study or len(args.study) != 1:
        raise NnbenchError("--study S (one study name) is required with RUN folders")
    if not args.runs:
        raise NnbenchError(f"no RUN folders given for study {args.study[0]!r}; give run folders or --config")
    study = args.study[0]
    out = Path(args.out_dir) if args.out_dir else Path(args.results or "results") / study
    written = aggregate_study(study, args.runs, out)
    print(f"{study}: {len(set(args.runs))} runs -> {', '.join(str(path) for path in written)}", file=sys.stdout)
    return 0


def _aggregate_study_runs(study_runs, results) -> int:
    """Each ``[study, run, ...]`` of ``--study-runs`` into ``results/<study>``, in order;
    every study's runs are given and every record read before any table is written."""
    from nnbench.aggregate import study_records, write_study_tables
    from nnbench.errors import NnbenchError

    for study, *runs in study_runs:
        if not runs:
            raise NnbenchError(f"--study-runs {study}: no RUN folders given; "
                               "give the study's run folders after its name")
    records = [study_records(runs) for _study, *runs in study_runs]
    for (study, *_runs), study_record_list in zip(study_runs, records):
        written = write_study_tables(study, study_record_list, results / study)
        print(f"{study}: {len(study_record_list)} runs -> {', '.join(str(path) for path in written)}",
              file=sys.stdout)
    return 0


def _aggregate_config(args) -> int:
    from pathlib import Path

    from nnbench.aggregate import aggregate_study, study_run_dirs
    from nnbench.choice import TunedChoice, choice_path
    from nnbench.config import load_config
    from nnbench.errors import NnbenchError
    from nnbench.grid import expand_study

    config = load_config(args.config)
    results = Path(args.results or config["results"])
    names = args.study or list(config["studies"])
    if args.out_dir and len(names) > 1:
        raise NnbenchError("--out-dir needs a single --study")
    for name in names:
        tuned = bool(config["studies"].get(name, {}).get("tune"))
        rows = expand_study(config, name, TunedChoice.read(choice_path(results, name)) if tuned else None)
        out = Path(args.out_dir) if args.out_dir else results / name
        written = aggregate_study(name, study_run_dirs(rows, results), out)
        print(f"{name}: {len(rows)} runs -> {', '.join(str(path) for path in written)}", file=sys.stdout)
    return 0
