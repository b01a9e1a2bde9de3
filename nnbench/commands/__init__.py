"""Subcommands of the ``nnbench`` command line (see :mod:`nnbench.cli`).

Option names mean one thing in every command: ``--out-dir DIR`` is a folder the command
writes into, ``--out FILE`` one file it writes, ``--config CONFIG`` the study config.
"""

from __future__ import annotations

import argparse
import sys


def positive_int(text: str) -> int:
    """An argparse ``type=`` for counts (threads, jobs): an integer >= 1, else argparse's
    own error naming the option, the value and what is allowed."""
    from nnbench.errors import NnbenchError
    from nnbench.validation import COUNT

    try:
        return COUNT.check("value", text)
    except NnbenchError:  # argparse names the option itself
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; expected {COUNT.describe()}") from None


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, except that an ``examples:`` epilog keeps its lines as written."""

    def _fill_text(self, text, width, indent):
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def examples(*command_lines: str) -> str:
    """The epilog of a command's help: the given lines (commands, ``# comments``) as written."""
    return "\n".join(["examples:", *(f"  {line}" for line in command_lines)])


def add_command(subparsers, name: str, *, help: str, description: str, epilog: str):
    """``subparsers.add_parser`` with nnbench's help formatter and an examples epilog."""
    return subparsers.add_parser(name, help=help, description=description, epilog=epilog,
                                 formatter_class=HelpFormatter)


class DeprecatedOption(argparse.Action):
    """An old option name that still works (hidden from --help): it stores into the new
    option's ``dest`` and prints one line naming the replacement."""

    def __init__(self, option_strings, dest, replacement: str, **kwargs):
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs)
        self.replacement = replacement

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"nnbench: warning: `{parser.prog} {option_string}` is deprecated; use {self.replacement}",
              file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_out_dir(parser, *, default: str | None, help: str) -> None:
    """``--out-dir DIR`` (the folder a command writes), and ``--out`` as its deprecated name."""
    parser.add_argument("--out-dir", dest="out_dir", metavar="DIR", default=default, help=help)
    parser.add_argument("--out", dest="out_dir", metavar="DIR", action=DeprecatedOption, replacement="--out-dir DIR")
