"""PostgreSQL restarted in the middle of a rush: does Tabby lose or half-write anything,
and does it come back by itself?

    .venv/bin/python bench/faults.py            # restarts the local PostgreSQL once

Makes the scratch database `tabby_faults`, seeds a café with PHONES open tabs, starts
gunicorn (the production settings, as bench/load.py does) and runs PHONES phone
threads ordering as fast as they can, as many polling their tab with If-None-Match
(the open tab page), one barista thread marking lines ready and one taking payments.
After a few seconds it restarts PostgreSQL (`pg_ctlcluster --skip-systemctl-redirect
<version> main restart`), keeps the load going, then:

1. waits until /healthz answers again, without touching gunicorn;
2. sends every order that failed again, with the same request key (what a phone's
   retry does), and every phone one more order: all must now succeed;
3. checks the database: each order answered 200 is on its tab exactly once and no
   line exists that was not answered 200; each paid tab has exactly one payment for
   exactly its bill; no payment on a live tab; no rows pointing at missing tabs or at
   another shop's tab;
4. polls every tab once more with the last ETag its poller got: a 304 for a tab
   that has moved on since (a version kept in memory across the restart) is a
   failure.

Answers other than 200, 303, 304, 409 (tab already paid) and 503 count as failures:
in particular any 500. This restarts the whole PostgreSQL server: other users of it
see their connections dropped too.
"""

import argparse
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402
    APP_PORT,
    flask,
    scratch_database,
    seed_bench_shop,
    start_server,
    stop_server,
)
from live import PHONE_COOKIE, tab_poll_etag  # noqa: E402

BASE = f"http://127.0.0.1:{APP_PORT}"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
TAB_ROW = re.compile(r'data-tab-id="(\d+)"')
QUEUE_ROW = re.compile(r'class="queue-row line-(\w+)" data-line-id="(\d+)"')
AMOUNT = re.compile(r'name="amount" inputmode="decimal" value="([^"]*)"')
OK_STATUSES = {200, 303, 304, 409, 503}
ACCESS_STATUS = re.compile(r'"(\w+ \S+) HTTP/[\d.]+" (\d{3}) ')


