"""One phone cannot stall everyone's notifications (issue 12, item 3): a phone and a
tab hold a bounded number of subscriptions, subscribing is rate-limited, and an
endpoint that accepts connections and never answers delays only its own messages:
it gets at most PUSH_SENDS_PER_HOST sends at once, another tab's message goes out
meanwhile, and once it has failed it is left aside (with backoff) rather than tried
in front of everyone else. Driven by events, never by the clock."""

import threading

import pytest
from sqlalchemy import select

from extensions import db
from models import PushMessage, PushSubscription
from services.push_dispatch import Dispatcher
from tests.helpers import load_tab, open_tab, order, subscribe_push
from tests.push_service import Tarpit


def stored(in_app):
    return in_app(
        lambda: [
            s.endpoint
            for s in db.session.execute(
                select(PushSubscription).order_by(PushSubscription.id)
            ).scalars()
        ]
    )


def test_a_phone_keeps_its_newest_subscriptions_and_the_oldest_give_way(
    cafe, phone, push_service, in_app
):
    public_id = open_tab(phone, cafe.table)
    endpoints = []
    for _ in range(5):
        subscription = push_service.subscription()
        endpoints.append(subscription["endpoint"])
        assert subscribe_push(phone, public_id, subscription).status_code == 200
    assert stored(in_app) == endpoints[-3:]  # PUSH_MAX_SUBSCRIPTIONS_PER_PHONE


def test_a_full_tab_refuses_more_subscriptions(make_app, cafe, push_service, in_app):
    app = make_app(PUSH_MAX_SUBSCRIPTIONS_PER_TAB=2, PUSH_MAX_SUBSCRIPTIONS_PER_PHONE=10)
    phone = app.test_client()
    public_id = open_tab(phone, cafe.table)
    for _ in range(2):
        assert subscribe_push(phone, public_id, push_service.subscription()).status_code == 200
    before = stored(in_app)
    response = subscribe_push(phone, public_id, push_service.subscription())
    assert response.status_code == 409
    assert "as many phones as it can" in response.json["error"]
    assert stored(in_app) == before
    # The same endpoint again still replaces its keys.
    again = subscribe_push(phone, public_id, {**push_service.subscription(), "endpoint": before[0]})
    assert again.status_code == 200


def test_subscribing_is_rate_limited_per_tab(make_app, cafe, push_service):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_PUSH_SUBSCRIBE="2 per minute",
        RATELIMIT_CARD_SCAN="1000 per minute",
        RATELIMIT_TAB_OPEN="1000 per minute",
    )
    phone = app.test_client()
    public_id = open_tab(phone, cafe.table)
    statuses = [
        subscribe_push(phone, public_id, push_service.subscription()).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.fixture
def tarpit():
    pit = Tarpit()
    yield pit
    pit.stop()


def messages(in_app, tab_id):
    return in_app(
        lambda: [
            (m.status, m.attempts)
            for m in db.session.execute(
                select(PushMessage).where(PushMessage.tab_id == tab_id).order_by(PushMessage.id)
            ).scalars()
        ]
    )


def test_a_tarpit_delays_only_its_own_messages(
    cafe, new_client, push_service, staff_client, in_app, make_app, push_clock, tarpit, app
):
    # Tab A: ten subscriptions (as many tabs' worth as an attacker likes) at a tarpit,
    # queued first, so they stand in front of everyone else's.
    hostile = new_client()
    tab_a = load_tab(in_app, open_tab(hostile, cafe.table, "Mallory"))
    order(hostile, tab_a.public_id, cafe.flat_white)
    keys = push_service.subscription()["keys"]

    def add_tarpit_subscriptions():
        for n in range(10):
            db.session.add(
                PushSubscription(
                    shop_id=cafe.shop.id,
                    tab_id=tab_a.id,
                    phone_id="x" * 43,
                    endpoint=f"{tarpit.origin}/push/{n}",
                    origin=tarpit.origin,
                    p256dh=keys["p256dh"],
                    auth=keys["auth"],
                )
            )

    in_app(add_tarpit_subscriptions)
    line_a = load_tab(in_app, tab_a.public_id).lines[0]
    staff_client.post_json(f"/staff/lines/{line_a.id}/status", {"status": "ready"})
    # Tab B: an ordinary phone at a healthy push service.
    phone = new_client()
    public_b = open_tab(phone, cafe.table, "Ana")
    order(phone, public_b, cafe.croissant)
    order(phone, public_b, cafe.flat_white)
    assert subscribe_push(phone, public_b, push_service.subscription()).status_code == 200
    croissant, flat_white = load_tab(in_app, public_b).lines
    staff_client.post_json(f"/staff/lines/{croissant.id}/status", {"status": "ready"})

    # A patient sender: the tarpit holds its sends for as long as the test lets it.
    sender = Dispatcher(
        make_app(PUSH_TIMEOUT_SECONDS=120, PUSH_CONNECT_TIMEOUT_SECONDS=120), clock=push_clock
    )
    round_one = threading.Thread(target=sender.run_once)
    round_one.start()
    try:
        delivered = push_service.wait_for(1, timeout=30)
        assert [d.payload["body"] for d in delivered] == ["Your Butter croissant is ready"]
        assert tarpit.wait_for(2)
        assert tarpit.accepted == app.config["PUSH_SENDS_PER_HOST"] == 2
        assert round_one.is_alive()  # the tarpit's two sends are still waiting
        assert sorted(messages(in_app, tab_a.id)) == [("pending", 0)] * 8 + [("sending", 1)] * 2
    finally:
        tarpit.stop()  # its two connections drop: not delivered, to be retried
        round_one.join()
    assert messages(in_app, tab_a.id).count(("pending", 1)) == 2

    # The tarpit's service is left aside after failing: the next ready message goes
    # out at once although eight of the tarpit's are due in front of it.
    staff_client.post_json(f"/staff/lines/{flat_white.id}/status", {"status": "ready"})
    push_clock.advance(1)
    try:
        assert sender.run_once() == 1
    finally:
        sender.close()
    assert [p["body"] for p in push_service.payloads()][-1] == "Your Flat white is ready"
    assert tarpit.accepted == 2
