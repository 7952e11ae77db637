"""The lunchtime-rush benchmark: Tabby under gunicorn, driven by Locust, measured
against a bare Flask app served the same way.

    .venv/bin/python bench/load.py                    # SQLite and PostgreSQL, 3 runs each
    .venv/bin/python bench/load.py --db postgresql --history 1000x100 --runs 1

For each database it makes a scratch database (a SQLite file in a temporary
folder; the PostgreSQL database `tabby_bench`, dropped and made again), runs the
migrations, optionally fills it with past trade (`bench/seed_history.py`), seeds a
café with a menu, three baristas and one open tab per simulated phone, and starts
two gunicorn servers with the same settings (gunicorn.conf.py when there is one,
else WEB_CONCURRENCY workers × GUNICORN_THREADS threads): Tabby, and
bench/hello.py. Then, per run, four Locust processes, one after the other, each
headless on 127.0.0.1:

1. the rush: PHONES phones polling their tab every 3 s with If-None-Match (so
   most polls are 304) and ordering about once a minute, plus the baristas
   polling the counter and marking lines ready and served. Gives latencies.
2. saturation, three times: users with no wait time loading the tab page, then
   polling an unchanged tab, then hitting hello world. Gives throughputs, and so
   the ratios.

Before the runs it also times the same three requests in this process (Flask's
test client, CPU time only), which other work on the machine hardly disturbs.

Locust shares the machine's cores with gunicorn; the CPU each used is reported,
because on a small machine the load generator is part of what is measured.
Prints a Markdown summary (medians over the runs) and writes every figure as JSON.
"""

import argparse
import csv
import json
import os
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_BENCH_DB = os.environ.get("BENCH_PG_DATABASE", "tabby_bench")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
APP_PORT, HELLO_PORT = 8871, 8872
STAFF = 3

TARGETS = {
    "tab page throughput ≥ 0.5× bare app": ("tab_page_ratio", 0.5, ">="),
    "unchanged poll (304) throughput ≥ 0.8× bare app": ("poll_ratio", 0.8, ">="),
    "p99 latency at the rush ≤ 50 ms": ("rush_p99_ms", 50, "<="),
}


# -- the scratch database ------------------------------------------------------------


def scratch_database(kind: str, workdir: Path, name: str = PG_BENCH_DB) -> str:
    """A new, empty database of its own, so no one else's tables are touched."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'tabby-bench.db'}"
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def settle(kind: str, url: str) -> None:
    """A database that has been in use a while: statistics gathered, the bulk insert's
    dirty pages written out. Without this PostgreSQL's checkpoint and autovacuum run
    in the middle of the first rush."""
    if kind != "postgresql":
        return
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env, check=True)


def seed_bench_shop(url: str, secret: str, phones: int, workdir: Path) -> Path:
    """The café under test, through the app's own services, as staff and phones would."""
    sys.path.insert(0, str(ROOT))
    import random

    from app import create_app
    from cli import DEMO_MENU, demo_password
    from extensions import db
    from live import phone_signer
    from models.base import new_code
    from models.tab import SERVED
    from services import shops, unit_of_work
    from services import tabs as tab_service

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret})
    rng = random.Random(7)
    fixture = {"phones": [], "staff": [], "items": []}
    with app.app_context():
        with unit_of_work():
            shop = shops.create_shop("bench", "Bench Café", "EUR", "en_IE", "Europe/Dublin")
            items = [
                shops.add_menu_item(shop, name, price, category, description, sort)
                for sort, (category, name, price, description) in enumerate(DEMO_MENU)
            ]
            table = shops.add_cards(shop, "table", 1)[0]
            password = demo_password("bench")
            members = [
                shops.add_staff(shop, f"barista{n}@bench.example", password, "staff")
                for n in range(1, STAFF + 1)
            ]
            fixture["items"] = [item.id for item in items]
            fixture["staff"] = [{"email": m.email, "password": password} for m in members]
        # Every phone has been here a while: a few things ordered and served.
        for _ in range(phones):
            phone_id = new_code()
            with unit_of_work():
                tab = tab_service.open_tab(table, phone_id)
                for item in rng.sample(items, 3):
                    line = tab_service.add_line(tab, item.id, 1)
                    tab_service.move_line(line, SERVED, members[0])
                # What the phone's browser holds: the id with its signature.
                cookie = phone_signer(secret).sign(phone_id).decode()
                fixture["phones"].append(
                    {"public_id": tab.public_id, "phone_id": phone_id, "cookie": cookie}
                )
        db.engine.dispose()
    path = workdir / "fixture.json"
    path.write_text(json.dumps(fixture))
    return path