class Log:
    """Every answer, by who asked and what came back; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.orders: dict[str, int | str] = {}  # request key -> status (or error name)
        self.unexpected: list[str] = []

    def answer(self, what: str, status):
        with self.lock:
            self.statuses[(what, status)] += 1
            if status not in OK_STATUSES:
                self.unexpected.append(f"{what}: {status}")


def answer_of(call) -> int | str:
    try:
        return call().status_code
    except requests.RequestException as problem:
        return type(problem).__name__


def phone_thread(phone: dict, items: list[int], log: Log, stop: threading.Event):
    session = requests.Session()
    session.cookies.set(PHONE_COOKIE, phone["cookie"])
    csrf = None
    while not stop.is_set():
        if csrf is None:
            try:
                page = session.get(f"{BASE}/tab/{phone['public_id']}", timeout=10)
                log.answer("tab page", page.status_code)
                found = CSRF_META.search(page.text)
                csrf = found.group(1) if found else None
            except requests.RequestException as problem:
                log.answer("tab page", type(problem).__name__)
            if csrf is None:
                time.sleep(0.2)
                continue
        key = secrets.token_urlsafe(12)
        item_id = random.choice(items)
        status = answer_of(lambda c=csrf, i=item_id, k=key: order(session, phone, c, i, k))
        with log.lock:
            log.orders[key] = (phone["public_id"], status)
        log.answer("order", status)
        if status == 409:  # paid by the barista: this phone is done
            return
        time.sleep(random.uniform(0.05, 0.2))


def poller_thread(phone: dict, log: Log, stop: threading.Event, last_seen: dict):
    """The phone's open tab page, polling with the ETag of the last answer it had:
    a 304 must never hide a change, whoever made it and whatever was restarting."""
    session = requests.Session()
    session.cookies.set(PHONE_COOKIE, phone["cookie"])
    etag = None
    while not stop.is_set():
        headers = {"Accept": "application/json"}
        if etag:
            headers["If-None-Match"] = etag
        try:
            response = session.get(
                f"{BASE}/tab/{phone['public_id']}/live", headers=headers, timeout=10
            )
            log.answer("poll", response.status_code)
            if response.status_code == 200:
                etag = response.headers.get("ETag", etag)
        except requests.RequestException as problem:
            log.answer("poll", type(problem).__name__)
        time.sleep(random.uniform(0.2, 0.5))
    last_seen[phone["public_id"]] = (session, etag)


def stale_polls(url: str, last_seen: dict) -> list[str]:
    """Once everything is back: each poller asks once more with the last ETag it got.
    A 304 is right only if the tab is still at that version."""
    problems = []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for public_id, (session, etag) in last_seen.items():
            if not etag:
                continue
            tab_id, version, settings_version = conn.execute(
                "SELECT tabs.id, tabs.version, shops.settings_version FROM tabs"
                " JOIN shops ON shops.id = tabs.shop_id WHERE public_id = %s",
                (public_id,),
            ).fetchone()
            answer = session.get(
                f"{BASE}/tab/{public_id}/live",
                headers={"Accept": "application/json", "If-None-Match": etag},
                timeout=10,
            )
            current = f'W/"{tab_poll_etag(tab_id, version, settings_version, "en")}"'
            if answer.status_code == 304 and etag != current:
                problems.append(f"poll of tab {tab_id}: 304 for {etag}, the tab is at {current}")
            elif answer.status_code not in (200, 304):
                problems.append(f"poll of tab {tab_id}: {answer.status_code} after recovery")
    return problems


def order(session, phone, csrf, item_id, key):
    return session.post(
        f"{BASE}/tab/{phone['public_id']}/order",
        data={"csrf_token": csrf, "item_id": item_id, "quantity": 1, "request_key": key},
        headers={"Accept": "application/json"},
        timeout=10,
    )


def staff_session(login: dict, stop: threading.Event) -> tuple[requests.Session, str | None]:
    """Logged in, with the counter's CSRF token; tries again while the database is away."""
    while not stop.is_set():
        session = requests.Session()
        try:
            page = session.get(f"{BASE}/staff/login", timeout=10)
            csrf = CSRF_META.search(page.text).group(1)
            session.post(f"{BASE}/staff/login", data={"csrf_token": csrf, **login}, timeout=10)
            counter = session.get(f"{BASE}/staff", timeout=10)
            found = CSRF_META.search(counter.text)
            if counter.status_code == 200 and found:
                return session, found.group(1)
        except (requests.RequestException, AttributeError):
            pass
        time.sleep(0.5)
    return requests.Session(), None


def barista_thread(login: dict, log: Log, stop: threading.Event):
    session, csrf = staff_session(login, stop)
    while not stop.is_set():
        try:
            page = session.get(f"{BASE}/staff", timeout=10)
        except requests.RequestException as problem:
            log.answer("counter", type(problem).__name__)
            time.sleep(0.5)
            continue
        log.answer("counter", page.status_code)
        for _status, line_id in QUEUE_ROW.findall(page.text)[:10]:
            status = answer_of(
                lambda line_id=line_id: session.post(
                    f"{BASE}/staff/lines/{line_id}/status",
                    data={"csrf_token": csrf, "status": "served"},
                    headers={"Accept": "application/json"},
                    timeout=10,
                )
            )
            log.answer("mark line", status)
        time.sleep(0.3)


