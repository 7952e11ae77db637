"""A seeded world for the authorisation matrix and the bad-input fuzz (issue 7, item 8):
two cafés, every kind of visitor as a client, and a snapshot of the database that a
refused request must leave exactly as it was.

Used by tests/test_authorisation_matrix.py, tests/test_fuzz.py and bench/fuzz.py, so it
builds everything itself (rows through the models, tabs and logins through the real
pages) instead of leaning on the suite's function-scoped fixtures.
"""

from types import SimpleNamespace

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from extensions import db
from models import (
    MenuCategory,
    MenuItem,
    OptionChoice,
    OptionGroup,
    Shop,
    StaffMember,
    Station,
    Tab,
    TabLine,
    TokenCard,
)
from tests.clients import TabbyClient

PASSWORD = "correct-horse-battery"
from live import PHONE_COOKIE  # noqa: E402

# Who may knock: the tab's own phone, another phone, staff and owner of the café,
# and staff and owner of another café.
ROLES = (
    "anonymous",
    "tab_phone",
    "other_phone",
    "staff",
    "owner",
    "other_staff",
    "other_owner",
)

# Tables whose every row goes into the snapshot (the shop's live_version among them);
# the busy ones are covered by their row counts, the tabs' versions and the lines.
FULL_ROWS = {
    "shops",
    "staff_members",
    "menu_categories",
    "menu_items",
    "token_cards",
    "push_subscriptions",
}
# The tab's phone asked to be notified, at an address nothing listens on (a message
# sent there fails quietly; the fuzz never runs a dispatcher anyway).
PUSH_ENDPOINT = "http://127.0.0.1:9/push/fuzz"


def stripe_app(database, stripe_url: str):
    """The suite's app with card payment on (against the Stripe stand-in), so the
    payment routes answer instead of being 404s."""
    from app import create_app
    from tests import helpers
    from tests.stripe_standin import SECRET_KEY, WEBHOOK_SECRET

    return create_app(
        helpers.app_config(
            database,
            STRIPE_SECRET_KEY=SECRET_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_API_BASE=stripe_url,
            STRIPE_TIMEOUT=2,
            STRIPE_MAX_RETRIES=0,
        )
    )


def _client(app) -> TabbyClient:
    return TabbyClient(app, app.response_class, use_cookies=True)


