"""Subcommands of the ``nnbench`` command line (see :mod:`nnbench.cli`)."""
