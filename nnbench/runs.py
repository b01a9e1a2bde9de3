"""Execute one run spec and write its record.

:func:`run` is the unit the workflow fans out over. It resolves the spec (so a bad spec
fails before anything is written), pins BLAS to ``threads`` for the whole run, executes
the spec's kind (:mod:`nnbench.runkinds`), completes the summary (timings, threads and
the code identity of :func:`nnbench.provenance.code_identity`) and, when ``out`` is given, writes the record (:mod:`nnbench.records`).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Mapping

from nnbench.provenance import code_identity
from nnbench.records import RunError, check_replaceable, json_safe, write_record
from nnbench.runkinds import RUN_KINDS
from nnbench.runkinds.spec_values import COUNT, optimizer_source
from nnbench.spec import SpecError, read_spec, resolve_spec, run_id
from nnbench.validation import not_allowed

__all__ = ["run", "RunError"]


def run(spec: Mapping[str, Any] | str | os.PathLike, out: str | os.PathLike | None = None,
        data_dir: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
        threads: int = 1, progress: bool | None = None) -> dict[str, Any]:
    """Run ``spec`` once and return its summary dict; write the record into ``out`` if given.

    ``spec`` is a mapping or the path of a YAML/JSON spec file. ``data_dir`` and
    ``cache_dir`` say where datasets are found; they are not part of the spec and do not
    change the ``run_id``. ``threads`` pins BLAS threads for the whole run. ``progress``
    shows a progress line on stderr (default: only when stderr is a terminal).

    A bad spec raises :class:`~nnbench.spec.SpecError` before anything is written. A run
    whose loss becomes non-finite is a result: ``summary["status"] == "diverged"``.
    """
    started = time.perf_counter()
    if isinstance(spec, (str, os.PathLike)):
        spec = read_spec(spec)
    spec = dict(spec)
    given_id = spec.pop("run_id", None)  # a spec.json of an earlier record carries its id
    resolved = resolve_spec(spec)
    rid = run_id(resolved)
    if given_id is not None and given_id != rid:
        raise SpecError(f"spec key 'run_id': {given_id!r} does not match the spec's content and this code's "
                        f"numerics (run_id {rid}); remove the run_id key")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads not in COUNT:
        raise not_allowed("threads", threads, COUNT.describe(), RunError)
    out_path = Path(os.path.abspath(out)) if out is not None else None  # "." and ".." get a real name
    if out_path is not None:
        check_replaceable(out_path)
    if progress is None:
        progress = _stderr_is_terminal()
    reporter = _Progress(rid) if progress else None

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        record = RUN_KINDS[resolved["kind"]].execute(resolved, data_dir=data_dir, cache_dir=cache_dir,
                                                     progress=reporter)
    if reporter is not None:
        reporter.close()

    summary = {"run_id": rid, "kind": resolved["kind"], **record.summary}
    summary["wall_seconds"] = time.perf_counter() - started
    summary["code"] = code_identity()  # computed once per process
    summary["threads"] = threads
    source = optimizer_source(resolved["optimizer"]) if "optimizer" in resolved else None
    if source is not None:  # a user's optimizer: which file (and which content) ran
        summary["optimizer_source"] = source
    summary = json_safe(dict(sorted(summary.items())))
    if out_path is not None:
        write_record(out_path, {**resolved, "run_id": rid}, record, summary)
    return summary


# ---------------------------------------------------------------- progress


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Progress:
    """A one-line progress display on stderr, redrawn at each evaluation."""

    def __init__(self, rid: str, stream=None):
        self.rid = rid
        self.stream = stream or sys.stderr
        self.drawn = False

    def update(self, done: float, budget: float, unit: str, rows) -> None:
        """Redraw with ``done`` of ``budget`` ``unit`` and the test accuracy among ``rows`` (CurveRows)."""
        fraction = min(1.0, done / budget) if budget else 1.0
        width = 24
        filled = int(round(fraction * width))
        text = f"\rrun {self.rid} [{'#' * filled}{'.' * (width - filled)}] {done:g}/{budget:g} {unit}"
        accuracies = [row.value for row in rows if (row.split, row.metric, row.layer) == ("test", "accuracy", "")]
        if accuracies:
            text += f"  test acc {accuracies[-1]:.3f}"
        self.stream.write(text)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
