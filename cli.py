"""`flask --app app demo | shop … | staff … | menu …`: set a shop up from the shell."""

import base64
import hashlib
import hmac
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from extensions import db
from models import MenuItem, Shop, StaffMember, TokenCard
from money import AmountError, format_money, parse_amount
from services import Refused, menu_csv, unit_of_work
from services import menu as menu_service
from services import options as options_service
from services import photos as photos_service
from services import shops as shop_service
from services.tax import format_rate

DEMO_SLUG = "demo"
DEMO_MENU = [
    # (category, name, price in cents, description)
    ("Coffee", "Espresso", 250, "A double shot of our house blend."),
    ("Coffee", "Flat white", 380, "Double ristretto, silky milk."),
    ("Coffee", "Cappuccino", 360, "Espresso, steamed milk, deep foam."),
    ("Coffee", "Latte", 400, "Espresso with plenty of steamed milk."),
    ("Tea & more", "Green tea", 300, "Sencha, steeped for you."),
    ("Tea & more", "Hot chocolate", 390, "Dark chocolate and whole milk."),
    ("Tea & more", "Fresh orange juice", 450, "Squeezed to order."),
    ("Food", "Butter croissant", 280, "Baked this morning."),
    ("Food", "Banana bread", 320, "Toasted, with butter."),
    ("Food", "Avocado toast", 890, "Sourdough, chilli, lime."),
]
DEMO_NOTE = (
    "Table service until 17:00. Free tap water and Wi-Fi. Tell us about allergies before ordering."
)
# Option groups: (name, rule, up to, [(choice, price change in cents, default)]).
DEMO_OPTIONS = [
    ("Size", "one", None, [("Regular", 0, True), ("Large", 50, False)]),
    (
        "Milk",
        "optional",
        None,
        [("Oat milk", 40, False), ("Soy milk", 40, False), ("Skimmed milk", 0, False)],
    ),
    (
        "Extras",
        "many",
        "3",
        [("Extra shot", 60, False), ("Vanilla syrup", 50, False), ("Decaf", 0, False)],
    ),
]
# Per item: the groups it asks, its allergens ("" none of the 14), its dietary tags, and
# its own tax rate where it differs from the shop's (Ireland: 13.5 % on café food and
# hot drinks, 23 % on juice).
DEMO_DETAILS = {
    "Espresso": (["Extras"], "", "vegan,gluten_free"),
    "Flat white": (["Size", "Milk", "Extras"], "milk", "vegetarian,gluten_free"),
    "Cappuccino": (["Size", "Milk", "Extras"], "milk", "vegetarian,gluten_free"),
    "Latte": (["Size", "Milk", "Extras"], "milk", "vegetarian,gluten_free"),
    "Green tea": ([], "", "vegan,gluten_free"),
    "Hot chocolate": (["Size", "Milk"], "milk,soya", "vegetarian"),
    "Fresh orange juice": ([], "", "vegan,gluten_free"),
    "Butter croissant": ([], "gluten,eggs,milk", "vegetarian"),
    "Banana bread": ([], "gluten,eggs,milk,nuts", "vegetarian"),
    # Avocado toast: allergens left unknown, as a café might before checking its bread.
    "Avocado toast": ([], None, "vegan"),
}
DEMO_TAX = {"shop": 13500, "Fresh orange juice": 23000}
# Drawn by tools/draw_demo_photos.py; stored through the owner's upload pipeline.
DEMO_PHOTOS = {
    "Latte": "latte",
    "Flat white": "flat-white",
    "Butter croissant": "croissant",
    "Fresh orange juice": "orange-juice",
    "Avocado toast": "avocado-toast",
}
DEMO_PHOTO_DIR = Path(__file__).resolve().parent / "tools" / "demo_photos"


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
    if urlsplit(summary["base_url"]).hostname in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            "  (Only this computer can open these links. For phones on your network: "
            "make run HOST=0.0.0.0 BASE_URL=http://<this computer's address>:<port>)"
        )
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
    if not options_service.groups(shop.id):
        seed_demo_options(shop)
    seed_demo_photos(shop)
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