def payer_thread(login: dict, log: Log, stop: threading.Event, paying: int):
    """Takes payment for `paying` tabs, spread over the run."""
    session, csrf = staff_session(login, stop)
    paid = 0
    while not stop.is_set() and paid < paying:
        time.sleep(1.0)
        try:
            counter = session.get(f"{BASE}/staff", timeout=10)
            log.answer("counter", counter.status_code)
            tab_ids = TAB_ROW.findall(counter.text)
            if not tab_ids:
                continue
            tab_id = random.choice(tab_ids)
            page = session.get(f"{BASE}/staff/tabs/{tab_id}", timeout=10)
            log.answer("staff tab page", page.status_code)
            amount = AMOUNT.search(page.text)
            if page.status_code != 200 or not amount:
                continue
            response = session.post(
                f"{BASE}/staff/tabs/{tab_id}/payment",
                data={"csrf_token": csrf, "method": "cash", "amount": amount.group(1), "tip": 0},
                headers={"Accept": "application/json"},
                timeout=10,
            )
            log.answer("payment", response.status_code)
            paid += response.status_code == 200
        except requests.RequestException as problem:
            log.answer("payment", type(problem).__name__)


def restart_postgresql() -> float:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
    )
    return time.monotonic() - started


def wait_healthy(limit: float = 60) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if requests.get(f"{BASE}/healthz", timeout=2).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit("the app did not recover within a minute")


def server_errors(access_log: Path) -> list[str]:
    """Answers the clients may not have logged (a 500 made by gunicorn itself, say)."""
    found = []
    for line in access_log.read_text(errors="replace").splitlines():
        match = ACCESS_STATUS.search(line)
        if match and match.group(2).startswith("5") and match.group(2) != "503":
            found.append(f"{match.group(1)} answered {match.group(2)}")
    return found


