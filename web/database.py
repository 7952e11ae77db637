"""The database connection's settings: SQLite made safe for several workers, and a
connection lost at the end of a request dropped instead of turned into a 500."""

from contextlib import suppress

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from extensions import db


def register(app: Flask) -> None:
    @app.teardown_appcontext
    def release_connection(_error):
        # Runs before Flask-SQLAlchemy's own teardown. If the database went away
        # after the view finished (a restart), the closing ROLLBACK fails; the answer
        # is already made and nothing was left to save, so drop the dead connection
        # instead of turning a good page into a 500.
        try:
            db.session.remove()
        except DBAPIError as error:
            app.logger.warning("database connection lost at the end of a request: %s", error)
            with suppress(DBAPIError):
                db.session().invalidate()
            db.session.registry.clear()

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Take transaction control away from pysqlite (whose SAVEPOINT handling
        # would commit early) and make the file safe for several gunicorn workers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # A write transaction takes the write lock up front, so it waits its turn
        # (busy_timeout) instead of failing when its read snapshot goes stale.
        # Page views and polls read without blocking anyone.
        reading = has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
