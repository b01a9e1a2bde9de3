"""Fixtures shared by every test folder."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Test-only probe injected into a copy of a page (the report itself has no script): it
# records load errors and, after the load event, the decoded images on <body>.
PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || (e.target && e.target.tagName) || "error"));
}, true);
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var ok = images.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute("data-images-total", String(images.length));
  document.body.setAttribute("data-images-ok", String(ok.length));
  document.body.setAttribute("data-errors", String(window.__errors.length));
  document.body.setAttribute("data-lang", document.documentElement.lang);
  document.body.setAttribute("data-client-width", String(document.documentElement.clientWidth));
  document.body.setAttribute("data-scroll-width", String(document.documentElement.scrollWidth));
});
</script>"""

# As root, without a network: no sandbox, and nothing that phones home.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def open_in_chromium(tmp_path):
    """``open(html_path) -> (body data attributes, console error lines)``: headless
    Chromium loads a probed copy of the page from disk (``file://``). Skips the test when
    no ``chromium`` binary is installed (CI installs Debian's)."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary (apt-get install chromium)")

    def open_page(html_path, width=None):
        """``width``: the window's width in pixels (Chromium's default otherwise)."""
        probed = tmp_path / f"probed_{html_path.name}"
        probed.write_text(html_path.read_text(encoding="utf-8").replace("<head>", "<head>\n" + PROBE, 1),
                          encoding="utf-8")
        result = subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
             "--v=0", "--virtual-time-budget=10000", *([f"--window-size={width},1000"] if width else []),
             "--dump-dom", probed.as_uri()],
            capture_output=True, text=True, timeout=60)
        body = re.search(r"<body[^>]*>", result.stdout)
        assert body, result.stderr[-2000:]
        attributes = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', body.group(0)))
        console = [line for line in result.stderr.splitlines()
                   if "CONSOLE" in line or "Uncaught" in line or "net::ERR" in line]
        return attributes, console

    return open_page


@pytest.fixture
def chromium_screenshot(tmp_path):
    """``shoot(html_path, width=1280) -> png path``: a ``width`` x 2000 screenshot of the page."""
    if CHROMIUM is None:
        pytest.skip("no chromium binary (apt-get install chromium)")

    def shoot(html_path, width=1280):
        shot = tmp_path / f"{html_path.stem}.png"
        subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}",
                        f"--window-size={width},2000", f"--screenshot={shot}", html_path.as_uri()],
                       capture_output=True, timeout=60)
        return shot

    return shoot


@pytest.fixture(scope="session")
def quick_study(tmp_path_factory):
    """``(folder, snakemake result)``: the quick study (config/quick.yaml) run once per
    session by the local executor (``--cores 2``) in a fresh folder with a copy of the
    configs. The workflow tests check it end to end (and its Snakemake report); the
    cluster test compares its records with those of the SLURM run."""
    sys.path.insert(0, str(Path(__file__).parent / "workflow"))  # the workflow tests' helpers
    from workflow_testing import DEFAULT_CONFIG, QUICK_CONFIG, snakemake

    folder = tmp_path_factory.mktemp("quick")
    (folder / "config").mkdir()
    for config in (DEFAULT_CONFIG, QUICK_CONFIG):
        (folder / "config" / config.name).write_text(config.read_text())
    return folder, snakemake(folder, "--cores", "2", "--configfile", "config/quick.yaml", timeout=1800)
@pytest.fixture
def copy_checkout():
    """``copy(folder, names) -> folder``: ``names`` (files and folders of the repository,
    without ``__pycache__``; absent ones skipped) copied into ``folder``, as in a checkout."""

    def copy(folder: Path, names) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
            elif source.exists():
                shutil.copy2(source, folder / name)
        return folder

    return copy
