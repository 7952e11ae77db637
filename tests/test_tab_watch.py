"""Tab versions kept in memory on PostgreSQL and dropped when the database announces
a change (tab_watch.py): polls skip the database while nothing changes, and a change
made anywhere is seen as soon as it is announced."""

import time

import pytest
from sqlalchemy import create_engine, text, update

from extensions import db
from models import Shop, Tab
from tab_watch import TabWatch
from tests.helpers import open_tab, order
from tests.test_fast_answers import counted, poll

# -- the bookkeeping, on any database --------------------------------------------------


class Rows:
    """A stand-in database read that can change the tab while it is being read."""

    def __init__(self):
        self.version = 1
        self.during_read = None

    def read(self, public_id):
        row = (1, self.version, "phone", 1)
        if self.during_read:
            self.during_read()
        return row


def watching(rows: Rows) -> TabWatch:
    watch = TabWatch(engine=None, read=rows.read)
    watch.watching = True
    return watch


def test_a_read_is_kept_until_the_tab_changes():
    rows = Rows()
    watch = watching(rows)
    assert watch.read("tab")[1] == 1

    rows.version = 2
    assert watch.read("tab")[1] == 1  # kept: no change announced yet

    watch.forget(["tab"])
    assert watch.read("tab")[1] == 2


def test_a_change_announced_during_a_read_is_not_lost():
    """A read that began before a change must not keep what it read: the announcement
    came and went while the old row was on its way."""
    rows = Rows()
    watch = watching(rows)

    def change_meanwhile():
        rows.during_read = None
        rows.version = 2
        watch.forget(["tab"])

    rows.during_read = change_meanwhile
    assert watch.read("tab")[1] == 1  # what the database said at the time

    assert "tab" not in watch.rows._entries
    assert watch.read("tab")[1] == 2


def test_nothing_is_kept_or_used_while_not_listening():
    rows = Rows()
    watch = watching(rows)
    watch.read("tab")
    watch.watching = False

    rows.version = 2
    assert watch.read("tab")[1] == 2
    assert watch.read("tab")[1] == 2


# -- listening, on PostgreSQL ----------------------------------------------------------


@pytest.fixture
def watched_app(make_app, database):
    if not database[0].startswith("postgresql"):
        pytest.skip("only PostgreSQL announces changes")
    app = make_app(TAB_WATCH=True)
    app.test_client().get("/healthz")  # the first request starts the listener
    assert wait_for(lambda: app.extensions["fast_answers"].watch.watching)
    return app


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def watched_tab(watched_app, cafe):
    """A tab whose version the app keeps. Keeping waits for quiet: a read overlapping
    any announcement (the order's own, the last test's clean-up) keeps nothing."""
    phone = watched_app.test_client()
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    etag = poll(phone, public_id).headers["ETag"]
    watch = watched_app.extensions["fast_answers"].watch
    assert wait_for(
        lambda: poll(phone, public_id, etag).status_code == 304 and public_id in watch.rows._entries
    )
    return phone, public_id, etag


def test_unchanged_polls_are_answered_from_memory(watched_app, watched_tab):
    phone, public_id, etag = watched_tab

    with counted(watched_app) as seen:
        for _ in range(5):
            assert poll(phone, public_id, etag).status_code == 304

    assert seen == {"flask": 0, "reads": 0}


def test_a_change_made_by_another_process_is_heard(watched_app, watched_tab, database):
    """Another worker or host commits through its own connection; its trigger tells
    every listener."""
    phone, public_id, etag = watched_tab
    watch = watched_app.extensions["fast_answers"].watch

    url, options = database
    elsewhere = create_engine(url, **options)
    with elsewhere.begin() as conn:
        conn.execute(update(Tab).where(Tab.public_id == public_id).values(version=Tab.version + 1))
    elsewhere.dispose()

    assert wait_for(lambda: public_id not in watch.rows._entries)
    assert poll(phone, public_id, etag).status_code == 200


def test_this_processs_own_change_shows_at_once(watched_app, cafe, watched_tab, monkeypatch):
    """No waiting for the announcement: the order's commit drops the tab here."""
    phone, public_id, etag = watched_tab
    watch = watched_app.extensions["fast_answers"].watch
    monkeypatch.setattr(watch, "heard", lambda channel, payload: None)  # announcements late

    order(phone, public_id, cafe.croissant)
    response = poll(phone, public_id, etag)

    assert response.status_code == 200
    assert [line["name"] for line in response.json["lines"]] == ["Flat white", "Butter croissant"]


def test_a_settings_change_drops_everything_kept(watched_app, watched_tab, cafe, in_app):
    watch = watched_app.extensions["fast_answers"].watch
    assert len(watch.rows) == 1

    def rename():
        db.session.get(Shop, cafe.shop.id).name = "The Blue Door"

    in_app(rename)

    assert wait_for(lambda: len(watch.rows) == 0)


def test_a_lost_listener_falls_back_to_the_database_and_comes_back(
    watched_app, watched_tab, in_app
):
    phone, public_id, etag = watched_tab
    watch = watched_app.extensions["fast_answers"].watch

    listener = watch.listener_pid
    in_app(lambda: db.session.execute(text(f"SELECT pg_terminate_backend({listener})")))
    assert wait_for(lambda: not watch.watching)
    with counted(watched_app) as seen:
        assert poll(phone, public_id, etag).status_code == 304
    assert seen["reads"] == 1  # from the database while nobody listens

    assert wait_for(lambda: watch.watching and watch.listener_pid != listener, seconds=10)
    assert poll(phone, public_id, etag).status_code == 304
