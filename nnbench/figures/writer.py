"""Saving figures and tables under stable names, and recording them for the manifest.

Every file is written through :func:`nnbench.files.atomic_open`, so a reader (the report,
a workflow job) never sees half a figure.
"""

from __future__ import annotations

from pathlib import Path

from nnbench.files import atomic_open
from nnbench.formatting import slug

__all__ = ["Writer"]


class Writer:
    """Saves figures and tables under ``out_dir`` and records them for the manifest."""

    def __init__(self, out_dir, section: str, progress=None):
        self.out_dir = Path(out_dir)
        self.section = section
        self.figures: list[dict] = []
        self.tables: list[dict] = []
        self._progress = progress

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
        self.figures.append({"section": self.section, "study": study, "name": name,
                             "files": files, "caption": caption})
        if self._progress:
            self._progress(f"figure {name}")

    def table(self, frame, name: str, caption: str, study: str) -> None:
        """Save ``frame`` as CSV, Markdown and LaTeX (booktabs) named ``name``."""
        from nnbench.tables import write_table

        name = slug(name)
        files = write_table(frame, self.out_dir / "tables", name, caption=caption)
        self.tables.append({"section": self.section, "study": study, "name": name,
                            "files": {k: f"tables/{Path(v).name}" for k, v in files.items()},
                            "caption": caption, "rows": int(len(frame))})
        if self._progress:
            self._progress(f"table {name}")
