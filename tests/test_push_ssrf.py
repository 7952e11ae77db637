"""The server only ever posts to public push services (issue 12, item 2): an endpoint
on loopback, a private, link-local, unique-local, multicast or reserved address, an
integer or octal spelling of one, a local or internal name, or a name resolving to
any of those is refused with a clear 400 when the phone subscribes; and again when
the message is sent (DNS can change in between), by resolving once, checking, and
connecting to exactly the addresses checked.

DNS is played by replacing `services.outbound.resolve`; nothing here ever connects
to a non-loopback address.
"""

import pytest
from sqlalchemy import select

import services.outbound as outbound
from extensions import db
from models import PushMessage, PushSubscription
from tests.helpers import load_tab, open_tab, order, subscribe_push

PUBLIC = "93.184.215.14"  # documentation examples are reserved, so a real public one


@pytest.fixture
def strict(make_app):
    """The app as in production: https only, public addresses only."""
    return make_app(PUSH_ALLOW_HTTP_ENDPOINTS=False, PUSH_ALLOW_PRIVATE_ADDRESSES=False)


@pytest.fixture
def dns(monkeypatch):
    """name -> addresses; a name not listed does not resolve. Records every lookup."""
    answers: dict[str, list[str]] = {}
    asked: list[str] = []
    during: list[bool] = []  # was a database transaction open at each lookup?
    real = outbound.resolve

    def resolve(host, port):
        from flask import has_app_context

        from extensions import db

        asked.append(host)
        if has_app_context():
            during.append(db.session().in_transaction())
        if host in answers:
            return answers[host]
        if host.replace(".", "").replace(":", "").isalnum() and not host[0].isalpha():
            return real(host, port)  # numeric spellings: no DNS involved
        raise outbound.RefusedAddress(f"{host} does not resolve")

    monkeypatch.setattr(outbound, "resolve", resolve)
    resolve.answers, resolve.asked, resolve.during = answers, asked, during
    return resolve


def subscription(endpoint: str, push_service) -> dict:
    return {**push_service.subscription(), "endpoint": endpoint}


REFUSED = [
    "https://127.0.0.1/push/x",
    "https://127.0.0.1:8443/push/x",
    "https://localhost/push/x",
    "https://localhost:5432/push/x",
    "https://[::1]/push/x",
    "https://169.254.169.254/latest/meta-data",
    "https://10.0.0.1/push/x",
    "https://172.16.5.4/push/x",
    "https://192.168.1.1/push/x",
    "https://2130706433/push/x",
    "https://0x7f.1/push/x",
    "https://0177.0.0.1/push/x",
    "https://127.1/push/x",
    "https://0.0.0.0/push/x",
    "https://[::ffff:127.0.0.1]/push/x",
    "https://[::ffff:a9fe:a9fe]/push/x",
    "https://[fe80::1]/push/x",
    "https://[fc00::1]/push/x",
    "https://[fd12:3456::1]/push/x",
    "https://[64:ff9b::a9fe:a9fe]/push/x",
    "https://[2002:7f00:1::1]/push/x",
    "https://224.0.0.1/push/x",
    "https://[ff02::1]/push/x",
    "https://100.64.0.1/push/x",
    "https://240.0.0.1/push/x",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://printer.local/push/x",
    "https://router.home.arpa/push/x",
    "https://private.example.net/push/x",  # resolves to 10.1.2.3
    "https://mixed.example.net/push/x",  # one public and one private address
    "https://nowhere.example.net/push/x",  # does not resolve
    f"https://{PUBLIC}:5432/push/x",  # public, but not the https port
    "http://push.example.net/push/x",  # public, but not https
]


