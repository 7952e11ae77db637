"""Options on the menu: the owner's groups and choices, and what a customer chose.

A group is defined once per shop and attached to every item that asks it (one *Milk*
group for every espresso drink), so "out of oat milk" is one tap. What a customer
chose is checked here against the item's own groups and frozen on the tab line with
its prices: the line's unit price is the item's price plus its options'.
"""

from dataclasses import dataclass, field

from flask_babel import gettext, ngettext
from sqlalchemy import func, select

from extensions import db
from models import ItemOptionGroup, MenuItem, OptionChoice, OptionGroup, Shop
from models.options import MAX_CHOICES
from money import MAX_AMOUNT
from services import Conflict, NotFound, Refused, parse_id
from services.text import one_line

MAX_NAME = 60
MAX_LINE_NAME = 120

# How the owner says how many choices a group takes.
EXACTLY_ONE = "one"
AT_MOST_ONE = "optional"
UP_TO = "many"
RULES = (EXACTLY_ONE, AT_MOST_ONE, UP_TO)


@dataclass
class Selection:
    """What a customer chose for an item, checked: the snapshot a tab line keeps."""

    item: MenuItem
    choices: list[OptionChoice] = field(default_factory=list)

    @property
    def price_delta(self) -> int:
        return sum(choice.price_delta for choice in self.choices)

    @property
    def unit_price(self) -> int:
        return self.item.price + self.price_delta

    @property
    def snapshot(self) -> list[dict] | None:
        if not self.choices:
            return None
        return [
            {
                "group": choice.group.name,
                "choice": choice.name,
                "choice_id": choice.id,
                "price": choice.price_delta,
            }
            for choice in self.choices
        ]

    @property
    def line_name(self) -> str:
        return line_name(self.item.name, [choice.name for choice in self.choices])


def line_name(item_name: str, choice_names: list[str]) -> str:
    """ "Latte (Large, Oat milk)": what every page and message calls the line. Cut to
    the column's length with an ellipsis; the options themselves are kept whole."""
    if not choice_names:
        return item_name
    name = f"{item_name} ({', '.join(choice_names)})"
    return name if len(name) <= MAX_LINE_NAME else name[: MAX_LINE_NAME - 2] + "…)"


def choose(item: MenuItem, raw_choice_ids) -> Selection:
    """Check a customer's choices for `item` (ids as a form sent them) against the
    item's groups; refuse anything the owner did not offer, in the customer's words."""
    wanted: list[int] = []
    for raw in raw_choice_ids or ():
        choice_id = parse_id(raw)
        if choice_id is None:
            raise Refused(gettext("That option is not offered for %(item)s.", item=item.name))
        if choice_id not in wanted:  # a double-sent checkbox is one choice
            wanted.append(choice_id)
    if len(wanted) > MAX_CHOICES * max(1, len(item.option_links)):
        raise Refused(gettext("That option is not offered for %(item)s.", item=item.name))
    groups = item.option_groups
    group_ids = {group.id for group in groups}
    found = {}
    if wanted:
        found = {
            choice.id: choice
            for choice in db.session.execute(
                select(OptionChoice).where(
                    OptionChoice.id.in_(wanted), OptionChoice.shop_id == item.shop_id
                )
            ).scalars()
        }
    for choice_id in wanted:
        choice = found.get(choice_id)
        if choice is None or choice.group_id not in group_ids:
            raise Refused(gettext("That option is not offered for %(item)s.", item=item.name))
        if not choice.available:
            raise Refused(
                gettext("Sorry, %(choice)s is not available right now.", choice=choice.name)
            )
    chosen: list[OptionChoice] = []
    for group in groups:
        picked = [c for c in group.choices if c.id in found]
        if len(picked) < group.min_choices:
            raise Refused(
                gettext("Choose %(group)s for %(item)s.", group=group.name, item=item.name)
            )
        if len(picked) > group.max_choices:
            raise Refused(
                ngettext(
                    "Choose at most %(num)d %(group)s for %(item)s.",
                    "Choose at most %(num)d of %(group)s for %(item)s.",
                    group.max_choices,
                    group=group.name,
                    item=item.name,
                )
            )
        chosen += picked
    selection = Selection(item, chosen)
    if not 0 <= selection.unit_price <= MAX_AMOUNT:
        raise Refused(
            gettext("Those options make %(item)s cost less than nothing.", item=item.name)
        )
    return selection


def default_choice_ids(item: MenuItem) -> list[int]:
    """The choices the customer's sheet starts with ticked (available ones only)."""
    return [
        choice.id
        for group in item.option_groups
        for choice in group.choices
        if choice.is_default and choice.available
    ]


def defaults_for(shop_id: int, raw_item_id) -> list[int]:
    """The default choices of an item by the id a form sent ([] for no such item):
    what the staff order form, which has no option pickers yet, orders."""
    item_id = parse_id(raw_item_id)
    item = item_with_options(shop_id, item_id) if item_id else None
    return default_choice_ids(item) if item is not None else []


def quick_order(item: MenuItem) -> Selection | None:
    """The item as its defaults make it, when they answer every required group: the
    menu can then add it in one tap, with "Choose" beside it for anything else."""
    try:
        return choose(item, default_choice_ids(item))
    except Refused:
        return None


