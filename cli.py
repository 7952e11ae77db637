"""`flask --app app demo | shop create | staff add`: set a shop up from the shell."""

import base64
import hashlib
import hmac
import json
import random
import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from extensions import db
from models import MenuItem, Payment, Shop, StaffMember, Tab, TabLine, TokenCard
from models.base import new_code, utcnow
from models.tab import LINE_VOID, PAID, SERVED, VOID, WALKED_OUT
from money import AmountError, format_money, parse_amount
from services import Refused, unit_of_work
from services import shops as shop_service

DEMO_SLUG = "demo"
DEMO_MENU = [
    # (category, name, price in cents, description)
    ("Coffee", "Espresso", 250, "A double shot of our house blend."),
    ("Coffee", "Flat white", 380, "Double ristretto, silky milk."),
    ("Coffee", "Cappuccino", 360, "Espresso, steamed milk, deep foam."),
    ("Coffee", "Oat latte", 420, "With barista oat milk."),
    ("Tea & more", "Green tea", 300, "Sencha, steeped for you."),
    ("Tea & more", "Hot chocolate", 390, "Dark chocolate and whole milk."),
    ("Tea & more", "Fresh orange juice", 450, "Squeezed to order."),
    ("Food", "Butter croissant", 280, "Baked this morning."),
    ("Food", "Banana bread", 320, "Toasted, with butter."),
    ("Food", "Avocado toast", 890, "Sourdough, chilli, lime."),
]
DEMO_NOTE = (
    "Table service until 17:00. Free tap water and Wi-Fi. Oat or soy milk at no extra cost. "
    "Tell us about allergies before ordering."
)


def demo_password(role: str) -> str:
    """Derived from this install's secret key: no password constant in code, and the
    same logins are printed every time the command runs."""
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"tabby-demo-{role}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def fail(problem: Refused):
    raise click.ClickException(problem.message)


def existing_shop(slug: str) -> Shop:
    shop = shop_service.find_shop(slug)
    if shop is None:
        raise click.BadParameter(f"no shop with the slug {slug!r}", param_hint="--shop")
    return shop


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--if-empty", is_flag=True, help="Do nothing if any shop exists already.")
@with_appcontext
def demo_command(as_json: bool, if_empty: bool):
    """Create (or show) the demo café: a menu, 6 table cards, 10 personal cards, 2 logins."""
    if if_empty and db.session.execute(select(Shop.id).limit(1)).first():
        if not as_json:
            click.echo("A shop exists already; not adding the demo.")
        return
    with unit_of_work():
        shop = seed_demo()
    summary = demo_summary(shop)
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(f"Demo shop {shop.name!r} ({shop.slug}) at {summary['base_url']}")
    click.echo(f"  Staff screen: {summary['base_url']}/staff")
    for role in ("owner", "staff"):
        login = summary[role]
        click.echo(f"  {role:>5} login: {login['email']}  password: {login['password']}")
    click.echo("  Table cards:")
    for url in summary["table_cards"]:
        click.echo(f"    {url}")
    click.echo("  Personal cards:")
    for url in summary["personal_cards"]:
        click.echo(f"    {url}")


def seed_demo() -> Shop:
    """Idempotent: each part is added only if it is missing."""
    shop = shop_service.find_shop(DEMO_SLUG)
    if shop is None:
        shop = shop_service.create_shop(
            DEMO_SLUG, "Tabby Demo Café", "EUR", "en_IE", "Europe/Dublin", DEMO_NOTE
        )
    if not db.session.execute(select(MenuItem.id).where(MenuItem.shop_id == shop.id)).first():
        for sort, (category, name, price, description) in enumerate(DEMO_MENU):
            shop_service.add_menu_item(shop, name, price, category, description, sort)
    for kind, wanted in (("table", 6), ("personal", 10)):
        have = len(demo_cards(shop, kind))
        if have < wanted:
            shop_service.add_cards(shop, kind, wanted - have)
    for role in ("owner", "staff"):
        email = f"{role}@demo.example"
        member = db.session.execute(
            select(StaffMember).where(StaffMember.email == email)
        ).scalar_one_or_none()
        password = demo_password(role)
        if member is None:
            shop_service.add_staff(shop, email, password, role, name=role.title())
        elif not member.check_password(password):
            # The secret key changed since the demo was made: keep the printed logins true.
            member.set_password(password)
    return shop


