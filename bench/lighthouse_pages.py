"""Helpers for bench/lighthouse.sh (python -m bench.lighthouse_pages, from the repository):

shops WORKDIR            (in the app) two more cafés with the demo's menu: one without
                         photos, one with a camera-like photo on every item
seed DEMO_JSON WORKDIR   open a tab as a phone would in each café; write
                         WORKDIR/pages.txt (name url headers-file)
fold WORKDIR             where each menu's photos sit against the first screen of
                         Lighthouse's phone, and what each weighs
report WORKDIR DOC       put the medians of the runs into DOC under "## Lighthouse"
                         and "## Menu with and without photos"
"""

import http.cookiejar
import io
import json
import os
import random
import re
import statistics
import sys
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

PAGES = ["card", "tab", "menu", "bill"]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')

# The same menu three ways: the demo café's (five small drawn photos, as shipped), and
# two cafés made by `shops` from its CSV export: no photos, and a photo on every item.
MENUS = {
    "menu-plain": "no photos",
    "menu": "demo: 5 drawn photos",
    "menu-photos": "a photo on all 10 items",
}
EXTRA_SHOPS = {"menu-plain": "plain-cafe", "menu-photos": "photo-cafe"}
# Lighthouse's mobile screen (a Moto G Power): 412 × 823 CSS pixels at 1.75.
PHONE = {"width": 412, "height": 823, "scale": 1.75}
ORDER_FORM = re.compile(r'<form method="post" action="[^"]*/order"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class Phone:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[str, str]:
        with self.opener.open(url) as response:
            return response.geturl(), response.read().decode()

    def post(self, url: str, page: str, **fields) -> str:
        match = CSRF.search(page)
        fields["csrf_token"] = match.group(1) or match.group(2)
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        with self.opener.open(url, data=data) as response:
            return response.geturl()

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)


# -- shops ---------------------------------------------------------------------------


