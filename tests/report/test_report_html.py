"""The rendered report: sections and order, figures and captions, tables, escaping, no
external references, size, and errors."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest
from pathlib import Path

from report_synthetic import INJECTED_LABEL
from nnbench.errors import NnbenchError

EXPECTED_ORDER = ["findings", "overfitting", "optimizers", "vanishing_gradient", "minibatch",
                  "weight_init", "batch_norm", "weight_decay", "factorial", "other",
                  "methods", "provenance"]


class _Collector(HTMLParser):
    """Sections, images, figure captions and every src/href of a document."""

    def __init__(self):
        super().__init__()
        self.sections, self.images, self.links, self.captions = [], [], [], []
        self.downloads = []
        self._in_caption = False
        self._caption = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "img":
            self.images.append(attrs)
        for key in ("src", "href"):
            if key in attrs:
                self.links.append((tag, key, attrs[key]))
        if tag == "a" and "download" in attrs:
            self.downloads.append(attrs)
        if tag == "figcaption":
            self._in_caption, self._caption = True, ""

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in_caption = False
            self.captions.append(self._caption)

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data


@pytest.fixture(scope="module")
def parsed(rendered):
    collector = _Collector()
    collector.feed(rendered["html"])
    return collector


def test_sections_present_in_the_slides_order(parsed):
    assert parsed.sections == EXPECTED_ORDER


def test_contents_links_every_section(rendered, parsed):
    anchors = re.findall(r'<li><a href="#([a-z_]+)">', rendered["html"])
    assert anchors == EXPECTED_ORDER


def test_every_figure_is_embedded_with_a_caption(rendered, parsed):
    figures = rendered["manifest"]["figures"]
    assert len(parsed.images) == len(figures) > 40
    assert len(parsed.captions) == len(figures)
    for image, caption in zip(parsed.images, parsed.captions):
        assert image["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(image["src"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(caption.strip()) > 40
        # every caption says how many seeds (or that there is no seed) and what the band is
        assert "seed" in caption
    learning = [c for c in parsed.captions if "band:" in c]
    assert len(learning) > 20 and all("95% t-interval" in c for c in learning)


def test_every_table_has_a_csv_markdown_and_latex_download(rendered, parsed):
    tables = rendered["manifest"]["tables"]
    formats = {"csv": "text/csv", "md": "text/markdown", "tex": "application/x-tex"}
    assert len(parsed.downloads) == len(formats) * len(tables)
    links = iter(parsed.downloads)
    for table in tables:
        for ext, media in formats.items():
            link = next(links)
            assert link["href"].startswith(f"data:{media};charset=utf-8;base64,")
            assert link["download"] == f"{table['name']}.{ext}"
            on_disk = (rendered["reports"] / table["files"][ext]).read_bytes()
            assert base64.b64decode(link["href"].split(",", 1)[1]) == on_disk


def test_no_external_reference(rendered, parsed):
    for tag, key, value in parsed.links:
        # the one relative link: the report in the other language, beside this one
        assert value.startswith(("#", "data:")) or value == "report.ko.html", (tag, key, value[:60])
    html = rendered["html"]
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower()  # no script at all, inline or remote
    assert "@import" not in html and "url(" not in html


def test_labels_from_results_and_config_are_escaped(rendered):
    html = rendered["html"]
    assert INJECTED_LABEL not in html
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    # in the custom study's table, in its config title and in the config text
    assert html.count(escaped) >= 3


def test_findings_methods_and_provenance(rendered):
    html = rendered["html"]
    assert "What this shows" in html
    assert "without BN wins" in html  # generated from the synthetic batch-norm numbers
    assert "without replacement" in html and "with replacement" in html
    assert "√(2/<var>n</var>)" in html and "2/√<var>n</var>" in html  # He and the slide error
    for name in ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adadelta", "Adam"):
        assert f"<tr><td>{name}" in html
    # provenance: counts per study, diverged runs listed, config text shown
    assert "optimizers_lr_sweep" in html and "Diverged runs" in html
    assert "synthetic config for the report tests" in html
    assert "total compute time" in html.lower()


def test_report_size_is_reasonable(rendered):
    assert rendered["html_path"].stat().st_size < 15 * 1024 * 1024


def test_missing_manifest_is_a_clear_error(tmp_path, synthetic_results):
    from nnbench.report import render

    with pytest.raises(NnbenchError, match="nnbench figures"):
        render(synthetic_results["results"], tmp_path, synthetic_results["config"],
               tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_a_figure_that_is_not_a_png_is_a_clear_error(rendered, tmp_path):
    import shutil

    from nnbench.report import render

    reports = tmp_path / "reports"
    shutil.copytree(rendered["reports"], reports)
    name = rendered["manifest"]["figures"][0]["files"]["png"]
    (reports / name).write_bytes(b"<svg>not a png</svg>")
    with pytest.raises(NnbenchError, match=f"figure .*{Path(name).name}.* is not a readable PNG file"):
        render(rendered["results"], reports, rendered["config"], tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_the_embedded_figures_are_palette_pngs_at_150_dpi(rendered):
    from PIL import Image

    for figure in rendered["manifest"]["figures"]:
        with Image.open(rendered["reports"] / figure["files"]["png"]) as image:
            assert image.mode == "P", figure["name"]  # 256 colours: the report stays small
            assert image.info["dpi"][0] == pytest.approx(150, abs=1)


def test_cli_figures_and_report(tmp_path, capsys):
    from nnbench.cli import main
    from report_synthetic import CONFIG_TEXT, write_synthetic_results

    write_synthetic_results(tmp_path / "results", studies=["optimizer_paths"])
    (tmp_path / "config.yaml").write_text(CONFIG_TEXT)
    assert main(["figures", "--results", str(tmp_path / "results"),
                 "--out-dir", str(tmp_path / "reports")]) == 0
    assert (tmp_path / "reports" / "figures" / "en" / "optimizer_paths_contour.png").is_file()
    out = tmp_path / "reports" / "report.html"
    assert main(["report", "--results", str(tmp_path / "results"), "--reports",
                 str(tmp_path / "reports"), "--config", str(tmp_path / "config.yaml"),
                 "--out", str(out)]) == 0
    assert out.is_file() and "optimizer_paths_contour" in out.read_text()
    # a part of the study says which studies it holds
    assert "Studies in this report (1): optimizer_paths." in out.read_text()
    assert main(["report", "--results", str(tmp_path / "results"), "--reports",
                 str(tmp_path / "reports"), "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_compute_time_is_shown_in_a_readable_unit():
    from nnbench.report import format_duration

    assert format_duration(42.04) == "42.0 s"
    assert format_duration(1269.7) == "21.2 min"
    assert format_duration(4 * 3600) == "4.00 h"
