"""Errors that reach the user as one line (the CLI prints them without a traceback)."""


class NnbenchError(ValueError):
    """Base class of every error caused by bad input: a bad spec, config, file or name.

    The message must name the bad value and say what is allowed or how to fix it.
    """


class SpecError(NnbenchError):
    """A run spec with an unknown key, an unknown name or a value out of range.

    Defined here, not in :mod:`nnbench.spec`, because the run kinds
    (:mod:`nnbench.runkinds`) raise it and :mod:`nnbench.spec` imports them.
    """


def closest(name, allowed):
    """The allowed name closest to ``name`` (for 'did you mean' hints), or None."""
    import difflib

    match = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=0.5)
    return match[0] if match else None