def demo_cards(shop: Shop, kind: str) -> list[TokenCard]:
    return list(
        db.session.execute(
            select(TokenCard)
            .where(TokenCard.shop_id == shop.id, TokenCard.kind == kind, TokenCard.active.is_(True))
            .order_by(TokenCard.id)
        ).scalars()
    )


def demo_summary(shop: Shop) -> dict:
    return {
        "base_url": current_app.config["BASE_URL"],
        "shop": shop.slug,
        "owner": {"email": "owner@demo.example", "password": demo_password("owner")},
        "staff": {"email": "staff@demo.example", "password": demo_password("staff")},
        "table_cards": [card.url for card in demo_cards(shop, "table")],
        "personal_cards": [card.url for card in demo_cards(shop, "personal")],
    }


# -- a real shop ---------------------------------------------------------------------

shop_cli = click.Group("shop", help="Set up shops.")
staff_cli = click.Group("staff", help="Manage staff logins.")


@shop_cli.command("create")
@click.option("--slug", required=True, help="Short name used in URLs, e.g. corner-cafe.")
@click.option("--name", required=True, help="The name customers see.")
@click.option("--currency", required=True, help="ISO 4217 code, e.g. EUR.")
@click.option("--locale", default="en", show_default=True, help="e.g. en_GB, ko_KR.")
@click.option("--timezone", "tz", default="UTC", show_default=True, help="e.g. Europe/Paris.")
@click.option("--note", default="", help="What's included / service limits, shown to customers.")
@click.option("--tables", default=0, type=click.IntRange(0, 500), help="Table cards to make.")
@click.option("--cards", default=0, type=click.IntRange(0, 500), help="Personal cards to make.")
@with_appcontext
def shop_create(slug, name, currency, locale, tz, note, tables, cards):
    """Create a shop, optionally with table and personal cards."""
    try:
        with unit_of_work():
            shop = shop_service.create_shop(slug, name, currency, locale, tz, note)
            made = []
            if tables:
                made += shop_service.add_cards(shop, "table", tables)
            if cards:
                made += shop_service.add_cards(shop, "personal", cards)
    except Refused as problem:
        fail(problem)
    click.echo(f"Created shop {shop.name!r} ({shop.slug}, {shop.currency}).")
    for card in made:
        click.echo(f"  {card.label}: {card.url}")


@shop_cli.command("set")
@click.option("--shop", "slug", required=True, help="The shop's slug.")
@click.option("--tips", default=None, help='Tip choices in percent, e.g. "10,15,20" ("" for none).')
@click.option("--deposit", default=None, help="Deposit to open a tab, e.g. 5.00 (0 for none).")
@with_appcontext
def shop_set(slug, tips, deposit):
    """Change a shop's payment settings: tip choices and the deposit."""
    shop = existing_shop(slug)
    minor = None
    if deposit is not None:
        try:
            minor = parse_amount(deposit, shop.currency)
        except AmountError as problem:
            raise click.BadParameter(str(problem), param_hint="--deposit") from None
    try:
        with unit_of_work():
            shop_service.set_payment_settings(shop, tips, minor)
    except Refused as problem:
        fail(problem)
    tips_text = ", ".join(f"{p}%" for p in shop.tip_percents) or "none"
    deposit_text = (
        format_money(shop.deposit_amount, shop.currency, shop.locale)
        if shop.deposit_amount
        else "none"
    )
    click.echo(f"{shop.name}: tips {tips_text}; deposit {deposit_text}.")


@staff_cli.command("add")
@click.option("--shop", "slug", required=True, help="The shop's slug.")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["owner", "staff"]), default="staff", show_default=True)
@click.option("--name", default="")
@click.password_option(help="At least 10 characters; asked for if not given.")
@with_appcontext
def staff_add(slug, email, role, name, password):
    """Give someone a login at a shop."""
    shop = existing_shop(slug)
    try:
        with unit_of_work():
            member = shop_service.add_staff(shop, email, password, role, name)
    except Refused as problem:
        fail(problem)
    click.echo(f"Added {member.email} as {member.role} at {shop.name}.")


menu_cli = click.Group("menu", help="Manage a shop's menu.")