def camera_like(drawing: Path, seed: int) -> bytes:
    """A demo drawing made to weigh what a phone photo does once the upload pipeline has
    cut it to 640×480 (about 35 KB as WebP, 55 KB as JPEG, where the flat drawing is
    5 KB): light and texture at every scale, then a sensor's grain. Sent as a
    1600×1200 JPEG, as a phone might."""
    from PIL import Image, ImageChops, ImageOps

    rng = random.Random(seed)
    size = (1600, 1200)
    picture = Image.open(drawing).convert("RGB").resize(size, Image.Resampling.BICUBIC)
    texture = Image.new("L", size, 128)
    for cells, weight in ((4, 0.5), (12, 0.4), (40, 0.35), (160, 0.3), (533, 0.25)):
        shape = (cells, cells * 3 // 4)
        noise = Image.frombytes("L", shape, rng.randbytes(shape[0] * shape[1]))
        texture = Image.blend(texture, noise.resize(size, Image.Resampling.BICUBIC), weight)
    grain = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    texture = ImageOps.autocontrast(Image.blend(texture, grain, 0.12), cutoff=1)
    texture = Image.blend(Image.new("L", size, 128), texture, 0.65)
    picture = ImageChops.soft_light(picture, Image.merge("RGB", [texture] * 3))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


def shops(workdir: str) -> None:
    """Run inside the app (DATABASE_URL and PHOTO_DIR as the server has them)."""
    from sqlalchemy import select

    from app import create_app
    from cli import DEMO_PHOTO_DIR, DEMO_SLUG, DEMO_TAX
    from extensions import db
    from models import MenuItem
    from services import menu, menu_csv, photos, unit_of_work
    from services import shops as shop_service

    app = create_app()
    cards = {}
    with app.app_context(), unit_of_work():
        demo = shop_service.find_shop(DEMO_SLUG)
        text = menu_csv.export_text(demo).encode()
        drawings = sorted(DEMO_PHOTO_DIR.glob("*.webp"))
        for page, slug in EXTRA_SHOPS.items():
            shop = shop_service.create_shop(
                slug, demo.name, demo.currency, demo.locale, demo.timezone, demo.service_note
            )
            menu_csv.import_menu(shop, text)
            menu.set_shop_tax(shop, True, DEMO_TAX["shop"])
            if page == "menu-photos":
                items = (
                    db.session.execute(
                        select(MenuItem).where(MenuItem.shop_id == shop.id).order_by(MenuItem.id)
                    )
                    .scalars()
                    .all()
                )
                for number, item in enumerate(items):
                    photos.store(item, camera_like(drawings[number % len(drawings)], number))
            cards[page] = shop_service.add_cards(shop, "table", 1)[0].url
    Path(workdir, "shops.json").write_text(json.dumps(cards))


# -- seed ----------------------------------------------------------------------------


def open_tab(card: str, ordered: int) -> tuple[str, dict]:
    """A phone opens a tab from a table card and orders the first `ordered` items;
    its tab's address and a Lighthouse headers file with its cookie."""
    phone = Phone()
    card_url, card_page = phone.get(card)
    tab_url = phone.post(card_url, card_page, customer_name="Ana")
    _, menu_page = phone.get(tab_url + "/menu")
    # The first items' add buttons as the menu has them (with an item's usual options).
    for form in ORDER_FORM.findall(menu_page)[:ordered]:
        fields: dict[str, list[str]] = {}
        for name, value in HIDDEN.findall(form):
            fields.setdefault(name, []).append(value)
        fields.pop("csrf_token", None)
        fields.setdefault("quantity", ["1"])
        phone.post(f"{tab_url}/order", menu_page, **fields)
    return tab_url, {"Cookie": f"tabby_phone={phone.cookie('tabby_phone')}"}


def seed(demo_json: str, workdir: str) -> None:
    demo = json.loads(Path(demo_json).read_text())
    base = demo["base_url"]
    tabs = {"menu": open_tab(demo["table_cards"][0], 2)}
    for page, card in json.loads(Path(workdir, "shops.json").read_text()).items():
        tabs[page] = open_tab(card, 2)
    lines = [
        # A phone that has not opened a tab yet, as after scanning a card.
        f"card {demo['table_cards'][1]} -",
    ]
    for page, (tab_url, cookie) in tabs.items():
        assert tab_url.startswith(base + "/tab/"), tab_url
        headers = Path(workdir, f"headers-{page}.json")
        headers.write_text(json.dumps(cookie))
        if page == "menu":
            lines.append(f"tab {tab_url} {headers}")
            lines.append(f"bill {tab_url}/bill {headers}")
        lines.append(f"{page} {tab_url}/menu {headers}")
    Path(workdir, "pages.txt").write_text("\n".join(lines) + "\n")


# -- fold ----------------------------------------------------------------------------


def fold(workdir: str) -> None:
    """Where each menu's photos are laid out on Lighthouse's phone, and what each weighs:
    {page: {"screen": height, "photos": [{"top", "url", "loading", "bytes"}]}}."""
    from playwright.sync_api import sync_playwright

    pages = {}
    for line in Path(workdir, "pages.txt").read_text().splitlines():
        name, url, headers = line.split()
        if name in MENUS:
            pages[name] = (url, json.loads(Path(headers).read_text()))
    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
            args=["--headless=new", "--no-sandbox"],
        )
        for name, (url, headers) in pages.items():
            context = browser.new_context(
                viewport={"width": PHONE["width"], "height": PHONE["height"]},
                device_scale_factor=PHONE["scale"],
                is_mobile=True,
                has_touch=True,
                extra_http_headers=headers,
            )
            page = context.new_page()
            page.goto(url, wait_until="load")
            laid_out = page.evaluate(
                """() => [...document.querySelectorAll('img.menu-photo')].map(img => ({
                    top: img.getBoundingClientRect().top + scrollY,
                    // The WebP a phone loads (a lazy image has no currentSrc yet).
                    url: new URL(
                        img.parentElement.querySelector('source[type="image/webp"]').srcset,
                        location,
                    ).href,
                    loading: img.loading,
                }))"""
            )
            context.close()
            for photo in laid_out:
                with urllib.request.urlopen(photo["url"]) as response:
                    photo["bytes"] = len(response.read())
            found[name] = {"screen": PHONE["height"], "photos": laid_out}
        browser.close()
    Path(workdir, "fold.json").write_text(json.dumps(found, indent=1))


# -- report --------------------------------------------------------------------------


def runs_of(workdir: str, page: str) -> list[dict]:
    found = sorted(Path(workdir).glob(f"{page}-[0-9]*.json"))
    return [json.loads(path.read_text()) for path in found]


def median(values) -> float:
    return statistics.median(values)


