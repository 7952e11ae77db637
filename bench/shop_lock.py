"""Do two tab writes in one shop wait for each other? (PostgreSQL)

Every change to a tab moves its shop's `live_version` (the counter's version). If
that UPDATE of the shop's row happens at the first write of a transaction, the
row stays locked until the transaction ends, and a second transaction writing to
another tab of the same shop waits for all of it.

    .venv/bin/python bench/shop_lock.py --pg postgresql://postgres@127.0.0.1:5432/tabby_bench

In a schema of its own, on the tree's migrations: transaction A writes to tab 1 of
a shop and stays open `--hold-ms`; meanwhile transaction B writes to tab 2 of the
same shop (an order line, a new tab, a tab's own row) and commits. B's time on the
clock says whether it waited for A. Wall-clock time is the point here, so run it
more than once on a busy machine.
"""

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCHEMA = "bench_shop_lock"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True)
    parser.add_argument("--hold-ms", type=int, default=300)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import create_engine, insert, update

    from app import create_app
    from config import normalise_database_url
    from extensions import db
    from models import MenuItem, Shop, Tab, TabLine
    from models.base import new_code, utcnow

    url = normalise_database_url(args.pg)
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
    options = {"connect_args": {"options": f"-c search_path={SCHEMA}"}}
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "SECRET_KEY": "bench-secret-not-for-production",
            "PUSH_DISPATCHER": "off",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        shop = Shop(slug="lock", name="Lock Café", currency="EUR", locale="en_IE")
        db.session.add(shop)
        db.session.flush()
        item = MenuItem(shop_id=shop.id, name="Flat white", price=380)
        tabs = [Tab(shop_id=shop.id, currency="EUR") for _ in range(2)]
        db.session.add_all([item, *tabs])
        db.session.commit()
        shop_id, item_id, tab_ids = shop.id, item.id, [t.id for t in tabs]
        db.engine.dispose()
    engine = create_engine(url, **options)

    def line(tab_id):
        return insert(TabLine).values(
            shop_id=shop_id,
            tab_id=tab_id,
            menu_item_id=item_id,
            name="Flat white",
            unit_price=380,
            ordered_at=utcnow(),
        )

    writes = {
        "an order line on another tab": lambda: line(tab_ids[1]),
        "a new tab": lambda: insert(Tab).values(
            shop_id=shop_id, currency="EUR", public_id=new_code(), opened_at=utcnow()
        ),
        "another tab's own row": lambda: (
            update(Tab).where(Tab.id == tab_ids[1]).values(customer_name="Ben")
        ),
    }
    hold = args.hold_ms / 1000
    print(f"A writes an order line on tab 1 and stays open {args.hold_ms} ms; meanwhile B:")
    for name, statement in writes.items():
        waited = {}

        def second(statement=statement, waited=waited):
            started = time.monotonic()
            with engine.begin() as conn:
                conn.execute(statement())
            waited["ms"] = (time.monotonic() - started) * 1000

        with engine.connect() as first:
            first.execute(line(tab_ids[0]))
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(hold)
            first.commit()
        thread.join()
        verdict = "waited for A" if waited["ms"] > hold * 1000 * 0.8 else "did not wait"
        print(f"- {name}: B took {waited['ms']:.0f} ms ({verdict})")
    engine.dispose()
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    admin.dispose()


if __name__ == "__main__":
    main()
