"""With the café's Wi-Fi gone, a phone still shows its tab as last seen, with an
"offline" banner; an order tapped meanwhile waits on the phone and reaches the bar
exactly once when the network is back; anything else is refused with a message.
A new release replaces the phone's offline copies."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from extensions import db
from live import PHONE_COOKIE
from models import TabLine
from tests.helpers import CHROMIUM, CHROMIUM_FLAGS, load_tab
from tests.test_browser_loop import PAY_AT_THE_COUNTER

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def cache_names_once(page, wanted) -> list[str]:
    """The page's cache names, once `wanted(names)` holds (or as they are after 10 s)."""
    for _ in range(100):
        names = page.evaluate("() => caches.keys()")
        if wanted(names):
            break
        page.wait_for_timeout(100)
    return sorted(names)


@pytest.fixture
def ana_phone(browser, live_server, screens, tmp_path):
    """Ana's phone with a profile of its own: service workers need a persistent context."""
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_FLAGS,
        base_url=live_server,
        **PHONE,
    )
    context.add_cookies(
        [{"name": PHONE_COOKIE, "value": screens.phone_cookies["ana"], "url": live_server}]
    )
    yield context
    context.close()


def controlled(page, path: str):
    """Open `path` once the service worker runs the page, so the worker saw it load."""
    page.goto(path)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto(path)
    return page


def lines_with_key(in_app, request_key: str) -> int:
    return in_app(
        lambda: db.session.scalar(
            select(func.count()).select_from(TabLine).where(TabLine.request_key == request_key)
        )
    )


def line_count(in_app, public_id: str) -> int:
    return len(load_tab(in_app, public_id).lines)


def test_offline_tab_page_shows_its_last_state_and_a_banner(ana_phone, screens, login, in_app):
    public_id = screens.tabs["ana"]
    page = controlled(ana_phone.pages[0], f"/tab/{public_id}")
    lines = page.locator("#tab-body [data-line-id]")
    expect(lines).to_have_count(2)
    expect(page.locator("#offline-banner")).to_be_hidden()

    ana_phone.set_offline(True)
    # Meanwhile the bar adds to the tab: the phone can't know, and shows what it last saw.
    staff = login(screens.cafe.staff)
    tab_id = load_tab(in_app, public_id).id
    response = staff.post_form(
        f"/staff/tabs/{tab_id}/order", {"item_id": screens.cafe.croissant.id, "quantity": 1}
    )
    assert response.status_code == 303
    page.reload()
    expect(page.get_by_role("heading", name="My tab")).to_be_visible()
    expect(lines).to_have_count(2)
    expect(page.locator("#tab-body")).to_contain_text("Flat white")
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.locator("#offline-banner")).to_contain_text("You're offline")
    kept = page.evaluate(
        """async () => {
          const names = (await caches.keys()).filter(n => n.startsWith('tabby-pages-'));
          const cache = await caches.open(names[0]);
          return (await cache.keys()).map(r => new URL(r.url).pathname);
        }"""
    )
    assert kept and all(path.startswith("/tab/") for path in kept), kept

    ana_phone.set_offline(False)
    expect(page.locator("#offline-banner")).to_be_hidden()
    expect(lines).to_have_count(3, timeout=6000)  # the poller catches up


def test_an_order_tapped_offline_is_sent_once_when_back_online(ana_phone, screens, in_app):
    public_id = screens.tabs["ana"]
    before = line_count(in_app, public_id)
    page = ana_phone.pages[0]
    controlled(page, f"/tab/{public_id}")
    page.goto(f"/tab/{public_id}/menu")

    ana_phone.set_offline(True)
    page.get_by_role("button", name="Add Flat white").tap()
    outbox = page.locator("#outbox")
    expect(outbox).to_be_visible()
    expect(outbox).to_contain_text("Will send when you're back online")
    expect(outbox.locator("li")).to_have_text(["1 × Flat white"])
    expect(page.locator("#toast")).to_contain_text("will send when you're back online")
    page.get_by_role("button", name="Add Butter croissant").tap()
    page.get_by_role("button", name="Add Flat white").tap()  # a second one: a new order
    expect(outbox.locator("li")).to_have_count(3)
    keys = outbox.locator("li").evaluate_all(
        "items => items.map(li => li.getAttribute('data-queued'))"
    )
    assert len(set(keys)) == 3

    # Still offline: a reload keeps the queue; another page of the app sees it too.
    page.reload()
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(outbox.locator("li")).to_have_count(3)
    other = ana_phone.new_page()
    other.goto(f"/tab/{public_id}")
    expect(other.locator("#outbox li")).to_have_count(3)
    assert line_count(in_app, public_id) == before

    # Back online: both pages try to send, and the online event fires twice.
    ana_phone.set_offline(False)
    for p in (page, other):
        p.evaluate(
            "window.dispatchEvent(new Event('online')); window.dispatchEvent(new Event('online'))"
        )
    expect(outbox).to_be_hidden(timeout=6000)
    expect(other.locator("#outbox")).to_be_hidden(timeout=6000)
    expect(other.locator("#tab-body [data-line-id]")).to_have_count(before + 3, timeout=6000)
    page.reload()
    assert [lines_with_key(in_app, key) for key in keys] == [1, 1, 1]
    assert line_count(in_app, public_id) == before + 3
    names = sorted(line.name for line in load_tab(in_app, public_id).lines[before:])
    assert names == ["Butter croissant", "Flat white", "Flat white"]


def test_paying_offline_is_refused_with_a_message(ana_phone, screens, in_app):
    public_id = screens.tabs["ana"]
    page = controlled(ana_phone.pages[0], f"/tab/{public_id}/bill")
    ana_phone.set_offline(True)
    page.reload()
    expect(page.locator("#offline-banner")).to_be_visible()
    page.get_by_role("button", name=PAY_AT_THE_COUNTER).tap()
    expect(page.locator("#toast")).to_have_text(
        "You're offline, so this can't be done now. Nothing was changed."
    )
    expect(page).to_have_url(f"{page.url.split('/tab/')[0]}/tab/{public_id}/bill")
    assert load_tab(in_app, public_id).status == "open"


def test_a_new_release_replaces_the_offline_caches(ana_phone, screens, app):
    public_id = screens.tabs["ana"]
    app.config["STATIC_RELEASE"] = "release-one"
    try:
        page = controlled(ana_phone.pages[0], f"/tab/{public_id}")
        names = cache_names_once(page, lambda n: "tabby-pages-release-one" in n)
        assert names == ["tabby-pages-release-one", "tabby-static-release-one"]
        shell = page.evaluate(
            """async () => (await (await caches.open('tabby-static-release-one')).keys())
                .map(r => r.url)"""
        )
        assert any("/static/css/app.css?v=" in url for url in shell), shell
        assert any("/static/js/offline.js?v=" in url for url in shell), shell

        app.config["STATIC_RELEASE"] = "release-two"
        page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => r.update())")
        names = cache_names_once(page, lambda n: not any("release-one" in x for x in n))
        assert names == ["tabby-static-release-two"]
        page.reload()
        names = cache_names_once(page, lambda n: "tabby-pages-release-two" in n)
        assert names == ["tabby-pages-release-two", "tabby-static-release-two"]
    finally:
        app.config.pop("STATIC_RELEASE", None)


def test_the_service_worker_names_this_release_and_its_app_shell(client):
    body = client.get("/sw.js").get_data(as_text=True)
    assert "__TABBY_RELEASE__" not in body and "__TABBY_SHELL__" not in body
    assert "/static/css/app.css?v=" in body and "/static/js/offline.js?v=" in body
