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
from nnbench.errors import NnbenchError

# In the order of the data flow: config -> grid -> runs -> aggregate -> figures -> report -> slides
# -> bundle.
COMMANDS = ("data", "run", "run_group", "grid", "aggregate", "figures", "report", "slides", "bundle")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnbench",
        description="Reproducible benchmarks of neural-network training techniques.",
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
    return parser


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
