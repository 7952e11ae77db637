"""Tab versions cached per process on PostgreSQL, dropped when the database announces
a change (live/version_cache.py): unchanged polls skip the database, a change made
anywhere is heard, this process's own changes show at once, and while nobody
listens every read goes to the database."""

import secrets
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text, update

from extensions import db
from live.version_cache import TAB_CHANNEL, VersionCache
from live.versions import TabVersions, VersionReader
from models import Shop, Tab, TabLine
from tests.helpers import open_tab, order
from tests.test_live_answers import counted, poll

WAIT = 10.0  # seconds before a wait for the listener gives up (and the test fails)

# -- the bookkeeping, on both databases ------------------------------------------------


class Database:
    """A stand-in for the database read that can change the tab while it is read."""

    def __init__(self):
        self.version = 1
        self.reads = 0
        self.during_read = None

    def read(self, public_id):
        self.reads += 1
        row = TabVersions(1, self.version, "phone", 1)
        if self.during_read:
            during, self.during_read = self.during_read, None
            during()
        return row


@pytest.fixture
def cached(app):
    """A reader whose cache listens (no thread: the test plays the announcements)."""
    cache = VersionCache(size=3)
    cache.started = cache.listening = True
    cache.alive_until = float("inf")  # its heartbeat never late
    reader = VersionReader(app.extensions["live"].versions.engine, cache)
    database = Database()
    reader.read_database = database.read
    return reader, cache, database


def test_a_read_is_cached_until_the_tab_changes(cached):
    reader, cache, database = cached
    assert reader.read("tab").version == 1

    database.version = 2
    assert reader.read("tab").version == 1  # cached: no change announced yet
    assert database.reads == 1

    cache.heard(TAB_CHANNEL, "tab")
    assert reader.read("tab").version == 2


def test_a_change_announced_during_a_read_is_not_cached(cached):
    """The announcement came and went while the old row was on its way."""
    reader, cache, database = cached

    def change_meanwhile():
        database.version = 2
        cache.heard(TAB_CHANNEL, "tab")

    database.during_read = change_meanwhile
    assert reader.read("tab").version == 1  # what the database said at the time

    assert "tab" not in cache
    assert reader.read("tab").version == 2


def test_nothing_is_cached_or_used_while_not_listening(cached):
    reader, cache, database = cached
    reader.read("tab")
    cache.listening = False

    database.version = 2
    assert reader.read("tab").version == 2
    assert reader.read("tab").version == 2
    assert database.reads == 3


def test_nothing_cached_is_used_while_the_listener_is_silent(cached):
    """A connection cut without a word leaves the listener "up" but deaf: past its
    heartbeat, the cache is not trusted."""
    reader, cache, database = cached
    reader.read("tab")
    cache.alive_until = 0.0

    database.version = 2
    assert reader.read("tab").version == 2

    cache.alive()
    assert reader.read("tab").version == 2  # trusted again, with what it read last


def test_a_settings_change_drops_every_tab(cached):
    reader, cache, database = cached
    reader.read("a"), reader.read("b")

    cache.heard("tabby_shop", "1")

    assert len(cache) == 0


def test_a_tab_this_process_is_committing_is_read_from_the_database(cached):
    reader, cache, database = cached
    reader.read("tab")

    committing = cache.commit_begins(["tab"])
    database.version = 2  # committed, not yet over here
    assert reader.read("tab").version == 2
    assert reader.read("tab").version == 2
    assert "tab" not in cache

    cache.commit_ends(committing)
    assert reader.read("tab").version == 2
    assert "tab" in cache


def test_a_read_that_began_before_a_commit_ended_is_not_cached(cached):
    reader, cache, database = cached
    committing = cache.commit_begins(["tab"])
    database.during_read = lambda: cache.commit_ends(committing)

    reader.read("tab")

    assert "tab" not in cache


def test_a_commit_that_may_change_any_tab_drops_and_holds_them_all(cached):
    reader, cache, database = cached
    reader.read("a")

    committing = cache.commit_begins(None)
    assert len(cache) == 0
    reader.read("b")
    assert "b" not in cache

    cache.commit_ends(committing)
    reader.read("b")
    assert "b" in cache


def test_the_cache_holds_a_bounded_number_of_tabs(cached):
    reader, cache, database = cached
    for public_id in ("a", "b", "c", "d"):
        reader.read(public_id)
    assert len(cache) == 3
    assert "a" not in cache


def test_the_cache_is_used_only_on_postgresql_and_when_on(make_app, database):
    on = make_app(LIVE_VERSION_CACHE=True).extensions["live"].versions.cache
    off = make_app(LIVE_VERSION_CACHE=False).extensions["live"].versions.cache
    assert off is None
    assert (on is not None) == database[0].startswith("postgresql")
    if on is not None:
        on.stop()


# -- listening, on PostgreSQL ----------------------------------------------------------


@contextmanager
def database_reads(app):
    reader = app.extensions["live"].versions
    seen = {"reads": 0}
    real = reader.read_database

    def read(public_id):
        seen["reads"] += 1
        return real(public_id)

    reader.read_database = read
    try:
        yield seen
    finally:
        reader.read_database = real


