"""The audit trail: every money-affecting action, with who, when and why.

Rows are only ever added. `staff_id` is None for what an online provider or the
system did (a card payment confirmed by its webhook)."""

from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow

PAYMENT = "payment"
VOID = "void"
COMP = "comp"
DISCOUNT = "discount"
REMAKE = "remake"
DEPOSIT_CONFIRMED = "deposit_confirmed"
DEPOSIT_REFUNDED = "deposit_refunded"
DEPOSIT_KEPT = "deposit_kept"
WALK_OUT = "walk_out"
CASH_UP = "cash_up"
LIMIT_RAISED = "limit_raised"
DEPOSIT_LIFTED = "deposit_lifted"
STAMPS_RETURNED = "stamps_returned"
ACTIONS = (
    PAYMENT,
    VOID,
    COMP,
    DISCOUNT,
    REMAKE,
    DEPOSIT_CONFIRMED,
    DEPOSIT_REFUNDED,
    DEPOSIT_KEPT,
    WALK_OUT,
    CASH_UP,
    LIMIT_RAISED,
    DEPOSIT_LIFTED,
    STAMPS_RETURNED,
)
ACTION_LABELS = {
    PAYMENT: lazy_gettext("Payment"),
    VOID: lazy_gettext("Line voided"),
    COMP: lazy_gettext("Line comped"),
    DISCOUNT: lazy_gettext("Line discounted"),
    REMAKE: lazy_gettext("Line remade"),
    DEPOSIT_CONFIRMED: lazy_gettext("Deposit taken"),
    DEPOSIT_REFUNDED: lazy_gettext("Deposit refunded"),
    DEPOSIT_KEPT: lazy_gettext("Deposit kept"),
    WALK_OUT: lazy_gettext("Walked out"),
    CASH_UP: lazy_gettext("Cash-up"),
    LIMIT_RAISED: lazy_gettext("Tab limit raised"),
    DEPOSIT_LIFTED: lazy_gettext("Deposit lifted"),
    STAMPS_RETURNED: lazy_gettext("Stamps given back"),
}


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_shop_id_created_at", "shop_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(20))
    # No foreign keys to the tab or line: the trail outlives what it describes.
    tab_id: Mapped[int | None]
    line_id: Mapped[int | None]
    amount: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    # What else a reader needs: the method, the line's name, the provider (as JSON).
    detail: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