def seed_demo_options(shop: Shop) -> None:
    """Sizes, milks and extras on the coffees; allergens, tags and tax on everything."""
    groups = {}
    for name, rule, most, choices in DEMO_OPTIONS:
        group = options_service.save_group(shop, None, name, rule, most)
        for choice, delta, default in choices:
            options_service.save_choice(group, None, choice, delta, default)
        groups[name] = group
    menu_service.set_shop_tax(shop, True, DEMO_TAX["shop"])
    items = db.session.execute(select(MenuItem).where(MenuItem.shop_id == shop.id)).scalars()
    for item in items:
        if item.name not in DEMO_DETAILS:
            continue
        asks, allergens, tags = DEMO_DETAILS[item.name]
        options_service.set_item_groups(
            item, {groups[name].id: place for place, name in enumerate(asks, start=1)}
        )
        menu_service.save_details(
            item,
            None if allergens is None else allergens.split(",") if allergens else [],
            tags.split(","),
            DEMO_TAX.get(item.name),
        )


def seed_demo_photos(shop: Shop) -> None:
    """A photo on the items that have one drawn, unless they have a photo already."""
    items = db.session.execute(
        select(MenuItem).where(MenuItem.shop_id == shop.id, MenuItem.photo_key.is_(None))
    ).scalars()
    for item in items:
        source = DEMO_PHOTO_DIR / f"{DEMO_PHOTOS.get(item.name, '')}.webp"
        if item.name in DEMO_PHOTOS and source.is_file() and not item.is_archived:
            photos_service.store(item, source.read_bytes())


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


@shop_cli.command("list")
@with_appcontext
def shop_list():
    """Every shop: slug, name, currency and locale, and what it holds."""
    shops = shop_service.shop_overview()
    if not shops:
        click.echo("No shops yet: flask --app app shop create --help")
        return
    for shop, held in shops:
        click.echo(
            f"{shop.slug:<24} {shop.name}  ({shop.currency}, {shop.locale}) · "
            f"{held['staff logins']} staff, {held['cards']} cards, "
            f"{held['menu items']} items, {held['tabs']} tabs"
        )


