"""What each phone is told, written to the outbox inside the caller's unit of work.

Nothing here talks to a push service: `services.push_dispatch` sends the rows after
the transaction that wrote them has committed. Every message for a tab carries the
same notification tag, so on the phone a newer one replaces the older one (and a
message delivered twice replaces itself).

Each message is written in the language its phone read the tab page in when it
subscribed (`PushSubscription.language`), whoever or whatever (staff, the idle
sweep outside any request) caused it.
"""

import base64
import binascii
import json
import threading
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext, lazy_gettext
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import PushMessage, PushSubscription, Tab, TabLine
from models.base import as_utc, utcnow
from models.push import (
    FAILED,
    MAX_ENDPOINT,
    PENDING,
    READY_MESSAGE,
    RECEIPT_MESSAGE,
    REMINDER_MESSAGE,
)
from models.tab import LIVE_TAB_STATUSES, READY
from money import format_money
from services import Conflict, Refused
from services.outbound import RefusedAddress, check_url

# Push services accept 4096 bytes of encrypted body; the encryption adds 103, and
# names are the only thing that grows, so the readable part is capped well below.
MAX_PAYLOAD = 3000
MAX_BODY = 240
TTL = {READY_MESSAGE: 30 * 60, REMINDER_MESSAGE: 60 * 60, RECEIPT_MESSAGE: 24 * 3600}
URGENCY = {READY_MESSAGE: "high", REMINDER_MESSAGE: "normal", RECEIPT_MESSAGE: "normal"}
REMINDER_GAP = timedelta(minutes=5)
KIND_LABELS = {
    READY_MESSAGE: lazy_gettext("Ready"),
    RECEIPT_MESSAGE: lazy_gettext("Receipt"),
    REMINDER_MESSAGE: lazy_gettext("Reminder to pay"),
}

# Set after a commit that wrote outbox rows, so this process's dispatcher thread
# sends them at once instead of at its next poll.
outbox_written = threading.Event()


def _after_commit_wake() -> None:
    hooks = db.session.info.setdefault("after_commit", [])
    if outbox_written.set not in hooks:
        hooks.append(outbox_written.set)


# -- subscribing -----------------------------------------------------------------


def _b64_key(value, size: int, what: str) -> str:
    if not isinstance(value, str) or len(value) > 128:
        raise Refused(f"The subscription's {what} key is missing.")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise Refused(f"The subscription's {what} key is not valid.") from None
    if len(raw) != size:
        raise Refused(f"The subscription's {what} key is not valid.")
    return value.rstrip("=")


