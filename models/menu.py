from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, utcnow

# The 14 allergens EU law (Regulation 1169/2011, Annex II) says customers must be told
# about, by the keys stored on items, in the order the regulation lists them.
ALLERGENS = {
    "gluten": lazy_gettext("Cereals containing gluten"),
    "crustaceans": lazy_gettext("Crustaceans"),
    "eggs": lazy_gettext("Eggs"),
    "fish": lazy_gettext("Fish"),
    "peanuts": lazy_gettext("Peanuts"),
    "soya": lazy_gettext("Soya"),
    "milk": lazy_gettext("Milk"),
    "nuts": lazy_gettext("Tree nuts"),
    "celery": lazy_gettext("Celery"),
    "mustard": lazy_gettext("Mustard"),
    "sesame": lazy_gettext("Sesame"),
    "sulphites": lazy_gettext("Sulphites"),
    "lupin": lazy_gettext("Lupin"),
    "molluscs": lazy_gettext("Molluscs"),
}
DIETARY_TAGS = {
    "vegan": lazy_gettext("Vegan"),
    "vegetarian": lazy_gettext("Vegetarian"),
    "gluten_free": lazy_gettext("Gluten-free"),
    "dairy_free": lazy_gettext("Dairy-free"),
    "halal": lazy_gettext("Halal"),
}
# Tax rates are whole thousandths of a percent, so 8.875 % (New York) is exact:
# 9 % is 9000, 21 % is 21000, 10 % is 10000.
RATE_SCALE = 1000
MAX_TAX_RATE = 100 * RATE_SCALE


def split_keys(value: str | None) -> list[str]:
    return [key for key in (value or "").split(",") if key]


class MenuCategory(db.Model):
    """A heading on the menu, in the owner's order. Items name their category by its
    name (`MenuItem.category`); renaming a category renames it on its items too."""

    __tablename__ = "menu_categories"
    __table_args__ = (UniqueConstraint("shop_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    sort: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The tax rate of its items unless an item says otherwise (None: the shop's).
    tax_rate: Mapped[int | None]


class MenuItem(db.Model):
    __tablename__ = "menu_items"
    __table_args__ = (CheckConstraint("price >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int]  # minor units of the shop's currency
    category: Mapped[str] = mapped_column(String(60), default="")
    available: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Deleted by the owner but still on past tabs: off every menu, kept for history.
    archived_at: Mapped[datetime | None]
    # Allergen keys (ALLERGENS) the item contains, comma-separated. None means the
    # owner has not said, which customers are told plainly; "" means none of the 14.
    allergens: Mapped[str | None] = mapped_column(String(200))
    # Dietary tag keys (DIETARY_TAGS), comma-separated.
    tags: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The photo's content hash (services.photos); None when it has none.
    photo_key: Mapped[str | None] = mapped_column(String(64))
    # None: the category's rate, else the shop's (services.tax.rate_for).
    tax_rate: Mapped[int | None]

    option_links: Mapped[list["ItemOptionGroup"]] = relationship(  # noqa: F821
        order_by="(ItemOptionGroup.sort, ItemOptionGroup.id)",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def option_groups(self) -> list:
        return [link.group for link in self.option_links]

    @property
    def allergen_keys(self) -> list[str] | None:
        """The allergens it contains, or None when unknown (not the same as none)."""
        return None if self.allergens is None else split_keys(self.allergens)

    @property
    def tag_keys(self) -> list[str]:
        return split_keys(self.tags)
