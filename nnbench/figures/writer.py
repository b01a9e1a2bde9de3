"""Saving figures and tables under stable names, and recording them for the manifest.

Every file is written through :func:`nnbench.files.atomic_open`, so a reader (the report,
a workflow job) never sees half a figure. Each manifest entry has a stable ``id``
(``figure-<name>``, ``table-<name>``: the report's anchors) and, when the writer is given
a ``describe`` function, the provenance of its study (:mod:`nnbench.citation`) and that
provenance as one quotable line.
"""

from __future__ import annotations

from pathlib import Path

from nnbench.citation import provenance_line
from nnbench.files import atomic_open
from nnbench.formatting import slug

__all__ = ["Writer"]


class Writer:
    """Saves figures and tables under ``out_dir`` and records them for the manifest."""

    def __init__(self, out_dir, section: str, progress=None, describe=None):
        """``describe(study) -> dict`` gives a study's provenance
        (:func:`nnbench.citation.study_provenance`); without it entries carry none."""
        self.out_dir = Path(out_dir)
        self.section = section
        self.figures: list[dict] = []
        self.tables: list[dict] = []
        self._progress = progress
        self._describe = describe

    def _entry(self, kind: str, name: str, study: str, files: dict, caption: str) -> dict:
        entry = {"id": f"{kind}-{name}", "section": self.section, "study": study, "name": name,
                 "files": files, "caption": caption}
        if self._describe is not None:
            entry["provenance"] = self._describe(study)
            entry["provenance_line"] = provenance_line(entry["provenance"])
        return entry

    def figure(self, fig, name: str, caption: str, study: str) -> None:
        """Save ``fig`` as PNG (150 dpi) and SVG named ``name``, then close it."""
        from matplotlib import pyplot as plt

        name = slug(name)
        files = {}
        # No dates or software versions in the files: the same data gives the same bytes.
        for ext, kwargs in (("png", {"dpi": 150, "metadata": {"Software": None}}),
                            ("svg", {"metadata": {"Date": None, "Creator": None}})):
            with atomic_open(self.out_dir / "figures" / f"{name}.{ext}", "wb") as stream:
                fig.savefig(stream, format=ext, bbox_inches="tight", **kwargs)
            files[ext] = f"figures/{name}.{ext}"
        plt.close(fig)
        self.figures.append(self._entry("figure", name, study, files, caption))
        if self._progress:
            self._progress(f"figure {name}")

    def table(self, frame, name: str, caption: str, study: str) -> None:
        """Save ``frame`` as CSV, Markdown and LaTeX (booktabs) named ``name``."""
        from nnbench.tables import write_table

        name = slug(name)
        files = write_table(frame, self.out_dir / "tables", name, caption=caption)
        files = {k: f"tables/{Path(v).name}" for k, v in files.items()}
        self.tables.append(dict(self._entry("table", name, study, files, caption), rows=int(len(frame))))
        if self._progress:
            self._progress(f"table {name}")
