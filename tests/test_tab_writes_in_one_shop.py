"""Two tab writes in one shop do not wait for each other (PostgreSQL): the shop's live
version moves at commit (migration a9d3f7e1c264), so an open transaction on one
tab holds no lock on its shop's row. SQLite has one writer at a time anyway."""

import pytest
from sqlalchemy import insert, select, text, update

from extensions import db
from models import Shop, Tab, TabLine
from models.base import new_code, utcnow


@pytest.fixture
def two_tabs(app, cafe, database):
    if not database[0].startswith("postgresql"):
        pytest.skip("SQLite lets one transaction write at a time")
    with app.app_context():
        tabs = [Tab(shop_id=cafe.shop.id, currency="EUR") for _ in range(2)]
        db.session.add_all(tabs)
        db.session.commit()
        return cafe.shop.id, [tab.id for tab in tabs]


def line(shop_id: int, tab_id: int, item):
    return insert(TabLine).values(
        shop_id=shop_id,
        tab_id=tab_id,
        menu_item_id=item.id,
        name=item.name,
        unit_price=item.price,
        ordered_at=utcnow(),
    )


def live_version(conn, shop_id: int) -> int:
    return conn.execute(select(Shop.live_version).where(Shop.id == shop_id)).scalar()


def others_writes(shop_id: int, tab_ids: list[int], item) -> dict:
    return {
        "an order on another tab": line(shop_id, tab_ids[1], item),
        "a new tab": insert(Tab).values(
            shop_id=shop_id, currency="EUR", public_id=new_code(), opened_at=utcnow()
        ),
        "a change to another tab": update(Tab)
        .where(Tab.id == tab_ids[1])
        .values(customer_name="Ben"),
    }


WRITES = ["an order on another tab", "a new tab", "a change to another tab"]


@pytest.mark.parametrize("write", WRITES)
def test_a_write_commits_while_another_tab_of_the_shop_is_mid_transaction(
    app, cafe, two_tabs, write
):
    shop_id, tab_ids = two_tabs
    with app.app_context():
        before = live_version(db.session, shop_id)
        db.session.rollback()
        with db.engine.connect() as first, db.engine.connect() as second:
            first.execute(line(shop_id, tab_ids[0], cafe.flat_white))
            # Waiting for the first transaction's lock would end in an error, not a pass.
            second.execute(text("SET lock_timeout = '2s'"))
            second.execute(others_writes(shop_id, tab_ids, cafe.flat_white)[write])
            second.commit()
            after_second = live_version(second, shop_id)
            second.rollback()
            first.commit()
            after_first = live_version(first, shop_id)
            first.rollback()
            second.execute(text("RESET lock_timeout"))

    # Each commit moved the counter's version, as it did when the move came first.
    assert before < after_second < after_first


def test_the_counter_version_moves_with_the_commit_not_before(app, cafe, two_tabs):
    """Other readers see the line and the shop's new version together, or neither."""
    shop_id, tab_ids = two_tabs
    with app.app_context(), db.engine.connect() as writer, db.engine.connect() as reader:
        before = live_version(reader, shop_id)
        reader.rollback()
        writer.execute(line(shop_id, tab_ids[0], cafe.flat_white))
        assert live_version(reader, shop_id) == before
        reader.rollback()
        writer.commit()
        assert live_version(reader, shop_id) > before
        reader.rollback()
