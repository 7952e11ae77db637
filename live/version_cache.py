"""Tab versions cached in each process, dropped when PostgreSQL announces a change.

On PostgreSQL an unchanged poll's one read costs more than the rest of its answer
put together, and nearly every poll is unchanged. So, when `LIVE_VERSION_CACHE`
is on (the default on PostgreSQL), each process keeps the versions it read
(public id -> TabVersions) and a thread listens on the channels the triggers of
migration a9d3f7e1c264 fill:

- `tabby_tab`: a tab changed or was deleted (payload: its public id);
- `tabby_shop`: a shop's settings changed (rare: everything cached is dropped).

The rules that keep it right:

- A NOTIFY is delivered when its transaction commits, to every listener on every
  host. Between a commit and its delivery (well under a millisecond on one host)
  another process may still answer "no change"; the phone's next poll is not.
- A read that started before a change never caches what it read (`generation`).
- This process's own commits drop their tabs at once, announcement or not: the
  triggers note the tabs a transaction changed in its own setting
  `tabby.changed_tabs`, read just before COMMIT (`watch_commits`); until the
  commit is over those tabs are read from the database.
- While the listening connection is down (before it first connects, after a
  restart, until it reconnects), or has not answered its heartbeat for
  SILENCE_SECONDS (a connection cut without a word), nothing cached is used:
  every read goes to the database.
- Behind PgBouncer in transaction mode LISTEN does not work: turn it off there
  (docs/DEPLOY.md); every read then goes to the database, which is right, only
  slower.
"""

import logging
import threading
import time
from collections import Counter, OrderedDict

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

TAB_CHANNEL = "tabby_tab"
SHOP_CHANNEL = "tabby_shop"
CHANGED_TABS = "tabby.changed_tabs"
ROWS_KEPT = 20_000  # per process; a row is a few hundred bytes
# How long one wait for announcements lasts before the connection is checked (and
# how long a stopped listener may take to notice).
HEARTBEAT_SECONDS = 2.0
# A listener not heard from for this long (a connection cut without a word, a
# heartbeat that hangs) is taken for down: reads go to the database meanwhile.
SILENCE_SECONDS = 5 * HEARTBEAT_SECONDS
RECONNECT_SECONDS = (0.5, 1, 2, 5, 10)
ALL = None  # a commit that may have changed any tab


