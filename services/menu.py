"""The owner's menu: categories in their order, items with prices, and archiving.

Prices live on the item; a tab line keeps the name and price it was ordered at, so
nothing here ever touches a line already on a tab.
"""

from dataclasses import dataclass

from flask_babel import gettext, ngettext
from sqlalchemy import func, select, update

from extensions import db
from models import MenuCategory, MenuItem, Shop, TabLine
from models.base import utcnow
from models.menu import ALLERGENS, DIETARY_TAGS, MAX_TAX_RATE
from money import MAX_AMOUNT
from services import Conflict, NotFound, Refused
from services.shops import ensure_category, refuse_duplicate_item
from services.text import one_line, paragraph

MAX_SORT = 9999


@dataclass
class MenuSection:
    name: str
    # None for the items with no category, and for a category name items carry
    # without a category row (made outside the back office): shown, not reorderable.
    category: MenuCategory | None
    items: list[MenuItem]


def categories(shop_id: int) -> list[MenuCategory]:
    return list(
        db.session.execute(
            select(MenuCategory)
            .where(MenuCategory.shop_id == shop_id)
            .order_by(MenuCategory.sort, MenuCategory.name, MenuCategory.id)
        ).scalars()
    )


def owner_menu(shop_id: int) -> tuple[list[MenuSection], list[MenuItem]]:
    """Every category (empty ones too) with its items, then the archived items."""
    items = db.session.execute(
        select(MenuItem)
        .where(MenuItem.shop_id == shop_id)
        .order_by(MenuItem.sort, MenuItem.name, MenuItem.id)
    ).scalars()
    by_category: dict[str, list[MenuItem]] = {}
    archived = []
    for item in items:
        if item.is_archived:
            archived.append(item)
        else:
            by_category.setdefault(item.category, []).append(item)
    sections = [MenuSection(c.name, c, by_category.pop(c.name, [])) for c in categories(shop_id)]
    sections += [MenuSection(name, None, by_category[name]) for name in sorted(by_category) if name]
    sections.append(MenuSection("", None, by_category.get("", [])))
    return sections, archived


def clean_name(name: str | None, what: str, limit: int) -> str:
    """`what` is "category" or "item"; each has its own sentences, as languages differ."""
    name = one_line(name)
    if not name:
        if what == "category":
            raise Refused(gettext("A category needs a name."))
        raise Refused(gettext("An item needs a name."))
    if len(name) > limit:
        if what == "category":
            raise Refused(
                gettext("A category's name must be at most %(limit)s characters.", limit=limit)
            )
        raise Refused(gettext("An item's name must be at most %(limit)s characters.", limit=limit))
    return name


# -- categories --------------------------------------------------------------------------


def add_category(shop: Shop, name: str) -> MenuCategory:
    name = clean_name(name, "category", 60)
    if _category_named(shop.id, name) is not None:
        raise Conflict(gettext("There is already a category called %(name)s.", name=name))
    return ensure_category(shop, name)


def rename_category(category: MenuCategory, name: str) -> MenuCategory:
    name = clean_name(name, "category", 60)
    if name == category.name:
        return category
    other = _category_named(category.shop_id, name)
    if other is not None and other.id != category.id:
        raise Conflict(gettext("There is already a category called %(name)s.", name=name))
    db.session.execute(
        update(MenuItem)
        .where(MenuItem.shop_id == category.shop_id, MenuItem.category == category.name)
        .values(category=name)
    )
    category.name = name
    db.session.flush()
    return category


def move_category(category: MenuCategory, step: int) -> None:
    """Move a category one place up (step -1) or down (+1) among the shop's."""
    ordered = categories(category.shop_id)
    index = next(i for i, c in enumerate(ordered) if c.id == category.id)
    target = index + (1 if step > 0 else -1)
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for sort, each in enumerate(ordered, start=1):
        each.sort = sort
    db.session.flush()


def delete_category(category: MenuCategory) -> None:
    in_use = db.session.execute(
        select(func.count())
        .select_from(MenuItem)
        .where(
            MenuItem.shop_id == category.shop_id,
            MenuItem.category == category.name,
            MenuItem.archived_at.is_(None),
        )
    ).scalar_one()
    if in_use:
        raise Conflict(
            ngettext(
                "%(category)s still has %(num)d item; move or delete them first.",
                "%(category)s still has %(num)d items; move or delete them first.",
                in_use,
                category=category.name,
            )
        )
    db.session.delete(category)
    db.session.flush()


def _category_named(shop_id: int, name: str) -> MenuCategory | None:
    return db.session.execute(
        select(MenuCategory).where(MenuCategory.shop_id == shop_id, MenuCategory.name == name)
    ).scalar_one_or_none()


# -- items -------------------------------------------------------------------------------


