"""The README's picture of the report (docs/img/report.png): one section of a rendered report.

    python scripts/report_screenshot.py reports/report.html [--section optimizers]

Headless Chromium (Debian's `chromium`) draws the page with every part above the section
hidden, at 1000 px wide; the top of the section is cropped, scaled to 800 px and stored as a
256-colour PNG (about 60 kB).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

OUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "report.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a rendered report.html")
    parser.add_argument("--section", default="optimizers", help="id of the section shown (default: optimizers)")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("report_screenshot.py: needs chromium (apt-get install chromium)")
    html = args.report.read_text(encoding="utf-8")
    # hide what comes before the section: the header, the contents and the earlier sections
    earlier = html[:html.index(f'<section id="{args.section}"')].count('<section id="')
    hide = "header, nav, " + ", ".join(f"main > section:nth-of-type({n})" for n in range(1, earlier + 1))
    with tempfile.TemporaryDirectory() as folder:
        page, shot = Path(folder) / "page.html", Path(folder) / "shot.png"
        page.write_text(html.replace("</head>", f"<style>{hide} {{display: none !important}}</style></head>", 1),
                        encoding="utf-8")
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1000,1250", f"--screenshot={shot}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)
        image = Image.open(shot).convert("RGB").crop((0, 60, 1000, 965)).resize((800, 724), Image.LANCZOS)
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
