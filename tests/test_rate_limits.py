"""Rate limits: card scans and tab opens per address, failed logins per account and per
address, orders per tab. A limited request gets a clear 429 with Retry-After; the
polls an open page makes every few seconds are never limited.

The rest of the suite runs with limits off (conftest); every app here turns them on
with low numbers, through the same wiring production uses.
"""

import os
import re
import secrets

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Tab, TabLine
from tests.helpers import PASSWORD, open_tab, order

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def limited(make_app):
    """An app with rate limits on; every limit is generous unless the test says."""

    def make(**limits):
        settings = {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_CARD_SCAN": "1000 per minute",
            "RATELIMIT_TAB_OPEN": "1000 per minute",
            "RATELIMIT_LOGIN_ACCOUNT": "1000 per minute",
            "RATELIMIT_LOGIN_ADDRESS": "1000 per minute",
            "RATELIMIT_ORDER": "1000 per minute",
        }
        settings.update(limits)
        return make_app(**settings)

    return make


def client_at(app, address: str | None = None):
    """A fresh browser at its own client address (so runs sharing Redis don't meet)."""
    client = app.test_client()
    if address is None:
        address = "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))
    client.environ_base["REMOTE_ADDR"] = address
    return client


def assert_slowed_down(response, json=False):
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60
    if json:
        assert response.mimetype == "application/json"
        assert "try again" in response.get_json()["error"]
    else:
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert "Please wait a moment" in page
        said = re.search(r"Wait (\d+) seconds, then try again\.", page)
        assert said, page
        # The header is stamped a moment after the page is written.
        assert abs(int(said.group(1)) - wait) <= 1


def tabs_opened(in_app) -> int:
    return in_app(lambda: db.session.execute(select(func.count(Tab.id))).scalar_one())


def lines_on(in_app, public_id) -> int:
    return in_app(
        lambda: db.session.execute(
            select(func.count(TabLine.id)).join(Tab).where(Tab.public_id == public_id)
        ).scalar_one()
    )


# -- customers ------------------------------------------------------------------------


def test_card_scans_are_limited_per_address(cafe, limited):
    app = limited(RATELIMIT_CARD_SCAN="3 per minute")
    phone = client_at(app, "10.0.0.1")
    for _ in range(3):
        assert phone.get(f"/t/{cafe.table.code}").status_code == 200

    assert_slowed_down(phone.get(f"/t/{cafe.table.code}"))
    # Another phone from the same address shares the count; another address does not.
    assert_slowed_down(client_at(app, "10.0.0.1").get(f"/t/{cafe.personal.code}"))
    assert client_at(app, "10.0.0.2").get(f"/t/{cafe.table.code}").status_code == 200


def test_tab_opens_are_limited_per_address_and_a_refused_open_opens_nothing(
    cafe, create_card, limited, in_app
):
    app = limited(RATELIMIT_TAB_OPEN="2 per minute")
    cards = [cafe.table, cafe.personal, create_card(cafe.shop, "table", "Table 2")]
    for card in cards[:2]:
        open_tab(client_at(app, "10.0.0.3"), card)

    third = client_at(app, "10.0.0.3")
    assert_slowed_down(third.post_form(f"/t/{cards[2].code}", {"customer_name": "Cleo"}))
    assert_slowed_down(third.post_json(f"/t/{cards[2].code}", {"customer_name": "Cleo"}), json=True)
    assert tabs_opened(in_app) == 2
    # Scanning is a separate count, so the phone still sees the card.
    assert third.get(f"/t/{cards[2].code}").status_code == 200
    open_tab(client_at(app, "10.0.0.4"), cards[2])
    assert tabs_opened(in_app) == 3


def test_orders_are_limited_per_tab(cafe, limited, in_app):
    app = limited(RATELIMIT_ORDER="3 per minute")
    phone, other = client_at(app, "10.0.0.5"), client_at(app, "10.0.0.5")
    public_id = open_tab(phone, cafe.table)
    other_id = open_tab(other, cafe.personal)
    for _ in range(3):
        assert order(phone, public_id, cafe.flat_white).status_code == 303

    assert_slowed_down(order(phone, public_id, cafe.flat_white))
    headers = {"Accept": "application/json"}
    data = {"item_id": cafe.croissant.id, "quantity": 1}
    assert_slowed_down(phone.post_form(f"/tab/{public_id}/order", data, headers=headers), json=True)
    assert lines_on(in_app, public_id) == 3
    # The same address ordering on its own tab is not held back.
    assert order(other, other_id, cafe.flat_white).status_code == 303
    assert lines_on(in_app, other_id) == 1


