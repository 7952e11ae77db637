"""The owner's regulars (/admin/settings/trust) over a long history: CPU per page.

    .venv/bin/python bench/regulars.py                      # SQLite (a scratch file)
    .venv/bin/python bench/regulars.py --phones 2000 --tabs 10
    .venv/bin/python bench/regulars.py --url postgresql://postgres@127.0.0.1:5432/tabby_x

Seeds a café whose `--phones` phones each closed `--tabs` tabs (one in seven a
walk-out) spread over the last `--days` days, logs the owner in and times the page
with Flask's test client (CPU time in this process, no HTTP; with SQLite that
includes the database's own work). The database named by --url is emptied and
migrated first: give it a scratch database.
"""

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch import (  # noqa: E402
    arguments,
    bench_shop,
    cpu_ms,
    print_table,
    scratch_app,
    signed_in,
)


def seed(app, phones: int, tabs: int, days: int) -> str:
    from extensions import db
    from models import Tab
    from models.base import new_code, utcnow
    from models.tab import PAID, WALKED_OUT

    with app.app_context():
        shop, owner = bench_shop("owner", "Owner", tab_limit_first=2500)
        now = utcnow()
        for p in range(phones):
            phone_id = new_code()
            db.session.add_all(
                Tab(
                    shop_id=shop.id,
                    currency="EUR",
                    phone_id=phone_id,
                    customer_name=f"Guest {p}" if n == 0 else "",
                    status=WALKED_OUT if (p + n) % 7 == 0 else PAID,
                    opened_at=now - timedelta(days=(p * 7 + n * 37) % days, hours=1),
                    closed_at=now - timedelta(days=(p * 7 + n * 37) % days),
                )
                for n in range(tabs)
            )
            if p % 500 == 499:
                db.session.flush()
        db.session.commit()
        return owner.email


def run(app, phones: int, tabs: int, days: int, times: int) -> dict:
    owner = signed_in(app, seed(app, phones, tabs, days))

    def page():
        response = owner.get("/admin/settings/trust")
        assert response.status_code == 200, response.status_code

    result = {
        "closed tabs": phones * tabs,
        "phones listed": owner.get("/admin/settings/trust")
        .get_data(as_text=True)
        .count("<tr><td>"),
        "regulars page (GET)": cpu_ms(page, times),
    }
    return result


def main():
    args = arguments(__doc__, phones=2000, tabs=10, days=730, times=20)
    with scratch_app(args.url, "regulars") as app:
        result = run(app, args.phones, args.tabs, args.days, args.times)
    heading = f"{args.phones} phones × {args.tabs} tabs over {args.days} days"
    print_table(heading, "CPU ms", result, digits=1)


if __name__ == "__main__":
    main()
