"""The owner's menu: categories in their order, items with prices, and archiving.

Prices live on the item; a tab line keeps the name and price it was ordered at, so
nothing here ever touches a line already on a tab.
"""

from dataclasses import dataclass

from sqlalchemy import func, select, update

from extensions import db
from models import MenuCategory, MenuItem, Shop, TabLine
from models.base import utcnow
from money import MAX_AMOUNT
from services import Conflict, NotFound, Refused
from services.shops import ensure_category

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
    name = " ".join((name or "").split())
    if not name:
        raise Refused(f"{what} needs a name.")
    if len(name) > limit:
        raise Refused(f"{what}'s name must be at most {limit} characters.")
    return name


# -- categories --------------------------------------------------------------------------


def add_category(shop: Shop, name: str) -> MenuCategory:
    name = clean_name(name, "A category", 60)
    if _category_named(shop.id, name) is not None:
        raise Conflict(f"There is already a category called {name}.")
    return ensure_category(shop, name)


def rename_category(category: MenuCategory, name: str) -> MenuCategory:
    name = clean_name(name, "A category", 60)
    if name == category.name:
        return category
    other = _category_named(category.shop_id, name)
    if other is not None and other.id != category.id:
        raise Conflict(f"There is already a category called {name}.")
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
            f"{category.name} still has {in_use} item{'s' if in_use > 1 else ''}; "
            "move or delete them first."
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
    name = clean_name(name, "An item", 120)
    description = (description or "").strip()
    if len(description) > 500:
        raise Refused("Keep the description under 500 characters.")
    if not isinstance(price, int) or not 0 <= price <= MAX_AMOUNT:
        raise Refused("The price must be an amount that is not negative.")
    if not 0 <= sort <= MAX_SORT:
        raise Refused(f"The position must be a whole number from 0 to {MAX_SORT}.")
    category = " ".join((category or "").split())
    if category and _category_named(shop.id, category) is None:
        raise NotFound("Pick one of the menu's categories.")
    if item is None:
        item = MenuItem(shop_id=shop.id)
        db.session.add(item)
    elif item.is_archived:
        raise Refused(f"{item.name} is archived; restore it before changing it.")
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
        raise Refused(f"{item.name} is archived; restore it first.")
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
    item.archived_at = None
    db.session.flush()
    return item
