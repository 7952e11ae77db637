"""Sending the push outbox: claim due messages, send them, record what happened.

Runs outside any request: in a background thread of each web process (the embedded
default, `PUSH_DISPATCHER=thread`) or as `flask --app app push worker`. Any number
of dispatchers may run against one database: a claim is a short transaction that
marks rows `sending` with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
claimers never wait for each other; on SQLite the write lock taken by BEGIN
IMMEDIATE makes claims take turns).

Delivery is at least once. A dispatcher that dies after the push service accepted
a message but before recording it leaves the row `sending`; when the lease runs out
another dispatcher sends it again. The payload keeps its id and the tab's
notification tag, so the phone's service worker replaces the first copy silently
instead of showing a second notification.

A slow or dead push service delays only its own messages. Sends run in two pools
of threads: one for the well-known push services (PUSH_KNOWN_SERVICES), one for any
other; one origin never holds more than PUSH_SENDS_PER_HOST sends at once; a claim
only takes messages that have a free thread to go to (so a queue of messages to a
tarpit never stands in front of anyone else's), and an origin that did not answer is
left aside for a while (doubling each time) before its messages are tried again.
Outcomes are recorded as sends finish, not once a whole batch has. Every connection
goes only to public addresses, checked as it is made (services.outbound).
"""

import logging
import queue
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from cryptography.hazmat.primitives import serialization
from flask import Flask
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush
from sqlalchemy import and_, delete, false, not_, or_, select, update

from config import ConfigError
from extensions import db
from models import PushMessage, PushSubscription
from models.base import utcnow
from models.push import FAILED, PENDING, SENDING, SENT
from services import idle
from services.outbound import RefusedAddress, pinned_session
from services.push import outbox_written

log = logging.getLogger("tabby.push")

MAX_BACKOFF_SECONDS = 15 * 60


def load_vapid(private_key: str) -> Vapid:
    """A VAPID signer from a PEM key (as kept in instance/) or a raw/DER base64url one
    (as most VAPID key generators print it)."""
    text = (private_key or "").strip()
    try:
        if text.startswith("-----BEGIN"):
            return Vapid.from_pem(text.encode())
        return Vapid.from_string(text)
    except Exception as error:
        raise ConfigError(f"VAPID_PRIVATE_KEY is not a usable P-256 private key: {error}") from None


