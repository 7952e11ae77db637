"""Past trade for the load and scale benchmarks: `python bench/seed_history.py --shops
1000 --tabs 100` bulk-inserts, into the database DATABASE_URL names (migrated first),
per shop a 6-item menu, table cards and paid tabs spread over the past days."""

import random
import sys
import time
from datetime import timedelta
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from cli import DEMO_MENU  # noqa: E402
from extensions import db  # noqa: E402
from models import MenuItem, Payment, Shop, Tab, TabLine, TokenCard  # noqa: E402
from models.base import new_code, utcnow  # noqa: E402
from models.tab import LINE_VOID, PAID, SERVED, VOID, WALKED_OUT  # noqa: E402
from services import shops as shop_service  # noqa: E402
from services import unit_of_work  # noqa: E402

HISTORY_MENU = DEMO_MENU[:6]
HISTORY_CHUNK = 50  # shops per transaction: bounded memory, steady progress


@click.command()
@click.option("--shops", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@click.option(
    "--tabs", "tabs_per_shop", default=100, show_default=True, type=click.IntRange(0, 10_000)
)
@click.option("--lines", "lines_per_tab", default=3, show_default=True, type=click.IntRange(1, 50))
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650))
@click.option("--prefix", default="history", show_default=True, help="Slug prefix of the shops.")
@click.option("--seed", default=1, show_default=True, help="Random seed, for repeatable data.")
def seed_history(shops, tabs_per_shop, lines_per_tab, days, prefix, seed):
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


if __name__ == "__main__":
    with create_app().app_context():
        seed_history()