class VersionCache:
    def __init__(self, engine: Engine | None = None, size: int = ROWS_KEPT):
        self.engine = engine  # where the listener connects (autocommit)
        self.size = size
        self._rows: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        # Wakes whoever waits for the listener (tests, benchmarks); no polling.
        self.changed = threading.Condition(self._lock)
        # Moves with every change heard of or committed here.
        self.generation = 0
        # Tabs whose commit is under way in this process: read, never cached.
        self._committing: Counter = Counter()
        self._committing_all = 0
        self.listening = False
        self.alive_until = 0.0  # time.monotonic() past which the listener is down
        self.listener_pid: int | None = None
        self.last_heard: str | None = None
        self.started = False
        self._stop = threading.Event()

    # -- reading -----------------------------------------------------------------------

    def get(self, public_id: str):
        if not self.listening or time.monotonic() > self.alive_until:
            return None
        with self._lock:
            row = self._rows.get(public_id)
            if row is not None:
                self._rows.move_to_end(public_id)
            return row

    def put(self, public_id: str, row, generation: int) -> None:
        """Keep `row`, read by a read that began at `generation`, unless anything
        changed since or a commit of this process may be changing it now."""
        with self._lock:
            if (
                not self.listening
                or generation != self.generation
                or self._committing_all
                or public_id in self._committing
            ):
                return
            self._rows[public_id] = row
            self._rows.move_to_end(public_id)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, public_id: str) -> bool:
        return public_id in self._rows

    # -- changes -----------------------------------------------------------------------

    def forget(self, public_ids) -> None:
        """`public_ids` changed; ALL (None) for any tab."""
        with self._lock:
            self._forget(public_ids)

    def _forget(self, public_ids) -> None:
        self.generation += 1
        if public_ids is ALL:
            self._rows.clear()
        else:
            for public_id in public_ids:
                self._rows.pop(public_id, None)
        self.changed.notify_all()

    def heard(self, channel: str, payload: str) -> None:
        self.last_heard = payload
        self.forget([payload] if channel == TAB_CHANNEL else ALL)

    def commit_begins(self, public_ids):
        """A commit of this process is about to change `public_ids` (ALL: any): drop
        them and read them from the database until `commit_ends`."""
        with self._lock:
            if public_ids is ALL:
                self._committing_all += 1
            else:
                self._committing.update(public_ids)
            self._forget(public_ids)
        return public_ids

    def commit_ends(self, public_ids) -> None:
        with self._lock:
            if public_ids is ALL:
                self._committing_all -= 1
            else:
                self._committing.subtract(public_ids)
                self._committing += Counter()  # drops the zeros
            # A read that began before the commit ended must not cache what it read.
            self._forget(public_ids)

    def wait_for(self, condition, seconds: float) -> bool:
        """Wait until `condition()` holds (checked whenever anything changes here)."""
        with self.changed:
            return self.changed.wait_for(condition, timeout=seconds)

    def alive(self) -> None:
        self.alive_until = time.monotonic() + SILENCE_SECONDS

    def _set_listening(self, listening: bool, pid: int | None = None) -> None:
        with self._lock:
            if listening:
                self.alive()
            self.listening = listening
            self.listener_pid = pid
            # Anything cached before may have missed its announcement.
            self._forget(ALL)

    # -- listening ---------------------------------------------------------------------

    def start(self) -> None:
        """Once per process, from its first read: a thread started before gunicorn
        forks would not survive into the workers."""
        with self._lock:
            if self.started:
                return
            self.started = True
        threading.Thread(target=self._listen, name="live-version-cache", daemon=True).start()

    def stop(self) -> None:
        """Nothing cached is used from now; the listener ends within a heartbeat."""
        self._stop.set()
        self._set_listening(False)

    def _listen(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen_once()
                failures = 0
            except Exception as error:
                # Never let the thread die: without it every read goes to the
                # database, which is slower but right.
                log.warning("live: not listening (%s); reading versions from the database", error)
                failures += 1
            finally:
                self._set_listening(False)
            self._stop.wait(RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)])

    def _listen_once(self) -> None:
        pooled = self.engine.raw_connection()
        connection = pooled.driver_connection
        pooled.detach()  # the listener's for good, not the pool's
        try:
            connection.execute(f"LISTEN {TAB_CHANNEL}")
            connection.execute(f"LISTEN {SHOP_CHANNEL}")
            self._set_listening(True, connection.info.backend_pid)
            while not self._stop.is_set():
                for note in connection.notifies(timeout=HEARTBEAT_SECONDS):
                    self.heard(note.channel, note.payload)
                # A quiet spell: make sure the connection is still there.
                connection.execute("SELECT 1")
                self.alive()
        finally:
            pooled.close()


# -- this process's own commits --------------------------------------------------------


def watch_commits(engine: Engine, cache: VersionCache) -> None:
    """Hooks on the app's own engine: a transaction that wrote anything reads, just
    before its COMMIT, which tabs its triggers noted, and those are dropped here
    until the commit is over (then dropped again). Reads and writes of other
    engines and processes are announced by the database."""

    @event.listens_for(engine, "before_cursor_execute")
    def note_write(conn, cursor, statement, parameters, context, executemany):
        if cache.started and statement.lstrip()[:6].upper() != "SELECT":
            conn.info["live_wrote"] = True

    @event.listens_for(engine, "commit")
    def before_commit(conn):
        if not conn.info.pop("live_wrote", False):
            return
        try:
            cursor = conn.connection.cursor()
            cursor.execute(f"SELECT current_setting('{CHANGED_TABS}', true)")
            noted = cursor.fetchone()[0]
            cursor.close()
        except Exception as error:  # the COMMIT will fail too; drop everything meanwhile
            log.debug("live: could not read the changed tabs: %s", error)
            noted = "*"
        if noted and noted.strip():
            public_ids = ALL if noted == "*" else noted.split()
            conn.info["live_committing"] = cache.commit_begins(public_ids)

    def commit_over(info) -> None:
        info.pop("live_wrote", None)
        if "live_committing" in info:
            cache.commit_ends(info.pop("live_committing"))

    # The commit is over when the connection goes back to the pool (a session's
    # commit, `engine.begin()`), begins its next transaction, rolls back or dies.
    event.listen(engine, "begin", lambda conn: commit_over(conn.info))
    event.listen(engine, "rollback", lambda conn: commit_over(conn.info))
    event.listen(engine.pool, "checkin", lambda _dbapi, record: commit_over(record.info))
    event.listen(engine.pool, "invalidate", lambda _dbapi, record, _e: commit_over(record.info))