def test_polling_is_never_limited(cafe, login, limited):
    one = "1 per minute"
    app = limited(
        RATELIMIT_CARD_SCAN=one,
        RATELIMIT_TAB_OPEN=one,
        RATELIMIT_ORDER=one,
        RATELIMIT_LOGIN_ACCOUNT=one,
        RATELIMIT_LOGIN_ADDRESS=one,
    )
    phone = client_at(app, "10.0.0.6")
    public_id = open_tab(phone, cafe.table)
    staff = client_at(app, "10.0.0.6")
    staff.get("/staff/login")
    assert (
        staff.post_form(
            "/staff/login", {"email": cafe.staff.email, "password": PASSWORD}
        ).status_code
        == 303
    )

    # A whole visit's worth of 3-second polls from one address, and page views.
    for _ in range(40):
        assert phone.get(f"/tab/{public_id}/live").status_code in (200, 304)
        assert staff.get("/staff/live").status_code in (200, 304)
    for url in (f"/tab/{public_id}", f"/tab/{public_id}/menu", f"/tab/{public_id}/bill"):
        assert phone.get(url).status_code == 200
    assert staff.get("/staff").status_code == 200


# -- staff logins ---------------------------------------------------------------------


def try_login(client, email, password):
    client.get("/staff/login")
    return client.post_form("/staff/login", {"email": email, "password": password})


def test_failed_logins_are_limited_per_account(cafe, limited):
    app = limited(RATELIMIT_LOGIN_ACCOUNT="2 per minute")
    for address in ("10.0.1.1", "10.0.1.2"):
        assert try_login(client_at(app, address), cafe.staff.email, "wrong").status_code == 400

    # Even the right password waits now, from any address: guessing gets nowhere.
    attacker = client_at(app, "10.0.1.3")
    assert_slowed_down(try_login(attacker, cafe.staff.email.upper(), PASSWORD))
    assert attacker.get("/staff").status_code == 302
    # Another member of staff at the same address signs in as usual.
    assert try_login(client_at(app, "10.0.1.3"), cafe.owner.email, PASSWORD).status_code == 303


def test_failed_logins_are_limited_per_address(cafe, limited):
    app = limited(RATELIMIT_LOGIN_ADDRESS="3 per minute")
    for n in range(3):
        response = try_login(client_at(app, "10.0.1.4"), f"guess{n}@example.com", "wrong")
        assert response.status_code == 400

    assert_slowed_down(try_login(client_at(app, "10.0.1.4"), cafe.staff.email, PASSWORD))
    assert try_login(client_at(app, "10.0.1.5"), cafe.staff.email, PASSWORD).status_code == 303


def test_successful_logins_do_not_use_up_the_limit(cafe, limited):
    app = limited(RATELIMIT_LOGIN_ACCOUNT="2 per minute", RATELIMIT_LOGIN_ADDRESS="2 per minute")
    for _ in range(3):
        assert try_login(client_at(app, "10.0.1.6"), cafe.staff.email, PASSWORD).status_code == 303


# -- settings and storage -------------------------------------------------------------


def test_a_rate_limit_that_does_not_parse_stops_the_app_starting(limited):
    with pytest.raises(ValueError, match="RATELIMIT_ORDER"):
        limited(RATELIMIT_ORDER="lots")


def test_an_unreachable_limit_store_lets_requests_through(cafe, limited):
    # Nothing listens on port 1: the limits lapse (and are logged), the café keeps serving.
    app = limited(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_CARD_SCAN="1/minute")
    phone = client_at(app)
    for _ in range(3):
        assert phone.get(f"/t/{cafe.table.code}").status_code == 200
    open_tab(phone, cafe.table)


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture
def redis_store():
    if not redis_answers():
        if os.environ.get("TABBY_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis does not answer at {REDIS_URL} and TABBY_REQUIRE_REDIS=1")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    import redis

    return redis.Redis.from_url(REDIS_URL)


def test_limits_count_in_redis_when_configured(cafe, limited, redis_store):
    app = limited(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_CARD_SCAN="2 per minute")
    phone = client_at(app)  # an address of its own: parallel runs share this Redis
    address = phone.environ_base["REMOTE_ADDR"]
    for _ in range(2):
        assert phone.get(f"/t/{cafe.table.code}").status_code == 200

    assert_slowed_down(phone.get(f"/t/{cafe.table.code}"))
    keys = [key.decode() for key in redis_store.scan_iter(match=f"*tabby*{address}*")]
    assert keys, "the count should live in Redis, shared by every worker"
    redis_store.delete(*keys)
    assert phone.get(f"/t/{cafe.table.code}").status_code == 200
