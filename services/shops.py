"""Setting up a shop: the shop itself, its people, its cards and its menu."""

import re
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext, ngettext
from sqlalchemy import func, select

from extensions import db
from models import MenuCategory, MenuItem, Shop, StaffMember, Tab, TokenCard
from models.card import CARD_KINDS
from models.staff import ROLES
from models.tab import LIVE_TAB_STATUSES
from money import MAX_AMOUNT, format_money, is_currency, is_locale, minor_digits
from services import Conflict, Refused, trust
from services.text import one_line, paragraph

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
NUMBERED = re.compile(r"^ ([0-9]{1,9})$")
MIN_PASSWORD = 10
MAX_CARDS_PER_BATCH = 500
MAX_NOTE = 1000
CARD_PREFIXES = {"table": "Table", "personal": "Card"}


def check_timezone(name: str) -> str:
    try:
        if len(name) > 64:  # the longest IANA name is 32; longer ones are not looked up
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "File name too long"
        raise Refused(
            gettext("Unknown timezone %(name)r; use a name like Europe/Paris.", name=name[:64])
        ) from None
    return name


def find_shop(slug: str) -> Shop | None:
    return db.session.execute(select(Shop).where(Shop.slug == slug)).scalar_one_or_none()


def menu_items(shop_id: int) -> list[MenuItem]:
    """The shop's menu in the order customers read it: categories in the owner's order
    (items without a category last), then each item's sort order. Archived items are
    left out."""
    return list(
        db.session.execute(
            select(MenuItem)
            .outerjoin(
                MenuCategory,
                (MenuCategory.shop_id == MenuItem.shop_id)
                & (MenuCategory.name == MenuItem.category),
            )
            .where(MenuItem.shop_id == shop_id, MenuItem.archived_at.is_(None))
            .order_by(
                MenuCategory.id.is_(None),
                MenuCategory.sort,
                MenuItem.category,
                MenuItem.sort,
                MenuItem.name,
                MenuItem.id,
            )
        ).scalars()
    )


def _clean_name(name: str | None) -> str:
    name = one_line(name)
    if not name or len(name) > 80:
        raise Refused(gettext("The shop needs a name of at most 80 characters."))
    return name


def _clean_currency(currency: str | None) -> str:
    currency = (currency or "").strip().upper()
    if not is_currency(currency):
        raise Refused(
            gettext(
                "%(currency)s is not an ISO 4217 currency code (EUR, USD, KRW…).",
                currency=currency or "?",
            )
        )
    return currency


def _clean_locale(locale: str | None) -> str:
    locale = (locale or "").strip()
    if not locale or not is_locale(locale):
        raise Refused(
            gettext("Unknown locale %(code)r; use a code like en, en_GB or ko_KR.", code=locale)
        )
    return locale.replace("-", "_")


def _clean_note(note: str | None) -> str:
    note = paragraph(note)
    if len(note) > MAX_NOTE:
        raise Refused(
            gettext("Keep the note for customers under %(most)s characters.", most=MAX_NOTE)
        )
    return note


def create_shop(
    slug: str,
    name: str,
    currency: str,
    locale: str = "en",
    timezone: str = "UTC",
    service_note: str = "",
) -> Shop:
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise Refused("The slug must be 1–40 lowercase letters, digits or dashes.")
    name = _clean_name(name)
    currency = _clean_currency(currency)
    locale = _clean_locale(locale)
    check_timezone(timezone)
    if db.session.execute(select(Shop.id).where(Shop.slug == slug)).first():
        raise Conflict(f"A shop with the slug {slug!r} already exists.")
    shop = Shop(
        slug=slug,
        name=name,
        currency=currency,
        locale=locale,
        timezone=timezone,
        service_note=_clean_note(service_note),
    )
    db.session.add(shop)
    db.session.flush()
    return shop


def live_tab_count(shop_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Tab)
        .where(Tab.shop_id == shop_id, Tab.status.in_(LIVE_TAB_STATUSES))
    ).scalar_one()


# What a change of currency does to the menu's prices and the deposit: the owner
# always chooses, and nothing is ever rounded.
SAME_DIGITS = "same_digits"  # €3.80 (380 cents) becomes ¥380: the same minor units
SAME_AMOUNTS = "same_amounts"  # ¥450 becomes €450.00; refused if a price cannot be exact
PRICE_CHOICES = (SAME_DIGITS, SAME_AMOUNTS)