def endpoint_origin(endpoint: str) -> str:
    """scheme://host[:port] of a push endpoint, lower case, default port left out."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def parse_subscription(data) -> tuple[str, str, str]:
    """(endpoint, p256dh, auth) from a PushSubscription's toJSON(), checked; the
    endpoint must be a public push service (the server will POST to it)."""
    if not isinstance(data, dict):
        raise Refused("Send the subscription as JSON.")
    endpoint = data.get("endpoint")
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    if (
        not isinstance(endpoint, str)
        or not endpoint
        or len(endpoint) > MAX_ENDPOINT
        or not endpoint.isprintable()
    ):
        raise Refused("The subscription has no usable endpoint.")
    config = current_app.config
    parts = urlsplit(endpoint)
    allowed = ("https", "http") if config["PUSH_ALLOW_HTTP_ENDPOINTS"] else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        # We POST to this URL from the server; only push services' https URLs.
        raise Refused("The subscription's endpoint must be an https address.")
    try:
        check_url(endpoint, allow_private=config["PUSH_ALLOW_PRIVATE_ADDRESSES"])
    except RefusedAddress as problem:
        raise Refused(
            "The subscription's endpoint is not a public push service "
            f"({str(problem)[:120]}), so we will not send to it."
        ) from None
    p256dh = _b64_key(keys.get("p256dh"), 65, "p256dh")
    auth = _b64_key(keys.get("auth"), 16, "auth")
    return endpoint, p256dh, auth


def _make_room(tab: Tab, phone_id: str) -> None:
    """Keep a phone and a tab within their caps before one more subscription: the
    phone's oldest on its live tabs gives way (a browser that renewed its
    subscription leaves the old one behind); a full tab refuses more phones."""
    config = current_app.config
    mine = list(
        db.session.execute(
            select(PushSubscription)
            .join(PushSubscription.tab)
            .where(PushSubscription.phone_id == phone_id, Tab.status.in_(LIVE_TAB_STATUSES))
            .order_by(PushSubscription.created_at, PushSubscription.id)
        ).scalars()
    )
    for old in mine[: max(0, len(mine) - config["PUSH_MAX_SUBSCRIPTIONS_PER_PHONE"] + 1)]:
        db.session.delete(old)
    db.session.flush()
    on_tab = db.session.execute(
        select(func.count()).select_from(PushSubscription).where(PushSubscription.tab_id == tab.id)
    ).scalar_one()
    if on_tab >= config["PUSH_MAX_SUBSCRIPTIONS_PER_TAB"]:
        raise Conflict(
            "This tab already notifies as many phones as it can. "
            "Watch the tab page instead; it updates by itself."
        )


def subscribe(tab: Tab, phone_id: str, data, language: str = "en") -> PushSubscription:
    """Bind the phone's push subscription to its tab; the same endpoint replaces.
    `data` is the browser's subscription, or what parse_subscription made of it;
    `language` is the one the phone reads the tab in (its messages come in it)."""
    endpoint, p256dh, auth = data if isinstance(data, tuple) else parse_subscription(data)
    if not tab.is_live:
        raise Conflict("This tab is closed; there is nothing more to tell you about it.")
    existing = db.session.execute(
        select(PushSubscription).where(
            PushSubscription.tab_id == tab.id, PushSubscription.endpoint == endpoint
        )
    ).scalar_one_or_none()
    if existing is not None:
        existing.p256dh, existing.auth, existing.phone_id = p256dh, auth, phone_id
        existing.language = language
        db.session.flush()
        return existing
    _make_room(tab, phone_id)
    subscription = PushSubscription(
        shop_id=tab.shop_id,
        tab_id=tab.id,
        phone_id=phone_id,
        endpoint=endpoint,
        origin=endpoint_origin(endpoint)[:300],
        p256dh=p256dh,
        auth=auth,
        language=language,
    )
    try:
        with db.session.begin_nested():
            db.session.add(subscription)
            db.session.flush()
    except IntegrityError:
        # The same tap arrived twice at once; the other request stored it.
        existing = db.session.execute(
            select(PushSubscription).where(
                PushSubscription.tab_id == tab.id, PushSubscription.endpoint == endpoint
            )
        ).scalar_one_or_none()
        if existing is None:
            raise
        return existing
    return subscription


def follow_language(tab: Tab, phone_id: str, language: str) -> None:
    """The phone now reads its tab in `language` (it ordered in it): its subscriptions
    on the tab are told in it from now on. Rows already in that language are left
    alone, so an order in the same language changes nothing."""
    db.session.execute(
        update(PushSubscription)
        .where(
            PushSubscription.tab_id == tab.id,
            PushSubscription.phone_id == phone_id,
            PushSubscription.language != language,
        )
        .values(language=language)
        .execution_options(synchronize_session=False)
    )


def unsubscribe(tab: Tab, endpoint) -> bool:
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise Refused("Say which subscription to stop.")
    result = db.session.execute(
        delete(PushSubscription).where(
            PushSubscription.tab_id == tab.id, PushSubscription.endpoint == endpoint
        )
    )
    return result.rowcount > 0


def subscriptions(tab: Tab) -> list[PushSubscription]:
    return list(
        db.session.execute(
            select(PushSubscription)
            .where(PushSubscription.tab_id == tab.id, PushSubscription.shop_id == tab.shop_id)
            .order_by(PushSubscription.id)
        ).scalars()
    )


# -- what is said ------------------------------------------------------------------


def _names(lines: list[TabLine]) -> str:
    names = [f"{line.quantity} × {line.name}" if line.quantity > 1 else line.name for line in lines]
    shown = list(names)
    while len(shown) > 1:
        text = _join(shown, len(names) - len(shown))
        if len(text) <= MAX_BODY:
            return text
        shown.pop()
    return _join(shown, len(names) - len(shown))[:MAX_BODY]


def _join(names: list[str], more: int) -> str:
    if more:
        return gettext("%(names)s and %(count)d more", names=", ".join(names), count=more)
    if len(names) == 1:
        return names[0]
    return gettext("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def ready_text(lines: list[TabLine]) -> str:
    """In the language forced around it (`in_language`)."""
    if len(lines) > 1 or lines[0].quantity > 1:
        return gettext("Your %(items)s are ready", items=_names(lines))
    return gettext("Your %(items)s is ready", items=_names(lines))


def in_language(language: str | None):
    """What a phone is told is written in its language, outside any request too."""
    return force_locale(language or "en")


def _payload(tab: Tab, kind: str, body: str, url: str) -> dict:
    return {
        "kind": kind,
        "title": tab.shop.name,
        "body": body,
        "tag": f"tab-{tab.id}",
        "url": url,
        "icon": "/static/icon.svg",
    }


def _encode(payload: dict) -> str:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode()) > MAX_PAYLOAD:
        raise ValueError("push payload over its size budget")
    return text


def _enqueue(
    tab: Tab,
    kind: str,
    say: Callable[[], str],
    url: str,
    to: list[PushSubscription] | None = None,
    lines: list[TabLine] = (),
) -> list[PushMessage]:
    """One message per subscription, its body `say()` in the phone's language."""
    to = subscriptions(tab) if to is None else to
    payloads: dict[str, dict] = {}
    for subscription in to:
        if subscription.language not in payloads:
            with in_language(subscription.language):
                payloads[subscription.language] = _payload(tab, kind, say(), url)
    messages = [
        PushMessage(
            shop_id=tab.shop_id,
            tab_id=tab.id,
            subscription_id=subscription.id,
            kind=kind,
            topic=f"tab-{tab.id}",
            payload="{}",
            line_ids=_ids(lines),
            ttl=TTL[kind],
            urgency=URGENCY[kind],
            next_attempt_at=utcnow(),
        )
        for subscription in to
    ]
    if messages:
        db.session.add_all(messages)
        db.session.flush()  # ids, so the phone can tell a repeat from a new message
        for message, subscription in zip(messages, to, strict=True):
            payload = payloads[subscription.language]
            message.payload = _encode({**payload, "id": message.id})
        db.session.flush()
        _after_commit_wake()
    return messages