@menu_cli.command("add")
@click.option("--shop", "slug", required=True, help="The shop's slug.")
@click.option("--name", required=True)
@click.option("--price", required=True, help="In the shop's currency, e.g. 3.80.")
@click.option("--category", default="")
@click.option("--description", default="")
@with_appcontext
def menu_add(slug, name, price, category, description):
    """Put an item on a shop's menu."""
    shop = existing_shop(slug)
    try:
        minor = parse_amount(price, shop.currency)
    except AmountError as problem:
        raise click.BadParameter(str(problem), param_hint="--price") from None
    try:
        with unit_of_work():
            item = shop_service.add_menu_item(shop, name, minor, category, description)
    except Refused as problem:
        fail(problem)
    click.echo(
        f"Added {item.name} at {format_money(item.price, shop.currency, shop.locale)} "
        f"to {shop.name}."
    )


# -- web push ----------------------------------------------------------------------


@click.group("push", help="Send Web Push notifications.")
def push_cli():
    pass


@push_cli.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@with_appcontext
def push_worker(once: bool):
    """Send the push outbox, in its own process (run as many as you like).

    Use it with PUSH_DISPATCHER=off on the web processes, for several workers or hosts.
    """
    import threading

    from services.push_dispatch import Dispatcher

    app = current_app._get_current_object()
    dispatcher = Dispatcher(app)
    if once:
        total = 0
        while claimed := dispatcher.run_once():
            total += claimed
        dispatcher.close()
        click.echo(f"Handled {total} message{'s' if total != 1 else ''}.")
        return
    click.echo("Sending push notifications; Ctrl+C stops.")
    stop = threading.Event()
    try:
        dispatcher.run_forever(stop, app.config["PUSH_POLL_SECONDS"])
    except KeyboardInterrupt:
        stop.set()
    finally:
        dispatcher.close()


# -- history for load and scale tests ------------------------------------------------

HISTORY_MENU = DEMO_MENU[:6]
HISTORY_CHUNK = 50  # shops per transaction: bounded memory, steady progress


@click.command("seed-history")
@click.option("--shops", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--tabs", "tabs_per_shop", default=100, show_default=True, type=click.IntRange(0, 10_000)
)
@click.option("--lines", "lines_per_tab", default=3, show_default=True, type=click.IntRange(1, 50))
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650))
@click.option("--prefix", default="history", show_default=True, help="Slug prefix of the shops.")
@click.option("--seed", default=1, show_default=True, help="Random seed, for repeatable data.")
@with_appcontext
def seed_history_command(shops, tabs_per_shop, lines_per_tab, days, prefix, seed):
    """Fill the database with closed tabs from past days, for load and scale tests.

    Each shop gets a small menu, table cards and TABS closed tabs spread over DAYS:
    most paid (with a payment for exactly the bill), a few closed empty or walked
    out. Rows go in with bulk inserts, a few thousand per statement.
    """
    if shop_service.find_shop(f"{prefix}-1") is not None:
        raise click.ClickException(
            f"Shops named {prefix}-… exist already; pass another --prefix to add more."
        )
    rng = random.Random(seed)
    started = time.monotonic()
    totals = {"shops": 0, "tabs": 0, "lines": 0, "payments": 0}
    for first in range(1, shops + 1, HISTORY_CHUNK):
        numbers = range(first, min(first + HISTORY_CHUNK, shops + 1))
        with unit_of_work():
            made = _seed_history_chunk(rng, prefix, numbers, tabs_per_shop, lines_per_tab, days)
        for key, value in made.items():
            totals[key] += value
        click.echo(
            f"  {totals['shops']} shops, {totals['tabs']} tabs, {totals['lines']} lines "
            f"({time.monotonic() - started:.0f} s)",
            err=True,
        )
    click.echo(
        f"Seeded {totals['shops']} shops, {totals['tabs']} tabs, {totals['lines']} lines and "
        f"{totals['payments']} payments in {time.monotonic() - started:.1f} s."
    )


def _insert(model, rows: list[dict], returning: bool = False) -> list[int]:
    if not rows:
        return []
    table = model.__table__
    connection = db.session.connection()
    if not returning:
        connection.execute(table.insert(), rows)
        return []
    statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
    return list(connection.execute(statement, rows).scalars())


