"""What a phone is told, and when: ready (one notification for lines made ready
together), receipt on payment, a staff reminder to pay; nothing for a closed tab.
Messages are read as the local push service decrypted them."""

import json

import pytest
from sqlalchemy import select

from extensions import db
from models import PushMessage, TabLine
from services import push as push_service
from tests.helpers import load_tab, open_tab, order, subscribe_push


@pytest.fixture
def subscribed(cafe, phone, push_service, in_app):
    """A tab with a Flat white and a croissant ordered, its phone subscribed."""
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    order(phone, public_id, cafe.croissant)
    assert subscribe_push(phone, public_id, push_service.subscription()).status_code == 200
    tab = load_tab(in_app, public_id)
    return tab, [line.id for line in tab.lines]


def outbox(in_app):
    return in_app(
        lambda: [
            (m.kind, m.status, json.loads(m.payload))
            for m in db.session.execute(select(PushMessage).order_by(PushMessage.id)).scalars()
        ]
    )


def mark(staff_client, line_id, status="ready"):
    response = staff_client.post_json(f"/staff/lines/{line_id}/status", {"status": status})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_line_ready_sends_your_item_is_ready(subscribed, staff_client, dispatcher, push_service):
    tab, (flat_white, _) = subscribed
    mark(staff_client, flat_white)
    assert dispatcher.run_once() == 1
    [payload] = push_service.payloads()
    assert payload["body"] == "Your Flat white is ready"
    assert payload["title"] == "Café Number 1"
    assert payload["url"] == f"/tab/{tab.public_id}"
    assert payload["tag"] == f"tab-{tab.id}"
    assert payload["icon"] == "/static/icon.svg"
    headers = push_service.deliveries[0].headers
    assert headers["urgency"] == "high"
    assert int(headers["ttl"]) > 0
    assert headers["topic"] == f"tab-{tab.id}"
    assert push_service.problems == []


def test_status_change_and_outbox_row_commit_together(subscribed, staff_client, in_app):
    _, (flat_white, _) = subscribed
    mark(staff_client, flat_white, "preparing")
    assert outbox(in_app) == []  # only "ready" is announced
    mark(staff_client, flat_white)
    [(kind, status, payload)] = outbox(in_app)
    assert (kind, status, payload["body"]) == ("ready", "pending", "Your Flat white is ready")


def test_a_refused_change_writes_no_message(subscribed, staff_client, in_app):
    _, (flat_white, _) = subscribed
    mark(staff_client, flat_white, "served")
    response = staff_client.post_json(f"/staff/lines/{flat_white}/status", {"status": "ready"})
    assert response.status_code == 409
    assert outbox(in_app) == []


def test_lines_made_ready_together_are_one_notification(
    subscribed, staff_client, dispatcher, push_service
):
    tab, _ = subscribed
    response = staff_client.post_json(f"/staff/tabs/{tab.id}/ready")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert dispatcher.run_once() == 1
    [payload] = push_service.payloads()
    assert payload["body"] == "Your Flat white and Butter croissant are ready"


def test_quick_taps_before_sending_share_one_notification(
    subscribed, staff_client, dispatcher, push_service, in_app
):
    _, (flat_white, croissant) = subscribed
    mark(staff_client, flat_white)
    mark(staff_client, croissant)
    assert len(outbox(in_app)) == 1
    assert dispatcher.run_once() == 1
    assert [p["body"] for p in push_service.payloads()] == [
        "Your Flat white and Butter croissant are ready"
    ]


def test_a_later_ready_after_sending_names_only_what_just_became_ready(
    subscribed, staff_client, dispatcher, push_service
):
    _, (flat_white, croissant) = subscribed
    mark(staff_client, flat_white)
    dispatcher.run_once()
    mark(staff_client, croissant)
    dispatcher.run_once()
    bodies = [p["body"] for p in push_service.payloads()]
    assert bodies == ["Your Flat white is ready", "Your Butter croissant is ready"]
    tags = {p["tag"] for p in push_service.payloads()}
    assert len(tags) == 1  # one notification per tab on the phone, the newest


def test_five_lines_ready_one_by_one_are_five_messages_each_naming_one(
    cafe, phone, push_service, staff_client, dispatcher, in_app, create_item
):
    """The report: the fifth notification named all five drinks still on the counter."""
    names = ["Espresso", "Flat white", "Cappuccino", "Oat latte", "Green tea"]
    items = [create_item(cafe.shop, name, 300) for name in names]
    public_id = open_tab(phone, cafe.table, "Ana")
    for item in items:
        order(phone, public_id, item)
    subscribe_push(phone, public_id, push_service.subscription())
    for line in load_tab(in_app, public_id).lines:
        mark(staff_client, line.id)
        assert dispatcher.run_once() == 1
    assert [p["body"] for p in push_service.payloads()] == [f"Your {n} is ready" for n in names]


