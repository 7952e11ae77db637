"""Fixtures for the whole suite.

- The schema is built by the real migrations, once per run, on SQLite (default) or
  on PostgreSQL (`--db=postgresql`, using TEST_DATABASE_URL).
- Every table is emptied after each test, so the live server used by the browser
  tests sees exactly what the test made.
- CSRF protection stays on: clients pick the token up from the pages they load, as a
  browser does.
- Factories (`create_shop`, `create_staff`, ...) each run in their own app context
  and return detached rows, so no app context stays pushed while a test makes
  requests (Flask would reuse it, and share `g` and the session between clients).
"""

import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from app import create_app
from config import normalise_database_url
from extensions import db
from models import MenuItem, Shop, StaffMember, Tab, TokenCard
from tests.clients import TabbyClient

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
    "PUSH_TIMEOUT_SECONDS": 0.5,
    "PUSH_SEND_THREADS": 4,
}

PASSWORD = "correct-horse-battery"
PASSWORD_HASH = generate_password_hash(PASSWORD)  # hashed once for the whole run


def pytest_addoption(parser):
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="database to run the suite on (postgresql needs TEST_DATABASE_URL)",
    )


def pytest_report_header(config):
    return f"tabby database: {config.getoption('--db')}"


# -- the app and its database -------------------------------------------------------


@pytest.fixture(scope="session")
def database(request, tmp_path_factory):
    """(SQLAlchemy URL, engine options) for this run, on an empty schema."""
    if request.config.getoption("--db") == "sqlite":
        path = tmp_path_factory.mktemp("db") / "tabby-test.db"
        yield f"sqlite:///{path}", {}
        return
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.exit("--db=postgresql needs TEST_DATABASE_URL", returncode=4)
    url = normalise_database_url(url)
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    options = {
        "pool_pre_ping": True,
        "connect_args": {"options": f"-c search_path={PG_SCHEMA}"},
    }
    yield url, options
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    admin.dispose()


def test_config(database, **overrides) -> dict:
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
        # Tab versions kept in memory on PostgreSQL are dropped a moment after a
        # commit elsewhere; tests that expect the change at once read the database.
        # tests/test_tab_watch.py turns it on.
        "TAB_WATCH": False,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def app(database):
    from flask_migrate import upgrade

    app = create_app(test_config(database))
    app.test_client_class = TabbyClient
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_app(database):
    """A separate app with some settings changed (no migrations run for it)."""
    made = []

    def make(**overrides):
        new = create_app(test_config(database, **overrides))
        new.test_client_class = TabbyClient
        made.append(new)
        return new

    yield make
    for new in made:
        with new.app_context():
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(app):
    yield
    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly (no client requests)."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def in_app(app):
    """Run `fn` in its own app context and commit; for reading or arranging data.

    Rows it returns are detached with what was loaded, so eager-load what you read.
    """

    def run(fn, *args, **kwargs):
        with app.app_context():
            result = fn(*args, **kwargs)
            db.session.flush()
            db.session.expunge_all()
            db.session.commit()
            return result

    return run


# -- clients -------------------------------------------------------------------------


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def new_client(app):
    """A fresh browser (phone or tablet) each call: no cookies shared."""
    return app.test_client


# -- factories -----------------------------------------------------------------------


def _detached(obj):
    db.session.commit()
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def create_shop(app):
    counter = iter(range(1, 10_000))

    def create(**fields) -> Shop:
        n = next(counter)
        values = {
            "slug": f"shop-{n}",
            "name": f"Café Number {n}",
            "currency": "EUR",
            "locale": "en_IE",
            "timezone": "Europe/Dublin",
            "service_note": "Table service until 17:00.",
        }
        values.update(fields)
        with app.app_context():
            shop = Shop(**values)
            db.session.add(shop)
            return _detached(shop)

    return create


@pytest.fixture
def create_staff(app):
    counter = iter(range(1, 10_000))

    def create(shop: Shop, role: str = "staff", **fields) -> StaffMember:
        n = next(counter)
        values = {
            "shop_id": shop.id,
            "email": f"{role}{n}@{shop.slug}.example.com",
            "role": role,
            "password_hash": PASSWORD_HASH,
            "name": f"{role.title()} {n}",
        }
        values.update(fields)
        with app.app_context():
            member = StaffMember(**values)
            db.session.add(member)
            return _detached(member)

    return create


