"""Chromium would install Tabby as an app from a tab page: the manifest, its icons and
the page meet the browser's own installability checks."""

import pytest

from live import PHONE_COOKIE
from tests.helpers import CHROMIUM, CHROMIUM_FLAGS, browser_as

pytestmark = pytest.mark.browser


def installability_errors(page) -> list[str]:
    cdp = page.context.new_cdp_session(page)
    errors: list[dict] = []
    # The browser fetches the manifest and icons after load; ask until it has.
    for _ in range(20):
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        if not errors:
            break
        page.wait_for_timeout(250)
    return [error["errorId"] for error in errors]


def test_a_tab_page_is_installable(browser, live_server, screens, tmp_path):
    # An incognito context always answers "in-incognito", so this one keeps a profile.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_FLAGS,
        base_url=live_server,
        viewport={"width": 390, "height": 844},
    )
    try:
        context.add_cookies(
            [{"name": PHONE_COOKIE, "value": screens.phone_cookies["ana"], "url": live_server}]
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"/tab/{screens.tabs['ana']}")
        assert installability_errors(page) == []
        manifest = page.evaluate(
            "async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json()"
        )
        assert manifest["display"] == "standalone"
        assert manifest["scope"] == "/"
        assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
        assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    finally:
        context.close()


@pytest.mark.screens
def test_every_customer_page_links_the_manifest_and_icons(browser, live_server, screens):
    pages = {}
    try:
        for screen in screens.all:
            if screen.audience != "customer":
                continue
            if screen.who not in pages:
                pages[screen.who] = browser_as(browser, live_server, screens, screen.who).new_page()
            page = pages[screen.who]
            page.goto(screen.path)
            head = page.evaluate(
                """() => ({
                  manifest: document.querySelector('link[rel=manifest]')?.getAttribute('href'),
                  touch: document.querySelector('link[rel=apple-touch-icon]')?.href,
                  theme: document.querySelector('meta[name=theme-color]')?.content,
                  description: document.querySelector('meta[name=description]')?.content,
                })"""
            )
            assert head["manifest"] == "/manifest.webmanifest", screen.name
            assert head["touch"] and head["theme"] and head["description"], screen.name
    finally:
        for page in pages.values():
            page.context.close()
