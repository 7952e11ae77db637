"""Unchanged counter, station and ready board polls answered before Flask
(live/answers.py): the same 304 the views give, from one read; any change behind a
board gives the new answer; anything unusual is left to Flask."""

import re
from contextlib import contextmanager
from datetime import time

import pytest

from extensions import db
from models import Shop, StaffSession
from tests.fixtures.core import PASSWORD
from tests.helpers import open_tab

JSON = {"Accept": "application/json"}
# Set by the server in front of the app, not by it.
NOT_OURS = {"Date", "Server", "Content-Length"}


@contextmanager
def counted(app):
    """How many requests reach Flask, and how many rows the fast answers read."""
    fast = app.extensions["live"]
    seen = {"flask": 0, "reads": 0}
    flask_app = fast.wsgi_app
    real = fast.boards.staff.read, fast.boards.board.read

    def to_flask(environ, start_response):
        seen["flask"] += 1
        return flask_app(environ, start_response)

    def reading(read):
        def counted_read(**params):
            seen["reads"] += 1
            return read(**params)

        return counted_read

    fast.wsgi_app = to_flask
    fast.boards.staff.read, fast.boards.board.read = (reading(read) for read in real)
    try:
        yield seen
    finally:
        fast.wsgi_app = flask_app
        fast.boards.staff.read, fast.boards.board.read = real