def save_item(
    shop: Shop,
    item: MenuItem | None,
    *,
    name: str,
    description: str,
    price: int,
    category: str,
    available: bool,
    sort: int,
) -> MenuItem:
    """Add an item (`item` None) or change one. A new price applies to what is ordered
    from now on; lines already on tabs keep the price they were ordered at."""
    name = clean_name(name, "item", 120)
    description = paragraph(description)
    if len(description) > 500:
        raise Refused(gettext("Keep the description under 500 characters."))
    if not isinstance(price, int) or not 0 <= price <= MAX_AMOUNT:
        raise Refused(gettext("The price must be an amount that is not negative."))
    if not 0 <= sort <= MAX_SORT:
        raise Refused(
            gettext("The position must be a whole number from 0 to %(most)s.", most=MAX_SORT)
        )
    category = one_line(category)
    if category and _category_named(shop.id, category) is None:
        raise NotFound(gettext("Pick one of the menu's categories."))
    refuse_duplicate_item(shop.id, name, category, item.id if item else None)
    if item is None:
        item = MenuItem(shop_id=shop.id)
        db.session.add(item)
    elif item.is_archived:
        raise Refused(
            gettext("%(item)s is archived; restore it before changing it.", item=item.name)
        )
    item.name = name
    item.description = description
    item.price = price
    item.category = category
    item.available = available
    item.sort = sort
    db.session.flush()
    return item


def set_available(item: MenuItem, available: bool) -> MenuItem:
    if item.is_archived:
        raise Refused(gettext("%(item)s is archived; restore it first.", item=item.name))
    item.available = available
    db.session.flush()
    return item


def was_ordered(item: MenuItem) -> bool:
    return (
        db.session.execute(
            select(TabLine.id).where(TabLine.menu_item_id == item.id).limit(1)
        ).first()
        is not None
    )


def delete_item(item: MenuItem) -> bool:
    """Remove an item from the menu. One that was ever ordered is archived instead, so
    past tabs, receipts and reports still know it; returns True when archived."""
    if was_ordered(item):
        if item.archived_at is None:
            item.archived_at = utcnow()
        db.session.flush()
        return True
    db.session.delete(item)
    db.session.flush()
    return False


def restore_item(item: MenuItem) -> MenuItem:
    if item.category and _category_named(item.shop_id, item.category) is None:
        item.category = ""  # its category was deleted meanwhile
    refuse_duplicate_item(item.shop_id, item.name, item.category, item.id)
    item.archived_at = None
    db.session.flush()
    return item


# -- what customers are told about an item, and its tax ----------------------------------


def save_details(
    item: MenuItem, allergens: list[str] | None, tags: list[str], tax_rate: int | None
) -> MenuItem:
    """Allergens (None: the owner has not said, which customers are told; [] means
    none of the 14), dietary tags and the item's own tax rate (None: its category's)."""
    if allergens is not None:
        unknown = set(allergens) - set(ALLERGENS)
        if unknown:
            raise Refused(gettext("Pick allergens from the list."))
        allergens = [key for key in ALLERGENS if key in allergens]
    if set(tags) - set(DIETARY_TAGS):
        raise Refused(gettext("Pick dietary tags from the list."))
    if tax_rate is not None and not 0 <= tax_rate <= MAX_TAX_RATE:
        raise Refused(gettext("A tax rate is between 0 and 100 percent."))
    if item.is_archived:
        raise Refused(gettext("%(item)s is archived; restore it first.", item=item.name))
    item.allergens = None if allergens is None else ",".join(allergens)
    item.tags = ",".join(key for key in DIETARY_TAGS if key in tags)
    item.tax_rate = tax_rate
    db.session.flush()
    return item


def set_category_tax(category: MenuCategory, tax_rate: int | None) -> MenuCategory:
    category.tax_rate = tax_rate
    db.session.flush()
    return category


def set_shop_tax(shop: Shop, prices_include_tax: bool, tax_rate: int) -> Shop:
    shop.prices_include_tax = prices_include_tax
    shop.tax_rate = tax_rate
    db.session.flush()
    return shop


# -- the customer's menu ------------------------------------------------------------------


@dataclass
class MenuFilter:
    """What a customer asked the menu to leave out: items with these allergens (or
    whose allergens are unknown, as nothing can be promised about them) and items
    without these dietary tags."""

    free_of: list[str]
    tags: list[str]

    @classmethod
    def read(cls, free_of, tags) -> "MenuFilter":
        return cls(
            [key for key in ALLERGENS if key in set(free_of or ())],
            [key for key in DIETARY_TAGS if key in set(tags or ())],
        )

    @property
    def active(self) -> bool:
        return bool(self.free_of or self.tags)

    def keeps(self, item: MenuItem) -> bool:
        if self.free_of:
            contains = item.allergen_keys
            if contains is None or set(contains) & set(self.free_of):
                return False
        return set(self.tags) <= set(item.tag_keys)


def filtered(items: list[MenuItem], menu_filter: MenuFilter) -> list[MenuItem]:
    return [item for item in items if menu_filter.keeps(item)]