def update_settings(
    shop: Shop,
    name: str,
    currency: str,
    locale: str,
    timezone: str,
    service_note: str,
    closing_time: time | None,
    prices: str | None = None,
) -> list[str]:
    """Change the shop's settings; returns notes for the owner about side effects.
    A new currency needs `prices`, one of PRICE_CHOICES, for the menu and deposit."""
    name = _clean_name(name)
    currency = _clean_currency(currency)
    locale = _clean_locale(locale)
    timezone = check_timezone((timezone or "").strip())
    service_note = _clean_note(service_note)
    notes = []
    if currency != shop.currency:
        live = live_tab_count(shop.id)
        if live:
            raise Conflict(
                ngettext(
                    "The currency can't change while %(num)d tab is open or waiting to pay: "
                    "it was opened in %(currency)s. Change it after closing time.",
                    "The currency can't change while %(num)d tabs are open or waiting to pay: "
                    "they were opened in %(currency)s. Change it after closing time.",
                    live,
                    currency=shop.currency,
                )
            )
        notes.append(convert_prices(shop, shop.currency, currency, prices))
    shop.name = name
    shop.currency = currency
    shop.locale = locale
    shop.timezone = timezone
    shop.service_note = service_note
    shop.closing_time = closing_time
    db.session.flush()
    return notes


def convert_prices(shop: Shop, old: str, new: str, choice: str | None) -> str:
    """Carry the menu's prices and the deposit from `old` to `new` as the owner chose;
    returns the note that tells them what happened."""
    if choice not in PRICE_CHOICES:
        raise Refused(
            gettext(
                "You changed the currency to %(currency)s: choose what happens to the prices "
                "and the deposit.",
                currency=new,
            )
        )
    items = list(
        db.session.execute(
            select(MenuItem).where(MenuItem.shop_id == shop.id).order_by(MenuItem.id)
        ).scalars()
    )
    shift = 0 if choice == SAME_DIGITS else minor_digits(new) - minor_digits(old)
    if shift < 0:
        step = 10 ** (-shift)
        inexact = [item.name for item in items if item.price % step]
        if shop.deposit_amount % step:
            inexact.append(gettext("the deposit"))
        if inexact:
            raise Refused(
                ngettext(
                    "%(currency)s can't show %(num)d price exactly (%(names)s): keep the "
                    "digits instead, or change that price first.",
                    "%(currency)s can't show %(num)d prices exactly (%(names)s): keep the "
                    "digits instead, or change those prices first.",
                    len(inexact),
                    currency=new,
                    names=", ".join(inexact[:5]) + ("…" if len(inexact) > 5 else ""),
                )
            )
    # Same digits: the stored minor units stay as they are; only how they read changes.
    before = {item.id: item.price for item in items}
    for item in items:
        item.price = _shifted(item.price, shift)
    shop.deposit_amount = _shifted(shop.deposit_amount, shift)
    trust.shift_amounts(shop, lambda minor: min(_shifted(minor, shift), MAX_AMOUNT))
    if any(item.price > MAX_AMOUNT for item in items) or shop.deposit_amount > MAX_AMOUNT:
        raise Refused(gettext("A price would be too large in %(currency)s.", currency=new))
    if not items:
        return gettext("The currency is now %(currency)s.", currency=new)
    example = items[0]
    return gettext(
        "Prices are now in %(currency)s, as you chose: %(item)s was %(before)s and is now "
        "%(after)s. Check the menu.",
        currency=new,
        item=example.name,
        before=format_money(before[example.id], old, shop.locale),
        after=format_money(example.price, new, shop.locale),
    )


def _shifted(minor: int, shift: int) -> int:
    """The same amount in a currency with `shift` more decimals (exact: checked first)."""
    return minor * 10**shift if shift >= 0 else minor // 10 ** (-shift)


def normalise_email(email: str) -> str:
    try:
        return validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as problem:
        raise Refused(
            gettext("That email address is not valid: %(problem)s", problem=problem)
        ) from None


def add_staff(
    shop: Shop, email: str, password: str, role: str = "staff", name: str = ""
) -> StaffMember:
    email = normalise_email(email)
    if role not in ROLES:
        raise Refused(gettext("The role must be owner or staff."))
    if len(password or "") < MIN_PASSWORD:
        raise Refused(
            gettext("The password must be at least %(least)s characters.", least=MIN_PASSWORD)
        )
    taken = db.session.execute(
        select(StaffMember.id).where(func.lower(StaffMember.email) == email)
    ).first()
    if taken:
        raise Conflict(gettext("%(email)s already has a login.", email=email))
    member = StaffMember(shop_id=shop.id, email=email, role=role, name=(name or "").strip()[:80])
    member.set_password(password)
    db.session.add(member)
    db.session.flush()
    return member


