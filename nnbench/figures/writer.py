"""Saving figures and tables under stable names, and recording them for the manifest.

Figures are drawn per language: ``figures/<lang>/<name>.png`` (150 dpi), ``.svg`` and
``.pdf`` (vector, for LaTeX); the config's ``figure_formats`` may leave out the vector
files (the report and the decks embed the PNG, which is always written). Tables are data
(column names as in the aggregated tables), one set for every language, under
``tables/``; a writer with ``write_tables=False`` records them without writing them again
(another language's pass wrote them).

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
from nnbench.i18n import SOURCE_LANGUAGE, check_language

__all__ = ["FIGURE_FORMATS", "REQUIRED_FIGURE_FORMAT", "Writer", "check_figure_formats"]

#: The figure formats, each with its savefig options. No dates or software versions in
#: the files: the same data gives the same bytes.
FIGURE_FORMATS = {"png": {"dpi": 150, "metadata": {"Software": None}},
                  "svg": {"metadata": {"Date": None, "Creator": None}},
                  "pdf": {"metadata": {"CreationDate": None, "Creator": None, "Producer": None}}}
#: The format every figure has: the report and the slide decks embed it.
REQUIRED_FIGURE_FORMAT = "png"


def check_figure_formats(formats, where: str = "figure_formats") -> tuple[str, ...]:
    """``formats`` (None: every one of :data:`FIGURE_FORMATS`) as a tuple in the order of
    :data:`FIGURE_FORMATS`; an unknown format, or a list without the PNG, is one line."""
    from nnbench.errors import NnbenchError
    from nnbench.validation import unknown_name_error

    if formats is None:
        return tuple(FIGURE_FORMATS)
    if not isinstance(formats, (list, tuple)) or not all(isinstance(name, str) for name in formats):
        raise NnbenchError(f"{where} must be a list of formats from {', '.join(FIGURE_FORMATS)}; got {formats!r}")
    for name in formats:
        if name not in FIGURE_FORMATS:
            raise unknown_name_error("figure format", name, FIGURE_FORMATS, where=where)
    if REQUIRED_FIGURE_FORMAT not in formats:
        raise NnbenchError(f"{where} {list(formats)!r} lacks {REQUIRED_FIGURE_FORMAT!r}: the report and the "
                           f"slide decks embed it")
    return tuple(name for name in FIGURE_FORMATS if name in formats)


class Writer:
    """Saves figures and tables under ``out_dir`` and records them for the manifest."""

    def __init__(self, out_dir, section: str, progress=None, describe=None, *, lang: str = SOURCE_LANGUAGE,
                 write_tables: bool = True, formats=None):
        """``describe(study) -> dict`` gives a study's provenance
        (:func:`nnbench.citation.study_provenance`); without it entries carry none.
        ``formats``: the figure formats to write (:func:`check_figure_formats`; None: all)."""
        self.out_dir = Path(out_dir)
        self.formats = check_figure_formats(formats)
        self.section = section
        self.lang = check_language(lang)
        self.write_tables = write_tables
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
        """Save ``fig`` as PNG (150 dpi, 256-colour palette), SVG and PDF (those of the
        writer's ``formats``) named ``name`` under ``figures/<lang>/``, then close it."""
        from matplotlib import pyplot as plt

        name = slug(name)
        # one drawing gives the PNG and the box every file is cropped to (savefig would lay
        # the figure out again for each file, and twice for a tight one)
        png, bbox = render_png(fig, FIGURE_FORMATS["png"])
        files = {}
        for ext in self.formats:
            relative = f"figures/{self.lang}/{name}.{ext}"
            with atomic_open(self.out_dir / relative, "wb") as stream:
                if ext == "png":
                    stream.write(png)
                else:
                    fig.savefig(stream, format=ext, bbox_inches=bbox, **FIGURE_FORMATS[ext])
            files[ext] = relative
        plt.close(fig)
        self.figures.append(self._entry("figure", name, study, files, caption))
        if self._progress:
            self._progress(f"figure {name}")

    def table(self, frame, name: str, caption: str, study: str) -> None:
        """Save ``frame`` as CSV, Markdown and LaTeX (booktabs) named ``name``."""
        from nnbench.tables import TABLE_FORMATS, write_table

        name = slug(name)
        if self.write_tables:
            files = write_table(frame, self.out_dir / "tables", name, caption=caption)
            files = {k: f"tables/{Path(v).name}" for k, v in files.items()}
        else:
            files = {ext: f"tables/{name}.{ext}" for ext in TABLE_FORMATS}
        self.tables.append(dict(self._entry("table", name, study, files, caption), rows=int(len(frame))))
        if self._progress:
            self._progress(f"table {name}")


def render_png(fig, savefig_options: dict):
    """``(png bytes, box)``: ``fig`` drawn once at the PNG's dpi, cropped to its ink
    padded by ``savefig.pad_inches`` (the box, in inches, crops the vector files too) and
    stored with a 256-colour palette (:func:`palette_bytes`).

    savefig's tight PNG draws the figure twice (once to find the box, once to render it
    cropped) and finds the box by laying out every tick label again; here the box is where
    the one drawing's pixels differ from the background, which is the same picture where
    everything drawn lies on the canvas (a figure laid out with ``tight_layout``). Where
    something may lie outside it (ink on the canvas's edge, or a legend, title, axis label
    or text reaching past it), the box is savefig's (:meth:`Figure.get_tightbbox`) and,
    if that reaches past the canvas, the PNG is drawn again cropped, as savefig does."""
    import numpy as np
    from matplotlib import rcParams
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    dpi = savefig_options["dpi"]
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    shown_dpi = fig.dpi
    fig.dpi = dpi
    # the padding beyond the ink in the figure's background colour, as savefig pads
    background = np.array([round(255 * channel) for channel in fig.get_facecolor()], dtype=np.uint8)
    try:
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())  # a view: only the crop below is copied
        drawn = _ink_box(pixels, background, dpi)
        if drawn is None or _placed_beyond_canvas(fig, canvas.get_renderer()):
            drawn = fig.get_tightbbox(canvas.get_renderer())
    finally:
        fig.dpi = shown_dpi
    bbox = drawn.padded(rcParams["savefig.pad_inches"])
    width, height = fig.get_size_inches()
    if drawn.x0 < 0 or drawn.y0 < 0 or drawn.x1 > width or drawn.y1 > height:
        return palette_png(fig, bbox, savefig_options), bbox
    left, right = round(bbox.x0 * dpi), round(bbox.x1 * dpi)
    top, bottom = round((height - bbox.y1) * dpi), round((height - bbox.y0) * dpi)
    cropped = np.empty((bottom - top, right - left, 4), dtype=np.uint8)
    cropped[...] = background
    rows = slice(max(top, 0), min(bottom, pixels.shape[0]))
    columns = slice(max(left, 0), min(right, pixels.shape[1]))
    cropped[rows.start - top:rows.stop - top, columns.start - left:columns.stop - left] = pixels[rows, columns]
    return palette_bytes(cropped[..., :3], dpi), bbox


