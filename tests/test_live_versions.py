"""Versions move by themselves: every table whose rows a live page shows (the tab
page, its poll, the bill, the receipt, the counter) moves the right version when
any of its rows is inserted, updated or deleted, with no call a developer must
remember (the triggers of migrations e3a7c2b9d150 and a9d3f7e1c264;
live/__init__.py).

The tables are enumerated from the models' metadata, so a new table fails here
until its triggers exist or it is named below as shown on no live page."""

import re
import secrets
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    TypeDecorator,
    select,
    text,
)

from extensions import db
from models import Shop, Tab

# Tables no live page shows, each with why. Everything else must move a version.
SHOWN_ON_NO_LIVE_PAGE = {
    # The owner's history of who did what; read on the owner's audit page only.
    "audit_entries",
    # End-of-day cash-ups: the owner's day page, drawn fresh on each visit.
    "cash_ups",
    # Staff logins: nothing on a page, only who may see one.
    "staff_sessions",
    # Stripe's webhook deliveries, kept to ignore repeats.
    "stripe_events",
    # A card payment in progress: no page shows it (the payment it makes does), and
    # its idempotency key is built from the tab's version, which it must not move.
    "checkout_sessions",
}
# Tables with a tab_id whose rows no customer's page shows: they move only the
# shop's live version (the counter lists notifications that never arrived).
COUNTER_ONLY = {"push_messages"}

# Values the generic row maker cannot guess (a status a check constraint wants).
KNOWN_VALUES = {
    "payments": {"method": "cash", "amount": 100},
    "push_messages": {"kind": "ready", "status": "failed"},
    "tab_ratings": {"rating": 1},
}


def versions(conn, tab_id: int, shop_id: int) -> dict:
    if conn.dialect.name == "postgresql":
        # The shop's live version moves at commit (migration a9d3f7e1c264); this
        # fires those triggers now, inside the transaction the test rolls back.
        conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
    tab = conn.execute(select(Tab.version).where(Tab.id == tab_id)).scalar()
    shop = conn.execute(
        select(Shop.live_version, Shop.settings_version).where(Shop.id == shop_id)
    ).one()
    return {"tab": tab, "counter": shop.live_version, "settings": shop.settings_version}


def made_up(column, world: dict):
    """A value for a column with no default: the world's row for a foreign key, else
    something of the right type."""
    for key in column.foreign_keys:
        if key.column.table.name in world:
            return world[key.column.table.name]
    kind = column.type
    if isinstance(kind, TypeDecorator):  # UTCDateTime and the like: what it stores
        kind = kind.impl_instance
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, String | Text):
        return secrets.token_hex(8)[: getattr(kind, "length", None) or 16]
    if isinstance(kind, DateTime):
        return datetime.now(UTC)
    if isinstance(kind, Date):
        return date.today()
    if isinstance(kind, Time):
        return time(12, 0)
    if isinstance(kind, LargeBinary):
        return b"x"
    return None


def allowed_values(table) -> dict:
    """The first value each `column IN ('a', 'b')` check constraint allows."""
    found = {}
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint):
            for column, first in re.findall(r"(\w+) IN \('([^']*)'", str(constraint.sqltext)):
                found.setdefault(column, first)
    return found


def new_row(table, world: dict) -> dict:
    values = {}
    for column in table.columns:
        if column.primary_key:
            continue
        points_at_world = any(k.column.table.name in world for k in column.foreign_keys)
        required = column.default is None and column.server_default is None and not column.nullable
        if points_at_world or required:
            values[column.name] = made_up(column, world)
    allowed = allowed_values(table)
    values.update({name: value for name, value in allowed.items() if name in values})
    if "tab_id" in table.c and table.name != "tabs":
        # A tab's row, with or without a foreign key (a stamp outlives its tab).
        values["tab_id"] = world["tabs"]
    values.update(KNOWN_VALUES.get(table.name, {}))
    return values


def expected(table) -> set[str]:
    """The versions a change to this table's rows must move."""
    if table.name == "shops":
        return {"settings"}
    if table.name == "tabs" or ("tab_id" in table.c and table.name not in COUNTER_ONLY):
        return {"tab", "counter"}
    return {"counter"}


def covered_tables():
    return [t for t in db.metadata.sorted_tables if t.name not in SHOWN_ON_NO_LIVE_PAGE]


