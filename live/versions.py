"""The one read behind every answer given before Flask: a tab's id, version and
owner phone, and its shop's settings version, by the tab's public id (a unique
index).

Read from the database every time, so every process and host sees the same
versions the moment they commit; except on PostgreSQL with `LIVE_VERSION_CACHE`
on (the default), where each process caches what it read and PostgreSQL's
announcements drop it (live/version_cache.py, which says what keeps that right)."""

import logging
from typing import NamedTuple

from sqlalchemy import Engine, bindparam, create_engine, event, select

from live.version_cache import VersionCache, watch_commits

log = logging.getLogger(__name__)


class TabVersions(NamedTuple):
    id: int
    version: int
    phone_id: str | None
    settings_version: int


class VersionReader:
    def __init__(self, engine: Engine, cache: VersionCache | None = None):
        from models import Shop, Tab

        self.engine = engine
        self.cache = cache
        statement = (
            select(Tab.id, Tab.version, Tab.phone_id, Shop.settings_version)
            .join(Shop, Shop.id == Tab.shop_id)
            .where(Tab.public_id == bindparam("public_id"))
        )
        # Compiled once; each read is then the driver's own execute, which costs a
        # fraction of a Core or ORM round trip.
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self.positional = bool(compiled.positiontup)

    def read(self, public_id: str) -> TabVersions | None:
        """The row, or None when there is none or the database could not be asked
        (then Flask asks again and answers properly, 503 included)."""
        cache = self.cache
        if cache is None:
            return self.read_database(public_id)
        if not cache.started:
            cache.start()
        row = cache.get(public_id)
        if row is not None:
            return row
        generation = cache.generation  # before the read: a change meanwhile wins
        row = self.read_database(public_id)
        if row is not None:
            cache.put(public_id, row, generation)
        return row

    def read_database(self, public_id: str) -> TabVersions | None:
        row = read_one(
            self.engine, self.sql, (public_id,) if self.positional else {"public_id": public_id}
        )
        return TabVersions(*row) if row is not None else None


def read_one(engine: Engine, sql: str, params, logger: logging.Logger = log) -> tuple | None:
    """The first row of `sql` run with `params` on a raw driver connection of `engine`
    (a reader_engine's), or None when there is none or the database could not be
    asked: the request then goes on to Flask, which asks again and answers properly,
    503 included. A failure is logged on `logger`: at debug level when the driver
    raised it (a restart, a timeout), else as a warning."""
    try:
        connection = engine.raw_connection()
    except Exception as error:  # no connection: Flask's pool may do better
        logger.debug("live: no connection: %s", error)
        return None
    try:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        row = cursor.fetchone()
        cursor.close()
    except Exception as error:
        # A connection the database dropped (a restart): never hand it out again.
        connection.invalidate()
        driver_error = engine.dialect.loaded_dbapi.Error
        level = logging.DEBUG if isinstance(error, driver_error) else logging.WARNING
        logger.log(level, "live: read failed: %s", error)
        return None
    finally:
        connection.close()
    return row


def reader_engine(url, options: dict) -> Engine:
    """A small pool of its own: autocommit, so a read is one statement with no
    BEGIN/ROLLBACK around it (one round trip, fine behind PgBouncer in transaction
    mode), and no ping before each use, since a dead connection only sends the
    request on to Flask (whose pool does ping)."""
    options = {key: value for key, value in options.items() if key != "pool_pre_ping"}
    return create_engine(url, **options, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)


def version_reader(main_engine: Engine, config) -> VersionReader:
    """The reader for an app whose own engine is `main_engine`: a pool of its own on
    the same database (the URL as Flask-SQLAlchemy resolved it, so a relative SQLite
    path is the instance folder's), with the version cache on PostgreSQL when
    `LIVE_VERSION_CACHE` is on. Both go when the app's engine is disposed (the suite
    and the CLI do), so no connection outlives the app."""
    engine = reader_engine(main_engine.url, config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    cache = None
    if config.get("LIVE_VERSION_CACHE") and engine.dialect.name == "postgresql":
        cache = VersionCache(engine)
        watch_commits(main_engine, cache)

    def disposed(_engine):
        if cache is not None:
            cache.stop()
        engine.dispose()

    event.listen(main_engine, "engine_disposed", disposed)
    return VersionReader(engine, cache)