@pytest.fixture
def create_item(app):
    def create(shop: Shop, name: str = "Flat white", price: int = 380, **fields) -> MenuItem:
        with app.app_context():
            item = MenuItem(shop_id=shop.id, name=name, price=price, **fields)
            db.session.add(item)
            return _detached(item)

    return create


@pytest.fixture
def create_card(app):
    def create(shop: Shop, kind: str = "table", label: str | None = None, **fields) -> TokenCard:
        with app.app_context():
            card = TokenCard(
                shop_id=shop.id, kind=kind, label=label or f"{kind.title()} card", **fields
            )
            db.session.add(card)
            return _detached(card)

    return create


@pytest.fixture
def make_shop(create_shop, create_staff, create_item, create_card):
    """A working café: a menu (one item sold out), a table card, a personal card,
    one staff login and one owner login."""

    def make(**shop_fields) -> SimpleNamespace:
        shop = create_shop(**shop_fields)
        return SimpleNamespace(
            shop=shop,
            staff=create_staff(shop, "staff"),
            owner=create_staff(shop, "owner"),
            flat_white=create_item(shop, "Flat white", 380, category="Coffee"),
            croissant=create_item(shop, "Butter croissant", 280, category="Food"),
            sold_out=create_item(shop, "Banana bread", 320, category="Food", available=False),
            table=create_card(shop, "table", "Table 1"),
            personal=create_card(shop, "personal", "Card 1"),
        )

    return make


@pytest.fixture
def cafe(make_shop):
    return make_shop()


@pytest.fixture
def other_cafe(make_shop):
    return make_shop(currency="GBP", locale="en_GB", timezone="Europe/London")