@pytest.mark.parametrize("endpoint", REFUSED)
def test_an_endpoint_that_is_not_a_public_push_service_is_refused(
    strict, cafe, push_service, dns, in_app, endpoint
):
    dns.answers.update(
        {
            "private.example.net": ["10.1.2.3"],
            "mixed.example.net": [PUBLIC, "192.168.0.9"],
            "push.example.net": [PUBLIC],
        }
    )
    phone = strict.test_client()
    public_id = open_tab(phone, cafe.table)
    response = subscribe_push(phone, public_id, subscription(endpoint, push_service))
    assert response.status_code == 400
    assert "https" in response.json["error"] or "not a public push" in response.json["error"]
    assert in_app(lambda: db.session.execute(select(PushSubscription)).all()) == []


def test_a_public_push_service_is_accepted(strict, cafe, push_service, dns, in_app):
    dns.answers["fcm.googleapis.com"] = ["142.250.74.106", "2a00:1450:4001:82b::200a"]
    phone = strict.test_client()
    public_id = open_tab(phone, cafe.table)
    endpoint = "https://fcm.googleapis.com/fcm/send/abc:def"
    response = subscribe_push(phone, public_id, subscription(endpoint, push_service))
    assert response.status_code == 200, response.get_data(as_text=True)
    [row] = in_app(lambda: db.session.execute(select(PushSubscription)).scalars().all())
    assert (row.endpoint, row.origin) == (endpoint, "https://fcm.googleapis.com")
    # The name was looked up with no transaction open (on SQLite, a POST's transaction
    # holds the write lock: a slow DNS answer must not hold up every other writer).
    assert dns.during == [False]


def test_a_name_that_turns_private_after_subscribing_is_not_sent_to(
    strict, cafe, push_service, dns, in_app, login, push_clock, monkeypatch
):
    """DNS rebinding: public when the phone subscribed, 10.0.0.1 when the message
    leaves. The dispatcher resolves, refuses, and never opens a connection."""
    from services.push_dispatch import Dispatcher

    dns.answers["rebind.example.net"] = [PUBLIC]
    phone = strict.test_client()
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    endpoint = "https://rebind.example.net/push/x"
    assert subscribe_push(phone, public_id, subscription(endpoint, push_service)).status_code == 200
    line = load_tab(in_app, public_id).lines[0]
    staff = login(cafe.staff)
    assert staff.post_json(f"/staff/lines/{line.id}/status", {"status": "ready"}).status_code == 200

    connections = []
    monkeypatch.setattr(outbound.socket, "create_connection", lambda *a, **k: connections.append(a))
    dns.answers["rebind.example.net"] = ["10.0.0.1"]
    dispatcher = Dispatcher(strict, clock=push_clock)
    try:
        assert dispatcher.run_once() == 1
    finally:
        dispatcher.close()
    message = in_app(lambda: db.session.execute(select(PushMessage)).scalar_one())
    assert message.status == "failed"
    assert "non-public address (10.0.0.1)" in message.last_error
    assert connections == []
    assert push_service.attempts == []


def test_the_connection_goes_to_the_address_that_was_checked(
    cafe, phone, push_service, dns, in_app, staff_client, dispatcher
):
    """The name is resolved once, by the check, and the socket opened to its answer:
    `push.rebind.test` exists only in our stand-in DNS, so a second lookup by the HTTP
    library (the gap a rebinding attack uses) would fail to deliver."""
    port = push_service.server.server_port
    push_service.origin = f"http://push.rebind.test:{port}"  # what VAPID's aud must say
    dns.answers["push.rebind.test"] = ["127.0.0.1"]
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    assert subscribe_push(phone, public_id, push_service.subscription()).status_code == 200
    line = load_tab(in_app, public_id).lines[0]
    staff_client.post_json(f"/staff/lines/{line.id}/status", {"status": "ready"})
    dns.asked.clear()

    assert dispatcher.run_once() == 1
    assert [p["body"] for p in push_service.payloads()] == ["Your Flat white is ready"]
    assert push_service.deliveries[0].headers["host"] == f"push.rebind.test:{port}"
    assert dns.asked == ["push.rebind.test"]
