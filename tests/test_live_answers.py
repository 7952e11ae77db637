"""Unchanged polls answered before Flask (live/answers.py): the same answer the view
gives, from one read, and anything unusual left to Flask."""

from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine

from extensions import db
from live import PHONE_COOKIE
from tests.helpers import open_tab, order
from tests.pay_helpers import invite, join

JSON = {"Accept": "application/json"}
# Set by the server in front of the app, not by it.
NOT_OURS = {"Date", "Server", "Content-Length"}


@contextmanager
def counted(app):
    """How many requests reach Flask, and how many tab rows the fast answers read."""
    fast = app.extensions["live"]
    seen = {"flask": 0, "reads": 0}
    flask_app, real_read = fast.wsgi_app, fast.versions.read

    def to_flask(environ, start_response):
        seen["flask"] += 1
        return flask_app(environ, start_response)

    def read(public_id):
        seen["reads"] += 1
        return real_read(public_id)

    fast.wsgi_app, fast.versions.read = to_flask, read
    try:
        yield seen
    finally:
        fast.wsgi_app, fast.versions.read = flask_app, real_read


def poll(client, public_id: str, etag: str | None = None, **headers):
    if etag:
        headers["If-None-Match"] = etag
    return client.get(f"/tab/{public_id}/live", headers={**JSON, **headers})


@pytest.fixture
def polled(cafe, phone):
    """An open tab with an order on it, and the ETag its phone last saw."""
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    return public_id, poll(phone, public_id).headers["ETag"]


def test_an_unchanged_poll_never_reaches_flask(app, phone, polled):
    public_id, etag = polled

    with counted(app) as seen:
        response = poll(phone, public_id, etag)

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert "Set-Cookie" not in response.headers
    assert seen == {"flask": 0, "reads": 1}


@pytest.mark.parametrize("page", ["poll", "tab page"])
@pytest.mark.parametrize("base_url", ["http://localhost", "https://tabby.example.com"])
def test_the_answer_is_the_one_flask_gives(make_app, cafe, base_url, page):
    """Same status, same headers (security headers and HSTS included), byte for byte."""
    answers = []
    for fast in (True, False):
        app = make_app(FAST_ANSWERS=fast, BASE_URL=base_url)
        phone = app.test_client()
        public_id = open_tab(phone, cafe.table, "Ana")
        if page == "poll":
            etag = poll(phone, public_id).headers["ETag"]
            response = poll(phone, public_id, etag)
        else:
            phone.get(f"/tab/{public_id}")  # the session's first page sets its cookie
            etag = phone.get(f"/tab/{public_id}").headers["ETag"]
            response = phone.get(f"/tab/{public_id}", headers={"If-None-Match": etag})
        headers = {k: v for k, v in response.headers.items() if k not in NOT_OURS}
        answers.append((response.status_code, response.data, headers))

    fast_answer, flask_answer = answers
    assert fast_answer[0] == flask_answer[0] == 304
    assert fast_answer[1] == flask_answer[1] == b""
    assert {k: v for k, v in fast_answer[2].items() if k != "ETag"} == {
        k: v for k, v in flask_answer[2].items() if k != "ETag"
    }
    assert ("Strict-Transport-Security" in fast_answer[2]) == base_url.startswith("https")


def test_a_changed_tab_goes_to_flask_for_the_news(app, cafe, phone, polled):
    public_id, etag = polled
    order(phone, public_id, cafe.croissant)

    with counted(app) as seen:
        response = poll(phone, public_id, etag)

    assert response.status_code == 200
    assert [line["name"] for line in response.json["lines"]] == ["Flat white", "Butter croissant"]
    assert seen["flask"] == 1


def test_another_phone_with_the_right_etag_is_refused_by_flask(app, new_client, polled):
    public_id, etag = polled
    stranger = new_client()

    with counted(app) as seen:
        response = poll(stranger, public_id, etag)

    assert response.status_code == 403
    assert "another phone" in response.json["error"]
    assert seen["flask"] == 1


def test_a_forged_phone_cookie_is_no_phone(app, phone, new_client, polled):
    public_id, etag = polled
    forger = new_client()
    real = phone.get_cookie(PHONE_COOKIE).value
    forger.set_cookie(PHONE_COOKIE, real[:-2] + ("AA" if not real.endswith("AA") else "BB"))

    response = poll(forger, public_id, etag)

    assert response.status_code == 403


def test_a_friend_on_the_tab_gets_its_304_from_flask(app, cafe, new_client):
    ana, ben = new_client(), new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    join(ben, invite(ana, public_id), "Ben")
    etag = poll(ben, public_id).headers["ETag"]

    with counted(app) as seen:
        response = poll(ben, public_id, etag)

    assert response.status_code == 304
    assert seen["flask"] == 1


def test_unusual_requests_are_left_to_flask(app, phone, polled):
    public_id, etag = polled
    with counted(app) as seen:
        assert phone.get(f"/tab/{public_id}/live?x=1", headers={"If-None-Match": etag}).status_code
        assert phone.head(f"/tab/{public_id}/live", headers={"If-None-Match": etag}).status_code
        assert phone.get(f"/tab/{public_id}/live/").status_code == 404
        assert poll(phone, "no-such-tab", etag).status_code == 404
    assert seen["flask"] == 4


def test_when_the_read_fails_flask_answers(app, phone, polled):
    """A database the fast answers cannot reach (a restart, a dead pooled connection)
    only sends the request on to Flask, which has its own pool and its own 503."""
    public_id, etag = polled
    fast = app.extensions["live"]
    working = fast.versions.engine
    fast.versions.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        with counted(app) as seen:
            response = poll(phone, public_id, etag)
    finally:
        fast.versions.engine.dispose()
        fast.versions.engine = working

    assert response.status_code == 304
    assert seen == {"flask": 1, "reads": 1}


def test_switched_off_everything_goes_to_flask(make_app, cafe):
    app = make_app(FAST_ANSWERS=False)
    assert app.extensions["live"].versions is None
    phone = app.test_client()
    public_id = open_tab(phone, cafe.table)
    etag = poll(phone, public_id).headers["ETag"]
    assert poll(phone, public_id, etag).status_code == 304
    phone.get(f"/tab/{public_id}")
    etag = phone.get(f"/tab/{public_id}").headers["ETag"]
    assert phone.get(f"/tab/{public_id}", headers={"If-None-Match": etag}).status_code == 304


def test_both_pools_open_the_same_database(make_app, database):
    """A relative SQLite path means the instance folder's file (Flask-SQLAlchemy's
    rule); the fast answers must not open another file next to the working directory."""
    url = "sqlite:///relative.db" if database[0].startswith("sqlite") else database[0]
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        main = db.engine.url
    assert app.extensions["live"].versions.engine.url == main


def test_another_process_sees_a_change_at_once(make_app, cafe):
    """Versions are read from the database on every request: a change committed by
    another worker (here: another app with its own pools) is news to the next poll."""
    first, second = make_app(), make_app()
    phone = first.test_client()
    public_id = open_tab(phone, cafe.table, "Ana")
    etag = poll(phone, public_id).headers["ETag"]
    other = second.test_client()
    other.set_cookie(PHONE_COOKIE, phone.get_cookie(PHONE_COOKIE).value)

    order(other, public_id, cafe.flat_white)

    response = poll(phone, public_id, etag)
    assert response.status_code == 200
    assert [line["name"] for line in response.json["lines"]] == ["Flat white"]


def test_the_phone_cookie_is_defined_once():
    from blueprints import customer
    from live import PHONE_COOKIE

    assert customer.PHONE_COOKIE is PHONE_COOKIE
