"""The audit trail: every money-affecting action, with who, when and why.

Rows are only ever added. `staff_id` is None for what an online provider or the
system did (a card payment confirmed by its webhook)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.base import utcnow

PAYMENT = "payment"
VOID = "void"
COMP = "comp"
DISCOUNT = "discount"
REMAKE = "remake"
DEPOSIT_CONFIRMED = "deposit_confirmed"
DEPOSIT_REFUNDED = "deposit_refunded"
DEPOSIT_KEPT = "deposit_kept"
WALK_OUT = "walk_out"
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
)
ACTION_LABELS = {
    PAYMENT: "Payment",
    VOID: "Line voided",
    COMP: "Line comped",
    DISCOUNT: "Line discounted",
    REMAKE: "Line remade",
    DEPOSIT_CONFIRMED: "Deposit taken",
    DEPOSIT_REFUNDED: "Deposit refunded",
    DEPOSIT_KEPT: "Deposit kept",
    WALK_OUT: "Walked out",
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
