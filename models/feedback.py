"""How the customer felt: one rating per phone per tab, given on the bill."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow

MIN_RATING, MAX_RATING = 1, 5
MAX_COMMENT = 500


class TabRating(db.Model):
    __tablename__ = "tab_ratings"
    __table_args__ = (
        # Rating again replaces the phone's earlier rating of the same tab.
        UniqueConstraint("tab_id", "phone_id"),
        CheckConstraint(f"rating >= {MIN_RATING} AND rating <= {MAX_RATING}", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    tab_id: Mapped[int] = mapped_column(ForeignKey("tabs.id", ondelete="CASCADE"), index=True)
    phone_id: Mapped[str] = mapped_column(String(43))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
