"""Setting up a shop: the shop itself, its people, its cards and its menu."""

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from extensions import db
from models import MenuItem, Shop, StaffMember, TokenCard
from models.card import CARD_KINDS
from models.staff import ROLES
from money import MAX_AMOUNT, is_currency, is_locale
from services import Conflict, Refused

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
MIN_PASSWORD = 10
MAX_CARDS_PER_BATCH = 500


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(f"Unknown timezone {name!r}; use a name like Europe/Paris.") from None
    return name


def find_shop(slug: str) -> Shop | None:
    return db.session.execute(select(Shop).where(Shop.slug == slug)).scalar_one_or_none()


def menu_items(shop_id: int) -> list[MenuItem]:
    """The shop's menu in the order customers read it: by category, then sort order."""
    return list(
        db.session.execute(
            select(MenuItem)
            .where(MenuItem.shop_id == shop_id)
            .order_by(MenuItem.category, MenuItem.sort, MenuItem.name)
        ).scalars()
    )


def create_shop(
    slug: str,
    name: str,
    currency: str,
    locale: str = "en",
    timezone: str = "UTC",
    service_note: str = "",
) -> Shop:
    slug = (slug or "").strip().lower()
    name = " ".join((name or "").split())
    currency = (currency or "").strip().upper()
    if not SLUG.match(slug):
        raise Refused("The slug must be 1–40 lowercase letters, digits or dashes.")
    if not name or len(name) > 80:
        raise Refused("The shop needs a name of at most 80 characters.")
    if not is_currency(currency):
        raise Refused(f"{currency or 'That'} is not an ISO 4217 currency code (EUR, USD, KRW…).")
    if not is_locale(locale):
        raise Refused(f"Unknown locale {locale!r}; use a code like en, en_GB or ko_KR.")
    check_timezone(timezone)
    if db.session.execute(select(Shop.id).where(Shop.slug == slug)).first():
        raise Conflict(f"A shop with the slug {slug!r} already exists.")
    shop = Shop(
        slug=slug,
        name=name,
        currency=currency,
        locale=locale.replace("-", "_"),
        timezone=timezone,
        service_note=(service_note or "").strip(),
    )
    db.session.add(shop)
    db.session.flush()
    return shop


def normalise_email(email: str) -> str:
    try:
        return validate_email(email or "", check_deliverability=False).normalized.lower()
    except EmailNotValidError as problem:
        raise Refused(f"That email address is not valid: {problem}") from None


def add_staff(
    shop: Shop, email: str, password: str, role: str = "staff", name: str = ""
) -> StaffMember:
    email = normalise_email(email)
    if role not in ROLES:
        raise Refused("The role must be owner or staff.")
    if len(password or "") < MIN_PASSWORD:
        raise Refused(f"The password must be at least {MIN_PASSWORD} characters.")
    taken = db.session.execute(
        select(StaffMember.id).where(func.lower(StaffMember.email) == email)
    ).first()
    if taken:
        raise Conflict(f"{email} already has a login.")
    member = StaffMember(shop_id=shop.id, email=email, role=role, name=(name or "").strip()[:80])
    member.set_password(password)
    db.session.add(member)
    db.session.flush()
    return member


def add_cards(
    shop: Shop, kind: str, count: int, label_prefix: str | None = None
) -> list[TokenCard]:
    if kind not in CARD_KINDS:
        raise Refused("A card is either a table card or a personal card.")
    if not 1 <= count <= MAX_CARDS_PER_BATCH:
        raise Refused(f"Make between 1 and {MAX_CARDS_PER_BATCH} cards at a time.")
    prefix = label_prefix or ("Table" if kind == "table" else "Card")
    existing = db.session.execute(
        select(func.count())
        .select_from(TokenCard)
        .where(TokenCard.shop_id == shop.id, TokenCard.kind == kind)
    ).scalar_one()
    cards = [
        TokenCard(shop_id=shop.id, kind=kind, label=f"{prefix} {existing + n}")
        for n in range(1, count + 1)
    ]
    db.session.add_all(cards)
    db.session.flush()
    return cards


def add_menu_item(
    shop: Shop, name: str, price: int, category: str = "", description: str = "", sort: int = 0
) -> MenuItem:
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise Refused("An item needs a name of at most 120 characters.")
    if not isinstance(price, int) or not 0 <= price <= MAX_AMOUNT:
        raise Refused("A price is a whole number of minor units, not negative.")
    item = MenuItem(
        shop_id=shop.id,
        name=name,
        price=price,
        category=(category or "").strip()[:60],
        description=(description or "").strip(),
        sort=sort,
    )
    db.session.add(item)
    db.session.flush()
    return item


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
            raise Refused("The deposit is a whole number of minor units, not negative.")
        shop.deposit_amount = deposit_amount
    db.session.flush()
    return shop