def settle(cache: VersionCache, engine) -> None:
    """Wait until every announcement committed so far has been heard: announcements
    arrive in commit order, so hearing a marker sent now is enough."""
    marker = f"settle-{secrets.token_hex(6)}"
    with engine.begin() as conn:
        conn.execute(
            text("SELECT pg_notify(:channel, :marker)"), {"channel": TAB_CHANNEL, "marker": marker}
        )
    assert cache.wait_for(lambda: cache.last_heard == marker, WAIT)


@pytest.fixture
def cached_app(make_app, database):
    if not database[0].startswith("postgresql"):
        pytest.skip("only PostgreSQL announces changes")
    app = make_app(LIVE_VERSION_CACHE=True)
    cache = app.extensions["live"].versions.cache
    cache.start()
    assert cache.wait_for(lambda: cache.listening, WAIT)
    return app


@pytest.fixture
def cached_tab(cached_app, cafe):
    """A tab whose versions the app caches, after every announcement so far."""
    phone = cached_app.test_client()
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    etag = poll(phone, public_id).headers["ETag"]
    cache = cached_app.extensions["live"].versions.cache
    with cached_app.app_context():
        settle(cache, db.engine)
    assert poll(phone, public_id, etag).status_code == 304
    assert public_id in cache
    return phone, public_id, etag


def test_unchanged_polls_are_answered_from_memory(cached_app, cached_tab):
    phone, public_id, etag = cached_tab

    with counted(cached_app) as seen, database_reads(cached_app) as read:
        for _ in range(5):
            assert poll(phone, public_id, etag).status_code == 304

    assert seen["flask"] == 0
    assert read["reads"] == 0


def test_a_change_made_by_another_process_is_heard(cached_app, cached_tab, database):
    """Another worker or host commits through its own connection; its trigger tells
    every listener."""
    phone, public_id, etag = cached_tab
    cache = cached_app.extensions["live"].versions.cache

    url, options = database
    elsewhere = create_engine(url, **options)
    with elsewhere.begin() as conn:
        conn.execute(update(Tab).where(Tab.public_id == public_id).values(customer_name="Ben"))
    elsewhere.dispose()

    assert cache.wait_for(lambda: public_id not in cache, WAIT)
    assert poll(phone, public_id, etag).status_code == 200


def test_this_processs_own_order_shows_at_once(cached_app, cafe, cached_tab, monkeypatch):
    """No waiting for the announcement: the order's commit drops the tab here."""
    phone, public_id, etag = cached_tab
    cache = cached_app.extensions["live"].versions.cache
    monkeypatch.setattr(cache, "heard", lambda channel, payload: None)  # held back

    order(phone, public_id, cafe.croissant)
    response = poll(phone, public_id, etag)

    assert response.status_code == 200
    assert [line["name"] for line in response.json["lines"]] == ["Flat white", "Butter croissant"]


def test_this_processs_own_bulk_update_shows_at_once(cached_app, cached_tab, monkeypatch):
    """A bulk UPDATE of a tab's lines, with the tab never loaded: the triggers noted it."""
    phone, public_id, etag = cached_tab
    cache = cached_app.extensions["live"].versions.cache
    monkeypatch.setattr(cache, "heard", lambda channel, payload: None)

    with cached_app.app_context():
        tab_id = db.session.scalar(
            text("SELECT id FROM tabs WHERE public_id = :p"), {"p": public_id}
        )
        db.session.execute(update(TabLine).where(TabLine.tab_id == tab_id).values(note="oat milk"))
        db.session.commit()

    assert poll(phone, public_id, etag).status_code == 200


def test_this_processs_own_settings_change_shows_at_once(cached_app, cached_tab, cafe, monkeypatch):
    """A shop's settings show on every tab page: its commit drops every tab here."""
    phone, public_id, etag = cached_tab
    cache = cached_app.extensions["live"].versions.cache
    monkeypatch.setattr(cache, "heard", lambda channel, payload: None)

    with cached_app.app_context():
        db.session.get(Shop, cafe.shop.id).name = "The Blue Door"
        db.session.commit()

    assert len(cache) == 0
    assert poll(phone, public_id, etag).status_code == 200


def test_a_settings_change_drops_every_tab_cached(cached_app, cached_tab, cafe, in_app):
    cache = cached_app.extensions["live"].versions.cache
    assert len(cache) == 1

    in_app(lambda: setattr(db.session.get(Shop, cafe.shop.id), "name", "The Blue Door"))

    assert cache.wait_for(lambda: len(cache) == 0, WAIT)


def test_a_lost_listener_falls_back_to_the_database_and_comes_back(cached_app, cached_tab, in_app):
    phone, public_id, etag = cached_tab
    cache = cached_app.extensions["live"].versions.cache

    listener = cache.listener_pid
    in_app(lambda: db.session.execute(text(f"SELECT pg_terminate_backend({listener})")))
    assert cache.wait_for(lambda: not cache.listening, WAIT)
    with database_reads(cached_app) as read:
        assert poll(phone, public_id, etag).status_code == 304
        assert poll(phone, public_id, etag).status_code == 304
    assert read["reads"] == 2  # from the database while nobody listens
    assert len(cache) == 0

    assert cache.wait_for(lambda: cache.listening and cache.listener_pid != listener, WAIT)
    assert poll(phone, public_id, etag).status_code == 304