def log_in(client, member):
    response = client.post_form("/staff/login", {"email": member.email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def ordered(phone, public_id, item) -> int:
    response = phone.post_json(f"/tab/{public_id}/order", {"item_id": item.id, "quantity": 1})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["line_id"]


def etag_of(client, url: str) -> str:
    response = client.get(url, headers=JSON)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.headers["ETag"]


def again(client, url: str, etag: str):
    return client.get(url, headers={**JSON, "If-None-Match": etag})


def station_ids(owner) -> dict[str, int]:
    html = owner.get("/admin/counter").get_data(as_text=True)
    return {
        name: int(i)
        for i, name in re.findall(r'<option value="(\d+)"[^>]*>(Bar|Kitchen)</option>', html)
    }


def add_stations(owner) -> dict[str, int]:
    """Bar makes the coffee, Kitchen the food."""
    for name in ("Bar", "Kitchen"):
        assert owner.post_form("/admin/counter/stations", {"name": name}).status_code == 303
    ids = station_ids(owner)
    response = owner.post_form(
        "/admin/counter/routes",
        {"category": ["Coffee", "Food"], "station": [ids["Bar"], ids["Kitchen"]]},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return ids


def open_board(owner) -> str:
    owner.post_form("/admin/counter/board", {"action": "open"})
    html = owner.get("/admin/counter").get_data(as_text=True)
    return re.search(r"/board/([A-Za-z0-9_-]+)", html)[1]


@pytest.fixture
def owner(cafe, login):
    return login(cafe.owner)


@pytest.fixture
def bar(owner):
    return add_stations(owner)["Bar"]


@pytest.fixture
def board_key(owner):
    return open_board(owner)


@pytest.mark.parametrize("page", ["counter", "station", "ready board"])
@pytest.mark.parametrize("base_url", ["http://localhost", "https://tabby.example.com"])
def test_the_fast_304_is_the_one_flask_gives(make_app, cafe, base_url, page):
    """Same status, same headers (security headers and HSTS included), byte for byte."""
    answers = []
    for fast in (True, False):
        app = make_app(FAST_ANSWERS=fast, BASE_URL=base_url)
        owner = log_in(app.test_client(), cafe.owner)
        if page == "counter":
            url = "/staff/live"
        elif page == "station":
            owner.post_form("/admin/counter/stations", {"name": "Bar"})
            url = f"/staff/stations/{station_ids(owner)['Bar']}/live"
        else:
            url = f"/board/{open_board(owner)}/live"
        screen = owner if page != "ready board" else app.test_client()
        response = again(screen, url, etag_of(screen, url))
        headers = {k: v for k, v in response.headers.items() if k not in NOT_OURS}
        answers.append((response.status_code, response.data, headers))

    fast_answer, flask_answer = answers
    assert fast_answer[0] == flask_answer[0] == 304
    assert fast_answer[1] == flask_answer[1] == b""
    assert list(fast_answer[2]) == list(flask_answer[2])
    assert {k: v for k, v in fast_answer[2].items() if k != "ETag"} == {
        k: v for k, v in flask_answer[2].items() if k != "ETag"
    }
    assert ("Strict-Transport-Security" in fast_answer[2]) == base_url.startswith("https")


def test_unchanged_polls_never_reach_flask(app, cafe, staff_client, bar, board_key, new_client):
    screen = new_client()
    polls = [
        (staff_client, "/staff/live"),
        (staff_client, f"/staff/stations/{bar}/live"),
        (screen, f"/board/{board_key}/live"),
    ]
    etags = [etag_of(client, url) for client, url in polls]

    with counted(app) as seen:
        for (client, url), etag in zip(polls, etags, strict=True):
            response = again(client, url, etag)
            assert response.status_code == 304
            assert response.headers["ETag"] == etag
            assert "Set-Cookie" not in response.headers

    assert seen == {"flask": 0, "reads": 3}


def test_a_line_made_ready_then_served_is_news_to_the_station_and_the_ready_board(
    app, cafe, phone, staff_client, bar, board_key, new_client
):
    public_id = open_tab(phone, cafe.table, "Ana")
    line = ordered(phone, public_id, cafe.flat_white)
    screen = new_client()
    station_url, board_url = f"/staff/stations/{bar}/live", f"/board/{board_key}/live"
    station_etag, board_etag = etag_of(staff_client, station_url), etag_of(screen, board_url)

    staff_client.post_form("/staff/tickets/bump", {"line": [line]})
    with counted(app) as seen:
        station = again(staff_client, station_url, station_etag)
        board = again(screen, board_url, board_etag)
    assert (station.status_code, board.status_code) == (200, 200)
    assert "Ana" in board.json["html"]
    assert seen["flask"] == 2

    staff_client.post_form("/staff/tickets/serve", {"line": [line]})
    served = again(screen, board_url, board.headers["ETag"])
    assert served.status_code == 200
    assert "Ana" not in served.json["html"]
    assert again(staff_client, station_url, station.headers["ETag"]).status_code == 200


def test_a_routing_change_is_news_to_the_station(cafe, phone, owner, staff_client, bar):
    public_id = open_tab(phone, cafe.table, "Ana")
    line = ordered(phone, public_id, cafe.croissant)
    url = f"/staff/stations/{bar}/live"
    etag = etag_of(staff_client, url)
    assert line not in staff_client.get(url, headers=JSON).json["queue_ids"]

    owner.post_form("/admin/counter/item-routes", {"item": [cafe.croissant.id], "station": [bar]})

    answer = again(staff_client, url, etag)
    assert answer.status_code == 200
    assert answer.json["queue_ids"] == [line]


def test_a_rotated_key_leaves_the_old_board_to_flask(app, owner, board_key, new_client):
    screen = new_client()
    url = f"/board/{board_key}/live"
    etag = etag_of(screen, url)

    open_board(owner)
    with counted(app) as seen:
        assert again(screen, url, etag).status_code == 404
    assert seen["flask"] == 1


def test_what_the_board_shows_is_news_to_the_board(cafe, owner, board_key, new_client):
    screen = new_client()
    url = f"/board/{board_key}/live"
    etag = etag_of(screen, url)

    owner.post_form("/admin/counter/board/shows", {"shows": "items"})

    assert again(screen, url, etag).status_code == 200


def test_a_logged_out_browser_is_left_to_flask(app, cafe, staff_client, bar, in_app):
    url = f"/staff/stations/{bar}/live"
    etag = etag_of(staff_client, url)
    in_app(lambda: db.session.query(StaffSession).delete())

    with counted(app) as seen:
        response = again(staff_client, url, etag)

    assert response.status_code in (302, 401)
    assert seen["flask"] == 1


def test_another_browser_with_the_session_cookie_is_left_to_flask(app, staff_client, bar):
    """Flask-Login's strong session protection: another user agent drops the session."""
    url = f"/staff/stations/{bar}/live"
    etag = etag_of(staff_client, url)

    with counted(app) as seen:
        response = staff_client.get(url, headers={"If-None-Match": etag, "User-Agent": "Other"})

    assert response.status_code in (302, 401)
    assert seen["flask"] == 1


def test_another_shops_station_is_left_to_flask(app, other_cafe, login, bar):
    stranger = login(other_cafe.staff)
    etag = etag_of(stranger, "/staff/live")
    forged = etag.replace("counter-", "station-")

    with counted(app) as seen:
        response = again(stranger, f"/staff/stations/{bar}/live", forged)

    assert response.status_code == 404
    assert seen["flask"] == 1


@pytest.mark.parametrize(
    "url", ["/staff/stations/0{id}/live", "/staff/stations/{id}/live?x=1", "/staff/live/"]
)
def test_unusual_polls_are_left_to_flask(app, staff_client, bar, url):
    etag = etag_of(staff_client, f"/staff/stations/{bar}/live")
    with counted(app) as seen:
        staff_client.get(url.format(id=bar), headers={"If-None-Match": etag})
    assert seen["flask"] == 1


@pytest.mark.parametrize("closing", [time(0, 1), time(23, 59)], ids=["closed", "open"])
def test_a_shop_with_a_closing_time_gets_the_counters_304_before_flask(
    app, cafe, staff_client, in_app, closing
):
    """Whether the shop has closed today is part of the counter's ETag: read, typed
    and worked out before Flask exactly as the view does."""

    def set_closing():
        db.session.get(Shop, cafe.shop.id).closing_time = closing

    in_app(set_closing)
    etag = etag_of(staff_client, "/staff/live")

    with counted(app) as seen:
        response = again(staff_client, "/staff/live", etag)

    assert response.status_code == 304
    assert seen == {"flask": 0, "reads": 1}
