"""An open tab idle for the shop's `idle_minutes` since its last order, with nothing
being made, gets ONE automatic "still here?": a push to a subscribed phone and a
banner on its tab page; the counter marks it idle until the next order. The sweep
runs on the push dispatcher's rounds, on its steppable clock (no sleeps)."""

import pytest
from sqlalchemy import select

from extensions import db
from models import PushMessage
from tests.helpers import load_tab, open_tab, order, subscribe_push
from tests.pay_helpers import set_shop


@pytest.fixture
def idle_cafe(cafe, in_app):
    set_shop(in_app, cafe.shop, idle_minutes=45)
    return cafe


@pytest.fixture
def served_tab(idle_cafe, phone, staff_client, in_app):
    """Ana's tab: a Flat white ordered and served, so nothing is being made."""
    public_id = open_tab(phone, idle_cafe.table, "Ana")
    order(phone, public_id, idle_cafe.flat_white)
    line_id = load_tab(in_app, public_id).lines[0].id
    response = staff_client.post_json(f"/staff/lines/{line_id}/status", {"status": "served"})
    assert response.status_code == 200
    return public_id


def reminders(in_app) -> list[str]:
    return in_app(
        lambda: [
            m.payload
            for m in db.session.execute(select(PushMessage).order_by(PushMessage.id)).scalars()
        ]
    )


def counter_row(staff_client, name="Ana") -> str:
    page = staff_client.get("/staff").get_data(as_text=True)
    return page.split(f"<strong>{name}</strong>", 1)[1].split("</li>", 1)[0]


def test_an_idle_tab_gets_one_still_here_and_shows_idle_on_the_counter(
    served_tab, idle_cafe, phone, staff_client, dispatcher, push_clock, push_service, in_app
):
    assert subscribe_push(phone, served_tab, push_service.subscription()).status_code == 200
    dispatcher.run_once()
    assert load_tab(in_app, served_tab).idle_reminded_at is None  # a minute in: not idle
    assert "data-idle" not in counter_row(staff_client)

    push_clock.advance(45 * 60)
    dispatcher.run_once()
    assert load_tab(in_app, served_tab).idle_reminded_at is not None
    [payload] = push_service.payloads()
    assert payload["body"] == "Still here? Your tab is open: €3.80."
    assert payload["url"] == f"/tab/{served_tab}"
    assert "Still here?" in phone.get(f"/tab/{served_tab}").get_data(as_text=True)
    assert "data-idle" in counter_row(staff_client)

    # Only ever once, however long it stays idle.
    for _ in range(3):
        push_clock.advance(60 * 60)
        dispatcher.run_once()
    assert len(push_service.payloads()) == 1

    # An order clears the marker and the banner.
    order(phone, served_tab, idle_cafe.croissant)
    assert "data-idle" not in counter_row(staff_client)
    assert "Still here?" not in phone.get(f"/tab/{served_tab}").get_data(as_text=True)


def test_without_a_subscription_the_banner_still_shows(
    served_tab, phone, dispatcher, push_clock, in_app
):
    push_clock.advance(46 * 60)
    dispatcher.run_once()
    assert reminders(in_app) == []
    assert "Still here?" in phone.get(f"/tab/{served_tab}").get_data(as_text=True)


def test_a_tab_with_something_being_made_is_not_idle(
    idle_cafe, phone, dispatcher, push_clock, in_app
):
    public_id = open_tab(phone, idle_cafe.table, "Ana")
    order(phone, public_id, idle_cafe.flat_white)  # still ordered: being made
    push_clock.advance(2 * 60 * 60)
    dispatcher.run_once()
    assert load_tab(in_app, public_id).idle_reminded_at is None


def test_shops_without_an_idle_setting_send_nothing(
    cafe, phone, staff_client, dispatcher, push_clock, in_app
):
    public_id = open_tab(phone, cafe.table, "Ana")
    push_clock.advance(10 * 60 * 60)
    dispatcher.run_once()
    assert load_tab(in_app, public_id).idle_reminded_at is None
