"""The pages a rush hammers read in a fixed number of SQL statements: a tab with 30
lines costs what a tab with 2 costs, and a counter with 30 open tabs what one with 2
costs. (An N+1 here is what turns a busy lunchtime into a slow one.)"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from extensions import db
from live import PHONE_COOKIE, phone_signer
from models import ItemRoute, Shop, Station, StationRoute, Tab, TabLine
from models.base import new_code, utcnow
from models.tab import LINE_STATUSES, LINE_VOID, OPEN, SETTLING
from tests.helpers import app_config

SMALL, BIG = 2, 30


@contextmanager
def statements(app):
    """Every SQL statement the app sends while the block runs: through its engine, and
    through the driver connections of the answers given before Flask."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    reader = app.extensions["live"].versions
    real_read = reader.read if reader else None
    boards = app.extensions["live"].boards
    board_reads = (boards.staff, boards.board) if boards else ()
    real_board_reads = [one.read for one in board_reads]

    def read(public_id):
        sent.append(reader.sql)
        return real_read(public_id)

    def board_read(one, real):
        def counted(**params):
            sent.append(one.sql)
            return real(**params)

        return counted

    event.listen(engine, "before_cursor_execute", record)
    if reader:
        reader.read = read
    for one, real in zip(board_reads, real_board_reads, strict=True):
        one.read = board_read(one, real)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
        if reader:
            reader.read = real_read
        for one, real in zip(board_reads, real_board_reads, strict=True):
            one.read = real


def fill(in_app, cafe, tabs: int, lines: int) -> list[tuple[int, str, str]]:
    """`tabs` live tabs of `lines` lines each, in every status a counter shows.
    Returns (tab id, public id, phone id) per tab."""
    now = utcnow()

    def make():
        made = []
        for n in range(tabs):
            phone_id = new_code()
            settling = n % 3 == 2
            tab = Tab(
                shop_id=cafe.shop.id,
                card_id=cafe.table.id if n % 2 else None,
                currency="EUR",
                phone_id=phone_id,
                open_phone_id=phone_id,
                customer_name=f"Guest {n}" if n % 4 else "",
                status=SETTLING if settling else OPEN,
                pay_requested_at=now if settling else None,
                opened_at=now - timedelta(minutes=n),
            )
            db.session.add(tab)
            db.session.flush()
            for m in range(lines):
                status = LINE_STATUSES[m % len(LINE_STATUSES)]
                db.session.add(
                    TabLine(
                        shop_id=cafe.shop.id,
                        tab_id=tab.id,
                        menu_item_id=cafe.flat_white.id,
                        name="Flat white",
                        unit_price=380,
                        quantity=1 + m % 3,
                        note="oat" if m % 2 else "",
                        status=status,
                        void_reason="Spilt" if status == LINE_VOID else "",
                        ordered_at=now - timedelta(minutes=m),
                    )
                )
            made.append((tab.id, tab.public_id, phone_id))
        return made

    return in_app(make)


def signed(phone_id: str) -> str:
    """The phone's cookie as the app signs it (only a signed cookie names a phone)."""
    return phone_signer(app_config(("sqlite://", {}))["SECRET_KEY"]).sign(phone_id).decode()


def phone_of(new_client, phone_id: str):
    client = new_client()
    client.set_cookie(PHONE_COOKIE, signed(phone_id))
    return client


def count(app, client, url, headers=None, expected_status=200) -> int:
    with statements(app) as sent:
        response = client.get(url, headers=headers or {})
    assert response.status_code == expected_status, response.get_data(as_text=True)[:300]
    return len(sent)


@pytest.fixture
def small_and_big(make_shop, in_app):
    """Two cafés: one quiet (2 tabs of 2 lines), one busy (30 tabs of 30 lines)."""
    quiet, busy = make_shop(), make_shop()
    return (
        (quiet, fill(in_app, quiet, SMALL, SMALL)),
        (busy, fill(in_app, busy, BIG, BIG)),
    )


CUSTOMER_PAGES = {
    "tab page": ("/tab/{public_id}", {}, 200),
    "bill": ("/tab/{public_id}/bill", {}, 200),
    "menu": ("/tab/{public_id}/menu", {}, 200),
    "poll, changed": ("/tab/{public_id}/live", {"Accept": "application/json"}, 200),
}


@pytest.mark.parametrize("page", CUSTOMER_PAGES)
def test_customer_pages_cost_the_same_for_2_or_30_lines(app, small_and_big, new_client, page):
    path, headers, status = CUSTOMER_PAGES[page]
    costs = []
    for _cafe, tabs in small_and_big:
        _tab_id, public_id, phone_id = tabs[0]
        phone = phone_of(new_client, phone_id)
        url = path.format(public_id=public_id)
        phone.get(url, headers=headers)  # the first request sets the session up
        costs.append(count(app, phone, url, headers, status))

    assert costs[0] == costs[1], f"{page}: {costs[0]} statements for {SMALL}, {costs[1]} for {BIG}"


