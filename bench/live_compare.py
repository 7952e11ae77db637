"""The live layer, before and after a change, side by side in one run: CPU time per
request inside one process (direct WSGI calls, no HTTP, no gunicorn), so two code
trees can be compared on a busy machine.

    .venv/bin/python bench/live_compare.py --before /tmp/tabby-before --after . \\
        --pg postgresql://postgres@127.0.0.1:5432/tabby_live --json live.json

For each tree and each database (SQLite file; PostgreSQL in a schema of its own
inside the given database) a fresh process runs the tree's migrations, seeds a café
(200 open tabs of 3 lines for the polls and the counter; then 2,000 tabs for the
memory run) and measures:

- bare Flask hello world, an unchanged poll (304 before Flask), an unchanged tab
  page shown again (before: the page kept in server memory; after: the browser's
  conditional request answered 304), the counter's poll with 200 open tabs
  (unchanged 304, and changed with its rows kept);
- the CPU of a tab page drawn after a change, with a cProfile summary;
- the process's resident memory after 10,000 mixed requests over 2,000 tabs
  (tab pages, polls with and without an ETag, a change to a tab every 20th).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECRET = "bench-secret-not-for-production"


def measure(root: Path, url: str, options: dict, repeat: int, profile: bool) -> dict:
    """Runs inside the child process, with `root` first on sys.path."""
    import cProfile
    import io
    import pstats
    import re

    import psutil
    from flask_migrate import upgrade
    from sqlalchemy import insert, select, update
    from werkzeug.http import parse_cookie
    from werkzeug.test import EnvironBuilder

    from app import create_app
    from bench.hello import app as hello_app
    from extensions import db
    from models import MenuItem, Shop, StaffMember, Tab, TabLine, TokenCard
    from models.base import new_code, utcnow

    try:
        from live import phone_signer
    except ImportError:
        from fast_answers import phone_signer

    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": options,
        "SECRET_KEY": SECRET,
        "PUSH_DISPATCHER": "off",
        "RATELIMIT_ENABLED": False,
    }
    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(root / "migrations"))
    signer = phone_signer(SECRET)
    process = psutil.Process()

    def seed(tabs: int, slug: str) -> tuple[int, list[dict]]:
        from werkzeug.security import generate_password_hash

        with app.app_context():
            shop = Shop(slug=slug, name="Bench Café", currency="EUR", locale="en_IE")
            db.session.add(shop)
            db.session.flush()
            card = TokenCard(shop_id=shop.id, kind="table", label="Table 1", code=new_code())
            item = MenuItem(shop_id=shop.id, name="Flat white", price=380)
            staff = StaffMember(
                shop_id=shop.id,
                email=f"barista@{slug}.example",
                password_hash=generate_password_hash("bench-password-1"),
                role="staff",
            )
            db.session.add_all([card, item, staff])
            db.session.flush()
            now = utcnow()
            phones = []
            rows = []
            for _ in range(tabs):
                phone = new_code()
                public_id = new_code()
                phones.append({"public_id": public_id, "phone": phone})
                rows.append(
                    {
                        "shop_id": shop.id,
                        "public_id": public_id,
                        "phone_id": phone,
                        "open_phone_id": phone,
                        "currency": "EUR",
                        "status": "open",
                        "version": 1,
                        "opened_at": now,
                        "customer_name": "",
                        "close_reason": "",
                        "deposit_amount": 0,
                        "deposit_status": "none",
                        "deposit_reason": "",
                    }
                )
            db.session.execute(insert(Tab), rows)
            found = db.session.execute(select(Tab.public_id, Tab.id).where(Tab.shop_id == shop.id))
            ids = {public_id: tab_id for public_id, tab_id in found}
            lines = [
                {
                    "shop_id": shop.id,
                    "tab_id": ids[p["public_id"]],
                    "menu_item_id": item.id,
                    "name": "Flat white",
                    "unit_price": 380,
                    "quantity": 1,
                    "note": "",
                    "status": "served",
                    "void_reason": "",
                    "ordered_at": now,
                }
                for p in phones
                for _ in range(3)
            ]
            db.session.execute(insert(TabLine), lines)
            db.session.commit()
            for p in phones:
                p["id"] = ids[p["public_id"]]
                p["cookies"] = {"tabby_phone": signer.sign(p["phone"]).decode()}
            return shop.id, phones

    def call(target, path, cookies, headers=None, method="GET", data=None):
        environ = EnvironBuilder(
            path=path,
            method=method,
            data=data,
            headers={
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                **(headers or {}),
            },
            environ_base={"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "bench"},
        ).get_environ()
        answered = []
        body = target(environ, lambda status, headers, *_: answered.append((status, headers)))
        data = b"".join(body)
        getattr(body, "close", lambda: None)()
        status, headers = answered[0]
        for name, value in headers:
            if name.lower() == "set-cookie":
                cookie = parse_cookie(value.split(";", 1)[0])
                cookies.update(cookie)
        return status, dict(headers), data

    def timed(fn, times):
        fn()
        started = time.process_time()
        for _ in range(times):
            fn()
        return round((time.process_time() - started) / times * 1000, 3)

    shop_id, phones = seed(200, "bench")
    phone = phones[-1]
    tab_url = f"/tab/{phone['public_id']}"
    # As a browser leaves it: a session, and the ETags it was last given.
    call(app, tab_url, phone["cookies"])
    _s, page_headers, _d = call(app, tab_url, phone["cookies"])
    page_etag = page_headers.get("ETag")
    poll_etag = call(app, f"{tab_url}/live", phone["cookies"], {"Accept": "application/json"})[1][
        "ETag"
    ]
    barista = {}
    login = call(app, "/staff/login", barista)[2].decode()
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', login).group(1)
    call(
        app,
        "/staff/login",
        barista,
        method="POST",
        data={
            "csrf_token": token,
            "email": "barista@bench.example",
            "password": "bench-password-1",
        },
    )
    counter_etag = call(app, "/staff/live", barista, {"Accept": "application/json"})[1]["ETag"]
    # On PostgreSQL the tab versions cached in memory are used once the listener is
    # up (live/version_cache.py; tab_watch.py in trees before issue 13).
    watch = getattr(app.extensions.get("fast_answers"), "watch", None)
    deadline = time.monotonic() + 5
    while watch is not None and not watch.watching and time.monotonic() < deadline:
        time.sleep(0.05)
    cache = getattr(getattr(app.extensions.get("live"), "versions", None), "cache", None)
    if cache is not None:
        cache.start()
        cache.wait_for(lambda: cache.listening, 10)

    def expect(status, wanted):
        if not status.startswith(wanted):
            raise SystemExit(f"{status}, not {wanted}")

    def hello():
        expect(call(hello_app, "/", {})[0], "200")

    def poll():
        expect(
            call(app, f"{tab_url}/live", phone["cookies"], {"If-None-Match": poll_etag})[0], "304"
        )

    def page_again():
        headers = {"If-None-Match": page_etag} if page_etag else {}
        status = call(app, tab_url, phone["cookies"], headers)[0]
        expect(status, "304" if page_etag else "200")

    def counter_unchanged():
        expect(call(app, "/staff/live", barista, {"If-None-Match": counter_etag})[0], "304")

    def touch(tab_id):
        with app.app_context():
            db.session.execute(update(Tab).where(Tab.id == tab_id).values(version=Tab.version + 1))
            db.session.execute(
                update(Shop).where(Shop.id == shop_id).values(live_version=Shop.live_version + 1)
            )
            db.session.commit()

    other = phones[0]

    def counter_changed():
        touch(other["id"])
        expect(call(app, "/staff/live", barista, {"Accept": "application/json"})[0], "200")

    result = {
        "hello world": timed(hello, repeat),
        "poll: unchanged (304)": timed(poll, repeat),
        "tab page shown again": timed(page_again, repeat),
        "tab page answer": "304" if page_etag else "200 (kept page)",
        "counter poll, unchanged (304), 200 tabs": timed(counter_unchanged, repeat),
        "counter poll, one tab changed, 200 tabs": timed(counter_changed, 30),
    }

    # A tab page drawn after a change: only the request's CPU counts.
    spent = 0.0
    profiler = cProfile.Profile()
    draws = 200
    for _ in range(draws):
        touch(phone["id"])
        started = time.process_time()
        if profile:
            profiler.enable()
        status = call(app, tab_url, phone["cookies"])[0]
        if profile:
            profiler.disable()
        spent += time.process_time() - started
        expect(status, "200")
    result["tab page drawn after a change"] = round(spent / draws * 1000, 3)
    if profile:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(14)
        result["profile"] = out.getvalue()

    # Memory: 10,000 mixed requests over 2,000 tabs.
    _shop, crowd = seed(2000, "crowd")
    rng = random.Random(7)
    etags: dict[str, dict] = {}
    rss_before = process.memory_info().rss
    for n in range(10_000):
        p = rng.choice(crowd)
        kept = etags.setdefault(p["public_id"], {})
        url = f"/tab/{p['public_id']}"
        roll = rng.random()
        if n % 20 == 0:
            touch(p["id"])
        elif roll < 0.4:
            headers = {"If-None-Match": kept["page"]} if "page" in kept else {}
            _s, h, _d = call(app, url, p["cookies"], headers)
            kept["page"] = h.get("ETag", kept.get("page"))
        elif roll < 0.85:
            headers = {"Accept": "application/json"}
            if "poll" in kept:
                headers["If-None-Match"] = kept["poll"]
            _s, h, _d = call(app, f"{url}/live", p["cookies"], headers)
            kept["poll"] = h.get("ETag", kept.get("poll"))
        else:
            call(app, f"{url}/live", p["cookies"], {"Accept": "application/json"})
    result["RSS after 10,000 mixed requests over 2,000 tabs, MB"] = round(
        process.memory_info().rss / 2**20, 1
    )
    result["RSS growth during them, MB"] = round(
        (process.memory_info().rss - rss_before) / 2**20, 1
    )
    with app.app_context():
        db.engine.dispose()
    return result


def child(args) -> None:
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    os.chdir(root)
    options = json.loads(args.options)
    print(json.dumps(measure(root, args.url, options, args.repeat, args.profile)))


def run_tree(root: Path, db: str, pg: str | None, repeat: int, profile: bool) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        options: dict = {}
        if db == "sqlite":
            url = f"sqlite:///{folder}/bench.db"
        else:
            import sqlalchemy

            schema = "bench_" + root.name.replace("-", "_").replace(".", "x")
            admin = sqlalchemy.create_engine(pg)
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            url = pg
            options = {"connect_args": {"options": f"-c search_path={schema}"}}
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            "--root",
            str(root),
            "--url",
            url,
            "--options",
            json.dumps(options),
            "--repeat",
            str(repeat),
        ] + (["--profile"] if profile else [])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"{root} on {db} failed:\n{done.stderr[-3000:]}")
        if db != "sqlite":
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.dispose()
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before")
    parser.add_argument("--after", default=".")
    parser.add_argument("--pg", help="PostgreSQL URL (a schema per tree is made in it)")
    parser.add_argument("--repeat", type=int, default=1000)
    parser.add_argument("--json")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--root")
    parser.add_argument("--url")
    parser.add_argument("--options", default="{}")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    trees = {"before": Path(args.before).resolve(), "after": Path(args.after).resolve()}
    databases = ["sqlite"] + (["postgresql"] if args.pg else [])
    results: dict = {}
    for db in databases:
        for name, root in trees.items():
            print(f"{name} on {db}...", file=sys.stderr)
            results[f"{name}/{db}"] = run_tree(root, db, args.pg, args.repeat, profile=True)
    for key, figures in results.items():
        print(f"\n## {key}")
        for name, value in figures.items():
            if name != "profile":
                print(f"- {name}: {value}")
        print(figures.get("profile", ""))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
