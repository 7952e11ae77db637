from datetime import datetime

from flask import current_app
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, new_code, utcnow
from models.shop import Shop

CARD_KINDS = ("table", "personal")


class TokenCard(db.Model):
    """A QR code printed for a table, or a personal card the barista hands over."""

    __tablename__ = "token_cards"
    __table_args__ = (CheckConstraint("kind IN ('table', 'personal')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(60))
    code: Mapped[str] = mapped_column(String(43), unique=True, default=new_code)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shop: Mapped[Shop] = relationship()

    @property
    def is_personal(self) -> bool:
        return self.kind == "personal"

    @property
    def url(self) -> str:
        return f"{current_app.config['BASE_URL']}/t/{self.code}"
