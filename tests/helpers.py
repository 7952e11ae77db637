"""Plain helpers the tests import: what a phone does (open a tab, order), what a
test reads back (a tab as the database holds it), and the suite's constants.

Fixtures live in `tests/fixtures/` (one plugin module per concern, listed in
`tests/conftest.py`); nothing here is a fixture.
"""

import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.security import generate_password_hash

from extensions import db
from live import PHONE_COOKIE
from models import Tab, TokenCard
from tests.clients import TabbyClient

__all__ = ["TabbyClient"]

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = Path(os.environ.get("TABBY_TEST_OUTPUT", ROOT / "test-output"))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE_PATH = Path(
    os.environ.get("AXE_PATH", ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js")
)
# A schema of its own per run, so two runs on one database cannot trip over each other.
PG_SCHEMA = f"tabby_test_{os.getpid()}"

# Web Push: tests drive the dispatcher themselves and push to a local service over http.
PUSH_TEST_CONFIG = {
    "VAPID_PRIVATE_KEY": ec.generate_private_key(ec.SECP256R1())
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    .decode(),
    "VAPID_SUBJECT": "mailto:push-tests@tabby.example.com",
    "PUSH_DISPATCHER": "off",
    "PUSH_ALLOW_HTTP_ENDPOINTS": True,
    "PUSH_ALLOW_PRIVATE_ADDRESSES": True,
    "PUSH_TIMEOUT_SECONDS": 0.5,
    "PUSH_SEND_THREADS": 4,
}

PASSWORD = "correct-horse-battery"
PASSWORD_HASH = generate_password_hash(PASSWORD)  # hashed once for the whole run


def app_config(database, **overrides) -> dict:
    url, engine_options = database
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "BASE_URL": "http://localhost",
        "POLL_INTERVAL_MS": 500,
        **PUSH_TEST_CONFIG,
        # Rate limits (issue 7): the suite sends thousands of requests from one
        # address, so limits are off here; tests/test_rate_limits.py turns them on.
        "RATELIMIT_ENABLED": False,
        # Announcements arrive on a thread of their own, a moment after a commit made
        # elsewhere: tests/test_version_cache.py turns the cache on and waits for them.
        "LIVE_VERSION_CACHE": False,
    }
    config.update(overrides)
    return config


def open_tab(phone: TabbyClient, card: TokenCard, name: str = "") -> str:
    """Scan `card` and tap "Open my tab"; returns the tab's public id."""
    response = phone.post_form(f"/t/{card.code}", {"customer_name": name})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location.rsplit("/tab/", 1)[1]


def order(phone: TabbyClient, public_id: str, item, quantity=1, note="", **extra):
    data = {"item_id": getattr(item, "id", item), "quantity": quantity, "note": note, **extra}
    return phone.post_form(f"/tab/{public_id}/order", data)


def large_oat_shot(options) -> dict:
    """The order form's fields for a large oat milk drink with an extra shot, as the
    item's sheet sends them, for the groups and choices `add_options` made."""
    return {
        f"option-{options.groups['Size']}": options.large,
        f"option-{options.groups['Milk']}": options.oat_milk,
        "options": [options.extra_shot],
    }


def visible_text(html: str) -> str:
    """The page's text as a reader sees it: tags dropped, so a figure wrapped in a span
    for the live updates still reads "10% · €1.04"."""
    return re.sub(r"<[^>]+>", "", html)


def load_tab(in_app, public_id: str) -> Tab:
    """The tab as the database holds it, with its lines and payments loaded."""
    return in_app(
        lambda: db.session.execute(
            select(Tab)
            .where(Tab.public_id == public_id)
            .options(selectinload(Tab.lines), selectinload(Tab.payments))
        ).scalar_one()
    )


def tab_snapshot(in_app, public_id: str):
    """Everything about a tab that a refused request must leave exactly as it was."""
    tab = load_tab(in_app, public_id)
    return (
        tab.status,
        tab.version,
        tab.phone_id,
        tab.open_phone_id,
        tab.open_card_id,
        [(line.id, line.status, line.quantity, line.note) for line in tab.lines],
        [(payment.id, payment.amount, payment.tip) for payment in tab.payments],
    )


def subscribe_push(phone: TabbyClient, public_id: str, subscription: dict, **kwargs):
    """What static/js/push.js posts after pushManager.subscribe()."""
    headers = {"X-CSRFToken": phone.csrf_token(), "Accept": "application/json"}
    return phone.post(f"/tab/{public_id}/push", json=subscription, headers=headers, **kwargs)


# The phone cookie is signed ("<phone id>.<signature>"); tests that compare it with
# what the database holds read the id part.


def phone_id_of(phone: TabbyClient) -> str:
    cookie = phone.get_cookie(PHONE_COOKIE)
    assert cookie is not None, "this phone has no cookie yet"
    return cookie.value.rsplit(".", 1)[0]


def browser_as(browser, live_server, screens, who: str, **context_options):
    """A browser context that is `who`: a customer's phone (its cookie) or a logged-in
    member of staff (through the login form, as the session is tied to the browser)."""
    context = browser.new_context(base_url=live_server, **context_options)
    if who in screens.phone_cookies:
        context.add_cookies(
            [{"name": PHONE_COOKIE, "value": screens.phone_cookies[who], "url": live_server}]
        )
    elif who in ("staff", "owner"):
        member = getattr(screens.cafe, who)
        page = context.new_page()
        page.goto("/staff/login")
        page.fill("#email", member.email)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.close()
    return context


def logged_in_page(browser, live_server, member, **context_options):
    """A new browser page in which `member` logged in through the login form, landing
    on the back office's overview (owners) or the counter."""
    context = browser.new_context(base_url=live_server, **context_options)
    page = context.new_page()
    page.goto("/staff/login?next=/admin" if member.role == "owner" else "/staff/login")
    page.fill("#email", member.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page
