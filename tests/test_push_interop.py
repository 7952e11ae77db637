"""Our Web Push messages are accepted and decrypted by a push service we did not
write (issue 12, item 1): `web-push-testing` from npm answered 400 to every message
until we sent the headers RFC 8030/8291 show (Content-Type: application/octet-stream
among them). It issues the subscription, the phone posts it, staff mark a line
ready, the dispatcher sends, and the service shows the notification it decrypted.

Needs node and the package (`.ci/run` installs it; WEB_PUSH_TESTING_PATH points
elsewhere). Skipped without them, a failure when TABBY_REQUIRE_BROWSER=1 (CI)."""

import json

from sqlalchemy import select

from extensions import db
from models import PushMessage
from services.push_dispatch import Dispatcher
from tests.helpers import load_tab, open_tab, order, subscribe_push


def test_an_independent_push_service_decrypts_the_ready_notification(
    app, cafe, phone, staff_client, in_app, web_push_testing, make_app, push_clock
):
    subscription, client_hash = web_push_testing.subscribe(app.config["VAPID_PUBLIC_KEY"])
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    assert subscribe_push(phone, public_id, subscription).status_code == 200
    line = load_tab(in_app, public_id).lines[0]
    response = staff_client.post_json(f"/staff/lines/{line.id}/status", {"status": "ready"})
    assert response.status_code == 200

    # A patient sender: node answering its first request on a busy machine can take
    # longer than the suite's 0.5 s, which is not what this test is about.
    dispatcher = Dispatcher(make_app(PUSH_TIMEOUT_SECONDS=30), clock=push_clock)
    try:
        assert dispatcher.run_once() == 1
    finally:
        dispatcher.close()
    message = in_app(lambda: db.session.execute(select(PushMessage)).scalar_one())
    assert (message.status, message.last_error) == ("sent", "")
    [received] = web_push_testing.messages(client_hash)
    notification = json.loads(received)
    assert notification["body"] == "Your Flat white is ready"
    assert notification["title"] == cafe.shop.name
    assert notification["url"] == f"/tab/{public_id}"
