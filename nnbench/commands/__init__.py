"""Subcommands of the ``nnbench`` command line (see :mod:`nnbench.cli`)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An argparse ``type=`` for counts (threads, jobs): an integer >= 1, else argparse's
    own error naming the option, the value and what is allowed."""
    from nnbench.errors import NnbenchError
    from nnbench.validation import COUNT

    try:
        return COUNT.check("value", text)
    except NnbenchError:  # argparse names the option itself
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; expected {COUNT.describe()}") from None
