"""Card payments taken online: one row per checkout a provider opened for a tab, and
the provider's webhook events already handled.

A checkout row only says money was asked for. A tab counts as paid when the
provider's signed webhook confirms it, and then through the same `Payment` the
counter records.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow
from models.tab import Tab

BILL = "bill"
DEPOSIT = "deposit"
CHECKOUT_PURPOSES = (BILL, DEPOSIT)

CREATED = "created"
COMPLETED = "completed"
EXPIRED = "expired"
# The provider took the money but the tab could not accept it (it changed, or was
# settled at the counter meanwhile); the money is sent back.
REFUSED = "refused"
CHECKOUT_STATUSES = (CREATED, COMPLETED, EXPIRED, REFUSED)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CheckoutSession(db.Model):
    __tablename__ = "checkout_sessions"
    __table_args__ = (
        CheckConstraint(_in("purpose", CHECKOUT_PURPOSES), name="purpose"),
        CheckConstraint(_in("status", CHECKOUT_STATUSES), name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("tip >= 0", name="tip_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    tab_id: Mapped[int] = mapped_column(ForeignKey("tabs.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_session_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Derived from the tab and its amount, so a double tap asks the provider for one
    # checkout, not two; it is also the reference sent along in the metadata.
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    url: Mapped[str] = mapped_column(Text)
    amount: Mapped[int]  # the bill, minor units; the tip is kept apart
    tip: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[str] = mapped_column(String(10), default=BILL)
    status: Mapped[str] = mapped_column(String(12), default=CREATED)
    payment_intent: Mapped[str | None] = mapped_column(String(255))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    phone_id: Mapped[str | None] = mapped_column(String(43))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]

    tab: Mapped[Tab] = relationship()

    @property
    def charged(self) -> int:
        return self.amount + self.tip


class StripeEvent(db.Model):
    """A webhook event already handled, so a replay (Stripe retries, or an attacker
    resending a captured request) is answered without acting twice."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    event_type: Mapped[str] = mapped_column(String(80))
    # None when the event names no checkout of ours (e.g. another app on the account).
    shop_id: Mapped[int | None] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
