"""Headless Chromium opens the rendered report from disk: no errors, every image decoded."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_report_opens_offline_in_chromium(rendered, open_in_chromium, chromium_screenshot):
    attributes, console = open_in_chromium(rendered["html_path"])
    total = int(attributes["data-images-total"])
    assert total == len(rendered["manifest"]["figures"])
    assert int(attributes["data-images-ok"]) == total
    assert attributes["data-errors"] == "0" and console == []
    shot = chromium_screenshot(rendered["html_path"])
    assert shot.is_file() and shot.stat().st_size > 10_000


def test_probe_detects_a_broken_image(tmp_path, open_in_chromium):
    # Negative control: the probe must notice an undecodable image.
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body>'
                    '<img src="data:image/png;base64,AAAA"></body></html>')
    attributes, _console = open_in_chromium(page)
    assert attributes["data-images-total"] == "1" and attributes["data-images-ok"] == "0"
    assert attributes["data-errors"] == "1"
