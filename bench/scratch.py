"""What the one-process benches (counter.py, regulars.py, menu_csv.py) share: the app
on a scratch database, emptied and migrated first; a member of staff signed in with
Flask's test client; CPU time in this process (no HTTP: with SQLite it includes the
database's own work); and the Markdown table docs/PERFORMANCE.md shows.

    args = arguments(__doc__, tabs=200, times=20)  # --url, --tabs, --times
    with scratch_app(args.url, "counter") as app:  # the --url, or a SQLite file
        result = run(app, ...)
    print_table("Request", "CPU ms", result, digits=2)
"""

import argparse
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PASSWORD = "bench-password-123"
TRIGGER_FUNCTIONS = (
    "SELECT oid::regprocedure::text FROM pg_proc"
    " WHERE pronamespace = current_schema()::regnamespace AND prorettype = 'trigger'::regtype"
)


def arguments(doc: str, **sizes: int) -> argparse.Namespace:
    """The bench's command line, described by its docstring's first line: --url, and a
    whole-number option for each of `sizes` with its default (tabs=200: --tabs 200)."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--url", help="a scratch database (emptied); default a SQLite file")
    for name, default in sizes.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    return parser.parse_args()


@contextmanager
def scratch_app(url: str | None, name: str) -> Iterator:
    """The app on `url`, or on a SQLite file `<name>-bench.db` in a folder that goes
    afterwards; its database emptied and migrated to the head, no push dispatcher and
    no rate limits. Its connections are closed on the way out."""
    from flask_migrate import upgrade

    from app import create_app
    from extensions import db

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{folder}/{name}-bench.db",
                "SECRET_KEY": "bench",
                "PUSH_DISPATCHER": "off",
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            db.drop_all()
            db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
            if db.engine.dialect.name == "postgresql":
                # The migrations' trigger functions outlive their tables.
                for (function,) in db.session.execute(db.text(TRIGGER_FUNCTIONS)).all():
                    db.session.execute(db.text(f"DROP FUNCTION {function} CASCADE"))
            db.session.commit()
            upgrade(directory=str(ROOT / "migrations"))
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


def bench_shop(role: str, name: str, **settings) -> tuple:
    """The café a bench seeds (Bench Café, in euros, with `settings`) and one member of
    its staff, `name` in `role`, who signs in as <name>@bench.example.com with
    PASSWORD: (shop, member), flushed in the caller's app context."""
    from werkzeug.security import generate_password_hash

    from extensions import db
    from models import Shop, StaffMember

    shop = Shop(slug="bench", name="Bench Café", currency="EUR", locale="en_IE", **settings)
    db.session.add(shop)
    db.session.flush()
    member = StaffMember(
        shop_id=shop.id,
        email=f"{name.lower()}@bench.example.com",
        role=role,
        name=name,
        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
    )
    db.session.add(member)
    db.session.flush()
    return shop, member


def signed_in(app, email: str):
    """A test client of `app` on which the member of staff `email` (whose password is
    PASSWORD) has signed in, as a browser would: the login page's CSRF token posted
    back."""
    client = app.test_client()
    login = client.get("/staff/login").get_data(as_text=True)
    client.post(
        "/staff/login",
        data={"csrf_token": CSRF_META.search(login).group(1), "email": email, "password": PASSWORD},
    )
    return client


def timed(call: Callable):
    """What `call()` returns, and the CPU milliseconds it took."""
    started = time.process_time()
    result = call()
    return result, (time.process_time() - started) * 1000


def cpu_ms(call: Callable, times: int) -> float:
    """CPU milliseconds per `call()`, over `times` calls after one to warm up."""
    call()
    started = time.process_time()
    for _ in range(times):
        call()
    return (time.process_time() - started) / times * 1000


def print_table(heading: str, unit: str, result: dict, digits: int | None = None) -> None:
    """`result` as a two-column Markdown table; its floats to `digits` places."""
    print(f"| {heading} | {unit} |" if unit else f"| {heading} | |")
    print("|---|---|")
    for name, value in result.items():
        shown = f"{value:.{digits}f}" if digits is not None and isinstance(value, float) else value
        print(f"| {name} | {shown} |")