def cpu_per_request(url: str, secret: str, fixture_path: Path, repeat: int = 1000) -> dict:
    """CPU milliseconds per request inside one process, no HTTP and no gunicorn: each
    request is a direct WSGI call with the cookies a phone or a barista holds. The same
    ratios as the saturation phases, blind to whatever else the machine runs; and, for
    scale, what the answers given before Flask save (the same requests with them off)."""
    from werkzeug.test import EnvironBuilder

    from app import create_app
    from bench.hello import app as hello_app
    from extensions import db
    from live import PHONE_COOKIE

    fixture = json.loads(fixture_path.read_text())
    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "PUSH_DISPATCHER": "off"}
    app = create_app(config)
    plain = create_app({**config, "FAST_ANSWERS": False})
    phone = fixture["phones"][-1]
    tab_url = f"/tab/{phone['public_id']}"

    # A phone and a barista as a browser leaves them: signed phone cookie, a session.
    client = app.test_client()
    client.set_cookie(PHONE_COOKIE, phone["cookie"])
    client.get(tab_url)
    etag = client.get(f"{tab_url}/live").headers["ETag"]
    barista = app.test_client()
    login = barista.get("/staff/login").get_data(as_text=True)
    barista.post(
        "/staff/login",
        data={"csrf_token": CSRF_META.search(login).group(1), **fixture["staff"][0]},
    )

    def cookies(of) -> str:
        return "; ".join(
            f"{name}={of.get_cookie(name).value}"
            for name in (PHONE_COOKIE, "tabby_session")
            if of.get_cookie(name)
        )

    def request(target, path: str, who=client, expect="200", **headers):
        # The client's own address and browser name: staff sessions are bound to them.
        environ = EnvironBuilder(
            path=path, headers={"Cookie": cookies(who), **headers}, environ_base=who.environ_base
        ).get_environ()

        def call():
            answered = []
            body = target(dict(environ), lambda status, *_: answered.append(status))
            b"".join(body)
            getattr(body, "close", lambda: None)()
            if not answered[0].startswith(expect):
                raise SystemExit(f"in-process {path}: {answered[0]}, not {expect}")

        return call

    def every_row_drawn():
        app.extensions.get("counter_rows", {}).clear()
        counter()

    counter = request(app, "/staff/live", barista, Accept="application/json")
    calls = {
        "hello world": request(hello_app, "/"),
        "tab page": request(app, tab_url),
        "tab page, drawn by Flask": request(plain, tab_url),
        "poll: unchanged (304)": request(
            app, f"{tab_url}/live", expect="304", **{"If-None-Match": etag}
        ),
        "poll: unchanged (304), through Flask": request(
            plain, f"{tab_url}/live", expect="304", **{"If-None-Match": etag}
        ),
        "counter poll, rows kept": counter,
        "counter poll, every row drawn": every_row_drawn,
    }
    result = {}
    for name, call in calls.items():
        call()
        times = 20 if name.startswith("counter") else repeat
        started = time.process_time()
        for _ in range(times):
            call()
        result[name] = round((time.process_time() - started) / times * 1000, 3)
    for made in (app, plain):
        with made.app_context():
            db.engine.dispose()
    return result


# -- servers -------------------------------------------------------------------------


def gunicorn_command(target: str, port: int) -> list[str]:
    command = [str(BIN / "gunicorn")]
    conf = ROOT / "gunicorn.conf.py"
    if conf.exists():
        command += ["--config", str(conf)]
    else:
        command += [
            "--workers",
            os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)),
            "--threads",
            os.environ.get("GUNICORN_THREADS", "1"),
        ]
    return [*command, "--bind", f"127.0.0.1:{port}", target]