@pytest.mark.parametrize("fast_answers", [True, False], ids=["before Flask", "through Flask"])
def test_an_unchanged_poll_is_one_query(app, make_app, small_and_big, fast_answers):
    if not fast_answers:
        app = make_app(FAST_ANSWERS=False)
    for _cafe, tabs in small_and_big:
        _tab_id, public_id, phone_id = tabs[0]
        phone = app.test_client()
        phone.set_cookie(PHONE_COOKIE, signed(phone_id))
        url = f"/tab/{public_id}/live"
        etag = phone.get(url, headers={"Accept": "application/json"}).headers["ETag"]

        with statements(app) as sent:
            response = phone.get(url, headers={"If-None-Match": etag})

        assert response.status_code == 304
        queries = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
        assert len(queries) == 1, sent


STAFF_PAGES = {
    "counter": ("/staff", {}),
    "counter poll, changed": ("/staff/live", {"Accept": "application/json"}),
    "tab page": ("/staff/tabs/{tab_id}", {}),
    "new tab": ("/staff/tabs/new", {}),
    "cards": ("/staff/cards", {}),
}


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_pages_cost_the_same_for_2_or_30_tabs(app, small_and_big, login, page):
    path, headers = STAFF_PAGES[page]
    costs = []
    for cafe, tabs in small_and_big:
        staff = login(cafe.staff)
        url = path.format(tab_id=tabs[0][0])
        staff.get(url, headers=headers)
        costs.append(count(app, staff, url, headers))

    assert costs[0] == costs[1], f"{page}: {costs[0]} statements for {SMALL}, {costs[1]} for {BIG}"


def test_an_unchanged_counter_poll_costs_the_same_for_2_or_30_tabs(app, small_and_big, login):
    costs = []
    for cafe, _tabs in small_and_big:
        staff = login(cafe.staff)
        etag = staff.get("/staff/live", headers={"Accept": "application/json"}).headers["ETag"]
        costs.append(count(app, staff, "/staff/live", {"If-None-Match": etag}, 304))

    assert costs[0] == costs[1]


def test_the_busy_counter_really_shows_every_tab(small_and_big, login):
    """The counts above compare like with like: the busy counter lists all 30 tabs."""
    cafe, tabs = small_and_big[1]
    page = login(cafe.staff).get("/staff").get_data(as_text=True)

    for tab_id, _public_id, _phone_id in tabs:
        assert f'data-tab-id="{tab_id}"' in page


def with_stations_and_board(in_app, cafe) -> tuple[int, str]:
    """Bar makes the coffee, Kitchen the rest; the ready board is on. Returns the
    Bar's id and the board's key."""

    def make():
        shop = db.session.get(Shop, cafe.shop.id)
        bar, kitchen = (
            Station(shop_id=shop.id, name="Bar"),
            Station(shop_id=shop.id, name="Kitchen"),
        )
        db.session.add_all([bar, kitchen])
        db.session.flush()
        db.session.add(StationRoute(shop_id=shop.id, station_id=bar.id, category="Coffee"))
        db.session.add(
            ItemRoute(shop_id=shop.id, station_id=kitchen.id, menu_item_id=cafe.croissant.id)
        )
        shop.board_key = new_code()
        return bar.id, shop.board_key

    return in_app(make)


BOARD_POLLS = {
    "counter poll": "/staff/live",
    "station poll": "/staff/stations/{bar}/live",
    "ready board poll": "/board/{key}/live",
}


@pytest.mark.parametrize("poll", BOARD_POLLS)
def test_board_polls_cost_the_same_for_2_or_30_tabs(app, small_and_big, login, in_app, poll):
    costs = []
    for cafe, _tabs in small_and_big:
        bar, key = with_stations_and_board(in_app, cafe)
        client = login(cafe.staff)
        url = BOARD_POLLS[poll].format(bar=bar, key=key)
        client.get(url, headers={"Accept": "application/json"})
        costs.append(count(app, client, url, {"Accept": "application/json"}))

    assert costs[0] == costs[1], f"{poll}: {costs[0]} statements for {SMALL}, {costs[1]} for {BIG}"


@pytest.mark.parametrize("poll", BOARD_POLLS)
def test_an_unchanged_board_poll_is_one_query_before_flask(app, small_and_big, login, in_app, poll):
    for cafe, _tabs in small_and_big:
        bar, key = with_stations_and_board(in_app, cafe)
        client = login(cafe.staff)
        url = BOARD_POLLS[poll].format(bar=bar, key=key)
        etag = client.get(url, headers={"Accept": "application/json"}).headers["ETag"]

        with statements(app) as sent:
            response = client.get(url, headers={"If-None-Match": etag})

        assert response.status_code == 304
        assert len(sent) == 1, sent
