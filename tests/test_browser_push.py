"""Web Push end to end in real Chromium.

A real `pushManager.subscribe()` needs the browser vendor's push service on the
internet, so an init script swaps it for one that returns a subscription at the
local push service. Everything else is real: the page's own JS asks permission
from the tap and posts the subscription, staff mark the line ready, the
dispatcher encrypts and signs, the local service checks and decrypts, and CDP
hands the decrypted message to the service worker, which shows the notification.
"""

import json
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import PushSubscription
from tests.helpers import CHROMIUM, CHROMIUM_FLAGS, load_tab

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 6000
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

FAKE_SUBSCRIBE = """
(() => {
  const fake = %s;
  let current = null;
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__serverKey = btoa(String.fromCharCode.apply(null, key))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    window.__userVisibleOnly = options.userVisibleOnly;
    current = {
      endpoint: fake.endpoint,
      expirationTime: null,
      toJSON() { return fake; },
      unsubscribe() { current = null; return Promise.resolve(true); },
    };
    return Promise.resolve(current);
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
})();
"""


def open_my_tab(page, cafe, name="Ana"):
    page.goto(f"/t/{cafe.table.code}")
    page.get_by_label("Your first name").fill(name)
    page.get_by_role("button", name="Open my tab").tap()
    expect(page.get_by_role("heading", name="My tab")).to_be_visible()
    return page.url.rsplit("/tab/", 1)[1]


def staff_order_ready(staff_client, in_app, public_id, cafe):
    tab = load_tab(in_app, public_id)
    response = staff_client.post_form(
        f"/staff/tabs/{tab.id}/order", {"item_id": cafe.flat_white.id, "quantity": 1}
    )
    assert response.status_code == 303
    line = load_tab(in_app, public_id).lines[0]
    response = staff_client.post_json(f"/staff/lines/{line.id}/status", {"status": "ready"})
    assert response.status_code == 200
    return tab


@pytest.fixture
def notifying_phone(playwright, live_server, tmp_path):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_FLAGS,
        base_url=live_server,
        permissions=["notifications"],
        **PHONE,
    )
    yield context
    context.close()


def test_phone_is_notified_when_its_order_is_ready(
    cafe, notifying_phone, live_server, push_service, staff_client, dispatcher, in_app, app
):
    context = notifying_phone
    subscription = push_service.subscription()
    context.add_init_script(FAKE_SUBSCRIBE % json.dumps(subscription))
    page = context.pages[0] if context.pages else context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    public_id = open_my_tab(page, cafe)
    notify = page.locator("#notify")
    expect(notify).to_contain_text("Get a notification on this phone when your order is ready.")
    page.get_by_role("button", name="Notify me when ready").tap()
    expect(notify).to_contain_text("We'll notify this phone when your order is ready.")
    expect(page.get_by_role("button", name="Turn off notifications")).to_be_visible()
    assert page.evaluate("window.__serverKey") == app.config["VAPID_PUBLIC_KEY"]
    assert page.evaluate("window.__userVisibleOnly") is True
    endpoints = in_app(
        lambda: db.session.execute(select(PushSubscription.endpoint)).scalars().all()
    )
    assert endpoints == [subscription["endpoint"]]

    tab = staff_order_ready(staff_client, in_app, public_id, cafe)
    assert dispatcher.run_once() == 1
    [delivery] = push_service.deliveries
    assert push_service.problems == []
    assert delivery.payload["body"] == "Your Flat white is ready"

    # Hand the decrypted message to the service worker, as the push service would.
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 5
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    [registration] = [r for r in registrations if r["scopeURL"] == f"{live_server}/"]
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {
            "origin": live_server,
            "registrationId": registration["registrationId"],
            "data": json.dumps(delivery.payload),
        },
    )
    shown = []
    deadline = time.monotonic() + 5
    while not shown and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        shown = page.evaluate(
            """navigator.serviceWorker.ready
                 .then(r => r.getNotifications())
                 .then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag,
                                           url: n.data && n.data.url})))"""
        )
    assert shown == [
        {
            "title": cafe.shop.name,
            "body": "Your Flat white is ready",
            "tag": f"tab-{tab.id}",
            "url": f"/tab/{public_id}",
        }
    ]
    # The open page followed along too.
    expect(page.locator("#ready-alert")).to_contain_text("Flat white is ready")
    assert errors == []


@pytest.fixture
def plain_phone(browser, live_server):
    contexts = []

    def make(init_script: str, **options):
        context = browser.new_context(base_url=live_server, **{**PHONE, **options})
        context.add_init_script(init_script)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


NO_PUSH = """
delete window.PushManager;
window.__vibrations = [];
navigator.vibrate = function (pattern) { window.__vibrations.push(pattern); return true; };
"""


def test_without_push_the_page_says_so_updates_live_and_alerts(
    cafe, plain_phone, staff_client, in_app, push_service
):
    page = plain_phone(NO_PUSH)
    public_id = open_my_tab(page, cafe)
    notify = page.locator("#notify")
    expect(notify).to_contain_text("This browser can't show notifications.")
    expect(page.get_by_role("button", name="Notify me when ready")).to_be_hidden()
    expect(notify.locator("[data-ios-help]")).to_be_hidden()

    staff_order_ready(staff_client, in_app, public_id, cafe)
    alert = page.locator("#ready-alert")
    expect(alert).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(alert).to_contain_text("Flat white is ready")
    expect(page.locator("#tab-body")).to_contain_text("Ready")
    assert page.evaluate("window.__vibrations") == [[200, 100, 200]]
    page.get_by_role("button", name="OK").tap()
    expect(alert).to_be_hidden()
    assert push_service.attempts == []


IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def test_iphone_not_on_the_home_screen_is_shown_how(cafe, plain_phone):
    page = plain_phone("delete window.PushManager;", user_agent=IPHONE_SAFARI)
    open_my_tab(page, cafe)
    help_box = page.locator("#notify [data-ios-help]")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("Add to Home Screen")
    expect(help_box).to_contain_text("iOS 16.4 or later")


def test_denied_permission_is_said_plainly(cafe, plain_phone):
    page = plain_phone(
        "Object.defineProperty(Notification, 'permission', { get: () => 'denied' });"
    )
    open_my_tab(page, cafe)
    expect(page.locator("#notify")).to_contain_text("Notifications are blocked for this site.")
    expect(page.get_by_role("button", name="Notify me when ready")).to_be_hidden()
