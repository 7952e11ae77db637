"""Production serving: gunicorn with gunicorn.conf.py, two workers, on a real port,
against a database made by the migrations (what `make serve` runs)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask_migrate import upgrade

from cli import demo_cards, seed_demo
from services import unit_of_work

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def served(tmp_path, make_app):
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'tabby.db'}"
    # The schema from the real migrations and the demo café, as `make serve` and
    # `flask demo` would make them (in this process, to keep the test quick).
    setup = make_app(SQLALCHEMY_DATABASE_URI=database_url, SQLALCHEMY_ENGINE_OPTIONS={})
    with setup.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with unit_of_work():
            shop = seed_demo()
        card = demo_cards(shop, "table")[0].code

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "serving-test-secret",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start:\n" + log.read_text())
                time.sleep(0.2)
        yield base, card, log
    finally:
        server.send_signal(signal.SIGINT)  # quick shutdown
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_gunicorn_serves_the_app_with_the_production_config(served):
    base, code, log = served

    status, body = fetch(base + "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "db": "ok"}
    card = f"/t/{code}"
    status, body = fetch(base + card)
    assert status == 200
    assert "Open my tab" in body

    # Two workers, and an access line per request ending in its time in milliseconds.
    time.sleep(0.5)  # access lines are written after the response
    text = log.read_text()
    assert text.count("Booting worker with pid") == 2, text
    # Each worker compiled its templates before its first request (web/warm.py).
    warmed = re.findall(r"warmed up: (\d+) templates compiled", text)
    assert len(warmed) == 2 and all(int(n) > 50 for n in warmed), text
    assert "Control socket listening" not in text  # two servers on a host must not clash
    access = [line for line in text.splitlines() if '"GET ' in line]
    assert any(f'"GET {card} HTTP/1.1" 200' in line for line in access), text
    assert all(line.split()[-1].removesuffix("ms").isdigit() for line in access), access