@shop_cli.command("delete")
@click.option("--shop", "slug", required=True, help="The shop's slug.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Delete it even with tabs and payments.")
@with_appcontext
def shop_delete(slug, yes, force):
    """Delete a shop made by mistake, and everything in it.

    A shop with history (tabs, payments) is refused unless --force: its receipts,
    reports and audit trail would go with it."""
    shop = existing_shop(slug)
    held = shop_service.shop_contents(shop)
    listed = shop_service.describe_held(held)
    history = shop_service.history_of(held)
    if history and not force:
        raise click.ClickException(
            f"{shop.name} ({shop.slug}) has history: {history}. Deleting it would lose "
            "its receipts, reports and audit trail. Add --force if you are sure."
        )
    click.echo(f"This deletes {shop.name} ({shop.slug}) and everything in it: {listed}.")
    if not yes:
        if not at_a_terminal():
            raise click.UsageError("No terminal to confirm on: add --yes to delete it.")
        click.confirm("Delete it?", abort=True)
    with unit_of_work():
        shop_service.delete_shop(shop, force=force)
    click.echo(f"Deleted {slug}.")


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
            minor = parse_amount(deposit, shop.currency, shop.locale)
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
@click.option(
    "--password",
    default=None,
    help="At least 10 characters. Without it (and --password-stdin) it is asked for.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@with_appcontext
def staff_add(slug, email, role, name, password, password_stdin):
    """Give someone a login at a shop."""
    shop = existing_shop(slug)
    password = new_password(password, password_stdin)
    try:
        with unit_of_work():
            member = shop_service.add_staff(shop, email, password, role, name)
    except Refused as problem:
        fail(problem)
    click.echo(f"Added {member.email} as {member.role} at {shop.name}.")


def at_a_terminal() -> bool:
    """Someone is there to answer a question (a script, cron or CI is not)."""
    return sys.stdin.isatty()


def new_password(given: str | None, from_stdin: bool) -> str:
    """From --password, from standard input, or asked for at a terminal; never a
    prompt that nobody can answer (a script would end with "Aborted!")."""
    if given is not None and from_stdin:
        raise click.UsageError("Use --password or --password-stdin, not both.")
    if given is not None:
        return given
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise click.UsageError("--password-stdin read no password from standard input.")
        return password
    if not at_a_terminal():
        raise click.UsageError(
            "No password given, and no terminal to ask for one: pass --password, "
            "or --password-stdin with the password on standard input."
        )
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@staff_cli.command("list")
@click.option("--shop", "slug", required=True, help="The shop's slug.")
@with_appcontext
def staff_list(slug):
    """Everyone with a login at a shop."""
    shop = existing_shop(slug)
    members = shop_service.staff_members(shop)
    if not members:
        click.echo(f"{shop.name} has no staff logins.")
        return
    for member in members:
        state = "" if member.active else "  (deactivated)"
        click.echo(f"{member.email:<40} {member.role:<6} {member.name}{state}")


menu_cli = click.Group("menu", help="Manage a shop's menu.")


@menu_cli.command("add")
@click.option("--shop", "slug", required=True, help="The shop's slug.")
@click.option("--name", required=True)
@click.option(
    "--price",
    required=True,
    help="In the shop's currency, written as its locale does: 3.80, 3,80 (de_DE), 5,000 (KRW).",
)
@click.option("--category", default="")
@click.option("--description", default="")
@with_appcontext
def menu_add(slug, name, price, category, description):
    """Put an item on a shop's menu."""
    shop = existing_shop(slug)
    try:
        minor = parse_amount(price, shop.currency, shop.locale)
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


def item_facts(item: MenuItem, shop: Shop) -> list[str]:
    """An item's options, allergens, tags and own tax rate, one line each."""

    def money(minor: int) -> str:
        sign = "+" if minor >= 0 else "-"
        return sign + format_money(abs(minor), shop.currency, shop.locale)

    lines = []
    for group in item.option_groups:
        rule = {"one": "choose one", "optional": "optional", "many": f"up to {group.max_choices}"}
        choices = ", ".join(
            choice.name
            + (f" {money(choice.price_delta)}" if choice.price_delta else "")
            + (" (default)" if choice.is_default else "")
            + ("" if choice.available else " (not available)")
            for choice in group.choices
        )
        lines.append(f"{group.name} ({rule[options_service.rule_of(group)]}): {choices}")
    contains = item.allergen_keys
    if contains is None:
        lines.append("Allergens: not given")
    else:
        lines.append("Allergens: " + (", ".join(contains) or "none of the 14"))
    if item.tag_keys:
        lines.append("Tags: " + ", ".join(item.tag_keys))
    if item.tax_rate is not None:
        lines.append(f"Tax: {format_rate(item.tax_rate)} %")
    return lines


@menu_cli.command("list")
@click.option("--shop", "slug", required=True, help="The shop's slug.")
@with_appcontext
def menu_list(slug):
    """A shop's menu as customers read it, with what is sold out or archived."""
    shop = existing_shop(slug)
    sections, archived = menu_service.owner_menu(shop.id)
    included = "include" if shop.prices_include_tax else "exclude"
    click.echo(
        f"Prices {included} tax; {format_rate(shop.tax_rate)} % unless an item says otherwise."
    )
    shown = False
    for section in sections:
        if not section.items:
            continue
        click.echo(section.name or "(no category)")
        for item in section.items:
            price = format_money(item.price, shop.currency, shop.locale)
            state = "" if item.available else "  (not available)"
            click.echo(f"  {item.name:<40} {price:>12}{state}")
            for line in item_facts(item, shop):
                click.echo(f"      {line}")
            shown = True
    if archived:
        click.echo("Archived (off the menu, kept for past tabs)")
        for item in archived:
            click.echo(f"  {item.name}")
    if not shown and not archived:
        click.echo(f"{shop.name}'s menu is empty: flask --app app menu add --help")


@menu_cli.command("export")
@click.option("--shop", "slug", required=True, help="The shop's slug.")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True), default="-")
@with_appcontext
def menu_export(slug, file):
    """Write a shop's whole menu as one CSV file (to standard output without FILE)."""
    shop = existing_shop(slug)
    file.write(menu_csv.export_text(shop))


@menu_cli.command("import")
@click.option("--shop", "slug", required=True, help="The shop's slug.")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def menu_import(slug, file):
    """Make a shop's menu say what a CSV file says (as `menu export` writes it).

    Every row is checked first; one refused row changes nothing. Items, groups and
    categories are matched by name, so importing a file twice adds nothing twice.
    """
    shop = existing_shop(slug)
    data = file.read(menu_csv.MAX_BYTES + 1)
    try:
        with unit_of_work():
            done = menu_csv.import_menu(shop, data)
    except Refused as problem:
        fail(problem)
    click.echo(
        f"Imported into {shop.name}: {done.categories} categories, {done.groups} option "
        f"groups with {done.choices} choices, {done.items} items."
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
