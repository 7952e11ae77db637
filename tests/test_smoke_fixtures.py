"""The harness itself: migrations build the schema, factories and clients work."""

from sqlalchemy import select

from extensions import db
from models import Tab
from tests.helpers import open_tab, order


def test_a_phone_can_open_a_tab_and_order(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    response = order(phone, public_id, cafe.flat_white, 2)
    assert response.status_code == 303

    tab = in_app(
        lambda: db.session.execute(select(Tab).where(Tab.public_id == public_id)).scalar_one()
    )
    assert tab.customer_name == "Ana"
    assert tab.shop_id == cafe.shop.id


def test_tables_are_empty_at_the_start_of_each_test(in_app):
    assert in_app(lambda: db.session.execute(select(Tab)).first()) is None
