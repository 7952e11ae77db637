"""Counting the cash drawer: what the till's records say should be in it, what the
owner counted, and the difference, with who and when.

A shop may cash up several times a day (at each change of shift). Each cash-up
covers the cash that moved since the one before (the first since the start of its
day), on top of the float the drawer held when that stretch began. A miscount is put
right by counting again: the recount covers the same stretch and replaces the
latest cash-up, which stays on record, marked as replaced."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow

MAX_NOTE = 200


class CashUp(db.Model):
    __tablename__ = "cash_ups"
    __table_args__ = (
        # One after another per shop: two owners counting at once cannot both take
        # the same place (the second is told to look again).
        UniqueConstraint("shop_id", "number"),
        Index("ix_cash_ups_shop_id_counted_at", "shop_id", "counted_at"),
        CheckConstraint("opening_float >= 0", name="float_not_negative"),
        CheckConstraint("counted >= 0", name="counted_not_negative"),
        CheckConstraint("counted_at >= starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    number: Mapped[int]
    # The stretch of time whose cash this count covers: [starts_at, counted_at).
    starts_at: Mapped[datetime]
    counted_at: Mapped[datetime] = mapped_column(default=utcnow)
    currency: Mapped[str] = mapped_column(String(3))
    # Entered by the owner: the cash in the drawer when the stretch began.
    opening_float: Mapped[int]
    # What the records said came in and went out in cash over the stretch, kept as
    # they were when counted.
    cash_bills: Mapped[int]
    cash_tips: Mapped[int]
    cash_deposits_taken: Mapped[int]
    cash_given_back: Mapped[int]
    expected: Mapped[int]
    counted: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    # A recount: the cash-up it puts right (which then counts no more).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("cash_ups.id", ondelete="SET NULL"))

    @property
    def difference(self) -> int:
        """Counted less expected: positive is cash over, negative is cash short."""
        return self.counted - self.expected

    @property
    def cash_in(self) -> int:
        return self.cash_bills + self.cash_tips + self.cash_deposits_taken - self.cash_given_back
