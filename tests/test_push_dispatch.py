"""The dispatcher against a misbehaving push service: retries with backoff,
Retry-After honoured, timeouts retried, dead subscriptions removed, VAPID faults
logged loudly, failures shown to staff, and at-least-once delivery after a crash.

The dispatcher's clock is stepped by hand (`push_clock`), so a wait is proved by
the recorded next_attempt_at and by nothing being sent before it, never by sleeping.
"""

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import PushMessage, PushSubscription
from tests.helpers import load_tab, open_tab, order, subscribe_push, visible_text
from tests.push_service import Fault


@pytest.fixture
def ready_message(cafe, phone, push_service, staff_client, in_app):
    """A Flat white marked ready on a subscribed tab: one message in the outbox."""
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    assert subscribe_push(phone, public_id, push_service.subscription()).status_code == 200
    tab = load_tab(in_app, public_id)
    response = staff_client.post_json(f"/staff/lines/{tab.lines[0].id}/status", {"status": "ready"})
    assert response.status_code == 200
    return tab


def message(in_app) -> PushMessage:
    return in_app(lambda: db.session.execute(select(PushMessage)).scalar_one_or_none())


def subscriptions(in_app):
    return in_app(lambda: db.session.execute(select(PushSubscription)).scalars().all())


def test_500_then_201_is_delivered_once(
    ready_message, dispatcher, push_service, push_clock, in_app
):
    push_service.fail_next(500)
    assert dispatcher.run_once() == 1
    first = message(in_app)
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.next_attempt_at == push_clock.now + timedelta(seconds=5)
    assert first.last_error.startswith("500")
    assert dispatcher.run_once() == 0  # not due yet
    push_clock.advance(5)
    assert dispatcher.run_once() == 1
    sent = message(in_app)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, "")
    assert [p["body"] for p in push_service.payloads()] == ["Your Flat white is ready"]
    assert [status for _, status in push_service.attempts] == [500, 201]
    push_clock.advance(3600)
    assert dispatcher.run_once() == 0


def test_backoff_doubles(ready_message, dispatcher, push_service, push_clock, in_app):
    push_service.fail_next(503, 502, 500)
    delays = []
    for _ in range(3):
        before = push_clock.now
        dispatcher.run_once()
        delays.append((message(in_app).next_attempt_at - before).total_seconds())
        push_clock.advance(delays[-1])
    assert delays == [5, 10, 20]
    dispatcher.run_once()
    assert message(in_app).status == "sent"


def test_429_waits_as_long_as_retry_after_says(
    ready_message, dispatcher, push_service, push_clock, in_app
):
    push_service.fail_next((429, {"Retry-After": "120"}))
    dispatcher.run_once()
    waiting = message(in_app)
    assert waiting.status == "pending"
    assert waiting.next_attempt_at == push_clock.now + timedelta(seconds=120)
    push_clock.advance(119)
    assert dispatcher.run_once() == 0
    assert len(push_service.attempts) == 1
    push_clock.advance(1)
    assert dispatcher.run_once() == 1
    assert message(in_app).status == "sent"
    assert len(push_service.deliveries) == 1


def test_retry_after_as_an_http_date(ready_message, dispatcher, push_service, push_clock, in_app):
    from email.utils import format_datetime

    when = push_clock.now + timedelta(seconds=90)
    push_service.fail_next((503, {"Retry-After": format_datetime(when, usegmt=True)}))
    dispatcher.run_once()
    delay = (message(in_app).next_attempt_at - push_clock.now).total_seconds()
    assert 89 <= delay <= 90  # HTTP dates have whole seconds


def test_timeout_is_retried(ready_message, dispatcher, push_service, push_clock, in_app):
    push_service.fail_next(Fault(hang=1.0))  # the dispatcher waits 0.5 s in tests
    dispatcher.run_once()
    waiting = message(in_app)
    assert waiting.status == "pending"
    assert "no answer within 0.5 s" in waiting.last_error
    push_clock.advance(5)
    dispatcher.run_once()
    assert message(in_app).status == "sent"
    assert len(push_service.deliveries) == 1


def test_unreachable_service_is_retried(
    ready_message, dispatcher, push_service, push_clock, in_app
):
    push_service.stop()
    dispatcher.run_once()
    waiting = message(in_app)
    assert waiting.status == "pending"
    assert "could not reach" in waiting.last_error


@pytest.mark.parametrize("status", [404, 410])
def test_gone_deletes_the_subscription(
    ready_message, dispatcher, push_service, in_app, status, staff_client
):
    push_service.fail_next(status)
    dispatcher.run_once()
    assert subscriptions(in_app) == []
    assert message(in_app) is None
    page = staff_client.get(f"/staff/tabs/{ready_message.id}").get_data(as_text=True)
    assert "Notifications are off for this tab" in page


def test_403_is_logged_loudly_and_the_subscription_kept(
    ready_message, dispatcher, push_service, in_app, caplog, staff_client
):
    push_service.fail_next(403)
    with caplog.at_level(logging.ERROR, logger="tabby.push"):
        dispatcher.run_once()
    [record] = [r for r in caplog.records if r.name == "tabby.push"]
    assert record.levelno == logging.ERROR
    assert "VAPID" in record.getMessage()
    assert len(subscriptions(in_app)) == 1
    failed = message(in_app)
    assert failed.status == "failed"
    assert "403" in failed.last_error
    counter = staff_client.get("/staff").get_data(as_text=True)
    assert "Notifications not delivered" in counter
    assert "Ana" in counter