def login(app, member_email: str) -> TabbyClient:
    client = _client(app)
    response = client.post_form("/staff/login", {"email": member_email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def open_tab(client: TabbyClient, code: str, name: str = "") -> str:
    response = client.post_form(f"/t/{code}", {"customer_name": name})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.location.rsplit("/tab/", 1)[1]


_password_hash = None


def _seed_shop(n: int, **fields) -> dict:
    """One café's rows; returns their ids and codes."""
    global _password_hash
    if _password_hash is None:
        # Few rounds: the world is built afresh for every route of the long fuzz, and
        # each build logs four people in; the hash's strength is not what is tested.
        _password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    shop = Shop(
        slug=f"world-{n}-{_unique()}",
        name=f"World Café {n}",
        currency=fields.get("currency", "EUR"),
        locale=fields.get("locale", "en_IE"),
        timezone=fields.get("timezone", "Europe/Dublin"),
        service_note="Table service until 17:00.",
        board_key=f"board-{n}-{_unique()}",
    )
    db.session.add(shop)
    db.session.flush()

    def member(role, tag):
        row = StaffMember(
            shop_id=shop.id,
            email=f"{tag}@{shop.slug}.example.com",
            role=role,
            password_hash=_password_hash,
            name=f"{tag.title()} {n}",
        )
        db.session.add(row)
        return row

    staff, owner, spare_member = (
        member("staff", "staff"),
        member("owner", "owner"),
        member("staff", "spare"),
    )
    category = MenuCategory(shop_id=shop.id, name="Coffee", sort=1)
    spare_category = MenuCategory(shop_id=shop.id, name="Spare", sort=2)
    db.session.add_all([category, spare_category])
    item = MenuItem(shop_id=shop.id, name="Flat white", price=380, category="Coffee")
    spare_item = MenuItem(shop_id=shop.id, name="Spare bun", price=250, category="Coffee")
    table = TokenCard(shop_id=shop.id, kind="table", label="Table 1")
    personal = TokenCard(shop_id=shop.id, kind="personal", label="Card 1")
    spare_card = TokenCard(shop_id=shop.id, kind="table", label="Table 2")
    join_card = TokenCard(shop_id=shop.id, kind="personal", label="Card 2")
    group = OptionGroup(shop_id=shop.id, name="Milk", min_choices=0, max_choices=1)
    choice = OptionChoice(shop_id=shop.id, group=group, name="Oat milk", price_delta=40)
    station = Station(shop_id=shop.id, name="Bar")
    db.session.add_all(
        [item, spare_item, table, personal, spare_card, join_card, group, choice, station]
    )
    db.session.flush()
    return {
        "group": group.id,
        "choice": choice.id,
        "station": station.id,
        "board_key": shop.board_key,
        "shop": shop.id,
        "staff_email": staff.email,
        "owner_email": owner.email,
        "staff": staff.id,
        "owner": owner.id,
        "spare_member": spare_member.id,
        "category": category.id,
        "spare_category": spare_category.id,
        "item": item.id,
        "spare_item": spare_item.id,
        "table": table.id,
        "table_code": table.code,
        "personal_code": personal.code,
        "spare_card": spare_card.id,
        "join_code": join_card.code,
    }


_counter = iter(range(1, 10**9))


def _unique() -> int:
    return next(_counter)


def _tab_row(public_id: str) -> tuple[int, list[int]]:
    tab = db.session.execute(select(Tab).where(Tab.public_id == public_id)).scalar_one()
    lines = db.session.execute(select(TabLine.id).where(TabLine.tab_id == tab.id)).scalars()
    return tab.id, sorted(lines)


def push_keys() -> dict:
    """A phone's subscription keys (a P-256 public key and an auth secret)."""
    from tests.push_service import LocalPushService

    return LocalPushService().subscription()["keys"]


def build(app) -> SimpleNamespace:
    """Two cafés (A, where everything happens, and B), a live tab with lines on A's table
    card, a spare one for staff actions, one with a join link, and a client per role."""
    with app.app_context():
        a = SimpleNamespace(**_seed_shop(1))
        b = SimpleNamespace(**_seed_shop(2, currency="GBP", locale="en_GB"))
        db.session.commit()

    clients = {"anonymous": _client(app), "tab_phone": _client(app), "other_phone": _client(app)}
    tab = open_tab(clients["tab_phone"], a.table_code, "Ana")
    for _ in range(2):
        clients["tab_phone"].post_form(f"/tab/{tab}/order", {"item_id": a.item, "quantity": 1})
    # The other phone has a tab of its own, on the same table.
    other_tab = open_tab(clients["other_phone"], a.table_code, "Ben")
    clients["other_phone"].post_form(f"/tab/{other_tab}/order", {"item_id": a.item})
    # A tab someone shares by link, so joining changes nobody else's tab.
    host = _client(app)
    shared = open_tab(host, a.join_code, "Cleo")
    host.post_form(f"/tab/{shared}/order", {"item_id": a.item})
    host.post_form(f"/tab/{shared}/invite")
    # B has a tab with a line too, for other-shop ids.
    b_phone = _client(app)
    b_tab = open_tab(b_phone, b.table_code, "Dara")
    b_phone.post_form(f"/tab/{b_tab}/order", {"item_id": b.item})
    # A spare tab on A for staff actions that really act (ready, remind, close).
    spare_phone = _client(app)
    spare_tab = open_tab(spare_phone, a.table_code, "Eve")
    spare_phone.post_form(f"/tab/{spare_tab}/order", {"item_id": a.spare_item})

    with app.app_context():
        a.tab, a.lines = _tab_row(tab)
        a.other_tab, _ = _tab_row(other_tab)
        a.spare_tab, a.spare_lines = _tab_row(spare_tab)
        b.tab, b.lines = _tab_row(b_tab)
        invite = db.session.execute(select(Tab.invite_token).where(Tab.public_id == shared))
        join_token = invite.scalar_one()

    subscribe = clients["tab_phone"].post(
        f"/tab/{tab}/push",
        json={
            "endpoint": PUSH_ENDPOINT,
            "keys": push_keys(),
        },
        headers={"X-CSRFToken": clients["tab_phone"].csrf_token()},
    )
    assert subscribe.status_code == 200, subscribe.get_data(as_text=True)[:500]

    clients["staff"] = login(app, a.staff_email)
    clients["owner"] = login(app, a.owner_email)
    clients["other_staff"] = login(app, b.staff_email)
    clients["other_owner"] = login(app, b.owner_email)
    for client in clients.values():
        client.csrf_token()
    return SimpleNamespace(
        app=app,
        a=a,
        b=b,
        tab_public_id=tab,
        other_public_id=other_tab,
        shared_public_id=shared,
        join_token=join_token,
        b_public_id=b_tab,
        spare_public_id=spare_tab,
        clients=clients,
    )


def fresh_rows(app, shop_id: int) -> SimpleNamespace:
    """A new category, item, card, staff login, option group and choice in the shop,
    to be acted upon."""
    n = _unique()
    with app.app_context():
        category = MenuCategory(shop_id=shop_id, name=f"Fresh {n}", sort=10 + n)
        item = MenuItem(shop_id=shop_id, name=f"Fresh item {n}", price=100, category="Coffee")
        card = TokenCard(shop_id=shop_id, kind="table", label=f"Table {100 + n}")
        member = StaffMember(
            shop_id=shop_id,
            email=f"fresh{n}@world.example.com",
            role="staff",
            password_hash=_password_hash,
            name=f"Fresh {n}",
        )
        group = OptionGroup(shop_id=shop_id, name=f"Fresh group {n}", max_choices=1)
        choice = OptionChoice(shop_id=shop_id, group=group, name="Fresh choice", price_delta=0)
        station = Station(shop_id=shop_id, name=f"Station {n}")
        db.session.add_all([category, item, card, member, group, choice, station])
        db.session.commit()
        return SimpleNamespace(
            category=category.id,
            item=item.id,
            card=card.id,
            member=member.id,
            group=group.id,
            choice=choice.id,
            station=station.id,
        )


def phone_cookie(client: TabbyClient) -> str | None:
    cookie = client.get_cookie(PHONE_COOKIE)
    return cookie.value if cookie else None


def restore_phone_cookie(client: TabbyClient, value: str | None) -> None:
    """Put a client's phone cookie back as it was (opening or joining a tab gives one)."""
    if value is None:
        client.delete_cookie(PHONE_COOKIE)
    else:
        client.set_cookie(PHONE_COOKIE, value)


def snapshot(app) -> tuple:
    """Row counts per table, the tabs' and shops' versions, every line's state, and
    every row of the settings, staff, menu and card tables."""
    tables = db.metadata.sorted_tables
    counts = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    with app.app_context():
        parts = [
            tuple(db.session.execute(counts).one()),
            tuple(db.session.execute(select(func.max(Tab.version), func.sum(Tab.version))).one()),
            tuple(
                db.session.execute(
                    select(TabLine.id, TabLine.status, TabLine.quantity).order_by(TabLine.id)
                ).all()
            ),
        ]
        for table in tables:
            if table.name in FULL_ROWS:
                rows = db.session.execute(select(table).order_by(*table.primary_key.columns))
                parts.append(tuple(tuple(row) for row in rows))
        db.session.rollback()
        return tuple(parts)


def empty_all(app) -> None:
    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
