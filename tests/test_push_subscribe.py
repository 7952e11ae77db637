"""A phone binds its push subscription to its tab: checked, CSRF-protected, never
duplicated, and only ever to its own live tab."""

from sqlalchemy import select

from extensions import db
from models import PushSubscription
from tests.helpers import open_tab, phone_id_of, subscribe_push


def stored(in_app):
    return in_app(
        lambda: [
            (s.tab_id, s.phone_id, s.endpoint, s.p256dh, s.auth)
            for s in db.session.execute(
                select(PushSubscription).order_by(PushSubscription.id)
            ).scalars()
        ]
    )


def test_subscribing_binds_the_subscription_to_tab_and_phone(cafe, phone, push_service, in_app):
    public_id = open_tab(phone, cafe.table)
    sub = push_service.subscription()
    response = subscribe_push(phone, public_id, sub)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["ok"] is True
    [(tab_id, phone_id, endpoint, p256dh, auth)] = stored(in_app)
    assert endpoint == sub["endpoint"]
    assert (p256dh, auth) == (sub["keys"]["p256dh"], sub["keys"]["auth"])
    assert phone_id == phone_id_of(phone)


def test_resubscribing_replaces_and_never_duplicates(cafe, phone, push_service, in_app):
    public_id = open_tab(phone, cafe.table)
    sub = push_service.subscription()
    assert subscribe_push(phone, public_id, sub).status_code == 200
    assert subscribe_push(phone, public_id, sub).status_code == 200
    renewed = {**sub, "keys": push_service.subscription()["keys"]}
    assert subscribe_push(phone, public_id, renewed).status_code == 200
    rows = stored(in_app)
    assert len(rows) == 1
    assert rows[0][3] == renewed["keys"]["p256dh"]


def test_unsubscribe_removes_it(cafe, phone, push_service, in_app):
    public_id = open_tab(phone, cafe.table)
    sub = push_service.subscription()
    subscribe_push(phone, public_id, sub)
    response = phone.post(
        f"/tab/{public_id}/push/unsubscribe",
        json={"endpoint": sub["endpoint"]},
        headers={"X-CSRFToken": phone.csrf_token(), "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json["removed"] is True
    assert stored(in_app) == []


def test_without_the_csrf_header_nothing_is_stored(cafe, phone, push_service, in_app):
    public_id = open_tab(phone, cafe.table)
    response = phone.post(
        f"/tab/{public_id}/push",
        json=push_service.subscription(),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert stored(in_app) == []


def test_another_phone_cannot_subscribe_to_my_tab(cafe, phone, new_client, push_service, in_app):
    public_id = open_tab(phone, cafe.table)
    stranger = new_client()
    stranger.get(f"/t/{cafe.table.code}")
    response = subscribe_push(stranger, public_id, push_service.subscription())
    assert response.status_code == 403
    assert stored(in_app) == []


def test_bad_subscriptions_are_refused_clearly(cafe, phone, push_service, in_app, make_app):
    public_id = open_tab(phone, cafe.table)
    good = push_service.subscription()
    bad = [
        ("not json", "Send the subscription as JSON."),
        ({"keys": good["keys"]}, "no usable endpoint"),
        ({**good, "endpoint": "ftp://push.example.com/x"}, "https"),
        ({**good, "endpoint": "https://push.example.com/" + "x" * 1000}, "no usable endpoint"),
        ({**good, "keys": {"p256dh": "abc", "auth": good["keys"]["auth"]}}, "p256dh"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"], "auth": "!!"}}, "auth"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"]}}, "auth"),
    ]
    headers = {"X-CSRFToken": phone.csrf_token(), "Accept": "application/json"}
    for body, message in bad:
        if isinstance(body, str):
            response = phone.post(
                f"/tab/{public_id}/push", data=body, headers=headers, content_type="text/plain"
            )
        else:
            response = phone.post(f"/tab/{public_id}/push", json=body, headers=headers)
        assert response.status_code == 400, body
        assert message in response.json["error"], (body, response.json)
    assert stored(in_app) == []


def test_plain_http_endpoints_are_refused_in_production(cafe, make_app, push_service, in_app):
    strict = make_app(PUSH_ALLOW_HTTP_ENDPOINTS=False)
    phone = strict.test_client()
    public_id = open_tab(phone, cafe.table)
    response = subscribe_push(phone, public_id, push_service.subscription())
    assert response.status_code == 400
    assert "https" in response.json["error"]
    assert stored(in_app) == []


def test_a_closed_tab_takes_no_subscription(cafe, phone, staff_client, push_service, in_app):
    public_id = open_tab(phone, cafe.table)
    from tests.helpers import load_tab

    tab = load_tab(in_app, public_id)
    staff_client.post_form(f"/staff/tabs/{tab.id}/close")
    response = subscribe_push(phone, public_id, push_service.subscription())
    assert response.status_code == 409
    assert stored(in_app) == []
