"""Tab versions kept in each web process's memory, dropped the moment PostgreSQL says
they changed.

An unchanged poll on PostgreSQL costs a round trip to the database, which is more
than everything else the answer costs put together; and nearly every poll is
unchanged. So each process keeps the rows it read (public id -> tab id, version,
owner phone, shop settings version) and listens on two channels that triggers in
the database fill (migrations 8c1d4e6f2a07):

- `tabby_tab`: a tab's version or owner changed, or the tab was deleted;
- `tabby_shop`: a shop's settings changed (rare: everything kept is dropped).

A NOTIFY is delivered when its transaction commits, to every listening process on
every host, so no process depends on another's memory. Between a commit and its
delivery (well under a millisecond on one host) a poll may still be told "no
change"; the next poll, a few seconds later, is not. Changes made by this very
process are dropped at its own commit (`_forget_committed_tabs`), so whatever it
serves after its own change is never from before it, announcement or not.

Whenever the listening connection is not up (before the first connect, after a
database restart, until it reconnects), nothing kept is used: every read goes to
the database, as on SQLite, which has no such channel.
"""

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine, event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from caching import MemoryCache

log = logging.getLogger(__name__)

TAB_CHANNEL = "tabby_tab"
SHOP_CHANNEL = "tabby_shop"
ROWS_KEPT = 20_000  # per process; a row is a few hundred bytes
# How long one wait for notifications lasts before the connection is checked.
HEARTBEAT_SECONDS = 5.0
RECONNECT_SECONDS = (0.5, 1, 2, 5, 10)


class TabWatch:
    def __init__(self, engine: Engine, read: Callable[[str], tuple | None]):
        self.engine = engine
        self._read = read
        self.rows = MemoryCache(ROWS_KEPT)
        self._lock = threading.Lock()
        # Moves with every change heard of: a read that started before a change
        # must not keep what it read.
        self._generation = 0
        self.watching = False
        self.listener_pid: int | None = None  # the listening connection's server process
        self.started = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- reading -----------------------------------------------------------------------

    def read(self, public_id: str) -> tuple | None:
        if not self.watching:
            return self._read(public_id)
        row = self.rows.get(public_id)
        if row is not None:
            return row
        with self._lock:
            generation = self._generation
        row = self._read(public_id)
        if row is not None:
            with self._lock:
                if self.watching and generation == self._generation:
                    self.rows.put(public_id, row)
        return row

    def forget(self, public_ids) -> None:
        with self._lock:
            self._generation += 1
            for public_id in public_ids:
                self.rows.discard(public_id)

    def forget_all(self) -> None:
        with self._lock:
            self._generation += 1
            self.rows.clear()

    # -- listening ---------------------------------------------------------------------

    def heard(self, channel: str, payload: str) -> None:
        if channel == TAB_CHANNEL:
            self.forget([payload])
        else:
            self.forget_all()

    def start(self) -> None:
        """Once per process, from its first request: a thread started before gunicorn
        forks would not survive into the workers."""
        if self.started:
            return
        with self._lock:
            if self.started:
                return
            self.started = True
        self._thread = threading.Thread(target=self._listen, name="tab-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """The listener ends within HEARTBEAT_SECONDS; nothing kept is used from now."""
        self._stop.set()
        self.watching = False

    def _listen(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen_once()
                failures = 0
            except (DBAPIError, self.engine.dialect.loaded_dbapi.Error) as error:
                log.warning("tab watch: listening stopped (%s); reading versions directly", error)
                failures += 1
            except Exception:
                # Never let the thread die: without it every read goes to the database,
                # which is slower but right.
                log.exception("tab watch: unexpected error; reading versions directly")
                failures += 1
            finally:
                self.watching = False
                self.forget_all()
            self._stop.wait(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])

    def _listen_once(self) -> None:
        pooled = self.engine.raw_connection()
        connection = pooled.driver_connection
        pooled.detach()  # this connection is the listener's for good, not the pool's
        try:
            connection.execute(f"LISTEN {TAB_CHANNEL}")
            connection.execute(f"LISTEN {SHOP_CHANNEL}")
            # Anything kept from before we listened may have missed its change.
            self.forget_all()
            self.listener_pid = connection.info.backend_pid
            self.watching = True
            while not self._stop.is_set():
                for note in connection.notifies(timeout=HEARTBEAT_SECONDS):
                    self.heard(note.channel, note.payload)
                    if self._stop.is_set():
                        break
                # A quiet spell: make sure the connection is still there.
                connection.execute("SELECT 1")
        finally:
            self.watching = False
            pooled.close()


def watch_for(engine: Engine, read: Callable[[str], tuple | None]) -> TabWatch | None:
    """A watch on PostgreSQL; None elsewhere (reads then always go to the database)."""
    if engine.dialect.name != "postgresql":
        return None
    return TabWatch(engine, read)


# -- this process's own commits --------------------------------------------------------


def _current_watch() -> TabWatch | None:
    """The app's watch while it keeps anything (it keeps nothing while not listening)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    answers = current_app.extensions.get("fast_answers")
    watch = answers.watch if answers is not None else None
    return watch if watch is not None and watch.watching else None


@event.listens_for(Session, "before_commit")
def _note_tabs_in_commit(session: Session) -> None:
    """The tabs this unit of work held. Every change to a tab goes through a view
    that loads it first, so dropping these at commit covers the process's own
    writes (over-dropping a tab that was only read costs one database read)."""
    if _current_watch() is None:
        return
    from models import Tab

    public_ids = [
        inspect(obj).dict.get("public_id")
        for obj in list(session.identity_map.values())
        if isinstance(obj, Tab)
    ]
    if public_ids:
        session.info["tabs_in_commit"] = [p for p in public_ids if p]


@event.listens_for(Session, "after_commit")
def _forget_committed_tabs(session: Session) -> None:
    public_ids = session.info.pop("tabs_in_commit", None)
    watch = _current_watch() if public_ids else None
    if watch is not None:
        watch.forget(public_ids)


@event.listens_for(Session, "after_rollback")
def _drop_note(session: Session) -> None:
    session.info.pop("tabs_in_commit", None)