def _seed_history_chunk(rng, prefix, numbers, tabs_per_shop, lines_per_tab, days) -> dict:
    now = utcnow()
    shop_ids = _insert(
        Shop,
        [
            {
                "slug": f"{prefix}-{n}",
                "name": f"History Café {n}",
                "currency": "EUR",
                "locale": "en_IE",
                "timezone": "Europe/Dublin",
                "service_note": "",
                "live_version": 1,
                "created_at": now - timedelta(days=days + 1),
            }
            for n in numbers
        ],
        returning=True,
    )
    item_rows = [
        {
            "shop_id": shop_id,
            "name": name,
            "description": description,
            "price": price,
            "category": category,
            "available": True,
            "sort": sort,
            "created_at": now,
        }
        for shop_id in shop_ids
        for sort, (category, name, price, description) in enumerate(HISTORY_MENU)
    ]
    item_ids = _insert(MenuItem, item_rows, returning=True)
    menus = {
        shop_id: list(zip(item_ids[i : i + len(HISTORY_MENU)], HISTORY_MENU, strict=True))
        for i, shop_id in zip(range(0, len(item_ids), len(HISTORY_MENU)), shop_ids, strict=True)
    }
    card_rows = [
        {
            "shop_id": shop_id,
            "kind": "table",
            "label": f"Table {t}",
            "code": new_code(),
            "active": True,
            "created_at": now,
        }
        for shop_id in shop_ids
        for t in range(1, 5)
    ]
    card_ids = _insert(TokenCard, card_rows, returning=True)
    cards = {shop_id: card_ids[i * 4 : i * 4 + 4] for i, shop_id in enumerate(shop_ids)}

    tab_rows = []
    for shop_id in shop_ids:
        for _ in range(tabs_per_shop):
            opened = now - timedelta(days=rng.uniform(0.1, days))
            roll = rng.random()
            status = PAID if roll < 0.9 else VOID if roll < 0.95 else WALKED_OUT
            tab_rows.append(
                {
                    "shop_id": shop_id,
                    "public_id": new_code(),
                    "card_id": rng.choice(cards[shop_id]),
                    "phone_id": new_code(),
                    "customer_name": "",
                    "currency": "EUR",
                    "status": status,
                    "version": lines_per_tab * 3 + 2,
                    "opened_at": opened,
                    "pay_requested_at": None,
                    "closed_at": opened + timedelta(minutes=rng.randint(10, 120)),
                    "close_reason": "" if status == PAID else "Seeded history",
                    "opened_by_id": None,
                    "open_card_id": None,
                    "open_phone_id": None,
                }
            )
    tab_ids = _insert(Tab, tab_rows, returning=True)

    line_rows, payment_rows = [], []
    for tab_id, tab in zip(tab_ids, tab_rows, strict=True):
        bill = 0
        for _ in range(lines_per_tab):
            item_id, (_category, name, price, _description) = rng.choice(menus[tab["shop_id"]])
            quantity = rng.choice((1, 1, 1, 2))
            ordered = tab["opened_at"] + timedelta(minutes=rng.randint(0, 5))
            voided = tab["status"] == VOID
            bill += 0 if voided else price * quantity
            line_rows.append(
                {
                    "shop_id": tab["shop_id"],
                    "tab_id": tab_id,
                    "menu_item_id": item_id,
                    "name": name,
                    "unit_price": price,
                    "quantity": quantity,
                    "note": "",
                    "status": LINE_VOID if voided else SERVED,
                    "void_reason": "Seeded history" if voided else "",
                    "request_key": None,
                    "ordered_at": ordered,
                    "preparing_at": None,
                    "ready_at": None if voided else ordered + timedelta(minutes=4),
                    "served_at": None if voided else ordered + timedelta(minutes=5),
                    "voided_at": ordered + timedelta(minutes=1) if voided else None,
                    "added_by_id": None,
                    "voided_by_id": None,
                }
            )
        if tab["status"] == PAID:
            payment_rows.append(
                {
                    "shop_id": tab["shop_id"],
                    "tab_id": tab_id,
                    "method": rng.choice(("cash", "card")),
                    "amount": bill,
                    "tip": rng.choice((0, 0, 50, 100)),
                    "currency": "EUR",
                    "staff_id": None,
                    "created_at": tab["closed_at"],
                }
            )
    _insert(TabLine, line_rows)
    _insert(Payment, payment_rows)
    return {
        "shops": len(shop_ids),
        "tabs": len(tab_ids),
        "lines": len(line_rows),
        "payments": len(payment_rows),
    }