@pytest.fixture
def login(new_client):
    """A client logged in as `member`, through the real login form."""

    def log_in(member: StaffMember) -> TabbyClient:
        client = new_client()
        response = client.post_form("/staff/login", {"email": member.email, "password": PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return log_in


@pytest.fixture
def staff_client(cafe, login):
    return login(cafe.staff)


# -- customer helpers ----------------------------------------------------------------


def open_tab(phone: TabbyClient, card: TokenCard, name: str = "") -> str:
    """Scan `card` and tap "Open my tab"; returns the tab's public id."""
    response = phone.post_form(f"/t/{card.code}", {"customer_name": name})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location.rsplit("/tab/", 1)[1]


def order(phone: TabbyClient, public_id: str, item, quantity=1, note="", **extra):
    data = {"item_id": getattr(item, "id", item), "quantity": quantity, "note": note, **extra}
    return phone.post_form(f"/tab/{public_id}/order", data)


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


@pytest.fixture
def phone(new_client):
    return new_client()


# -- a live server and a real browser ------------------------------------------------


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the run: `browser` for ordinary contexts, and tests that need
    a persistent context (service workers, notifications) launch their own from it."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}"
        if os.environ.get("TABBY_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " and TABBY_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def output_dir():
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


# -- online card payment (Stripe) ------------------------------------------------------
# A stand-in for the Stripe API on 127.0.0.1 (tests/stripe_standin.py) and an app
# pointed at it. The session-wide `app` has no Stripe keys, so Stripe is off there.


@pytest.fixture(scope="session")
def _stripe_server():
    from tests.stripe_standin import start_standin

    standin, server = start_standin()
    yield standin
    server.shutdown()


@pytest.fixture
def stripe_api(_stripe_server):
    _stripe_server.reset()
    yield _stripe_server
    assert _stripe_server.problems == [], "Stripe would have refused what Tabby sent"


@pytest.fixture
def stripe_app(make_app, stripe_api):
    from tests.stripe_standin import SECRET_KEY, WEBHOOK_SECRET

    return make_app(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_api.url,
        STRIPE_TIMEOUT=2,
        STRIPE_MAX_RETRIES=0,
    )


# -- every screen, for the PWA checks (accessibility, weight, screenshots) -------------
# `screens` arranges a café in which every customer and staff screen can be shown, and
# names each one with who looks at it. Add a screen here and the accessibility walk,
# the tap-target and narrow-screen checks and the screenshots all cover it.

AXE_PATH = Path(
    os.environ.get("AXE_PATH", ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js")
)


@dataclass
class Screen:
    name: str
    path: str
    # "ana" (an open tab), "ben" (asked to pay), "cleo" (paid), "dan" (an empty tab),
    # "eve" (reminded to pay), "stranger" (no tab), "staff" or "owner"
    who: str
    status: int = 200

    @property
    def audience(self) -> str:
        return "staff" if self.path.startswith(("/staff", "/admin")) else "customer"


@pytest.fixture
def screens(cafe, create_card, new_client, login, app) -> SimpleNamespace:
    phones = {who: new_client() for who in ("ana", "ben", "cleo", "dan", "eve", "stranger")}
    ana = open_tab(phones["ana"], cafe.table, "Ana")
    order(phones["ana"], ana, cafe.flat_white, 2, "oat milk")
    order(phones["ana"], ana, cafe.croissant)
    ben = open_tab(phones["ben"], cafe.personal, "Ben")
    order(phones["ben"], ben, cafe.croissant)
    phones["ben"].post_form(f"/tab/{ben}/pay")
    cleo = open_tab(phones["cleo"], cafe.table, "Cleo")
    order(phones["cleo"], cleo, cafe.flat_white)
    revoked = create_card(cafe.shop, "table", "Table 9", active=False)
    # Satisfaction check: Ana rates her visit and flags her croissant, so the bill,
    # the counter's "Needs attention" panel and the staff tab page show it.
    bill_page = phones["ana"].get(f"/tab/{ana}/bill").get_data(as_text=True)
    flagged_line = max(int(i) for i in re.findall(r'data-line-id="(\d+)"', bill_page))
    phones["ana"].post_form(f"/tab/{ana}/rating", {"rating": "4", "comment": "Lovely"})
    phones["ana"].post_form(f"/tab/{ana}/lines/{flagged_line}/flag", {"note": "A bit stale"})
    # Receipts and unpaid tabs: Eve's tab gets a reminder to pay (the in-page banner).
    eve = open_tab(phones["eve"], cafe.table, "Eve")
    order(phones["eve"], eve, cafe.croissant)

    staff = login(cafe.staff)
    counter = staff.get("/staff").get_data(as_text=True)
    line_ids = [int(i) for i in re.findall(r'data-line-id="(\d+)"', counter)]
    staff.post_form(f"/staff/lines/{min(line_ids)}/status", {"status": "ready"})
    tab_ids = {
        name: int(i) for i, name in re.findall(r'href="/staff/tabs/(\d+)"><strong>(\w+)', counter)
    }
    staff.post_form(
        f"/staff/tabs/{tab_ids['Cleo']}/payment", {"method": "card", "amount": "3.80", "tip": ""}
    )
    staff.post_form(f"/staff/tabs/{tab_ids['Eve']}/remind")

    listed = [
        Screen("start", "/", "stranger"),
        Screen("card", f"/t/{cafe.table.code}", "stranger"),
        Screen("card-tab-open", f"/t/{cafe.table.code}", "ana"),
        Screen("card-in-use", f"/t/{cafe.personal.code}", "stranger", 409),
        Screen("card-unknown", "/t/no-such-card", "stranger", 404),
        Screen("card-revoked", f"/t/{revoked.code}", "stranger", 404),
        Screen("tab", f"/tab/{ana}", "ana"),
        Screen("tab-empty", f"/tab/{open_tab(phones['dan'], cafe.table)}", "dan"),
        Screen("tab-paying", f"/tab/{ben}", "ben"),
        Screen("menu", f"/tab/{ana}/menu", "ana"),
        Screen("menu-paying", f"/tab/{ben}/menu", "ben"),
        Screen("bill", f"/tab/{ana}/bill", "ana"),
        Screen("bill-paying", f"/tab/{ben}/bill", "ben"),
        Screen("receipt", f"/tab/{cleo}/receipt", "cleo"),
        Screen("tab-reminded", f"/tab/{eve}", "eve"),
        Screen("history", "/me", "cleo"),
        Screen("history-empty", "/me", "stranger"),
        Screen("not-your-tab", f"/tab/{ana}", "ben", 403),
        Screen("not-found", "/no/such/page", "stranger", 404),
        Screen("staff-login", "/staff/login", "stranger"),
        Screen("staff-counter", "/staff", "staff"),
        Screen("staff-tab", f"/staff/tabs/{tab_ids['Ana']}", "staff"),
        Screen("staff-tab-paid", f"/staff/tabs/{tab_ids['Cleo']}", "staff"),
        Screen("staff-new-tab", "/staff/tabs/new", "staff"),
        Screen("staff-cards", "/staff/cards", "staff"),
        Screen("admin-home", "/admin", "owner"),
        Screen("admin-day", "/admin/day", "owner"),
        Screen("admin-settings", "/admin/settings", "owner"),
        Screen("admin-menu", "/admin/menu", "owner"),
        Screen("admin-staff", "/admin/staff", "owner"),
        Screen("admin-cards", "/admin/cards", "owner"),
        Screen("admin-audit", "/admin/audit", "owner"),
    ]
    adapter = app.url_map.bind("localhost")

    def routed(screen: Screen) -> bool:
        # Owner pages join the walk as soon as their blueprint is registered.
        if screen.who != "owner":
            return True
        try:
            adapter.match(screen.path)
        except HTTPException:
            return False
        return True

    return SimpleNamespace(
        cafe=cafe,
        all=[screen for screen in listed if routed(screen)],
        phone_cookies={
            who: cookie.value
            for who, phone in phones.items()
            if (cookie := phone.get_cookie("tabby_phone"))
        },
        tabs={"ana": ana, "ben": ben, "cleo": cleo},
    )


def browser_as(browser, live_server, screens, who: str, **context_options):
    """A browser context that is `who`: a customer's phone (its cookie) or a logged-in
    member of staff (through the login form, as the session is tied to the browser)."""
    context = browser.new_context(base_url=live_server, **context_options)
    if who in screens.phone_cookies:
        context.add_cookies(
            [{"name": "tabby_phone", "value": screens.phone_cookies[who], "url": live_server}]
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


@pytest.fixture(scope="session")
def axe_source():
    if AXE_PATH.exists():
        return AXE_PATH
    message = f"axe-core not found at {AXE_PATH} (npm install axe-core; see .ci/run)"
    if os.environ.get("TABBY_REQUIRE_BROWSER") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# -- Web Push (issue 3): a local push service, a steppable clock, the dispatcher -----


@pytest.fixture
def push_service(app):
    from tests.push_service import LocalPushService

    service = LocalPushService(expected_key=app.config["VAPID_PUBLIC_KEY"]).start()
    yield service
    service.stop()


class PushClock:
    """The dispatcher's clock, stopped a minute ahead (so everything just queued is
    due) and moved on by hand, so no test sleeps through a backoff."""

    def __init__(self):
        from datetime import timedelta

        from models.base import utcnow

        self.now = utcnow() + timedelta(minutes=1)

    def __call__(self):
        return self.now

    def advance(self, seconds: float):
        from datetime import timedelta

        self.now += timedelta(seconds=seconds)


@pytest.fixture
def push_clock():
    return PushClock()


@pytest.fixture
def dispatcher(app, push_clock):
    from services.push_dispatch import Dispatcher

    sender = Dispatcher(app, clock=push_clock)
    yield sender
    sender.close()


def subscribe_push(phone: TabbyClient, public_id: str, subscription: dict, **kwargs):
    """What static/js/push.js posts after pushManager.subscribe()."""
    headers = {"X-CSRFToken": phone.csrf_token(), "Accept": "application/json"}
    return phone.post(f"/tab/{public_id}/push", json=subscription, headers=headers, **kwargs)


# -- receipts, history and unpaid tabs ----------------------------------------------
# The phone cookie is signed ("<phone id>.<signature>"); tests that compare it with
# what the database holds read the id part.


def phone_id_of(phone: TabbyClient) -> str:
    cookie = phone.get_cookie("tabby_phone")
    assert cookie is not None, "this phone has no cookie yet"
    return cookie.value.rsplit(".", 1)[0]