def test_gives_up_after_the_limit_and_staff_see_it(
    ready_message, dispatcher, push_service, push_clock, in_app, staff_client, app
):
    limit = app.config["PUSH_MAX_ATTEMPTS"]
    push_service.fail_next(*[500] * limit)
    for _ in range(limit):
        assert dispatcher.run_once() == 1
        push_clock.advance(3600)
    failed = message(in_app)
    assert (failed.status, failed.attempts) == ("failed", limit)
    assert dispatcher.run_once() == 0
    assert push_service.deliveries == []
    page = staff_client.get(f"/staff/tabs/{ready_message.id}").get_data(as_text=True)
    assert "Not delivered" in page and "Ready" in page
    live = staff_client.get("/staff/live", headers={"Accept": "application/json"})
    assert "Notifications not delivered" in live.json["html"]


def test_staff_are_told_in_words_never_the_push_services_error(
    ready_message, dispatcher, push_service, in_app, staff_client
):
    push_service.fail_next(413)
    dispatcher.run_once()
    error = message(in_app).last_error
    assert error
    words = "this phone's notifications failed; tell them in person."
    pages = [
        staff_client.get("/staff").get_data(as_text=True),
        staff_client.get(f"/staff/tabs/{ready_message.id}").get_data(as_text=True),
        staff_client.get("/staff/live", headers={"Accept": "application/json"}).json["html"],
    ]
    for page in pages:
        shown = " ".join(visible_text(page).split())
        assert words in shown.lower()
        assert error not in shown and "413" not in shown


def test_other_4xx_fail_at_once(ready_message, dispatcher, push_service, in_app):
    push_service.fail_next(413)
    dispatcher.run_once()
    assert message(in_app).status == "failed"
    assert len(push_service.attempts) == 1


def test_crash_between_send_and_mark_sends_again_and_the_tag_dedupes(
    ready_message, dispatcher, push_service, push_clock, in_app, monkeypatch
):
    """At least once: a dispatcher that dies after the push service took the message
    but before recording it leaves the row claimed; when the claim's lease runs out
    another dispatcher sends it again. Both copies carry the same id and tag, so the
    service worker replaces the first quietly (see static/sw.js)."""

    def crash(outcomes):
        raise SystemExit("killed between send and mark")

    monkeypatch.setattr(dispatcher, "record", crash)
    with pytest.raises(SystemExit):
        dispatcher.run_once()
    claimed = message(in_app)
    assert (claimed.status, claimed.attempts) == ("sending", 1)
    monkeypatch.undo()

    assert dispatcher.run_once() == 0  # still leased to the dead dispatcher
    push_clock.advance(dispatcher.lease.total_seconds())
    assert dispatcher.run_once() == 1
    assert message(in_app).status == "sent"
    first, second = push_service.payloads()
    assert first == second
    assert first["tag"] == f"tab-{ready_message.id}" and first["id"] == claimed.id


def test_two_dispatchers_never_send_one_message_twice(
    cafe, new_client, push_service, staff_client, in_app, make_app, push_clock
):
    import threading

    from services.push_dispatch import Dispatcher

    for n in range(12):
        phone = new_client()
        public_id = open_tab(phone, cafe.table, f"Guest {n}")
        order(phone, public_id, cafe.flat_white)
        subscribe_push(phone, public_id, push_service.subscription())
        tab = load_tab(in_app, public_id)
        staff_client.post_json(f"/staff/lines/{tab.lines[0].id}/status", {"status": "ready"})
    # A patient sender: on a loaded machine the suite's 0.5 s timeout could turn a slow
    # answer into a retry, which is not what this test is about.
    app = make_app(PUSH_TIMEOUT_SECONDS=10)
    dispatchers = [Dispatcher(app, clock=push_clock) for _ in range(3)]
    start = threading.Barrier(len(dispatchers))
    counts = []

    def run(d):
        start.wait()
        counts.append(d.run_once(limit=5) + d.run_once(limit=5) + d.run_once(limit=5))

    threads = [threading.Thread(target=run, args=(d,)) for d in dispatchers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in dispatchers:
        d.close()
    assert sum(counts) == 12
    ids = [p["id"] for p in push_service.payloads()]
    assert len(ids) == 12 and len(set(ids)) == 12


def test_payload_is_json_the_service_worker_reads(ready_message, in_app):
    payload = json.loads(message(in_app).payload)
    assert set(payload) == {"kind", "title", "body", "tag", "url", "icon", "id"}


def test_a_dead_endpoint_is_removed_from_every_tab_in_one_round(
    cafe, new_client, push_service, staff_client, in_app, dispatcher
):
    shared = push_service.subscription()  # one browser, two tabs (two shops' cards alike)
    for name in ("Ana", "Ben"):
        phone = new_client()
        public_id = open_tab(phone, cafe.table, name)
        order(phone, public_id, cafe.flat_white)
        subscribe_push(phone, public_id, shared)
        tab = load_tab(in_app, public_id)
        staff_client.post_json(f"/staff/lines/{tab.lines[0].id}/status", {"status": "ready"})
    push_service.fail_next(410, 410)
    assert dispatcher.run_once() == 2
    assert subscriptions(in_app) == []
    assert in_app(lambda: db.session.execute(select(PushMessage)).scalars().all()) == []
