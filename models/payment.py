from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.base import utcnow
from models.tab import Tab

PAYMENT_METHODS = ("cash", "card")


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("method IN ('cash', 'card')", name="method"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("tip >= 0", name="tip_not_negative"),
        # The takings of a day are a range of one shop's payments; a shop's years of
        # history stay out of the way of today's.
        Index("ix_payments_shop_id_created_at", "shop_id", "created_at"),
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tab: Mapped[Tab] = relationship(back_populates="payments")

    @property
    def received(self) -> int:
        return self.amount + self.tip
