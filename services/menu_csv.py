"""The whole menu in one CSV file, out and back in: categories, items, option groups
and their choices, allergens, dietary tags and tax rates.

One row per thing, its kind in the first column, in the order the menu shows them:

    kind,category,name,price,description,available,allergens,tags,tax_rate,option_groups,group,rule,up_to,default,position
    category,,Coffee,,,,,,9,,,,,,
    group,,Milk,,,,,,,,,optional,,,
    choice,,Oat milk,0.40,,yes,,,,,Milk,,,no,
    item,Coffee,Latte,4.00,Espresso and milk,yes,milk,vegetarian,,Size; Milk,,,,,4

Prices are written as the café writes them (3.80, or 3,80 in a German shop; a
price change may be negative); allergens and tags are keys separated by ";", with
"none" for none of the 14 allergens and "unknown" (or blank) when not said. A group
is written once and named by every item that asks it, so it stays shared.

Importing checks every row before changing anything, and the caller commits once:
a refused row (its number and why) leaves the menu as it was. Re-importing the same
file changes nothing more: rows update what has the same name instead of adding
copies. Importing never deletes; photos stay as they are.
"""

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import select

from extensions import db
from models import MenuItem, Shop
from models.menu import ALLERGENS, DIETARY_TAGS
from money import AmountError, format_plain, parse_amount
from services import Refused
from services import menu as menu_service
from services import options as options_service
from services.report import read_cell, safe_cell
from services.shops import ensure_category
from services.tax import format_rate, parse_rate
from services.text import has_unsafe_characters, one_line

HEADER = [
    "kind",
    "category",
    "name",
    "price",
    "description",
    "available",
    "allergens",
    "tags",
    "tax_rate",
    "option_groups",
    "group",
    "rule",
    "up_to",
    "default",
    "position",
]
KINDS = ("category", "group", "choice", "item")
MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0"}
UNKNOWN = "unknown"
NONE = "none"


# -- out ----------------------------------------------------------------------------------


def export_rows(shop: Shop) -> list[list[str]]:
    """Every row of the file after its header: categories, then groups with their
    choices, then items (archived ones are off the menu, so not written)."""

    def money(minor: int) -> str:
        text = format_plain(abs(minor), shop.currency, shop.locale)
        return "-" + text if minor < 0 else text

    def yes(flag: bool) -> str:
        return "yes" if flag else "no"

    def row(**cells) -> list[str]:
        return [cells.get(column, "") for column in HEADER]

    sections, _archived = menu_service.owner_menu(shop.id)
    rows = []
    for section in sections:
        if section.name:
            rate = section.category.tax_rate if section.category else None
            rows.append(row(kind="category", name=section.name, tax_rate=format_rate(rate)))
    for group in options_service.groups(shop.id):
        rule = options_service.rule_of(group)
        up_to = str(group.max_choices) if rule == options_service.UP_TO else ""
        rows.append(row(kind="group", name=group.name, rule=rule, up_to=up_to))
        for choice in group.choices:
            rows.append(
                row(
                    kind="choice",
                    group=group.name,
                    name=choice.name,
                    price=money(choice.price_delta),
                    available=yes(choice.available),
                    default=yes(choice.is_default),
                )
            )
    for section in sections:
        for item in section.items:
            contains = item.allergen_keys
            rows.append(
                row(
                    kind="item",
                    category=item.category,
                    name=item.name,
                    price=money(item.price),
                    description=item.description,
                    available=yes(item.available),
                    allergens=UNKNOWN if contains is None else "; ".join(contains) or NONE,
                    tags="; ".join(item.tag_keys),
                    tax_rate=format_rate(item.tax_rate),
                    option_groups="; ".join(group.name for group in item.option_groups),
                    position=str(item.sort),
                )
            )
    return rows


def export_text(shop: Shop) -> str:
    """The file: UTF-8 with a byte-order mark (spreadsheets then read accents right),
    every cell a spreadsheet would run as a formula written as text."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in export_rows(shop):
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


# -- in -----------------------------------------------------------------------------------


@dataclass
class Row:
    number: int
    kind: str
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class Parsed:
    categories: list[tuple[Row, str, int | None]] = field(default_factory=list)
    groups: list[tuple[Row, str, str, int | None]] = field(default_factory=list)
    choices: list[tuple[Row, str, str, int, bool, bool]] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)


@dataclass
class Imported:
    categories: int = 0
    groups: int = 0
    choices: int = 0
    items: int = 0


def refuse(row_number: int, reason: str) -> Refused:
    return Refused(gettext("Row %(row)d: %(reason)s", row=row_number, reason=reason))


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark) or UTF-16 with one; anything else is
    refused rather than guessed, so no name arrives garbled."""
    if not data.strip():
        raise Refused(gettext("The file is empty."))
    if len(data) > MAX_BYTES:
        raise Refused(gettext("A menu file can be at most 1 MB."))
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(
            gettext("Save the file as CSV in UTF-8 (“CSV UTF-8” in spreadsheets).")
        ) from None