# -- the owner's groups ---------------------------------------------------------------------


def groups(shop_id: int) -> list[OptionGroup]:
    return list(
        db.session.execute(
            select(OptionGroup)
            .where(OptionGroup.shop_id == shop_id)
            .order_by(OptionGroup.name, OptionGroup.id)
        ).scalars()
    )


def rule_of(group: OptionGroup) -> str:
    if group.min_choices >= 1:
        return EXACTLY_ONE
    return AT_MOST_ONE if group.max_choices == 1 else UP_TO


def _clean(name, what: str) -> str:
    name = one_line(name)
    if not name:
        if what == "group":
            raise Refused(gettext("An option group needs a name."))
        raise Refused(gettext("A choice needs a name."))
    if len(name) > MAX_NAME:
        raise Refused(gettext("Keep names of options under %(limit)d characters.", limit=MAX_NAME))
    return name


def _counts(rule: str, most) -> tuple[int, int]:
    if rule == EXACTLY_ONE:
        return 1, 1
    if rule == AT_MOST_ONE:
        return 0, 1
    if rule == UP_TO:
        number = parse_id(most)
        if number is None or not 2 <= number <= MAX_CHOICES:
            raise Refused(gettext("“Up to” takes a number from 2 to %(most)d.", most=MAX_CHOICES))
        return 0, number
    raise Refused(gettext("Say how many choices the group takes."))


def save_group(shop: Shop, group: OptionGroup | None, name, rule, most=None) -> OptionGroup:
    name = _clean(name, "group")
    minimum, maximum = _counts(rule, most)
    same = db.session.execute(
        select(OptionGroup).where(OptionGroup.shop_id == shop.id, OptionGroup.name == name)
    ).scalar_one_or_none()
    if same is not None and same is not group:
        raise Conflict(gettext("There is already an option group called %(name)s.", name=name))
    if group is None:
        group = OptionGroup(shop_id=shop.id)
        db.session.add(group)
    group.name = name
    group.min_choices = minimum
    group.max_choices = maximum
    db.session.flush()
    _keep_one_default(group)
    return group


def _keep_one_default(group: OptionGroup) -> None:
    """A group that takes one choice can start with at most one ticked."""
    if group.max_choices == 1:
        defaults = [c for c in group.choices if c.is_default]
        for extra in defaults[1:]:
            extra.is_default = False
    db.session.flush()


def delete_group(group: OptionGroup) -> None:
    """Items lose the group; lines already ordered keep their snapshot."""
    db.session.delete(group)
    db.session.flush()


def save_choice(
    group: OptionGroup, choice: OptionChoice | None, name, price_delta: int, is_default: bool
) -> OptionChoice:
    name = _clean(name, "choice")
    if not isinstance(price_delta, int) or not -MAX_AMOUNT <= price_delta <= MAX_AMOUNT:
        raise Refused(gettext("The price change must be an amount."))
    for other in group.choices:
        if other.name == name and other is not choice:
            raise Conflict(gettext("%(group)s already has %(name)s.", group=group.name, name=name))
    if choice is None:
        if len(group.choices) >= 50:
            raise Refused(gettext("A group can have at most 50 choices."))
        choice = OptionChoice(shop_id=group.shop_id, sort=len(group.choices) + 1)
        group.choices.append(choice)
    choice.name = name
    choice.price_delta = price_delta
    if is_default and group.max_choices == 1:
        for other in group.choices:
            other.is_default = False
    choice.is_default = is_default
    db.session.flush()
    return choice


def set_choice_available(choice: OptionChoice, available: bool) -> OptionChoice:
    choice.available = available
    db.session.flush()
    return choice


def delete_choice(choice: OptionChoice) -> None:
    db.session.delete(choice)
    db.session.flush()


def set_item_groups(item: MenuItem, positions: dict[int, int]) -> MenuItem:
    """Attach exactly these groups to `item` ({group id: position}), in that order;
    a group of another shop is not found."""
    owned = {
        group.id
        for group in db.session.execute(
            select(OptionGroup).where(
                OptionGroup.shop_id == item.shop_id, OptionGroup.id.in_(list(positions) or [0])
            )
        ).scalars()
    }
    if set(positions) - owned:
        raise NotFound(gettext("Pick one of the menu's option groups."))
    for link in list(item.option_links):
        if link.group_id not in positions:
            item.option_links.remove(link)
    have = {link.group_id: link for link in item.option_links}
    for group_id, sort in positions.items():
        link = have.get(group_id)
        if link is None:
            link = ItemOptionGroup(shop_id=item.shop_id, group_id=group_id)
            item.option_links.append(link)
        link.sort = sort
    db.session.flush()
    db.session.refresh(item, ["option_links"])
    return item


def items_using(group: OptionGroup) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(ItemOptionGroup)
        .where(ItemOptionGroup.group_id == group.id)
    ).scalar_one()


def item_with_options(shop_id: int, item_id: int) -> MenuItem | None:
    return db.session.execute(
        select(MenuItem).where(MenuItem.id == item_id, MenuItem.shop_id == shop_id)
    ).scalar_one_or_none()
