"""When the SQLite file cannot be written (disk full, file read-only) people get a
clear 503 page, not a crash; nothing half-written is left behind; and once the
fault is gone the same app works again without a restart.

These make their own SQLite file whatever database the suite runs on: the faults
are SQLite's. (PostgreSQL going away mid-rush is bench/faults.py.)
"""

from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from app import create_app
from extensions import db
from live import PHONE_COOKIE
from models import Tab, TabLine
from services import shops, unit_of_work
from tests.helpers import ROOT, TabbyClient, open_tab, order

SAVE_FAILED = "We can&#39;t save anything right now, so nothing was changed."


@pytest.fixture
def cafe_file(tmp_path):
    """A café in a SQLite file of its own: (path, table card code, menu item id)."""
    path = tmp_path / "faults.db"
    app = make(f"sqlite:///{path}")
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with unit_of_work():
            shop = shops.create_shop("faults", "Fault Café", "EUR", "en_IE", "Europe/Dublin")
            item = shops.add_menu_item(shop, "Flat white", 380, "Coffee")
            card = shops.add_cards(shop, "table", 1)[0]
        found = (path, SimpleNamespace(code=card.code), item.id)
        db.engine.dispose()
    return found


def make(url: str):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "faults-test-key",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "BASE_URL": "http://localhost",
            "RATELIMIT_ENABLED": False,
        }
    )
    app.test_client_class = TabbyClient
    return app


def lines_and_version(app, public_id: str) -> tuple[int, int]:
    with app.app_context():
        tab = db.session.execute(select(Tab).where(Tab.public_id == public_id)).scalar_one()
        count = db.session.execute(
            select(func.count()).select_from(TabLine).where(TabLine.tab_id == tab.id)
        ).scalar_one()
        return count, tab.version


def integrity(app) -> str:
    with app.app_context():
        return db.session.execute(text("PRAGMA integrity_check")).scalar_one()


def test_a_read_only_database_answers_503_and_recovers(cafe_file):
    path, card, item_id = cafe_file
    app = make(f"sqlite:///{path}")
    phone = app.test_client()
    public_id = open_tab(phone, card)
    assert order(phone, public_id, item_id).status_code == 303
    before = lines_and_version(app, public_id)
    with app.app_context():
        db.engine.dispose()

    # The same file, opened read-only (as after a remount or a permissions mistake).
    read_only = make(f"sqlite:///file:{path}?mode=ro&uri=true")
    stuck = read_only.test_client()
    stuck.set_cookie(PHONE_COOKIE, phone.get_cookie(PHONE_COOKIE).value)

    page = stuck.get(f"/tab/{public_id}")
    assert page.status_code == 200  # reading still works
    refused = order(stuck, public_id, item_id)
    assert refused.status_code == 503
    assert SAVE_FAILED in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]
    as_json = stuck.post_json(f"/tab/{public_id}/order", {"item_id": item_id, "quantity": 1})
    assert as_json.status_code == 503
    assert "nothing was changed" in as_json.json["error"]
    with read_only.app_context():
        db.engine.dispose()

    assert lines_and_version(app, public_id) == before
    assert integrity(app) == "ok"
    assert order(phone, public_id, item_id).status_code == 303
    assert lines_and_version(app, public_id)[0] == before[0] + 1


def test_a_full_disk_answers_503_keeps_every_tab_whole_and_recovers(cafe_file):
    path, card, item_id = cafe_file
    app = make(f"sqlite:///{path}")
    phone = app.test_client()
    public_id = open_tab(phone, card)
    with app.app_context():
        engine = db.engine
        engine.dispose()
        pages = db.session.execute(text("PRAGMA page_count")).scalar_one()
        db.session.close()
        engine.dispose()

    def cap(dbapi_connection, _record):
        # SQLite's own "disk full" (SQLITE_FULL) once the file would grow past today.
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(engine, "connect", cap)
    accepted, refusal = 0, None
    for n in range(2000):  # fill the free space in the file's pages until it is full
        response = order(phone, public_id, item_id, note=f"order {n} " + "x" * 100)
        if response.status_code != 303:
            refusal = response
            break
        accepted += 1
    assert refusal is not None, "the capped database never filled up"
    assert refusal.status_code == 503
    assert SAVE_FAILED in refusal.get_data(as_text=True)
    # Every accepted order is on the tab, the refused one is not, and the tab's version
    # moved by the same step for each accepted order: no half-written change.
    lines, version = lines_and_version(app, public_id)
    assert lines == accepted
    step, rest = divmod(version - 1, accepted)
    assert step >= 1 and rest == 0
    assert phone.get(f"/tab/{public_id}").status_code == 200

    event.remove(engine, "connect", cap)
    engine.dispose()  # space was freed: new connections have no cap
    assert integrity(app) == "ok"
    assert order(phone, public_id, item_id).status_code == 303
    assert lines_and_version(app, public_id) == (accepted + 1, version + step)


def test_a_connection_lost_after_the_page_was_made_still_answers_the_page(cafe_file):
    """PostgreSQL restarting between a page's last query and the end of the request
    makes the closing ROLLBACK fail; the page is already made, so it is still served
    and the next request gets a fresh connection."""
    path, card, _item_id = cafe_file
    app = make(f"sqlite:///{path}")
    phone = app.test_client()
    public_id = open_tab(phone, card)
    with app.app_context():
        engine = db.engine
    cut = {"once": True}

    def connection_cut(conn):
        if cut.pop("once", False):
            conn.invalidate()
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection"))

    event.listen(engine, "rollback", connection_cut)
    try:
        page = phone.get(f"/tab/{public_id}")
    finally:
        event.remove(engine, "rollback", connection_cut)

    assert not cut, "the rollback was never reached"
    assert page.status_code == 200
    assert "My tab" in page.get_data(as_text=True)
    assert phone.get(f"/tab/{public_id}").status_code == 200