def read_rows(text: str) -> list[Row]:
    """The file's rows keyed by its header, numbered as a spreadsheet shows them (a
    description over several lines is still one row)."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 1
    try:
        header = next(reader, None)
        if header is None:
            raise Refused(gettext("The file is empty."))
        columns = [one_line(name).lower().replace(" ", "_") for name in header]
        if "kind" not in columns or "name" not in columns:
            raise Refused(
                gettext("The first row must name the columns, starting with kind and name.")
            )
        rows = []
        for number, cells in enumerate(reader, start=2):
            if any(has_unsafe_characters(cell) for cell in cells):
                raise refuse(
                    number, gettext("it contains a character that cannot be stored (NUL).")
                )
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise Refused(gettext("A menu file can have at most %(most)d rows.", most=MAX_ROWS))
            values = {
                column: read_cell(cell).strip()
                for column, cell in zip(columns, cells, strict=False)
            }
            rows.append(Row(number, values.get("kind", "").lower(), values))
    except csv.Error as problem:
        raise Refused(
            gettext("Row %(row)d: the file is not CSV a spreadsheet wrote.", row=number + 1)
        ) from problem
    return rows


def category_name(row: Row, text: str) -> str:
    try:
        return menu_service.clean_name(text, "category", 60)
    except Refused as problem:
        raise refuse(row.number, problem.message) from None


def flag(row: Row, column: str, default: bool) -> bool:
    value = row[column].lower()
    if not value:
        return default
    if value in YES:
        return True
    if value in NO:
        return False
    raise refuse(row.number, gettext("%(column)s is yes or no.", column=column))


def amount(row: Row, shop: Shop, *, signed: bool) -> int:
    text = row["price"].replace("−", "-")
    negative = signed and text.startswith("-")
    try:
        minor = parse_amount(text[1:] if negative else text, shop.currency, shop.locale)
    except AmountError as problem:
        raise refuse(row.number, str(problem)) from None
    return -minor if negative else minor


def rate(row: Row) -> int | None:
    try:
        return parse_rate(row["tax_rate"], allow_blank=True)
    except Refused as problem:
        raise refuse(row.number, problem.message) from None


def keys(text: str) -> list[str]:
    return [
        one_line(part).lower().replace("-", "_").replace(" ", "_")
        for part in text.replace(",", ";").split(";")
        if part.strip()
    ]


def names(text: str) -> list[str]:
    return [one_line(part) for part in text.split(";") if one_line(part)]


def parse(rows: list[Row], shop: Shop) -> Parsed:
    """Every row checked on its own and against the others; nothing touched yet."""
    parsed = Parsed()
    seen: dict[tuple, int] = {}

    def once(key: tuple, row: Row, what: str) -> None:
        folded = tuple(part.casefold() for part in key)
        if folded in seen:
            raise refuse(
                row.number,
                gettext("%(name)s is already on row %(other)d.", name=what, other=seen[folded]),
            )
        seen[folded] = row.number

    existing_groups = {group.name.casefold() for group in options_service.groups(shop.id)}
    for row in rows:
        name = one_line(row["name"])
        if row.kind not in KINDS:
            raise refuse(row.number, gettext("the kind is category, group, choice or item."))
        if not name:
            raise refuse(row.number, gettext("it needs a name."))
        if row.kind == "category":
            name = category_name(row, name)
            once(("category", name), row, name)
            parsed.categories.append((row, name, rate(row)))
        elif row.kind == "group":
            once(("group", name), row, name)
            rule = row["rule"].lower() or options_service.AT_MOST_ONE
            if rule not in options_service.RULES:
                raise refuse(row.number, gettext("the rule is one, optional or many."))
            parsed.groups.append((row, name, rule, row["up_to"] or None))
        elif row.kind == "choice":
            group = one_line(row["group"])
            if group.casefold() not in {g[1].casefold() for g in parsed.groups} | existing_groups:
                raise refuse(
                    row.number,
                    gettext("no option group called %(group)s comes before it.", group=group),
                )
            once(("choice", group, name), row, name)
            parsed.choices.append(
                (
                    row,
                    group,
                    name,
                    amount(row, shop, signed=True),
                    flag(row, "available", True),
                    flag(row, "default", False),
                )
            )
        else:
            parsed.items.append(item_fields(row, name, shop, parsed, existing_groups, once))
    return parsed


def item_fields(row: Row, name: str, shop: Shop, parsed: Parsed, existing_groups, once) -> dict:
    category = category_name(row, row["category"]) if one_line(row["category"]) else ""
    once(("item", category, name), row, name)
    allergen_text = row["allergens"].strip().lower()
    if allergen_text in ("", UNKNOWN):
        allergens = None
    elif allergen_text == NONE:
        allergens = []
    else:
        allergens = keys(allergen_text)
        if set(allergens) - set(ALLERGENS):
            raise refuse(
                row.number,
                gettext(
                    "allergens are none, unknown or some of: %(keys)s.",
                    keys=", ".join(ALLERGENS),
                ),
            )
    tags = keys(row["tags"])
    if set(tags) - set(DIETARY_TAGS):
        raise refuse(
            row.number,
            gettext("dietary tags are some of: %(keys)s.", keys=", ".join(DIETARY_TAGS)),
        )
    groups = names(row["option_groups"])
    defined = {g[1].casefold() for g in parsed.groups} | existing_groups
    for group in groups:
        if group.casefold() not in defined:
            raise refuse(
                row.number,
                gettext("no option group called %(group)s comes before it.", group=group),
            )
    position = row["position"] or "0"
    if not position.isascii() or not position.isdigit() or int(position) > menu_service.MAX_SORT:
        raise refuse(
            row.number,
            gettext(
                "The position must be a whole number from 0 to %(most)s.",
                most=menu_service.MAX_SORT,
            ),
        )
    return {
        "row": row,
        "name": name,
        "category": category,
        "price": amount(row, shop, signed=False),
        "description": row["description"],
        "available": flag(row, "available", True),
        "allergens": allergens,
        "tags": tags,
        "tax_rate": rate(row),
        "groups": groups,
        "sort": int(position),
    }


def import_menu(shop: Shop, data: bytes) -> Imported:
    """Read the file and make the shop's menu say what it says. Refused (with the row)
    at the first problem; the caller's unit of work then rolls everything back."""
    parsed = parse(read_rows(decode(data)), shop)
    done = Imported()
    current: Row | None = None
    try:
        done.categories = apply_categories(shop, parsed)
        # Looked up once, not per row: a 300-item file would otherwise read the
        # whole menu 300 times.
        groups = {group.name.casefold(): group for group in options_service.groups(shop.id)}
        for row, name, rule, most in parsed.groups:
            current = row
            group = groups.get(name.casefold())
            groups[name.casefold()] = options_service.save_group(shop, group, name, rule, most)
            done.groups += 1
        for order, (row, group_name, name, delta, available, default) in enumerate(
            parsed.choices, start=1
        ):
            current = row
            group = groups[group_name.casefold()]
            choice = next((c for c in group.choices if c.name.casefold() == name.casefold()), None)
            choice = options_service.save_choice(group, choice, name, delta, default)
            options_service.set_choice_available(choice, available)
            choice.sort = order
            done.choices += 1
        items = MenuIndex(shop)
        for fields in parsed.items:
            current = fields["row"]
            items.add(
                save_item(shop, fields, items.find(fields["name"], fields["category"]), groups)
            )
            done.items += 1
        db.session.flush()
    except Refused as problem:
        if current is None:
            raise
        raise refuse(current.number, problem.message) from None
    return done