def public_key(vapid: Vapid) -> str:
    """The applicationServerKey the page subscribes with (uncompressed point, base64url)."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(raw)


KNOWN, OTHER = "known", "other"


@dataclass(frozen=True)
class Job:
    message_id: int
    attempts: int
    endpoint: str
    origin: str
    p256dh: str
    auth: str
    payload: str
    ttl: int
    urgency: str
    topic: str


@dataclass(frozen=True)
class Outcome:
    job: Job
    status: int | None  # None: no answer (timeout, connection refused)
    error: str = ""
    retry_after: float | None = None
    refused: bool = False  # the address is not public: never sent, never retried


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def is_known(origin: str, services: list[str]) -> bool:
    if not origin.startswith("https://"):
        return False
    host = origin[len("https://") :]
    return any(host == name or host.endswith("." + name) for name in services)


def known_origins(column, services: list[str]):
    """The SQL twin of is_known, on an origin column (no path, no port at 443)."""
    if not services:
        return false()
    return or_(
        *(
            or_(column == f"https://{name}", column.like(f"https://%.{_like(name)}", escape="\\"))
            for name in services
        )
    )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Lane:
    """A pool of send threads and what it has in flight."""

    def __init__(self, name: str, threads: int):
        self.name = name
        self.threads = max(1, threads)
        self.in_flight = 0
        self.pool: ThreadPoolExecutor | None = None

    @property
    def free(self) -> int:
        return self.threads - self.in_flight

    def submit(self, fn, job):
        if self.pool is None:
            self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix=f"push-{self.name}")
        return self.pool.submit(fn, job)


class Dispatcher:
    """Sends due outbox rows. `clock` is injectable so tests can step time forward
    instead of sleeping through backoffs."""

    def __init__(self, app: Flask, clock=utcnow):
        self.app = app
        self.clock = clock
        config = app.config
        self.vapid = load_vapid(config["VAPID_PRIVATE_KEY"])
        self.subject = config["VAPID_SUBJECT"]
        self.timeout = config["PUSH_TIMEOUT_SECONDS"]
        self.connect_timeout = min(config["PUSH_CONNECT_TIMEOUT_SECONDS"], self.timeout)
        self.max_attempts = config["PUSH_MAX_ATTEMPTS"]
        self.backoff = config["PUSH_BACKOFF_SECONDS"]
        self.max_retry_after = config["PUSH_MAX_RETRY_AFTER_SECONDS"]
        self.lease = timedelta(seconds=config["PUSH_LEASE_SECONDS"])
        self.allow_private = config["PUSH_ALLOW_PRIVATE_ADDRESSES"]
        self.known_services = list(config["PUSH_KNOWN_SERVICES"])
        self.per_host = max(1, config["PUSH_SENDS_PER_HOST"])
        self.lanes = {
            KNOWN: Lane(KNOWN, config["PUSH_SEND_THREADS"]),
            OTHER: Lane(OTHER, config["PUSH_OTHER_SEND_THREADS"]),
        }
        self._lock = threading.Condition()
        self._busy: Counter[str] = Counter()  # origin -> sends in flight
        self._quiet: dict[str, tuple[datetime, int]] = {}  # origin -> (left aside until, times)
        self._finished: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self._local = threading.local()
        # Idle tabs get their "still here?" on this dispatcher's rounds (services/idle.py).
        self.sweep_idle = idle.Sweeper(clock)

    # -- one round ---------------------------------------------------------------

    def run_once(self, limit: int = 200) -> int:
        """Claim what is due (and has a free thread), send it, wait for every send and
        record the outcomes: for tests and `flask push worker --once`. Returns how many
        were claimed."""
        claimed = self.dispatch(limit)
        self.wait_idle()
        self.record_finished()
        return claimed

    def dispatch(self, limit: int = 200) -> int:
        """Record what has finished, then claim due messages for the free threads and
        start sending them, without waiting. Returns how many were started."""
        self.record_finished()
        with self.app.app_context():
            self.sweep_idle()
            jobs = self.claim(limit)
        for job in jobs:
            self._lane(job.origin).submit(self._send_and_report, job)
        return len(jobs)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is in flight; False if `timeout` ran out first."""
        with self._lock:
            return self._lock.wait_for(lambda: not any(self._busy.values()), timeout)

    def record_finished(self) -> int:
        outcomes = []
        while True:
            try:
                outcomes.append(self._finished.get_nowait())
            except queue.Empty:
                break
        if outcomes:
            with self.app.app_context():
                self.record(outcomes)
        return len(outcomes)

    def _lane(self, origin: str) -> Lane:
        return self.lanes[KNOWN if is_known(origin, self.known_services) else OTHER]

    def _send_and_report(self, job: Job) -> None:
        outcome = Outcome(job, None, "the sender failed")
        try:
            outcome = self.send(job)
        except Exception as error:  # noqa: BLE001 - record it as not sent, keep the thread
            log.exception("push send of message %s failed", job.message_id)
            outcome = Outcome(job, None, f"could not send: {type(error).__name__}")
        finally:
            with self._lock:
                self._busy[job.origin] -= 1
                self._lane(job.origin).in_flight -= 1
                self._finished.put(outcome)
                self._lock.notify_all()
            outbox_written.set()  # wake this process's dispatcher: room, and an outcome

    def _per_host(self, origin: str) -> int:
        """Sends at once to one origin: a well-known service may use half its lane
        (so one of them going slow leaves the others room), any other service
        PUSH_SENDS_PER_HOST."""
        if is_known(origin, self.known_services):
            return max(1, self.lanes[KNOWN].threads // 2)
        return self.per_host

    def _left_aside(self, now: datetime) -> list[str]:
        """Origins whose messages a claim must not take now: at their limit of sends
        at once, or waiting after not answering."""
        busy = [origin for origin, n in self._busy.items() if n >= self._per_host(origin)]
        quiet = [origin for origin, (until, _) in self._quiet.items() if until > now]
        return busy + quiet

    def claim(self, limit: int) -> list[Job]:
        now = self.clock()
        with self._lock:
            free = {name: lane.free for name, lane in self.lanes.items()}
            aside = self._left_aside(now)
            taken = dict(self._busy)
        if not any(n > 0 for n in free.values()):
            return []
        origin = PushSubscription.origin
        known = known_origins(origin, self.known_services)
        conditions = [
            PushMessage.status.in_((PENDING, SENDING)),
            PushMessage.next_attempt_at <= now,
        ]
        if aside:
            conditions.append(origin.not_in(aside))
        if free[KNOWN] <= 0:
            conditions.append(not_(known))
        if free[OTHER] <= 0:
            conditions.append(known)
        try:
            due = (
                select(PushMessage.id, origin)
                .join(PushMessage.subscription)
                .where(and_(*conditions))
                .order_by(PushMessage.next_attempt_at, PushMessage.id)
                .limit(limit)
            )
            if db.engine.dialect.name == "postgresql":
                due = due.with_for_update(of=PushMessage, skip_locked=True)
            candidates = db.session.execute(due).all()
            chosen: dict[int, str] = {}
            with self._lock:
                for message_id, message_origin in candidates:
                    lane = self._lane(message_origin)
                    limit_here = self._per_host(message_origin)
                    if lane.free <= 0 or taken.get(message_origin, 0) >= limit_here:
                        continue
                    # Reserve the thread now, so nothing else claims it meanwhile.
                    lane.in_flight += 1
                    self._busy[message_origin] += 1
                    taken[message_origin] = taken.get(message_origin, 0) + 1
                    chosen[message_id] = message_origin
            if not chosen:
                db.session.rollback()
                return []
            claimed: list[Job] = []
            try:
                jobs = self._mark_claimed(list(chosen), now)
                db.session.commit()
                claimed = jobs
            finally:
                # What was reserved but is not being sent (gone meanwhile, or the
                # claim failed) gives its thread back.
                sent = {job.message_id for job in claimed}
                self._release([origin for id_, origin in chosen.items() if id_ not in sent])
            return claimed
        except BaseException:
            db.session.rollback()
            raise

    def _release(self, origins: list[str]) -> None:
        if not origins:
            return
        with self._lock:
            for origin in origins:
                self._busy[origin] -= 1
                self._lane(origin).in_flight -= 1
            self._lock.notify_all()

    def _mark_claimed(self, ids: list[int], now: datetime) -> list[Job]:
        db.session.execute(
            update(PushMessage)
            .where(PushMessage.id.in_(ids))
            .values(
                status=SENDING,
                attempts=PushMessage.attempts + 1,
                next_attempt_at=now + self.lease,
            )
            .execution_options(synchronize_session=False)
        )
        rows = db.session.execute(
            select(PushMessage, PushSubscription)
            .join(PushMessage.subscription)
            .where(PushMessage.id.in_(ids))
            .order_by(PushMessage.id)
            .execution_options(populate_existing=True)
        ).all()
        return [
            Job(
                message_id=message.id,
                attempts=message.attempts,
                endpoint=subscription.endpoint,
                origin=subscription.origin,
                p256dh=subscription.p256dh,
                auth=subscription.auth,
                payload=message.payload,
                ttl=message.ttl,
                urgency=message.urgency,
                topic=message.topic,
            )
            for message, subscription in rows
        ]

    def _session(self) -> requests.Session:
        # One keep-alive connection pool per sending thread, reaching public addresses
        # only (resolved, checked and connected to as one step).
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = pinned_session(self.allow_private)
        return session

    def send(self, job: Job) -> Outcome:
        try:
            response = webpush(
                subscription_info={
                    "endpoint": job.endpoint,
                    "keys": {"p256dh": job.p256dh, "auth": job.auth},
                },
                data=job.payload,
                vapid_private_key=self.vapid,
                # pywebpush writes aud and exp into the dict it is given: a fresh one
                # per call, or every later message would reuse the first one's.
                vapid_claims={"sub": self.subject},
                content_encoding="aes128gcm",
                ttl=job.ttl,
                timeout=(self.connect_timeout, self.timeout),
                # The headers RFC 8030 and 8291 show; push services that check them
                # (some refuse a body without its Content-Type) all get them.
                headers={
                    "Content-Type": "application/octet-stream",
                    "Urgency": job.urgency,
                    "Topic": job.topic,
                },
                requests_session=self._session(),
            )
            return Outcome(job, response.status_code)
        except RefusedAddress as refusal:
            return Outcome(job, None, f"not sent: {refusal}"[:200], refused=True)
        except WebPushException as error:
            response = error.response
            if response is None:
                return Outcome(job, None, str(error)[:200])
            return Outcome(
                job,
                response.status_code,
                f"{response.status_code} {response.reason or ''}: {response.text[:120]}".strip(),
                retry_after_seconds(response.headers.get("Retry-After"), self.clock()),
            )
        except requests.Timeout:
            return Outcome(job, None, f"no answer within {self.timeout:g} s")
        except requests.RequestException as error:
            return Outcome(job, None, f"could not reach the push service: {type(error).__name__}")

    def record(self, outcomes: list[Outcome]) -> None:
        now = self.clock()
        self._note_answers(outcomes, now)
        try:
            ids = [outcome.job.message_id for outcome in outcomes]
            messages = {
                message.id: message
                for message in db.session.execute(
                    select(PushMessage).where(PushMessage.id.in_(ids))
                ).scalars()
            }
            gone = set()
            for outcome in outcomes:
                if self._record_one(outcome, messages.get(outcome.job.message_id), now):
                    gone.add(outcome.job.endpoint)
            if gone:
                # The phone unsubscribed or the browser dropped it: the endpoint is dead
                # for every tab it was bound to, and so is everything queued for it.
                log.info("%s push endpoint(s) gone; removing their subscriptions", len(gone))
                db.session.execute(
                    delete(PushSubscription).where(PushSubscription.endpoint.in_(gone))
                )
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise

    def _note_answers(self, outcomes: list[Outcome], now: datetime) -> None:
        """An origin that did not answer is left aside for backoff × 2^n (n: its
        failures in a row); any answer from it ends that."""
        with self._lock:
            for outcome in outcomes:
                origin = outcome.job.origin
                if outcome.status is not None:
                    self._quiet.pop(origin, None)
                elif not outcome.refused:
                    _, times = self._quiet.get(origin, (now, 0))
                    delay = min(self.backoff * 2**times, MAX_BACKOFF_SECONDS)
                    self._quiet[origin] = (now + timedelta(seconds=delay), times + 1)
            # Forget origins whose wait is long over, so the list stays short.
            for origin, (until, _) in list(self._quiet.items()):
                if until + timedelta(seconds=MAX_BACKOFF_SECONDS) < now:
                    del self._quiet[origin]

    def _record_one(self, outcome: Outcome, message: PushMessage | None, now: datetime) -> bool:
        """Record one send; True when the push service says the endpoint is gone."""
        job = outcome.job
        if message is None or message.status != SENDING or message.attempts != job.attempts:
            # Unsubscribed meanwhile, or our lease ran out and another dispatcher has it.
            return False
        status = outcome.status
        if status is not None and 200 <= status < 300:
            message.status, message.sent_at, message.last_error = SENT, now, ""
            return False
        if outcome.refused:
            log.warning("push message %s not sent: %s", message.id, outcome.error)
            self._fail(message, outcome.error)
            return False
        if status in (404, 410):
            return True
        if status == 403:
            # Not an expired subscription: the push service rejects our VAPID
            # credentials, and will reject every message until they are fixed.
            log.error(
                "PUSH SERVICE REJECTED OUR VAPID CREDENTIALS (403) for message %s: %s. "
                "Check VAPID_PRIVATE_KEY and VAPID_SUBJECT; the subscription is kept.",
                message.id,
                outcome.error,
            )
            self._fail(message, "The push service refused our credentials (403).")
            return False
        retryable = status is None or status == 429 or status >= 500
        if not retryable:
            log.warning("push message %s refused: %s", message.id, outcome.error)
            self._fail(message, outcome.error or f"refused with {status}")
            return False
        if message.attempts >= self.max_attempts:
            log.warning("push message %s failed after %s attempts", message.id, message.attempts)
            self._fail(message, outcome.error or f"{status}")
            return False
        if outcome.retry_after is not None:
            delay = min(outcome.retry_after, self.max_retry_after)
        else:
            delay = min(self.backoff * 2 ** (message.attempts - 1), MAX_BACKOFF_SECONDS)
        message.status = PENDING
        message.next_attempt_at = now + timedelta(seconds=delay)
        message.last_error = (outcome.error or f"{status}")[:300]
        return False

    def _fail(self, message: PushMessage, error: str) -> None:
        message.status = FAILED
        message.last_error = error[:300]

    # -- running -------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, poll_seconds: float) -> None:
        while not stop.is_set():
            outbox_written.clear()
            try:
                started = self.dispatch()
            except Exception:
                log.exception("push dispatcher round failed; trying again shortly")
                started = 0
                stop.wait(poll_seconds)
            # A stop asked for during the round (its wake-up may have come before this
            # round's clear) ends the loop now rather than after a whole poll.
            if not started and not stop.is_set():
                # Woken by a commit that queued a message or by a send that finished.
                outbox_written.wait(poll_seconds)
        self.wait_idle(self.timeout + self.connect_timeout)
        self.record_finished()

    def close(self) -> None:
        for lane in self.lanes.values():
            if lane.pool is not None:
                lane.pool.shutdown(wait=True)
        self.record_finished()


_thread_lock = threading.Lock()


def start_thread(app: Flask) -> threading.Thread | None:
    """Start this process's dispatcher thread for `app`, once."""
    with _thread_lock:
        existing = app.extensions.get("push_dispatcher_thread")
        if existing is not None and existing.is_alive():
            return existing
        stop = threading.Event()
        dispatcher = Dispatcher(app)
        thread = threading.Thread(
            target=dispatcher.run_forever,
            args=(stop, app.config["PUSH_POLL_SECONDS"]),
            name="push-dispatcher",
            daemon=True,
        )
        thread.stop = stop  # type: ignore[attr-defined]
        app.extensions["push_dispatcher_thread"] = thread
        thread.start()
        return thread
