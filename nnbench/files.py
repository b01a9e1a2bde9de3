"""Writing a file so that no reader ever sees it half-written.

Every stage writes its outputs this way (data caches, spec files, tables, figures, the
report): several workflow jobs may read while another writes, and a killed process must
never leave something that looks finished.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def default_file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give: 0666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_open(path, mode: str = "w", *, prefix: str | None = None, file_mode: int | None = None,
                fsync: bool = False, newline: str | None = None):
    """Open a temporary sibling of ``path`` for writing; on success rename it to ``path``.

    On any error the temporary file is deleted and ``path`` is left as it was. ``prefix``
    names the temporary file (default ``.<name>.``), ``file_mode`` its final permissions
    (default: as ``open`` would give; ``mkstemp`` makes 0600), ``fsync`` flushes it to disk
    before the rename. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=prefix or f".{path.name}.", suffix=".tmp")
    try:
        text_options = {} if "b" in mode else {"newline": newline, "encoding": "utf-8"}
        with os.fdopen(handle, mode, **text_options) as stream:
            yield stream
            if fsync:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, default_file_mode() if file_mode is None else file_mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
