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

import argparse
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PASSWORD = "bench-password-123"


def seed(app, phones: int, tabs: int, days: int) -> str:
    from werkzeug.security import generate_password_hash

    from extensions import db
    from models import Shop, StaffMember, Tab
    from models.base import new_code, utcnow
    from models.tab import PAID, WALKED_OUT

    with app.app_context():
        shop = Shop(
            slug="bench", name="Bench Café", currency="EUR", locale="en_IE", tab_limit_first=2500
        )
        db.session.add(shop)
        db.session.flush()
        owner = StaffMember(
            shop_id=shop.id,
            email="owner@bench.example.com",
            role="owner",
            name="Owner",
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
        )
        db.session.add(owner)
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


def cpu_ms(call, times: int) -> float:
    call()
    started = time.process_time()
    for _ in range(times):
        call()
    return (time.process_time() - started) / times * 1000


def run(url: str, phones: int, tabs: int, days: int, times: int) -> dict:
    from flask_migrate import upgrade

    from app import create_app
    from extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "PUSH_DISPATCHER": "off",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        upgrade(directory=str(ROOT / "migrations"))
    email = seed(app, phones, tabs, days)

    owner = app.test_client()
    login = owner.get("/staff/login").get_data(as_text=True)
    owner.post(
        "/staff/login",
        data={"csrf_token": CSRF_META.search(login).group(1), "email": email, "password": PASSWORD},
    )

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
    with app.app_context():
        db.engine.dispose()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a scratch database (emptied); default a SQLite file")
    parser.add_argument("--phones", type=int, default=2000)
    parser.add_argument("--tabs", type=int, default=10)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--times", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{folder}/regulars-bench.db"
        result = run(url, args.phones, args.tabs, args.days, args.times)
    print(f"| {args.phones} phones × {args.tabs} tabs over {args.days} days | CPU ms |")
    print("|---|---|")
    for name, value in result.items():
        print(f"| {name} | {value:.1f} |" if isinstance(value, float) else f"| {name} | {value} |")


if __name__ == "__main__":
    main()