def lighthouse_section(workdir: str) -> tuple[str, str]:
    rows = []
    version = ""
    count = 0
    for page in PAGES:
        results = runs_of(workdir, page)
        count = len(results)
        version = results[0]["lighthouseVersion"]
        scores = [
            round(median(result["categories"][c]["score"] for result in results) * 100)
            for c in CATEGORIES
        ]
        missed = {}
        for result in results:
            for audit in result["audits"].values():
                if (
                    audit.get("score") is not None
                    and audit["score"] < 0.9
                    and audit["scoreDisplayMode"] in ("binary", "numeric", "metricSavings")
                ):
                    missed[audit["id"]] = missed.get(audit["id"], 0) + 1
        # Under 90 in at least half the runs: one slow run does not name an audit.
        usual = sorted(key for key, times in missed.items() if times * 2 >= len(results))
        rows.append(
            f"| {page} | " + " | ".join(map(str, scores)) + f" | {', '.join(usual) or '—'} |"
        )
    section = "\n".join(
        [
            "## Lighthouse",
            "",
            f"`bench/lighthouse.sh`, {date.today().isoformat()}: Lighthouse {version}, mobile"
            " (simulated slow 4G and a mid-range phone), Debian Chromium, headless; the demo"
            f" café served by gunicorn on this machine. Medians of {count} runs.",
            "",
            "| page | performance | accessibility | best practices | SEO | audits under 90 |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    return section, version


def kb(size: float) -> str:
    return f"{size / 1024:.1f} KB"


def menu_figures(workdir: str) -> dict[str, dict]:
    """Per menu: the medians of Lighthouse's figures, and its photos against the fold."""
    laid_out = json.loads(Path(workdir, "fold.json").read_text())
    figures = {}
    for page in MENUS:
        results = runs_of(workdir, page)

        def numeric(audit: str, results=results) -> float:
            return median(result["audits"][audit]["numericValue"] for result in results)

        def requests(result) -> list[dict]:
            return result["audits"]["network-requests"]["details"]["items"]

        def image_bytes(result) -> int:
            return sum(
                r.get("transferSize", 0)
                for r in requests(result)
                if r.get("resourceType") == "Image"
            )

        def photo_urls(result) -> set[str]:
            return {r["url"] for r in requests(result) if "/photos/" in r["url"]}

        def photo_bytes(result) -> int:
            return sum(r.get("transferSize", 0) for r in requests(result) if "/photos/" in r["url"])

        photos = laid_out[page]["photos"]
        screen = laid_out[page]["screen"]
        above = [p for p in photos if p["top"] < screen]
        below = [p for p in photos if p["top"] >= screen]
        # A photo below the first screen counts as deferred when it is lazy and the
        # page's load did not fetch it in any run.
        fetched = set().union(*(photo_urls(result) for result in results))
        deferred = [p for p in below if p["loading"] == "lazy" and p["url"] not in fetched]
        loaded = median(len(photo_urls(result)) for result in results)
        lcp_kinds = []
        for result in results:
            items = result["audits"]["largest-contentful-paint-element"].get("details", {})
            node = next(
                (
                    entry.get("node", {})
                    for table in items.get("items", [])
                    for entry in table.get("items", [])
                    if entry.get("node")
                ),
                {},
            )
            lcp_kinds.append("a photo" if "<img" in node.get("snippet", "") else "text")
        figures[page] = {
            "performance": round(
                median(r["categories"]["performance"]["score"] for r in results) * 100
            ),
            "fcp": numeric("first-contentful-paint"),
            "lcp": numeric("largest-contentful-paint"),
            "lcp_element": max(set(lcp_kinds), key=lcp_kinds.count),
            "cls": numeric("cumulative-layout-shift"),
            "tbt": numeric("total-blocking-time"),
            "bytes": numeric("total-byte-weight"),
            "image_bytes": median(image_bytes(r) for r in results),
            "requests": median(len(requests(r)) for r in results),
            "photos": len(photos),
            "photo_bytes": sum(p["bytes"] for p in photos),
            "above": len(above),
            "above_bytes": sum(p["bytes"] for p in above),
            "above_eager": sum(p["loading"] != "lazy" for p in above),
            "below": len(below),
            "below_lazy": sum(p["loading"] == "lazy" for p in below),
            "deferred": len(deferred),
            "loaded": loaded,
            "loaded_bytes": median(photo_bytes(r) for r in results),
            # Gone from newer Lighthouses (its insight replaces it): then None.
            "offscreen_audit": median(
                r["audits"]["offscreen-images"]["score"] or 0 for r in results
            )
            if all("offscreen-images" in r["audits"] for r in results)
            else None,
            "runs": len(results),
        }
    return figures


def menu_table(figures: dict[str, dict]) -> list[str]:
    columns = list(MENUS)

    def row(label: str, show) -> str:
        return f"| {label} | " + " | ".join(show(figures[page]) for page in columns) + " |"

    return [
        "| | " + " | ".join(MENUS[page] for page in columns) + " |",
        "|---|" + "---|" * len(columns),
        row("Performance score", lambda f: str(f["performance"])),
        row("First Contentful Paint", lambda f: f"{f['fcp'] / 1000:.1f} s"),
        row("Largest Contentful Paint", lambda f: f"{f['lcp'] / 1000:.1f} s ({f['lcp_element']})"),
        row("Cumulative Layout Shift", lambda f: f"{f['cls']:.3f}"),
        row("Total Blocking Time", lambda f: f"{f['tbt']:.0f} ms"),
        row("Transferred by the load", lambda f: kb(f["bytes"])),
        row("… of which images (icons and photos)", lambda f: kb(f["image_bytes"])),
        row("Requests", lambda f: f"{f['requests']:.0f}"),
        row(
            "Photos on the page (WebP, all of them)",
            lambda f: f"{f['photos']} · {kb(f['photo_bytes'])}",
        ),
        row(
            "… in the first screen (whole or in part)",
            lambda f: (
                f"{f['above']} · {kb(f['above_bytes'])}"
                + (f", {f['above_eager']} not lazy" if f["above"] else "")
            ),
        ),
        row(
            "… fetched by the load",
            lambda f: f"{f['loaded']:.0f} · {kb(f['loaded_bytes'])}" if f["photos"] else "—",
        ),
        row(
            "… below the first screen: lazy, and not fetched until scrolled to",
            lambda f: (
                f"{f['below']}: {f['below_lazy']} lazy, {f['deferred']} not fetched"
                if f["below"]
                else "—"
            ),
        ),
        row(
            "Lighthouse “defer offscreen images”",
            lambda f: (
                "—"
                if f["offscreen_audit"] is None
                else "passes"
                if f["offscreen_audit"] >= 0.9
                else "fails"
            ),
        ),
    ]


START = "<!-- bench/lighthouse.sh: menu figures -->"
END = "<!-- end of menu figures -->"
MENU_HEADING = "## Menu with and without photos (Lighthouse, slow 4G)"


def menu_section(workdir: str, version: str, text: str) -> str:
    figures = menu_figures(workdir)
    runs = next(iter(figures.values()))["runs"]
    generated = "\n".join(
        [
            START,
            f"{date.today().isoformat()}, Lighthouse {version}, medians of {runs} runs:",
            "",
            *menu_table(figures),
            END,
        ]
    )
    section = re.compile(rf"^{re.escape(MENU_HEADING)}\n.*?(?=^## |\Z)", re.M | re.S)
    found = section.search(text)
    if found and START in found.group(0):
        body = re.sub(
            rf"{re.escape(START)}.*?{re.escape(END)}",
            lambda _: generated,
            found.group(0),
            flags=re.S,
        )
        return text[: found.start()] + body + text[found.end() :]
    new = f"{MENU_HEADING}\n\n{generated}\n\n"
    heading = re.compile(r"^## (?!Lighthouse\n)", re.M)
    after = re.search(r"^## Lighthouse\n", text, re.M)
    following = heading.search(text, after.end()) if after else None
    if following:
        return text[: following.start()] + new + text[following.start() :]
    return text.rstrip() + "\n\n" + new


def report(workdir: str, doc: str) -> None:
    section, version = lighthouse_section(workdir)
    path = Path(doc)
    text = path.read_text() if path.exists() else "# Performance\n"
    pattern = re.compile(r"^## Lighthouse\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    text = menu_section(workdir, version, text).rstrip() + "\n"
    path.write_text(text)
    print(section)
    print(re.search(rf"{re.escape(START)}.*?{re.escape(END)}", text, re.S).group(0))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"shops": shops, "seed": seed, "fold": fold, "report": report}[command](*args)
