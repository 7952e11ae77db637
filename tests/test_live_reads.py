"""The one raw read behind every answer given before Flask (live/versions.py
`read_one`), shared by the tab's reader and the counter's and board's
(live/boards.py): a row, or None when there is none or the database failed; a
connection that failed is never handed out again, and the failure is only logged,
at debug level when the driver raised it."""

import logging
from contextlib import contextmanager

from sqlalchemy import create_engine, event

from live.boards import BoardReader
from live.versions import read_one


@contextmanager
def invalidations(engine):
    dropped = []

    def invalidated(dbapi_connection, record, exception):
        dropped.append(dbapi_connection)

    event.listen(engine, "invalidate", invalidated)
    try:
        yield dropped
    finally:
        event.remove(engine, "invalidate", invalidated)


def reader_engine(app):
    return app.extensions["live"].versions.engine


def test_a_read_gives_the_first_row_or_none(app):
    engine = reader_engine(app)
    assert read_one(engine, "SELECT 1, 'two'", ()) == (1, "two")
    assert read_one(engine, "SELECT id FROM shops WHERE 1 = 0", ()) is None


def test_a_statement_the_database_refuses_is_none_and_its_connection_is_dropped(app, caplog):
    engine = reader_engine(app)
    with invalidations(engine) as dropped, caplog.at_level(logging.DEBUG, logger="live"):
        assert read_one(engine, "SELECT no_such_column FROM shops", ()) is None

    assert len(dropped) == 1
    [record] = [r for r in caplog.records if r.name == "live.versions"]
    assert record.levelno == logging.DEBUG
    assert record.getMessage().startswith("live: read failed: ")
    assert read_one(engine, "SELECT 1", ()) == (1,)  # the next read has a good connection


def test_the_boards_reads_share_it_and_log_as_the_boards(app, caplog):
    assert BoardReader(reader_engine(app)).read_board("no-such-key") is None

    unreachable = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        with caplog.at_level(logging.DEBUG, logger="live"):
            assert BoardReader(unreachable).read_board("any-key") is None
            assert BoardReader(unreachable).read_staff(1, "browser") is None
    finally:
        unreachable.dispose()

    records = [r for r in caplog.records if r.name in ("live.boards", "live.versions")]
    assert [r.name for r in records] == ["live.boards", "live.boards"]
    assert all(r.getMessage().startswith("live: no connection: ") for r in records)
