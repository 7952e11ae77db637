from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import as_utc, db, utcnow
from models.tab import Tab

PAYMENT_METHODS = ("cash", "card")
# How staff read each method, in their language ("card" in a sentence; capitalised on buttons).
METHOD_LABELS = {"cash": lazy_gettext("cash"), "card": lazy_gettext("card")}

# What one payment covers: everything still owed on the tab, the lines one phone
# ordered, or one equal share of the tab.
SHARE_ALL = "all"
SHARE_PHONE = "phone"
SHARE_EQUAL = "equal"
SHARES = (SHARE_ALL, SHARE_PHONE, SHARE_EQUAL)

# Who recorded it: staff at the counter, or an online provider's confirmation.
COUNTER = "counter"


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("method IN ('cash', 'card')", name="method"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("tip >= 0", name="tip_not_negative"),
        CheckConstraint("deposit_applied >= 0", name="deposit_applied_not_negative"),
        CheckConstraint("share IN ('all', 'phone', 'equal')", name="share"),
        # An equal share is paid once: "equal:2/3" can exist only once per tab.
        UniqueConstraint("tab_id", "share_key"),
        # The takings of a day are a range of one shop's payments; a shop's years of
        # history stay out of the way of today's.
        Index("ix_payments_shop_id_created_at", "shop_id", "created_at"),
        UniqueConstraint("shop_id", "receipt_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    tab_id: Mapped[int] = mapped_column(ForeignKey("tabs.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int]  # the bill, minor units; the tip is kept apart
    tip: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    provider: Mapped[str] = mapped_column(String(20), default=COUNTER)
    share: Mapped[str] = mapped_column(String(10), default=SHARE_ALL)
    share_key: Mapped[str | None] = mapped_column(String(20))
    # The phone whose part this was (None: the whole tab, paid at the counter).
    payer_phone_id: Mapped[str | None] = mapped_column(String(43))
    # The part of the tab's deposit this payment used up, on top of `amount`.
    deposit_applied: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Per shop, one after another, given when the payment is recorded.
    receipt_number: Mapped[int | None]

    tab: Mapped[Tab] = relationship(back_populates="payments")

    @property
    def receipt_label(self) -> str:
        """What the customer reads: R-<year paid, shop's time>-<number>."""
        if self.receipt_number is None:
            return ""
        year = self.tab.shop.local_today(as_utc(self.created_at)).year
        return f"R-{year}-{self.receipt_number:06d}"

    @property
    def received(self) -> int:
        return self.amount + self.tip

    @property
    def covers(self) -> int:
        """How much of the bill this payment settled, the deposit included."""
        return self.amount + self.deposit_applied


class PayRequest(db.Model):
    """A phone tapped "Pay at the counter": the part and the tip it chose, for staff
    to take (or, later, an online provider to charge). One per phone per tab."""

    __tablename__ = "pay_requests"
    __table_args__ = (
        UniqueConstraint("tab_id", "phone_id"),
        CheckConstraint("share IN ('all', 'phone', 'equal')", name="share"),
        CheckConstraint(
            "tip_percent IS NULL OR (tip_percent >= 0 AND tip_percent <= 100)", name="tip_percent"
        ),
        CheckConstraint("tip_amount IS NULL OR tip_amount >= 0", name="tip_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    tab_id: Mapped[int] = mapped_column(ForeignKey("tabs.id", ondelete="CASCADE"), index=True)
    phone_id: Mapped[str] = mapped_column(String(43))
    share: Mapped[str] = mapped_column(String(10), default=SHARE_ALL)
    # The tip as chosen: a percent of the part (recomputed if the part changes) or a
    # fixed amount; neither is "no tip".
    tip_percent: Mapped[int | None]
    tip_amount: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