def check_database(url: str, answered: dict[str, str]) -> dict:
    """The database against what the clients were told."""
    problems = []
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        sql = "SELECT request_key, count(*) FROM tab_lines GROUP BY 1"
        keys = dict(conn.execute(sql).fetchall())
        keyed = {k: n for k, n in keys.items() if k is not None}
        twice = [k for k, n in keyed.items() if n != 1]
        ghost = [k for k in keyed if k not in answered]
        lost = [k for k in answered if k not in keyed]
        problems += [f"order {k} stored {keyed[k]} times" for k in twice]
        problems += [f"line {k} stored but never answered 200" for k in ghost]
        problems += [f"order {k} answered 200 but not stored" for k in lost]
        checks = {
            "paid tab without exactly one payment": """
                SELECT t.id FROM tabs t LEFT JOIN payments p ON p.tab_id = t.id
                WHERE t.status = 'paid' GROUP BY t.id HAVING count(p.id) != 1""",
            "payment not equal to the bill": """
                SELECT t.id FROM tabs t JOIN payments p ON p.tab_id = t.id
                WHERE p.amount != (
                    SELECT coalesce(sum(l.unit_price * l.quantity), 0)
                    FROM tab_lines l WHERE l.tab_id = t.id AND l.status != 'void')""",
            "payment on a tab that is not paid": """
                SELECT p.id FROM payments p JOIN tabs t ON t.id = p.tab_id
                WHERE t.status != 'paid'""",
            "line of another shop's tab": """
                SELECT l.id FROM tab_lines l JOIN tabs t ON t.id = l.tab_id
                WHERE l.shop_id != t.shop_id""",
            "line without a tab": """
                SELECT l.id FROM tab_lines l LEFT JOIN tabs t ON t.id = l.tab_id
                WHERE t.id IS NULL""",
            "payment without a tab": """
                SELECT p.id FROM payments p LEFT JOIN tabs t ON t.id = p.tab_id
                WHERE t.id IS NULL""",
            "live tab with a closing time": """
                SELECT id FROM tabs
                WHERE status IN ('open', 'settling') AND closed_at IS NOT NULL""",
        }
        for name, sql in checks.items():
            rows = conn.execute(sql).fetchall()
            problems += [f"{name}: {row[0]}" for row in rows]
        counts = dict(
            zip(
                ("tabs", "lines", "payments", "paid tabs"),
                conn.execute(
                    "SELECT (SELECT count(*) FROM tabs), (SELECT count(*) FROM tab_lines), "
                    "(SELECT count(*) FROM payments), "
                    "(SELECT count(*) FROM tabs WHERE status = 'paid')"
                ).fetchone(),
                strict=True,
            )
        )
    return {"problems": problems, "counts": counts, "stored_keys": set(keyed)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=25, help="length of the load")
    parser.add_argument("--restart-at", type=float, default=8, help="seconds into the load")
    parser.add_argument("--pay", type=int, default=8, help="tabs the barista takes payment for")
    parser.add_argument("--no-restart", action="store_true", help="the same run, no fault")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tabby-faults-"))
    url = scratch_database("postgresql", workdir, "tabby_faults")
    secret = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": secret,
        "BASE_URL": BASE,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        # Phones here order far faster than people do; the limits are not under test.
        "RATELIMIT_ENABLED": "0",
    }
    flask(env, "db", "upgrade")
    from config import normalise_database_url

    fixture = json.loads(
        seed_bench_shop(normalise_database_url(url), secret, args.phones, workdir).read_text()
    )
    log_path = workdir / "gunicorn.log"
    server = start_server("app:create_app()", APP_PORT, env, log_path)
    master_pid = server.pid
    log, stop = Log(), threading.Event()
    threads = [
        threading.Thread(target=phone_thread, args=(p, fixture["items"], log, stop))
        for p in fixture["phones"]
    ]
    last_seen: dict = {}
    threads += [
        threading.Thread(target=poller_thread, args=(p, log, stop, last_seen))
        for p in fixture["phones"]
    ]
    threads.append(threading.Thread(target=barista_thread, args=(fixture["staff"][0], log, stop)))
    threads.append(
        threading.Thread(target=payer_thread, args=(fixture["staff"][1], log, stop, args.pay))
    )
    result: dict = {"phones": args.phones, "seconds": args.seconds}
    try:
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(args.restart_at)
        if not args.no_restart:
            result["restart_at"] = round(time.monotonic() - started, 1)
            result["restart_seconds"] = round(restart_postgresql(), 2)
        time.sleep(max(0, args.seconds - (time.monotonic() - started)))
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        result["recovered_after_seconds"] = round(wait_healthy(), 2)

        with log.lock:
            first_answers = dict(log.orders)
        failed = {k: v for k, v in first_answers.items() if v[1] != 200}
        before_retry = check_database(url, {})["stored_keys"]
        result["failed_orders_already_stored"] = sorted(k for k in failed if k in before_retry)
        # What a phone does after a failed tap: the same order again, same key.
        retried = Counter()
        answered = {k for k, v in first_answers.items() if v[1] == 200}
        sessions = {}
        for key, (public_id, _status) in failed.items():
            phone = next(p for p in fixture["phones"] if p["public_id"] == public_id)
            if public_id not in sessions:
                session = requests.Session()
                session.cookies.set(PHONE_COOKIE, phone["cookie"])
                page = session.get(f"{BASE}/tab/{public_id}", timeout=10)
                sessions[public_id] = (session, CSRF_META.search(page.text).group(1))
            session, csrf = sessions[public_id]
            status = answer_of(
                lambda s=session, p=phone, c=csrf, k=key: order(s, p, c, fixture["items"][0], k)
            )
            retried[status] += 1
            if status == 200:
                answered.add(key)
        result["retries"] = dict(retried)
        check = check_database(url, {k: "200" for k in answered})
        check["problems"] += stale_polls(url, last_seen)
        result["gunicorn_master_unchanged"] = server.poll() is None and server.pid == master_pid
    finally:
        stop.set()
        stop_server(server)

    statuses: dict[str, dict] = {}
    for (what, status), n in sorted(log.statuses.items(), key=str):
        statuses.setdefault(what, {})[str(status)] = n
    result.update(
        answers=statuses,
        orders_answered_200=len(answered),
        problems=check["problems"],
        unexpected_answers=log.unexpected[:20],
        server_errors=server_errors(log_path)[:20],
        counts=check["counts"],
    )
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    ok = (
        not check["problems"]
        and not log.unexpected
        and not result["server_errors"]
        and set(retried) <= {200, 409}
    )
    print("RESULT:", "consistent" if ok else "PROBLEMS FOUND", f"(logs in {workdir})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
