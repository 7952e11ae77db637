"""Options on the menu: groups of choices (Size, Milk, Extras) a shop defines once and
attaches to as many items as use them, each in the owner's order on the item."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow

# How many choices a group allows; "up to N" goes as high as this.
MAX_CHOICES = 20


class OptionGroup(db.Model):
    """A question asked about an item: *Size* (exactly one), *Milk* (at most one),
    *Extras* (up to N). `min_choices` 1 makes the group required."""

    __tablename__ = "option_groups"
    __table_args__ = (
        UniqueConstraint("shop_id", "name"),
        CheckConstraint(
            f"min_choices >= 0 AND min_choices <= max_choices AND max_choices >= 1 "
            f"AND max_choices <= {MAX_CHOICES}",
            name="choice_counts",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    min_choices: Mapped[int] = mapped_column(default=0)
    max_choices: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    choices: Mapped[list["OptionChoice"]] = relationship(
        back_populates="group",
        order_by="(OptionChoice.sort, OptionChoice.id)",
        cascade="all, delete-orphan",
    )

    @property
    def required(self) -> bool:
        return self.min_choices > 0

    @property
    def single(self) -> bool:
        return self.max_choices == 1


class OptionChoice(db.Model):
    """One answer in a group, with what it adds to the item's price (minor units; 0 or
    negative too). Unavailable ("out of oat milk") hides the choice, not the item."""

    __tablename__ = "option_choices"
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("option_groups.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    price_delta: Mapped[int] = mapped_column(default=0)
    available: Mapped[bool] = mapped_column(default=True)
    # Picked in advance on the customer's sheet (a regular size), so the item can be
    # added in one tap.
    is_default: Mapped[bool] = mapped_column(default=False)
    sort: Mapped[int] = mapped_column(default=0)

    group: Mapped[OptionGroup] = relationship(back_populates="choices")


class ItemOptionGroup(db.Model):
    """A group attached to an item, at a place in the item's own order."""

    __tablename__ = "item_option_groups"
    __table_args__ = (
        UniqueConstraint("item_id", "group_id"),
        Index("ix_item_option_groups_group_id", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("menu_items.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("option_groups.id", ondelete="CASCADE"))
    sort: Mapped[int] = mapped_column(default=0)

    group: Mapped[OptionGroup] = relationship()