def start_server(target: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        gunicorn_command(target, port),
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn for {target} exited; see {log}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except urllib.error.HTTPError:
            return process  # it answers; a 404 at / is fine
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn for {target} did not start; see {log}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def cpu_seconds(process: subprocess.Popen) -> float:
    total = 0.0
    try:
        root = psutil.Process(process.pid)
        for proc in [root, *root.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
    except psutil.Error:
        pass
    return total


# -- Locust --------------------------------------------------------------------------


def locust(
    classes: list[str],
    host: str,
    users: int,
    rate: int,
    seconds: int,
    prefix: Path,
    env: dict,
    servers: list[subprocess.Popen],
) -> dict:
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--only-summary",
        "--reset-stats",
        "-u",
        str(users),
        "-r",
        str(rate),
        "-t",
        f"{seconds}s",
        "--stop-timeout",
        "5",
        "--host",
        host,
        "--csv",
        str(prefix),
        *classes,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = sum(cpu_seconds(s) for s in servers)
    started = time.monotonic()
    with prefix.with_suffix(".log").open("wb") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = sum(cpu_seconds(s) for s in servers) - server_before
    stats = {}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            stats[row["Name"]] = {
                "count": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50_ms": number(row["50%"]),
                "p99_ms": number(row["99%"]),
                "bytes": number(row["Average Content Size"]),
            }
    locust_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "stats": stats,
        "locust_cores": round(locust_cpu / wall, 2),
        "server_cores": round(server_cpu / wall, 2),
    }


def number(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:  # "N/A": no request of that name after the stats were reset
        return 0.0


def one_run(args, run: int, workdir: Path, env: dict, servers) -> dict:
    app_host, hello_host = f"http://127.0.0.1:{APP_PORT}", f"http://127.0.0.1:{HELLO_PORT}"
    users = args.phones + STAFF
    rush = locust(
        ["PhoneUser", "StaffUser"],
        app_host,
        users,
        50,
        args.rush,
        workdir / f"rush-{run}",
        env,
        servers[:1],
    )
    saturation = {}
    for name, cls, host, server in (
        ("tab page", "TabPageUser", app_host, servers[0]),
        ("poll: unchanged (304)", "PollUser", app_host, servers[0]),
        ("hello world", "HelloUser", hello_host, servers[1]),
    ):
        saturation[name] = locust(
            [cls],
            host,
            args.users,
            args.users,
            args.saturate,
            workdir / f"saturate-{cls}-{run}",
            env,
            [server],
        )
    hello = saturation["hello world"]["stats"]["hello world"]["rps"]
    tab_page = saturation["tab page"]["stats"]["tab page"]["rps"]
    poll_stats = saturation["poll: unchanged (304)"]["stats"].get(
        "poll: unchanged (304)", {"rps": 0, "bytes": 0}
    )
    # Every answer must have been an empty 304; a body means some were not.
    poll = poll_stats["rps"] if poll_stats["bytes"] == 0 else 0
    rush_stats = rush["stats"]
    polls_304 = rush_stats.get("poll: unchanged (304)", {}).get("count", 0)
    polls_200 = rush_stats.get("poll: changed (200)", {}).get("count", 0)
    return {
        "rush": rush,
        "saturation": saturation,
        "hello_rps": hello,
        "tab_page_rps": tab_page,
        "poll_rps": poll,
        "tab_page_ratio": round(tab_page / hello, 3) if hello else 0,
        "poll_ratio": round(poll / hello, 3) if hello else 0,
        "rush_p99_ms": rush_stats["Aggregated"]["p99_ms"],
        "rush_rps": rush_stats["Aggregated"]["rps"],
        "rush_failures": rush_stats["Aggregated"]["failures"],
        "rush_304_share": round(polls_304 / max(1, polls_304 + polls_200), 3),
        # Other work on the machine competes for the same cores; keep it on record.
        "load_average": round(os.getloadavg()[0], 2),
    }


def bench_database(args, kind: str) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"tabby-bench-{kind}-"))
    url = scratch_database(kind, workdir)
    secret = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "BASE_URL": f"http://127.0.0.1:{APP_PORT}",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    flask(env, "db", "upgrade")
    if args.history:
        shops, tabs = (int(n) for n in args.history.lower().split("x"))
        subprocess.run(
            [
                str(BIN / "python"),
                "bench/seed_history.py",
                "--shops",
                str(shops),
                "--tabs",
                str(tabs),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        settle(kind, url)
    from config import normalise_database_url

    fixture = seed_bench_shop(normalise_database_url(url), secret, args.phones, workdir)
    in_process = cpu_per_request(normalise_database_url(url), secret, fixture)
    env["TABBY_BENCH_FIXTURE"] = str(fixture)
    env["TABBY_BENCH_STAFF"] = str(STAFF)
    log = workdir / "gunicorn.log"
    servers = [
        start_server("app:create_app()", APP_PORT, env, log),
        start_server("bench.hello:app", HELLO_PORT, env, log),
    ]
    try:
        runs = []
        for run in range(1, args.runs + 1):
            result = one_run(args, run, workdir, env, servers)
            runs.append(result)
            print(
                f"[{kind} run {run}] rush p99 {result['rush_p99_ms']:.0f} ms, "
                f"{result['rush_rps']:.0f} req/s, {result['rush_failures']} failures; "
                f"hello {result['hello_rps']:.0f}/s, tab page {result['tab_page_rps']:.0f}/s "
                f"({result['tab_page_ratio']:.2f}×), 304 poll {result['poll_rps']:.0f}/s "
                f"({result['poll_ratio']:.2f}×)",
                flush=True,
            )
    finally:
        for server in servers:
            stop_server(server)
    return {"workdir": str(workdir), "runs": runs, "cpu_ms_per_request": in_process}


# -- the summary ---------------------------------------------------------------------


def median(runs: list[dict], key) -> float:
    values = [key(run) for run in runs]
    return statistics.median(values) if values else 0


def summary(results: dict, args) -> str:
    lines = [
        "| Figure (median of runs) | " + " | ".join(results) + " |",
        "|---|" + "---|" * len(results),
    ]

    def row(label, *keys, fmt="{:.0f}"):
        cells = [
            " / ".join(fmt.format(median(r["runs"], key)) for key in keys) for r in results.values()
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    def stat(phase, name, field):
        return lambda run: run[phase]["stats"].get(name, {}).get(field, 0)

    def cores(name, field):
        return lambda run: run["saturation"][name][field]

    row("Bare Flask hello world, req/s", lambda r: r["hello_rps"])
    row("Tab page, req/s", lambda r: r["tab_page_rps"])
    row("… ratio to bare app (target ≥ 0.5)", lambda r: r["tab_page_ratio"], fmt="{:.2f}")
    row("Unchanged poll (304), req/s", lambda r: r["poll_rps"])
    row("… ratio to bare app (target ≥ 0.8)", lambda r: r["poll_ratio"], fmt="{:.2f}")
    row(f"Rush ({args.phones} phones + {STAFF} staff): req/s", lambda r: r["rush_rps"])
    row("Rush: p99 of all requests, ms (target ≤ 50)", lambda r: r["rush_p99_ms"])
    for name in (
        "poll: unchanged (304)",
        "poll: changed (200)",
        "order",
        "staff poll: unchanged (304)",
        "staff poll: changed (200)",
        "staff marks line ready",
    ):
        row(
            f"Rush: {name}, p50 / p99 ms",
            stat("rush", name, "p50_ms"),
            stat("rush", name, "p99_ms"),
        )
    row("Rush: share of phone polls answered 304", lambda r: r["rush_304_share"], fmt="{:.2f}")
    row("Rush: failed requests", lambda r: r["rush_failures"])
    row("Machine load average (1 min) after a run", lambda r: r["load_average"], fmt="{:.1f}")
    row(
        "Rush: CPU cores used, Locust / gunicorn",
        lambda r: r["rush"]["locust_cores"],
        lambda r: r["rush"]["server_cores"],
        fmt="{:.2f}",
    )
    for name in ("tab page", "poll: unchanged (304)", "hello world"):
        row(
            f"Saturation, {name}: CPU cores Locust / gunicorn",
            cores(name, "locust_cores"),
            cores(name, "server_cores"),
            fmt="{:.2f}",
        )
    for name in next(iter(results.values()))["cpu_ms_per_request"]:
        cells = [f"{r['cpu_ms_per_request'][name]:.3f}" for r in results.values()]
        lines.append(f"| In process, CPU ms per request: {name} | " + " | ".join(cells) + " |")
    verdicts = []
    for label, (key, target, op) in TARGETS.items():
        for db_name, r in results.items():
            value = median(r["runs"], lambda run, k=key: run[k])
            met = value >= target if op == ">=" else value <= target
            verdicts.append(f"- {db_name}: {label}: {value:g} → {'met' if met else 'MISSED'}")
    return "\n".join(lines) + "\n\n" + "\n".join(verdicts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--rush", type=int, default=60, help="seconds of the rush phase")
    parser.add_argument("--saturate", type=int, default=15, help="seconds per saturation phase")
    parser.add_argument("--users", type=int, default=16, help="users in a saturation phase")
    parser.add_argument("--history", default="", help="SHOPSxTABS of past trade, e.g. 1000x100")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = {kind: bench_database(args, kind) for kind in kinds}
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, **results}))
    print()
    print(f"gunicorn: {' '.join(gunicorn_command('app:create_app()', APP_PORT)[1:])}")
    print(f"cores: {os.cpu_count()}")
    print(summary(results, args))


if __name__ == "__main__":
    main()
