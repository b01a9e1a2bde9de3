"""Headless Chromium opens the rendered report from disk: no errors, every image decoded."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_report_opens_offline_in_chromium(rendered, open_in_chromium, chromium_screenshot, lang):
    path = rendered["html_path"] if lang == "en" else rendered["korean_path"]
    attributes, console = open_in_chromium(path, width=1400)
    total = int(attributes["data-images-total"])
    assert total == len(rendered["manifest"]["figures"])
    assert int(attributes["data-images-ok"]) == total
    assert attributes["data-errors"] == "0" and console == []
    assert attributes["data-lang"] == lang
    # the findings first, without a horizontal scrollbar in a 1400 px window
    assert int(attributes["data-scroll-width"]) <= int(attributes["data-client-width"]) <= 1400
    shot = chromium_screenshot(path, width=1400)
    assert shot.is_file() and shot.stat().st_size > 10_000


def test_probe_detects_a_page_wider_than_the_window(tmp_path, open_in_chromium):
    # Negative control of the scrollbar check: a 2000 px wide table in a 1400 px window.
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>x</title></head><body>'
                    '<table style="width:2000px"><tr><td>x</td></tr></table></body></html>')
    attributes, _console = open_in_chromium(page, width=1400)
    assert int(attributes["data-scroll-width"]) > int(attributes["data-client-width"])


def test_probe_detects_a_broken_image(tmp_path, open_in_chromium):
    # Negative control: the probe must notice an undecodable image.
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><title>x</title></head><body>'
                    '<img src="data:image/png;base64,AAAA"></body></html>')
    attributes, _console = open_in_chromium(page)
    assert attributes["data-images-total"] == "1" and attributes["data-images-ok"] == "0"
    assert attributes["data-errors"] == "1"