def add_cards(
    shop: Shop, kind: str, count: int, label_prefix: str | None = None
) -> list[TokenCard]:
    if kind not in CARD_KINDS:
        raise Refused(gettext("A card is either a table card or a personal card."))
    if not 1 <= count <= MAX_CARDS_PER_BATCH:
        raise Refused(
            gettext("Make between 1 and %(most)s cards at a time.", most=MAX_CARDS_PER_BATCH)
        )
    prefix = label_prefix or CARD_PREFIXES[kind]
    start = highest_card_number(shop, kind, prefix)
    cards = [
        TokenCard(shop_id=shop.id, kind=kind, label=f"{prefix} {start + n}")
        for n in range(1, count + 1)
    ]
    db.session.add_all(cards)
    db.session.flush()
    return cards


def highest_card_number(shop: Shop, kind: str, prefix: str) -> int:
    """The largest N of the shop's "<prefix> N" cards of this kind, revoked ones
    included, so a new batch never repeats a label already printed."""
    labels = db.session.execute(
        select(TokenCard.label).where(
            TokenCard.shop_id == shop.id,
            TokenCard.kind == kind,
            TokenCard.label.like(f"{prefix} %"),
        )
    ).scalars()
    numbers = [int(m.group(1)) for label in labels if (m := NUMBERED.match(label[len(prefix) :]))]
    return max(numbers, default=0)


def add_menu_item(
    shop: Shop, name: str, price: int, category: str = "", description: str = "", sort: int = 0
) -> MenuItem:
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise Refused(gettext("An item needs a name of at most 120 characters."))
    if not isinstance(price, int) or not 0 <= price <= MAX_AMOUNT:
        raise Refused(gettext("A price is a whole number of minor units, not negative."))
    category = " ".join((category or "").split())[:60]
    refuse_duplicate_item(shop.id, name, category)
    if category:
        ensure_category(shop, category)
    item = MenuItem(
        shop_id=shop.id,
        name=name,
        price=price,
        category=category,
        description=(description or "").strip(),
        sort=sort,
    )
    db.session.add(item)
    db.session.flush()
    return item


def refuse_duplicate_item(
    shop_id: int, name: str, category: str, item_id: int | None = None
) -> None:
    """Two items of one name in one category would be two lines nobody can tell apart,
    on the menu, the counter and the bill. Archived items do not count (they are off
    the menu); case and spacing do not make a name new."""
    names = db.session.execute(
        select(MenuItem.id, MenuItem.name).where(
            MenuItem.shop_id == shop_id,
            MenuItem.category == category,
            MenuItem.archived_at.is_(None),
        )
    ).all()
    wanted = " ".join(name.split()).casefold()
    if any(row.id != item_id and " ".join(row.name.split()).casefold() == wanted for row in names):
        if category:
            raise Conflict(
                gettext(
                    "%(category)s already has an item called %(name)s.",
                    category=category,
                    name=name,
                )
            )
        raise Conflict(gettext("The menu already has an item called %(name)s.", name=name))


def ensure_category(shop: Shop, name: str) -> MenuCategory:
    """The shop's category called `name`, added after the others if it is new."""
    category = db.session.execute(
        select(MenuCategory).where(MenuCategory.shop_id == shop.id, MenuCategory.name == name)
    ).scalar_one_or_none()
    if category is None:
        last = db.session.execute(
            select(func.max(MenuCategory.sort)).where(MenuCategory.shop_id == shop.id)
        ).scalar_one()
        category = MenuCategory(shop_id=shop.id, name=name, sort=(last or 0) + 1)
        db.session.add(category)
        db.session.flush()
    return category


def set_payment_settings(
    shop: Shop, tip_presets: str | None = None, deposit_amount: int | None = None
) -> Shop:
    """The bill's tip choices (percents) and the deposit a new tab asks for (0: none).
    A changed deposit applies to tabs opened from now on."""
    from services.payments import parse_tip_presets

    if tip_presets is not None:
        shop.tip_presets = parse_tip_presets(tip_presets)
    if deposit_amount is not None:
        if not isinstance(deposit_amount, int) or not 0 <= deposit_amount <= MAX_AMOUNT:
            raise Refused(gettext("The deposit is a whole number of minor units, not negative."))
        shop.deposit_amount = deposit_amount
    db.session.flush()
    return shop


# -- looking at shops, and deleting one made by mistake ---------------------------------

