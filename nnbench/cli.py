"""The ``nnbench`` command line: one subcommand per module in :mod:`nnbench.commands`.

Each command module defines ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments, returning an exit code). Heavy imports
happen inside the command functions so that ``nnbench --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from nnbench import __version__
from nnbench.commands import HelpFormatter, examples
from nnbench.errors import NnbenchError

# In the order of the data flow: config -> grid -> runs -> aggregate -> figures -> report -> slides
# -> bundle.
COMMANDS = ("data", "run", "run_group", "grid", "aggregate", "figures", "report", "slides", "bundle",
            "findings_diff")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnbench",
        description="Reproducible benchmarks of neural-network training techniques. The whole study "
                    "runs with `snakemake --cores N` (see README.md); these commands are its steps. "
                    "`nnbench COMMAND --help` shows each command's options and examples.",
        epilog=examples(
            "nnbench data fetch",
            "nnbench grid --config config/config.yaml --count",
            "nnbench run my_spec.yaml --out-dir results/runs/mine",
            "nnbench report --out /tmp/report.html",
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nnbench {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"nnbench.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"nnbench.commands.{name}":
                raise
            continue  # command not built yet
        module.register(subparsers)
        if getattr(module, "INTERNAL", False):
            _hide(subparsers, name.replace("_", "-"))
    return parser


def _hide(subparsers, command: str) -> None:
    """Leave an internal command out of `nnbench --help` (it still runs, with its own --help).

    argparse has no public way: ``help=SUPPRESS`` prints "==SUPPRESS==" before Python 3.13,
    so its line is taken out of the listing; where that private list is missing, the line
    stays, and its help text says "internal".
    """
    listing = getattr(subparsers, "_choices_actions", None)
    if isinstance(listing, list):
        listing[:] = [action for action in listing if action.dest != command]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except NnbenchError as error:
        print(f"nnbench: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nnbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
