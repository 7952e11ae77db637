"""The stamp card's ledger: stamps earned when a tab is paid and spent on a free item.

Rows are only ever added. A free item taken back (its line voided, or its loyalty comp
replaced by staff) gets a "returned" row giving back exactly what its "redeemed" row
spent; `reverses_id` names that row and is unique, so stamps come back once.

A row belongs to the phone and, when the tab was on a personal card, to the card
too: a phone's stamps are the rows naming it, a card's the rows naming it, so a
regular keeping their card takes its stamps to a new phone.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow

EARNED = "earned"
REDEEMED = "redeemed"
RETURNED = "returned"
STAMP_KINDS = (EARNED, REDEEMED, RETURNED)


class LoyaltyStamp(db.Model):
    __tablename__ = "loyalty_stamps"
    __table_args__ = (
        CheckConstraint("kind IN ('earned', 'redeemed', 'returned')", name="kind"),
        CheckConstraint("stamps <> 0", name="stamps_not_zero"),
        CheckConstraint("phone_id IS NOT NULL OR card_id IS NOT NULL", name="has_holder"),
        Index("ix_loyalty_stamps_shop_id_phone_id", "shop_id", "phone_id"),
        Index("ix_loyalty_stamps_shop_id_card_id", "shop_id", "card_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    phone_id: Mapped[str | None] = mapped_column(String(43))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("token_cards.id", ondelete="SET NULL"))
    # No foreign keys to the tab or line: the ledger outlives what it describes.
    tab_id: Mapped[int | None]
    line_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(10))
    # Positive when earned or returned, negative (a whole card's worth) when redeemed.
    stamps: Mapped[int]
    # The row a "returned" row gives back (one return per redemption).
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("loyalty_stamps.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