def apply_categories(shop: Shop, parsed: Parsed) -> int:
    """The file's categories first, in its order, then the shop's others as they were."""
    named = []
    for _row, name, tax_rate in parsed.categories:
        category = ensure_category(shop, name)
        category.tax_rate = tax_rate
        named.append(category)
    for fields in parsed.items:
        if fields["category"]:
            named.append(ensure_category(shop, fields["category"]))
    order = list(dict.fromkeys(named))
    others = [c for c in menu_service.categories(shop.id) if c not in order]
    for sort, category in enumerate(order + others, start=1):
        category.sort = sort
    db.session.flush()
    return len(parsed.categories)


class MenuIndex:
    """The shop's items on the menu by name, read once for a whole import."""

    def __init__(self, shop: Shop):
        self.by_name: dict[str, list[MenuItem]] = {}
        for item in db.session.execute(
            select(MenuItem).where(MenuItem.shop_id == shop.id, MenuItem.archived_at.is_(None))
        ).scalars():
            self.add(item)

    @staticmethod
    def fold(name: str) -> str:
        return " ".join(name.split()).casefold()

    def add(self, item: MenuItem) -> None:
        same = self.by_name.setdefault(self.fold(item.name), [])
        if item not in same:
            same.append(item)

    def find(self, name: str, category: str) -> MenuItem | None:
        """The item of this name in this category; failing that, the only item of this
        name (moved to another category by the file)."""
        same = self.by_name.get(self.fold(name), [])
        exact = [item for item in same if item.category.casefold() == category.casefold()]
        if exact:
            return exact[0]
        return same[0] if len(same) == 1 else None


def save_item(shop: Shop, fields: dict, item: MenuItem | None, groups: dict) -> MenuItem:
    """The file's categories were all made first (apply_categories)."""
    item = menu_service.save_item(
        shop,
        item,
        name=fields["name"],
        description=fields["description"],
        price=fields["price"],
        category=fields["category"],
        available=fields["available"],
        sort=fields["sort"],
    )
    menu_service.save_details(item, fields["allergens"], fields["tags"], fields["tax_rate"])
    positions = {}
    for sort, name in enumerate(fields["groups"], start=1):
        positions[groups[name.casefold()].id] = sort
    if {link.group_id: link.sort for link in item.option_links} != positions:
        options_service.set_item_groups(item, positions)
    return item
