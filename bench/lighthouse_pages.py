"""Helpers for bench/lighthouse.sh.

lighthouse_pages.py seed DEMO_JSON WORKDIR   open a tab as a phone would; write
                                             WORKDIR/pages.txt (name url headers-file)
lighthouse_pages.py report WORKDIR DOC       put the scores into DOC under ## Lighthouse
"""

import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

PAGES = ["card", "tab", "menu", "bill"]
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


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
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(url, data=data) as response:
            return response.geturl()

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)


def seed(demo_json: str, workdir: str) -> None:
    demo = json.loads(Path(demo_json).read_text())
    base = demo["base_url"]
    phone = Phone()
    card_url, card_page = phone.get(demo["table_cards"][0])
    tab_url = phone.post(card_url, card_page, customer_name="Ana")
    menu_url = tab_url + "/menu"
    _, menu_page = phone.get(menu_url)
    for item_id in re.findall(r'name="item_id" value="(\d+)"', menu_page)[:2]:
        phone.post(f"{tab_url}/order", menu_page, item_id=item_id, quantity=1, note="")
    headers = Path(workdir, "headers.json")
    headers.write_text(json.dumps({"Cookie": f"tabby_phone={phone.cookie('tabby_phone')}"}))
    lines = [
        # A phone that has not opened a tab yet, as after scanning a card.
        f"card {demo['table_cards'][1]} -",
        f"tab {tab_url} {headers}",
        f"menu {menu_url} {headers}",
        f"bill {tab_url}/bill {headers}",
    ]
    assert tab_url.startswith(base + "/tab/"), tab_url
    Path(workdir, "pages.txt").write_text("\n".join(lines) + "\n")


def report(workdir: str, doc: str) -> None:
    rows = []
    version = ""
    for page in PAGES:
        result = json.loads(Path(workdir, f"{page}.json").read_text())
        version = result["lighthouseVersion"]
        scores = [round(result["categories"][c]["score"] * 100) for c in CATEGORIES]
        missed = sorted(
            audit["id"]
            for audit in result["audits"].values()
            if audit.get("score") is not None
            and audit["score"] < 0.9
            and audit["scoreDisplayMode"] in ("binary", "numeric", "metricSavings")
        )
        rows.append(
            f"| {page} | " + " | ".join(map(str, scores)) + f" | {', '.join(missed) or '—'} |"
        )
    section = "\n".join(
        [
            "## Lighthouse",
            "",
            f"`bench/lighthouse.sh`, {date.today().isoformat()}: Lighthouse {version}, mobile"
            " (simulated slow 4G and a mid-range phone), Debian Chromium, headless; the demo"
            " café served by gunicorn on this machine.",
            "",
            "| page | performance | accessibility | best practices | SEO | audits under 90 |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    path = Path(doc)
    text = path.read_text() if path.exists() else "# Performance\n"
    pattern = re.compile(r"^## Lighthouse\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text)
    print(section)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"seed": seed, "report": report}[command](*args)
