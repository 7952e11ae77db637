"""Web Push: the phones that asked to be told, and the outbox of what to tell them.

A message is written in the same transaction as the change it announces (a line
made ready, a payment), so it exists exactly when the change does; a dispatcher
sends it afterwards, outside any request.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.tab import Tab

PENDING = "pending"
SENDING = "sending"  # claimed by a dispatcher; reclaimed if its lease runs out
SENT = "sent"
FAILED = "failed"
MESSAGE_STATUSES = (PENDING, SENDING, SENT, FAILED)

READY_MESSAGE = "ready"
RECEIPT_MESSAGE = "receipt"
REMINDER_MESSAGE = "reminder"
MESSAGE_KINDS = (READY_MESSAGE, RECEIPT_MESSAGE, REMINDER_MESSAGE)

MAX_ENDPOINT = 1000


class PushSubscription(db.Model):
    """One browser's push endpoint, bound to the tab (and phone) it was made on.

    The same endpoint posted again for the same tab replaces the keys it had."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (UniqueConstraint("tab_id", "endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    tab_id: Mapped[int] = mapped_column(ForeignKey("tabs.id", ondelete="CASCADE"))
    phone_id: Mapped[str] = mapped_column(String(43))
    endpoint: Mapped[str] = mapped_column(String(MAX_ENDPOINT), index=True)
    # scheme://host[:port] of the push service, lower case: the dispatcher's unit for
    # sends at once and for waiting after a timeout (services.push_dispatch).
    origin: Mapped[str] = mapped_column(String(300), default="", server_default="")
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    # The language the phone read the tab page in when it subscribed: what it is told
    # comes in that language (web/i18n.py LANGUAGES).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tab: Mapped[Tab] = relationship()


class PushMessage(db.Model):
    """The outbox: one row per notification per subscription."""

    __tablename__ = "push_messages"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(repr(s) for s in MESSAGE_STATUSES)), name="status"
        ),
        CheckConstraint(
            "kind IN ({})".format(", ".join(repr(k) for k in MESSAGE_KINDS)), name="kind"
        ),
        # The dispatcher's claim: due rows in order.
        Index("ix_push_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    tab_id: Mapped[int] = mapped_column(ForeignKey("tabs.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    # Push services keep only the latest undelivered message per topic.
    topic: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)  # JSON the service worker reads
    # "Ready" messages: the ids of the lines named ("3,7"), so the next message to the
    # same phone names only what it has not been told yet.
    line_ids: Mapped[str] = mapped_column(Text, default="", server_default="")
    ttl: Mapped[int]
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(String(8), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    subscription: Mapped[PushSubscription] = relationship()
    tab: Mapped[Tab] = relationship()

    @property
    def named_lines(self) -> set[int]:
        return {int(part) for part in self.line_ids.split(",") if part}
