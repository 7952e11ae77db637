"""Draw the app icons (PNG) from static/icon.svg with the Chromium the tests use.

    .venv/bin/python tools/make_icons.py

Writes static/icons/: icon-192.png and icon-512.png (the rounded icon, transparent
corners), icon-maskable-512.png (full bleed: the launcher cuts its own shape, and the
T stays well inside the safe circle) and apple-touch-icon.png (180 px, full bleed,
because iOS puts black behind transparent pixels). Commit the results.
"""

import io
import os
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SVG = (ROOT / "static" / "icon.svg").read_text()
OUT = ROOT / "static" / "icons"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# name, size in px, full bleed (square corners, no transparency)
ICONS = [
    ("icon-192.png", 192, False),
    ("icon-512.png", 512, False),
    ("icon-maskable-512.png", 512, True),
    ("apple-touch-icon.png", 180, True),
]


def svg_for(full_bleed: bool) -> str:
    return re.sub(r'\s+rx="[^"]*"', "", SVG) if full_bleed else SVG


def render(page, svg: str, size: int) -> Image.Image:
    page.set_viewport_size({"width": size, "height": size})
    page.set_content(
        "<style>html,body{margin:0;background:transparent}svg{display:block;"
        f"width:{size}px;height:{size}px}}</style>{svg}"
    )
    png = page.screenshot(omit_background=True)
    return Image.open(io.BytesIO(png))


def save_small(image: Image.Image, path: Path) -> None:
    # Two colours and anti-aliased edges: a 64-colour palette looks the same and is
    # a fraction of the size.
    image.quantize(colors=64, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
        )
        page = browser.new_page()
        for name, size, full_bleed in ICONS:
            image = render(page, svg_for(full_bleed), size)
            if full_bleed:
                image = image.convert("RGB")
            save_small(image, OUT / name)
            print(f"{name}: {(OUT / name).stat().st_size} bytes")
        browser.close()


if __name__ == "__main__":
    main()
