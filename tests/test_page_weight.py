"""A tab page and the menu are light on a cheap phone: their first load (HTML, CSS, JS,
as sent over the wire) stays within 30 KB, text comes compressed, and a status change
is announced to screen readers without a reload. (A menu's photos are weighed in
tests/test_menu_photos.py and, with Lighthouse, in docs/PERFORMANCE.md.)"""

import pytest
from playwright.sync_api import expect

from tests.helpers import browser_as
from web.static import COMPRESS_MIN_BYTES

pytestmark = pytest.mark.browser

BUDGET_BYTES = 30 * 1024
PHONE_VIEWPORT = {"width": 390, "height": 844}
COUNTED = {"Document", "Stylesheet", "Script", "Font", "Manifest"}  # not images or icons


def first_load(page, path: str) -> dict[str, dict]:
    """Everything the page fetched up to its load event: {url: {type, bytes, encoding, length}}."""
    cdp = page.context.new_cdp_session(page)
    seen: dict[str, dict] = {}

    def received(event):
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        seen.setdefault(event["requestId"], {}).update(
            url=event["response"]["url"],
            type=event["type"],
            encoding=headers.get("content-encoding", ""),
            length=int(headers.get("content-length") or 0) or None,
        )

    cdp.on("Network.responseReceived", received)
    cdp.on(
        "Network.loadingFinished",
        lambda event: seen.setdefault(event["requestId"], {}).update(
            bytes=event["encodedDataLength"]
        ),
    )
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.goto(path, wait_until="load")
    page.wait_for_timeout(300)  # the manifest is fetched just after load
    return {entry["url"]: entry for entry in seen.values() if "url" in entry and "bytes" in entry}


@pytest.mark.screens
@pytest.mark.parametrize("page", ["", "/menu"], ids=["tab", "menu"])
def test_a_tab_page_first_load_fits_30_kb_compressed(browser, live_server, screens, page):
    context = browser_as(browser, live_server, screens, "ana", viewport=PHONE_VIEWPORT)
    try:
        loaded = first_load(context.new_page(), f"/tab/{screens.tabs['ana']}{page}")
    finally:
        context.close()
    counted = {url: entry for url, entry in loaded.items() if entry["type"] in COUNTED}
    kinds = {entry["type"] for entry in counted.values()}
    assert {"Document", "Stylesheet", "Script"} <= kinds, loaded
    total = sum(entry["bytes"] for entry in counted.values())
    listing = "\n".join(f"{e['bytes']:>7} {e['type']:<10} {url}" for url, e in counted.items())
    print(f"tab{page} first load: {total} bytes\n{listing}")
    assert total <= BUDGET_BYTES, f"{total} bytes > {BUDGET_BYTES}:\n{listing}"
    # A file under the compression threshold gains nothing from gzip and is sent as is.
    uncompressed = [
        url
        for url, entry in counted.items()
        if entry["type"] in ("Document", "Stylesheet", "Script")
        and entry["encoding"] != "gzip"
        and not (entry["length"] is not None and entry["length"] < COMPRESS_MIN_BYTES)
    ]
    assert not uncompressed, f"sent without compression: {uncompressed}"


def test_a_line_going_ready_is_announced(browser, live_server, screens, login):
    context = browser_as(browser, live_server, screens, "ana", viewport=PHONE_VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"/tab/{screens.tabs['ana']}")
        announcer = page.locator("[aria-live=polite]#live-status")
        expect(announcer).to_have_text("")
        line_id = page.locator("[data-line-id][data-status=ordered]").first.get_attribute(
            "data-line-id"
        )
        staff = login(screens.cafe.staff)
        response = staff.post_form(f"/staff/lines/{line_id}/status", {"status": "ready"})
        assert response.status_code == 303
        # The poller replaces the tab's body; the live region sits outside it and says so.
        expect(announcer).to_have_text("Butter croissant is ready", timeout=6000)
        expect(page.locator(f'[data-line-id="{line_id}"]')).to_have_attribute(
            "data-status", "ready"
        )
    finally:
        context.close()