@pytest.fixture
def world(app, cafe, create_staff):
    """A shop with one row in each table a new row points at, and one open tab."""
    with app.app_context():
        shop_id = cafe.shop.id
        tab = Tab(shop_id=shop_id, currency="EUR", card_id=cafe.table.id)
        db.session.add(tab)
        db.session.commit()
        world = {
            "shops": shop_id,
            "tabs": tab.id,
            "staff_members": cafe.staff.id,
            "token_cards": cafe.table.id,
            "menu_items": cafe.flat_white.id,
            "menu_categories": db.session.scalar(
                text("SELECT id FROM menu_categories WHERE shop_id = :s LIMIT 1"), {"s": shop_id}
            ),
        }
        # One row in every other table a row can point at, in dependency order, so
        # a new table's rows have something to belong to.
        pointed_at = {
            k.column.table.name for t in db.metadata.tables.values() for k in t.foreign_keys
        }
        for table in db.metadata.sorted_tables:
            if table.name in pointed_at and table.name not in world:
                world[table.name] = db.session.execute(
                    table.insert().values(**new_row(table, world))
                ).inserted_primary_key[0]
        db.session.commit()
        return world


def missed(conn, table, world: dict) -> list[str]:
    """Each change (insert, update, delete of one row of `table`) that did not move
    a version it should have, as "table: what (version)"."""
    failures = []
    tab_id, shop_id = world["tabs"], world["shops"]
    moves = expected(table)
    key = table.primary_key.columns.values()[0]

    def check(what, statement):
        before = versions(conn, tab_id, shop_id)
        result = conn.execute(statement)
        after = versions(conn, tab_id, shop_id)
        for version in moves:
            if after[version] == before[version]:
                failures.append(f"{table.name}: {what} ({version})")
        return result

    if table.name == "shops":
        check("update", table.update().where(key == shop_id).values(name=table.c.name))
        return failures
    if table.name == "tabs":
        # The world's own tab is the one whose version an update must move.
        check("update", table.update().where(key == tab_id).values(customer_name="Ana"))
        moves = {"counter"}
        row_id = check(
            "insert", table.insert().values(**new_row(table, world))
        ).inserted_primary_key[0]
        check("delete", table.delete().where(key == row_id))
        return failures
    row_id = check("insert", table.insert().values(**new_row(table, world))).inserted_primary_key[0]
    # A bulk UPDATE that changes nothing still moves the versions: a trigger cannot
    # know which columns a page shows, so it does not guess.
    check("update", table.update().where(key == row_id).values({key.name: key}))
    check("delete", table.delete().where(key == row_id))
    return failures


def test_every_table_a_live_page_shows_moves_its_version(app, world):
    with app.app_context():
        tables = covered_tables()
        assert {"tabs", "tab_lines", "payments", "pay_requests", "shops"} <= {
            t.name for t in tables
        }
        failures = []
        for table in tables:
            with db.engine.connect() as conn:
                try:
                    failures += missed(conn, table, world)
                finally:
                    conn.rollback()
        assert failures == []


def test_the_excluded_tables_still_exist():
    """A table renamed or dropped leaves no stale excuse behind."""
    assert set(db.metadata.tables) >= SHOWN_ON_NO_LIVE_PAGE | COUNTER_ONLY


def drop_trigger_sql(dialect: str) -> str:
    if dialect == "postgresql":
        return "DROP TRIGGER live_tab_lines ON tab_lines"
    return "DROP TRIGGER live_tab_lines_insert"


def test_a_missing_trigger_is_caught(app, world):
    with app.app_context(), db.engine.connect() as conn:
        lines = db.metadata.tables["tab_lines"]
        try:
            # A statement first, so SQLite's driver has begun the transaction the
            # DROP is rolled back with.
            conn.execute(text("UPDATE shops SET name = name WHERE id = -1"))
            conn.execute(text(drop_trigger_sql(conn.dialect.name)))
            failures = missed(conn, lines, world)
        finally:
            conn.rollback()
        assert "tab_lines: insert (tab)" in failures
        # Rolled back: the trigger is there again.
        with db.engine.connect() as again:
            try:
                assert missed(again, lines, world) == []
            finally:
                again.rollback()


def test_a_change_to_a_tab_line_shows_on_the_orm_tab_after_commit(app, world):
    """The ORM knows the database moves the version: no stale number survives a commit."""
    from models import TabLine

    with app.app_context():
        tab = db.session.get(Tab, world["tabs"])
        before = tab.version
        line = TabLine(**{**new_row(TabLine.__table__, world), "tab_id": tab.id})
        db.session.add(line)
        db.session.commit()
        assert tab.version == before + 1
        tab.customer_name = "Ana"
        db.session.commit()
        assert tab.version == before + 2
