"""Web Push set-up: VAPID keys and subject checked at start-up, the service worker
served for the whole site, the dispatcher thread started only where it belongs,
and `flask push worker`."""

import base64
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from config import ConfigError, check_vapid_subject, default_vapid_subject, vapid_key_from_instance
from extensions import db
from models import PushMessage
from services import push as push_module
from services.push_dispatch import load_vapid, public_key
from tests.helpers import load_tab, open_tab, order, subscribe_push


@pytest.mark.parametrize(
    "subject",
    [
        "mailto:owner@localhost",
        "mailto:owner@cafe.local",
        "mailto:owner@cafe.invalid",
        "mailto:owner@shop.localhost",
        "mailto:owner",
        "https://localhost/contact",
        "https://cafe.local",
        "owner@cafe.com",
        "http://cafe.com",
        "",
    ],
)
def test_unusable_vapid_subjects_stop_start_up(make_app, subject):
    with pytest.raises(ConfigError, match="VAPID_SUBJECT"):
        make_app(VAPID_SUBJECT=subject)


@pytest.mark.parametrize("subject", ["mailto:owner@cafe-luna.ie", "https://cafe-luna.ie/contact"])
def test_real_subjects_pass(subject):
    assert check_vapid_subject(subject) == subject


def test_default_subject_passes_for_a_local_run_and_uses_a_public_site():
    assert check_vapid_subject(default_vapid_subject("http://127.0.0.1:5000"))
    assert default_vapid_subject("https://tabs.cafe-luna.ie") == "https://tabs.cafe-luna.ie"


def test_key_generated_once_into_instance(tmp_path):
    results = []

    def make():
        results.append(vapid_key_from_instance(str(tmp_path)))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert results[0].startswith("-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "vapid_private_key.pem").stat().st_mode & 0o077 == 0
    assert vapid_key_from_instance(str(tmp_path)) == results[0]
    assert [p.name for p in tmp_path.iterdir()] == ["vapid_private_key.pem"]


def test_raw_private_key_from_the_environment_works(make_app):
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    app = make_app(VAPID_PRIVATE_KEY=base64.urlsafe_b64encode(raw).decode().rstrip("="))
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert app.config["VAPID_PUBLIC_KEY"] == base64.urlsafe_b64encode(point).decode().rstrip("=")


def test_a_broken_private_key_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="VAPID_PRIVATE_KEY"):
        make_app(VAPID_PRIVATE_KEY="not-a-key")


def test_unknown_dispatcher_mode_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="PUSH_DISPATCHER"):
        make_app(PUSH_DISPATCHER="celery")


def test_tab_page_carries_the_public_key_and_the_button(cafe, phone, app):
    public_id = open_tab(phone, cafe.table)
    page = phone.get(f"/tab/{public_id}").get_data(as_text=True)
    assert f'data-vapid-key="{app.config["VAPID_PUBLIC_KEY"]}"' in page
    assert "Notify me when ready" in page
    assert "Add to Home Screen" in page
    assert "/static/js/push.js" in page and "/static/js/sw-register.js" in page
    assert public_key(load_vapid(app.config["VAPID_PRIVATE_KEY"])) == app.config["VAPID_PUBLIC_KEY"]


def test_service_worker_is_served_for_the_whole_site(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.mimetype == "application/javascript"
    body = response.get_data(as_text=True)
    assert 'addEventListener("push"' in body and 'addEventListener("notificationclick"' in body


def test_dispatcher_thread_starts_on_the_first_request_only(make_app, monkeypatch):
    import services.push_dispatch as dispatch

    started = []
    monkeypatch.setattr(dispatch, "start_thread", lambda app: started.append(app))
    # register_push imported start_thread at create_app time: patch before making.
    app = make_app(PUSH_DISPATCHER="thread")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0, result.output
    assert started == []  # CLI commands never start one
    client = app.test_client()
    client.get("/health")
    client.get("/health")
    assert started == [app]


def test_dispatcher_off_never_starts_a_thread(make_app, monkeypatch):
    import services.push_dispatch as dispatch

    started = []
    monkeypatch.setattr(dispatch, "start_thread", lambda app: started.append(app))
    make_app(PUSH_DISPATCHER="off").test_client().get("/health")
    assert started == []


def test_commit_with_outbox_rows_wakes_the_dispatcher(
    cafe, phone, push_service, staff_client, in_app, monkeypatch
):
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)
    subscribe_push(phone, public_id, push_service.subscription())
    line_id = load_tab(in_app, public_id).lines[0].id
    # A fresh event of our own: a dispatcher thread left running by another test waits
    # on the module's event and would clear it the moment it is set.
    push_service_event = threading.Event()
    monkeypatch.setattr(push_module, "outbox_written", push_service_event)
    staff_client.post_json(f"/staff/lines/{line_id}/status", {"status": "preparing"})
    assert not push_service_event.is_set()
    staff_client.post_json(f"/staff/lines/{line_id}/status", {"status": "ready"})
    assert push_service_event.is_set()


def test_real_thread_sends_promptly(make_app, cafe, push_service, in_app):
    """The embedded default: the web process's own thread sends after the commit."""
    app = make_app(PUSH_DISPATCHER="thread", PUSH_POLL_SECONDS=30)
    phone = app.test_client()
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)
    subscribe_push(phone, public_id, push_service.subscription())  # first request starts it
    staff = app.test_client()
    staff.post_form(
        "/staff/login", {"email": cafe.staff.email, "password": "correct-horse-battery"}
    )
    line_id = load_tab(in_app, public_id).lines[0].id
    staff.post_json(f"/staff/lines/{line_id}/status", {"status": "ready"})
    # Woken by the commit, not by its 30 s poll.
    [delivery] = push_service.wait_for(1, timeout=10)
    assert delivery.payload["body"] == "Your Flat white is ready"
    thread = app.extensions["push_dispatcher_thread"]
    thread.stop.set()
    push_module.outbox_written.set()
    thread.join(timeout=30)  # returns as soon as it ends; a busy machine is slow
    assert not thread.is_alive()


def test_worker_command_sends_what_is_due(app, cafe, phone, push_service, staff_client, in_app):
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)
    subscribe_push(phone, public_id, push_service.subscription())
    line_id = load_tab(in_app, public_id).lines[0].id
    staff_client.post_json(f"/staff/lines/{line_id}/status", {"status": "ready"})
    result = app.test_cli_runner().invoke(args=["push", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "Handled 1 message." in result.output
    assert [p["body"] for p in push_service.payloads()] == ["Your Flat white is ready"]
    statuses = in_app(lambda: db.session.execute(select(PushMessage.status)).scalars().all())
    assert statuses == ["sent"]
