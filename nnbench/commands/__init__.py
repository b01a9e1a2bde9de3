"""Subcommands of the ``nnbench`` command line (see :mod:`nnbench.cli`)."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An argparse ``type=`` for counts (threads, jobs): an integer >= 1, else argparse's
    own error naming the option, the value and what is allowed."""
    import numbers

    from nnbench.errors import NnbenchError
    from nnbench.validation import Interval

    count = Interval(numbers.Integral, 1, None)
    try:
        return count.check("value", text)
    except NnbenchError:  # argparse names the option itself
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; expected {count.describe()}") from None
