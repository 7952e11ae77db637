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
"""

import logging
import threading
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
from sqlalchemy import delete, select, update

from config import ConfigError
from extensions import db
from models import PushMessage, PushSubscription
from models.base import utcnow
from models.push import FAILED, PENDING, SENDING, SENT
from services.push import outbox_written
from services.tabs import bump_shop

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


@dataclass(frozen=True)
class Job:
    message_id: int
    attempts: int
    endpoint: str
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
        self.max_attempts = config["PUSH_MAX_ATTEMPTS"]
        self.backoff = config["PUSH_BACKOFF_SECONDS"]
        self.max_retry_after = config["PUSH_MAX_RETRY_AFTER_SECONDS"]
        self.lease = timedelta(seconds=config["PUSH_LEASE_SECONDS"])
        self.threads = max(1, config["PUSH_SEND_THREADS"])
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()

    # -- one round ---------------------------------------------------------------

    def run_once(self, limit: int = 200) -> int:
        """Claim up to `limit` due messages, send them, record the outcomes.
        Returns how many were claimed."""
        with self.app.app_context():
            jobs = self.claim(limit)
        if not jobs:
            return 0
        if len(jobs) == 1 or self.threads == 1:
            outcomes = [self.send(job) for job in jobs]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="push-send")
            outcomes = list(self._pool.map(self.send, jobs))
        with self.app.app_context():
            self.record(outcomes)
        return len(jobs)

    def claim(self, limit: int) -> list[Job]:
        now = self.clock()
        try:
            due = (
                select(PushMessage.id)
                .where(
                    PushMessage.status.in_((PENDING, SENDING)),
                    PushMessage.next_attempt_at <= now,
                )
                .order_by(PushMessage.next_attempt_at, PushMessage.id)
                .limit(limit)
            )
            if db.engine.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list(db.session.execute(due).scalars())
            if not ids:
                db.session.rollback()
                return []
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
            jobs = [
                Job(
                    message_id=message.id,
                    attempts=message.attempts,
                    endpoint=subscription.endpoint,
                    p256dh=subscription.p256dh,
                    auth=subscription.auth,
                    payload=message.payload,
                    ttl=message.ttl,
                    urgency=message.urgency,
                    topic=message.topic,
                )
                for message, subscription in rows
            ]
            db.session.commit()
            return jobs
        except BaseException:
            db.session.rollback()
            raise

    def _session(self) -> requests.Session:
        # One keep-alive connection pool per sending thread.
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
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
                timeout=self.timeout,
                headers={"Urgency": job.urgency, "Topic": job.topic},
                requests_session=self._session(),
            )
            return Outcome(job, response.status_code)
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
        bump_shop(message.shop_id)  # the counter shows what never arrived

    # -- running -------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, poll_seconds: float) -> None:
        while not stop.is_set():
            outbox_written.clear()
            try:
                claimed = self.run_once()
            except Exception:
                log.exception("push dispatcher round failed; trying again shortly")
                claimed = 0
                stop.wait(poll_seconds)
            if not claimed:
                outbox_written.wait(poll_seconds)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


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