# What each table holds, in the owner's words; a table added later is counted (and
# deleted with its shop) under its own name until it is given one here.
HELD = {
    "staff_members": ("staff login", "staff logins"),
    "token_cards": ("card", "cards"),
    "menu_categories": ("menu category", "menu categories"),
    "menu_items": ("menu item", "menu items"),
    "option_groups": ("option group", "option groups"),
    "option_choices": ("option choice", "option choices"),
    "item_option_groups": ("option group on an item", "option groups on items"),
    "tabs": ("tab", "tabs"),
    "tab_lines": ("tab line", "tab lines"),
    "tab_members": ("friend on a tab", "friends on tabs"),
    "pay_requests": ("request to pay", "requests to pay"),
    "payments": ("payment", "payments"),
    "checkout_sessions": ("card checkout", "card checkouts"),
    "stripe_events": ("Stripe event", "Stripe events"),
    "tab_ratings": ("rating", "ratings"),
    "push_subscriptions": ("push subscription", "push subscriptions"),
    "push_messages": ("push message", "push messages"),
    "audit_entries": ("audit entry", "audit entries"),
    "loyalty_stamps": ("stamp card entry", "stamp card entries"),
}
# A shop with any of these has served customers: deleting it loses receipts and reports.
HISTORY = ("tabs", "payments")


def _shop_tables():
    """Every table whose rows belong to a shop, children before their parents."""
    return [t for t in reversed(db.metadata.sorted_tables) if "shop_id" in t.c]


def _held_by_shop(tables, shop_id: int | None = None) -> dict[int, dict[str, int]]:
    """{shop id: {owner's name of a table: rows}}, one grouped count per table."""
    order = {name: n for n, name in enumerate(HELD)}
    held: dict[int, dict[str, int]] = {}
    for table in sorted(tables, key=lambda t: order.get(t.name, len(order))):
        query = select(table.c.shop_id, func.count()).group_by(table.c.shop_id)
        if shop_id is not None:
            query = query.where(table.c.shop_id == shop_id)
        counts = dict(db.session.execute(query).all())
        what = HELD.get(table.name, ("", table.name.replace("_", " ")))[1]
        for shop in counts.keys() | ({shop_id} if shop_id is not None else set()):
            held.setdefault(shop, {})[what] = counts.get(shop, 0)
    return held


def shop_contents(shop: Shop) -> dict[str, int]:
    """How many rows of each kind the shop holds, in the owner's words."""
    return _held_by_shop(_shop_tables(), shop.id)[shop.id]


def describe_held(held: dict[str, int]) -> str:
    """'1 staff login, 16 cards': the kinds there are any of, or 'nothing'."""
    singular = {plural: one for one, plural in HELD.values()}
    return (
        ", ".join(
            f"{count} {singular.get(what, what) if count == 1 else what}"
            for what, count in held.items()
            if count
        )
        or "nothing"
    )


def history_of(held: dict[str, int]) -> str:
    """'3 tabs, 2 payments', or '' for a shop that never served anyone."""
    history = {what: held[what] for what in HISTORY if held.get(what)}
    return describe_held(history) if history else ""


def delete_shop(shop: Shop, *, force: bool = False) -> dict[str, int]:
    """Delete the shop and every row that belongs to it; returns what was deleted.
    Refused for a shop with history unless forced."""
    held = shop_contents(shop)
    history = history_of(held)
    if history and not force:
        raise Conflict(f"{shop.name} has history ({history}); deleting it needs force.")
    for table in _shop_tables():
        db.session.execute(table.delete().where(table.c.shop_id == shop.id))
    db.session.execute(Shop.__table__.delete().where(Shop.id == shop.id))
    db.session.expunge(shop)
    return held


def shop_overview() -> list[tuple[Shop, dict[str, int]]]:
    """Every shop with its staff logins, cards, menu items and tabs."""
    listed = ("staff_members", "token_cards", "menu_items", "tabs")
    held = _held_by_shop([t for t in _shop_tables() if t.name in listed])
    shops = db.session.execute(select(Shop).order_by(Shop.slug)).scalars()
    empty = {HELD[name][1]: 0 for name in listed}
    return [(shop, {**empty, **held.get(shop.id, {})}) for shop in shops]


def staff_members(shop: Shop) -> list[StaffMember]:
    return list(
        db.session.execute(
            select(StaffMember)
            .where(StaffMember.shop_id == shop.id)
            .order_by(StaffMember.role, StaffMember.email)
        ).scalars()
    )
