"""Once a customer asks to pay, their phone can no longer add to the tab (staff are
about to take the amount shown); staff at the counter still can."""

from sqlalchemy import func, select

from extensions import db
from models import Tab, TabLine
from tests.helpers import load_tab, open_tab, order


def line_count(in_app, public_id):
    return in_app(
        lambda: db.session.execute(
            select(func.count(TabLine.id)).join(TabLine.tab).where(Tab.public_id == public_id)
        ).scalar_one()
    )


def asked_to_pay(phone, cafe):
    public_id = open_tab(phone, cafe.table, "Ana")
    assert order(phone, public_id, cafe.flat_white).status_code == 303
    assert phone.post_form(f"/tab/{public_id}/pay").status_code == 303
    return public_id


def test_the_phone_cannot_order_while_waiting_to_pay(cafe, phone, in_app):
    public_id = asked_to_pay(phone, cafe)
    version = load_tab(in_app, public_id).version

    response = order(phone, public_id, cafe.croissant)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "waiting for payment" in page
    assert "I want to order more" in page
    assert line_count(in_app, public_id) == 1
    tab = load_tab(in_app, public_id)
    assert (tab.status, tab.version) == ("settling", version)


def test_the_pages_own_fetch_gets_a_409_with_the_reason(cafe, phone, in_app):
    public_id = asked_to_pay(phone, cafe)

    response = phone.post_json(
        f"/tab/{public_id}/order", {"item_id": cafe.croissant.id, "quantity": 1}
    )

    assert response.status_code == 409
    assert "waiting for payment" in response.json["error"]
    assert line_count(in_app, public_id) == 1


def test_after_choosing_to_order_more_the_phone_can_order_again(cafe, phone, in_app):
    public_id = asked_to_pay(phone, cafe)
    assert phone.post_form(f"/tab/{public_id}/keep-ordering").status_code == 303

    assert order(phone, public_id, cafe.croissant).status_code == 303
    assert line_count(in_app, public_id) == 2
    assert load_tab(in_app, public_id).status == "open"


def test_staff_can_still_add_at_the_counter_while_the_tab_waits(cafe, phone, staff_client, in_app):
    public_id = asked_to_pay(phone, cafe)
    tab = load_tab(in_app, public_id)

    response = staff_client.post_form(
        f"/staff/tabs/{tab.id}/order", {"item_id": cafe.croissant.id, "quantity": 1}
    )

    assert response.status_code == 303
    assert line_count(in_app, public_id) == 2
    assert load_tab(in_app, public_id).status == "settling"