def _ink_box(pixels, background, dpi: float):
    """The box (inches, from the bottom left) of the pixels of an RGBA drawing that differ
    from ``background``; None when there are none or they touch the canvas's edge (the
    drawing may go on beyond it)."""
    import numpy as np
    from matplotlib.transforms import Bbox

    ink = (np.ascontiguousarray(pixels).view(np.uint32) != background.view(np.uint32))[..., 0]
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if not len(rows) or rows[0] == 0 or columns[0] == 0 or rows[-1] == ink.shape[0] - 1 \
            or columns[-1] == ink.shape[1] - 1:
        return None
    height = ink.shape[0]
    return Bbox.from_extents(columns[0] / dpi, (height - rows[-1] - 1) / dpi,
                             (columns[-1] + 1) / dpi, (height - rows[0]) / dpi)


def _placed_beyond_canvas(fig, renderer) -> bool:
    """Whether a legend, a title, an axis label or a text of ``fig`` reaches past its
    canvas (placed there by hand; tight_layout keeps them and the tick labels between
    them on it). Cheap after a drawing: no tick label is laid out again."""
    texts = [*fig.legends, *fig.texts]
    for ax in fig.axes:
        texts += [ax.get_legend(), ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
    width, height = fig.bbox.width, fig.bbox.height
    for artist in texts:
        if artist is None or not artist.get_visible() or (hasattr(artist, "get_text") and not artist.get_text()):
            continue
        box = artist.get_window_extent(renderer)
        if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
            return True
    return False


def palette_bytes(rgb, dpi: float) -> bytes:
    """RGB pixels as PNG bytes with a 256-colour palette (plots have few colours: the
    files, and the report and decks that embed them, are several times smaller).

    zlib's default level 6, not 9 (``optimize``): on the quick study's figures level 9 took
    34 ms a figure against 6, for files 14% smaller."""
    import io

    from PIL import Image

    quantized = Image.fromarray(rgb, "RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                                     dither=Image.Dither.NONE)
    packed = io.BytesIO()
    quantized.save(packed, format="PNG", compress_level=6, dpi=(dpi, dpi))
    return packed.getvalue()


def palette_png(fig, bbox, savefig_options: dict) -> bytes:
    """``fig`` as PNG bytes cropped to ``bbox`` by savefig, with a 256-colour palette
    (:func:`palette_bytes`)."""
    import io

    import numpy as np
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png", bbox_inches=bbox, **savefig_options)
    with Image.open(io.BytesIO(raw.getvalue())) as image:
        return palette_bytes(np.asarray(image.convert("RGB")), savefig_options["dpi"])
