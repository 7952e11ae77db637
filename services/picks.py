"""Ways to an item with options in fewer taps: the phone's usual, and what is popular.

A regular's "large oat latte with an extra shot" is one tap from the menu (their last
order of it, offered as the item's quick "Add"); a newcomer finds the combinations
this café's customers order most on the item's sheet, one tap each. Both come from
tab lines already ordered, checked again against today's menu: a choice since made
unavailable or taken off the item drops the combination, it is never offered.

Popular combinations are counted over the shop's own lines of the item, not other
shops', in a recent window so a change of habit shows within weeks.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models import MenuItem, Tab, TabLine
from models.base import utcnow
from models.tab import LINE_VOID
from services import Refused
from services import options as options_service

# A month of a café's orders of one item, at most this many of its latest lines.
POPULAR_DAYS = 30
POPULAR_LINES = 500
# A combination chosen on two tabs is a habit; on one, a one-off.
POPULAR_AT_LEAST = 2
POPULAR_SHOWN = 3
# A phone's lines looked at for its usual, latest first.
USUAL_LINES = 200


@dataclass(frozen=True)
class Pick:
    """A combination offered in one tap: the checked selection, and whether it is the
    phone's own last order of the item (shown as "As last time")."""

    selection: options_service.Selection
    last_time: bool = False

    @property
    def choice_ids(self) -> list[int]:
        return [choice.id for choice in self.selection.choices]

    @property
    def label(self) -> str:
        return ", ".join(choice.name for choice in self.selection.choices)


def _combination(options) -> tuple[int, ...] | None:
    """The choice ids a line's snapshot holds, in a fixed order; None for a line
    whose snapshot is not a list of choices (older lines, or none taken)."""
    if not isinstance(options, list):
        return None
    ids = [entry.get("choice_id") for entry in options if isinstance(entry, dict)]
    if not ids or not all(isinstance(i, int) for i in ids):
        return None
    return tuple(sorted(set(ids)))


def _checked(item: MenuItem, combination) -> options_service.Selection | None:
    try:
        selection = options_service.choose(item, list(combination))
    except Refused:
        return None
    return selection if selection.choices else None


def _phone_lines(shop_id: int, phone: str, item_ids: list[int]):
    """The phone's own lines of these items on its own tabs in this shop, latest first
    (through the tabs' phone index: a phone has few tabs)."""
    return db.session.execute(
        select(TabLine.menu_item_id, TabLine.options)
        .join(Tab, Tab.id == TabLine.tab_id)
        .where(
            Tab.shop_id == shop_id,
            Tab.phone_id == phone,
            TabLine.shop_id == shop_id,
            TabLine.phone_id == phone,
            TabLine.status != LINE_VOID,
            TabLine.menu_item_id.in_(item_ids),
        )
        .order_by(TabLine.id.desc())
        .limit(USUAL_LINES)
    ).all()


def usual_orders(shop_id: int, phone: str | None, items: list[MenuItem]) -> dict[int, Pick]:
    """For each item with options the phone has ordered before: its last order of it,
    if today's menu still offers exactly that."""
    with_options = {item.id: item for item in items if item.option_links}
    if not phone or not with_options:
        return {}
    found: dict[int, Pick] = {}
    tried: set[int] = set()
    for item_id, options in _phone_lines(shop_id, phone, list(with_options)):
        if item_id in tried:
            continue  # only the latest order of an item is its usual
        tried.add(item_id)
        combination = _combination(options)
        selection = _checked(with_options[item_id], combination) if combination else None
        if selection is not None:
            found[item_id] = Pick(selection, last_time=True)
    return found


def quick_adds(shop_id: int, phone: str | None, items: list[MenuItem]) -> dict:
    """Item id → what the menu's one-tap "Add" adds, for each item with options: the
    phone's usual, else the item's defaults when they answer every required group,
    else None (the sheet must be opened)."""
    usual = usual_orders(shop_id, phone, items)
    adds: dict[int, Pick | None] = {}
    for item in items:
        if not item.option_links:
            continue
        if item.id in usual:
            adds[item.id] = usual[item.id]
        else:
            selection = options_service.quick_order(item)
            adds[item.id] = Pick(selection) if selection is not None else None
    return adds


def popular(item: MenuItem, phone: str | None = None) -> list[Pick]:
    """The sheet's quick picks: the phone's last order of the item first, then the
    combinations this shop's customers chose most in the last POPULAR_DAYS, leaving
    out the item's defaults (the sheet opens on those already)."""
    defaults = tuple(sorted(options_service.default_choice_ids(item)))
    picks: list[Pick] = []
    seen = {defaults}
    usual = usual_orders(item.shop_id, phone, [item]).get(item.id)
    if usual is not None and tuple(sorted(usual.choice_ids)) not in seen:
        picks.append(usual)
        seen.add(tuple(sorted(usual.choice_ids)))
    since = utcnow() - timedelta(days=POPULAR_DAYS)
    rows = db.session.execute(
        select(TabLine.tab_id, TabLine.options)
        .where(
            TabLine.shop_id == item.shop_id,
            TabLine.menu_item_id == item.id,
            TabLine.ordered_at >= since,
            TabLine.status != LINE_VOID,
        )
        .order_by(TabLine.ordered_at.desc())
        .limit(POPULAR_LINES)
    ).all()
    # Counted once per tab: one table's round of five lattes is not five customers.
    # Ties go to the combination ordered most recently (the rows come latest first).
    counts: Counter = Counter()
    counted = set()
    for tab_id, options in rows:
        combination = _combination(options)
        if combination is not None and (tab_id, combination) not in counted:
            counted.add((tab_id, combination))
            counts[combination] += 1
    for combination, times in counts.most_common():
        if len(picks) >= POPULAR_SHOWN or times < POPULAR_AT_LEAST:
            break
        if combination in seen:
            continue
        selection = _checked(item, combination)
        if selection is not None:
            picks.append(Pick(selection))
            seen.add(combination)
    return picks


def picked_ids(item: MenuItem, raw_ids) -> list[int] | None:
    """The choices a quick pick's link asks the sheet to start with, if they make a
    valid order of the item today; None otherwise (the sheet starts on its defaults)."""
    if not raw_ids:
        return None
    selection = _checked(item, raw_ids)
    return [choice.id for choice in selection.choices] if selection is not None else None