def _ids(lines: list[TabLine]) -> str:
    return ",".join(str(line.id) for line in lines)


def line_moved(tab: Tab, new_status: str) -> None:
    """A line changed status: tell each phone what became ready since it was last told.

    Lines made ready one after another before a phone's message went out share one
    notification: its waiting message is rewritten to name them all, rather than a
    second one queued behind it. Once a message has left, the next one names only
    lines made ready after it; a line served or voided before its message left is
    taken out of it (and a message left naming nothing is dropped).
    """
    ready = list(
        db.session.execute(
            select(TabLine)
            .where(TabLine.tab_id == tab.id, TabLine.status == READY)
            .order_by(TabLine.ready_at, TabLine.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )
    told: dict[int, set[int]] = {}
    waiting: dict[int, PushMessage] = {}
    for message in db.session.execute(
        select(PushMessage).where(PushMessage.tab_id == tab.id, PushMessage.kind == READY_MESSAGE)
    ).scalars():
        if message.status == PENDING:
            waiting[message.subscription_id] = message
        else:
            told.setdefault(message.subscription_id, set()).update(message.named_lines)
    new_for: dict[tuple[int, ...], list[PushSubscription]] = {}
    url = f"/tab/{tab.public_id}"
    for subscription in subscriptions(tab):
        fresh = [line for line in ready if line.id not in told.get(subscription.id, ())]
        message = waiting.get(subscription.id)
        if message is not None:
            if fresh:
                with in_language(subscription.language):
                    payload = _payload(tab, READY_MESSAGE, ready_text(fresh), url)
                message.payload = _encode({**payload, "id": message.id})
                message.line_ids = _ids(fresh)
            else:
                db.session.delete(message)
        elif fresh and new_status == READY:
            new_for.setdefault(tuple(line.id for line in fresh), []).append(subscription)
    db.session.flush()
    by_id = {line.id: line for line in ready}
    for ids, to in new_for.items():
        fresh = [by_id[line_id] for line_id in ids]
        _enqueue(tab, READY_MESSAGE, lambda fresh=fresh: ready_text(fresh), url, to, fresh)


def tab_closed(tab: Tab) -> None:
    """Nothing still waiting for a closed tab goes out."""
    db.session.execute(
        delete(PushMessage).where(PushMessage.tab_id == tab.id, PushMessage.status == PENDING)
    )


def payment_recorded(tab: Tab) -> list[PushMessage]:
    tab_closed(tab)
    return _enqueue(
        tab,
        RECEIPT_MESSAGE,
        lambda: gettext("Thanks — here is your receipt"),
        f"/tab/{tab.public_id}/receipt",
    )


def remind_to_pay(tab: Tab) -> list[PushMessage]:
    """Staff nudge an open tab's phones to come and pay: a banner on the tab page
    (its poll picks it up) and, for phones that take notifications, a push."""
    if not tab.is_live:
        raise Conflict("This tab is closed; there is nothing to remind.")
    if not tab.due:
        raise Refused("This tab owes nothing; there is nothing to remind.")
    now = utcnow()
    last = tab.remind_requested_at
    if last is not None and now - as_utc(last) < REMINDER_GAP:
        raise Conflict("A reminder went to this phone a moment ago; give them a few minutes.")
    result = db.session.execute(
        update(Tab)
        .where(Tab.id == tab.id, Tab.status.in_(LIVE_TAB_STATUSES))
        .values(remind_requested_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("This tab is closed; there is nothing to remind.")
    db.session.refresh(tab)
    if not subscriptions(tab):
        return []
    owed = format_money(tab.due, tab.currency, tab.shop.locale)
    return _enqueue(
        tab,
        REMINDER_MESSAGE,
        lambda: gettext("Your tab is still open: %(owed)s. Tap to see your bill.", owed=owed),
        f"/tab/{tab.public_id}/bill",
    )


def still_here(tab: Tab) -> list[PushMessage]:
    """The one automatic "still here?" for an idle tab (services/idle.py), to the
    phones that take notifications; the tab page's banner needs nothing sent."""
    if not subscriptions(tab):
        return []
    due = format_money(tab.due, tab.currency, tab.shop.locale)
    # The sweep runs outside any request: each phone's language is the one it chose.
    return _enqueue(
        tab,
        REMINDER_MESSAGE,
        lambda: gettext("Still here? Your tab is open: %(due)s.", due=due),
        f"/tab/{tab.public_id}",
    )


# -- what staff see ----------------------------------------------------------------


def failed_messages(shop_id: int, tab_id: int | None = None) -> list[PushMessage]:
    """Notifications given up on, for live tabs (or one tab), newest first."""
    query = (
        select(PushMessage)
        .join(PushMessage.tab)
        .where(PushMessage.shop_id == shop_id, PushMessage.status == FAILED)
        .order_by(PushMessage.created_at.desc(), PushMessage.id.desc())
        .limit(20)
    )
    if tab_id is None:
        query = query.where(Tab.status.in_(LIVE_TAB_STATUSES))
    else:
        query = query.where(PushMessage.tab_id == tab_id)
    return list(db.session.execute(query).scalars())
