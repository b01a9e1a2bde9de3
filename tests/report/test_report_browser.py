"""Headless Chromium opens the rendered report from disk: no errors, every image decoded."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Test-only probe injected into a copy of the report (the report itself has no script):
# it records load errors and, after the load event, the decoded images on <body>.
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
});
</script>"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _open(html_path, tmp_path, *extra):
    probed = tmp_path / f"probed_{html_path.name}"
    probed.write_text(html_path.read_text(encoding="utf-8").replace("<head>", "<head>\n" + PROBE, 1),
                      encoding="utf-8")
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
         "--v=0", "--virtual-time-budget=10000", *extra, "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=60)
    body = re.search(r"<body[^>]*>", result.stdout)
    assert body, result.stderr[-2000:]
    attributes = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', body.group(0)))
    console = [line for line in result.stderr.splitlines()
               if "CONSOLE" in line or "Uncaught" in line or "net::ERR" in line]
    return attributes, console


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")
def test_report_opens_offline_in_chromium(rendered, tmp_path):
    attributes, console = _open(rendered["html_path"], tmp_path)
    total = int(attributes["data-images-total"])
    assert total == len(rendered["manifest"]["figures"])
    assert int(attributes["data-images-ok"]) == total
    assert attributes["data-errors"] == "0" and console == []
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile2'}",
                    "--window-size=1280,2000", f"--screenshot={shot}",
                    rendered["html_path"].as_uri()], capture_output=True, timeout=60)
    assert shot.is_file() and shot.stat().st_size > 10_000


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")
def test_probe_detects_a_broken_image(tmp_path):
    # Negative control: the probe must notice an undecodable image.
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body>'
                    '<img src="data:image/png;base64,AAAA"></body></html>')
    attributes, _console = _open(page, tmp_path)
    assert attributes["data-images-total"] == "1" and attributes["data-images-ok"] == "0"
    assert attributes["data-errors"] == "1"