def test_a_phone_whose_message_is_still_waiting_is_told_everything_it_missed(
    subscribed, phone, staff_client, dispatcher, push_service, push_clock
):
    """Two browsers subscribed on the tab; one's message failed and waits for its retry
    when the croissant is made ready: the other hears only of the croissant, this one
    of both."""
    tab, (flat_white, croissant) = subscribed
    assert subscribe_push(phone, tab.public_id, push_service.subscription()).status_code == 200
    mark(staff_client, flat_white)
    push_service.fail_next(500)  # whichever of the two arrives first fails
    assert dispatcher.run_once() == 2
    mark(staff_client, croissant)
    push_clock.advance(3600)
    assert dispatcher.run_once() == 2
    last_heard = {d.token: d.payload["body"] for d in push_service.deliveries}
    assert sorted(last_heard.values()) == [
        "Your Butter croissant is ready",
        "Your Flat white and Butter croissant are ready",
    ]


def test_served_before_sending_drops_the_message(subscribed, staff_client, dispatcher, in_app):
    _, (flat_white, _) = subscribed
    mark(staff_client, flat_white)
    mark(staff_client, flat_white, "served")
    assert outbox(in_app) == []
    assert dispatcher.run_once() == 0


def test_no_subscription_no_message(cafe, phone, staff_client, in_app):
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)
    line_id = load_tab(in_app, public_id).lines[0].id
    mark(staff_client, line_id)
    assert outbox(in_app) == []


def test_payment_sends_the_receipt_and_drops_what_was_waiting(
    subscribed, staff_client, dispatcher, push_service
):
    tab, (flat_white, _) = subscribed
    mark(staff_client, flat_white)  # not yet sent when the customer pays
    response = staff_client.post_form(
        f"/staff/tabs/{tab.id}/payment", {"method": "cash", "amount": "6.60", "tip": "0"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert dispatcher.run_once() == 1
    [payload] = push_service.payloads()
    assert payload["body"] == "Thanks — here is your receipt"
    assert payload["url"] == f"/tab/{tab.public_id}/receipt"


def test_a_closed_tab_gets_nothing_more(subscribed, staff_client, dispatcher, push_service, in_app):
    tab, line_ids = subscribed
    for line_id in line_ids:
        staff_client.post_form(f"/staff/lines/{line_id}/void", {"reason": "Out of milk"})
    mark_response = staff_client.post_json(
        f"/staff/lines/{line_ids[0]}/status", {"status": "ready"}
    )
    assert mark_response.status_code == 409
    assert staff_client.post_form(f"/staff/tabs/{tab.id}/close").status_code == 303
    response = staff_client.post_json(f"/staff/tabs/{tab.id}/remind")
    assert response.status_code == 409
    assert outbox(in_app) == []
    assert dispatcher.run_once() == 0
    assert push_service.deliveries == []


def test_staff_remind_an_open_tab_to_pay(subscribed, staff_client, dispatcher, push_service):
    tab, _ = subscribed
    response = staff_client.post_json(f"/staff/tabs/{tab.id}/remind")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["message"] == "Reminder sent to Ana's phone."
    dispatcher.run_once()
    [payload] = push_service.payloads()
    assert payload["body"] == "Your tab is still open: €6.60. Tap to see your bill."
    assert payload["url"] == f"/tab/{tab.public_id}/bill"
    again = staff_client.post_json(f"/staff/tabs/{tab.id}/remind")
    assert again.status_code == 409
    assert "a moment ago" in again.json["error"]


def test_remind_without_notifications_still_reaches_the_tab_page(cafe, phone, staff_client, in_app):
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)
    tab = load_tab(in_app, public_id)
    response = staff_client.post_json(f"/staff/tabs/{tab.id}/remind")
    assert response.status_code == 200
    assert "notifications are off" in response.json["message"]
    assert outbox(in_app) == []
    assert load_tab(in_app, public_id).remind_requested_at is not None
    page = staff_client.get(f"/staff/tabs/{tab.id}").get_data(as_text=True)
    assert "Notifications are off for this tab" in page
    assert "Remind to pay" in page


def test_staff_tab_page_offers_reminder_when_subscribed(subscribed, staff_client):
    tab, _ = subscribed
    page = staff_client.get(f"/staff/tabs/{tab.id}").get_data(as_text=True)
    assert "Remind to pay" in page
    assert "All ready" in page


def test_other_shops_staff_cannot_remind(subscribed, other_cafe, login, in_app):
    tab, _ = subscribed
    response = login(other_cafe.staff).post_json(f"/staff/tabs/{tab.id}/remind")
    assert response.status_code == 404
    assert outbox(in_app) == []


def test_payloads_stay_small_with_many_long_names(ctx):
    lines = [TabLine(name="Very long oat milk flat white " * 4, quantity=2) for _ in range(40)]
    text = push_service.ready_text(lines)
    assert len(text) <= push_service.MAX_BODY + 20
    assert text.startswith("Your 2 × Very long")
    assert text.endswith("more are ready")
