"""A staff session ends when it ends (issue 12, items 5-7): logging out revokes that
browser's session on the server, so a copied cookie opens nothing afterwards, while
the member's other devices stay signed in; the anonymous CSRF token stops working at
login; and the per-account login limit counts attempts whatever the body's encoding,
behind a proxy whose X-Forwarded-For changes with every try."""

import secrets

from sqlalchemy import select

from extensions import db
from models import StaffSession
from tests.helpers import PASSWORD, load_tab, open_tab

SESSION_COOKIE = "tabby_session"


def copy_of(client, new_client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = new_client()
    thief.set_cookie(SESSION_COOKIE, client.get_cookie(SESSION_COOKIE).value)
    return thief


def test_a_copied_session_cookie_stops_working_after_logout(cafe, login, new_client):
    tablet = login(cafe.staff)
    thief = copy_of(tablet, new_client)
    assert thief.get("/staff").status_code == 200  # a copy works while the session lives

    response = tablet.post_form("/staff/logout")
    assert response.status_code == 303
    assert tablet.get("/staff").status_code == 302
    refused = thief.get("/staff")
    assert refused.status_code == 302
    assert refused.location.startswith("/staff/login")
    assert thief.get("/staff/live", headers={"Accept": "application/json"}).status_code in (
        302,
        401,
    )


def test_logging_out_on_the_tablet_keeps_the_phone_signed_in(cafe, login, in_app):
    tablet, phone = login(cafe.staff), login(cafe.staff)
    assert tablet.post_form("/staff/logout").status_code == 303
    assert tablet.get("/staff").status_code == 302
    assert phone.get("/staff").status_code == 200
    sessions = in_app(lambda: db.session.execute(select(StaffSession)).scalars().all())
    assert len(sessions) == 1  # the tablet's row is gone, the phone's kept


def test_deactivating_a_member_still_ends_every_session(cafe, login):
    tablet, phone = login(cafe.staff), login(cafe.staff)
    owner = login(cafe.owner)
    response = owner.post_form(f"/admin/staff/{cafe.staff.id}/active", {"value": "0"})
    assert response.status_code == 303
    assert tablet.get("/staff").status_code == 302
    assert phone.get("/staff").status_code == 302


def test_a_session_without_its_server_side_row_opens_nothing(cafe, login, in_app):
    """Whatever else the cookie says (a valid member id and epoch), no row, no entry."""
    tablet = login(cafe.staff)
    in_app(lambda: db.session.execute(StaffSession.__table__.delete()))
    assert tablet.get("/staff").status_code == 302


def test_the_anonymous_csrf_token_stops_working_at_login(cafe, new_client, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    tab = load_tab(in_app, public_id)
    client = new_client()
    client.get("/staff/login")
    anonymous_token = client.csrf
    response = client.post(
        "/staff/login",
        data={"email": cafe.staff.email, "password": PASSWORD, "csrf_token": anonymous_token},
    )
    assert response.status_code == 303

    item = {"item_id": cafe.flat_white.id, "quantity": "1"}
    stale = client.post(
        f"/staff/tabs/{tab.id}/order",
        data={**item, "csrf_token": anonymous_token},
        headers={"Accept": "application/json"},
    )
    assert stale.status_code == 400
    assert "reload" in stale.json["error"]
    assert load_tab(in_app, public_id).lines == []
    assert client.csrf_token() != anonymous_token
    assert client.post_json(f"/staff/tabs/{tab.id}/order", item).status_code == 200
    assert len(load_tab(in_app, public_id).lines) == 1


# -- the per-account login limit ---------------------------------------------------------


def behind_proxy(app):
    """A browser behind one reverse proxy that says each request comes from a new address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"
    return client


def new_address() -> dict:
    return {"X-Forwarded-For": "203.0.113." + str(secrets.randbelow(250) + 1)}


def wrong_login(client, email, as_json: bool):
    client.get("/staff/login", headers=new_address())
    headers = {"X-CSRFToken": client.csrf, **new_address()}
    if as_json:
        return client.post(
            "/staff/login", json={"email": email, "password": "wrong"}, headers=headers
        )
    return client.post(
        "/staff/login",
        data={"email": email, "password": "wrong", "csrf_token": client.csrf},
        headers=headers,
    )


def limited_app(make_app):
    return make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_LOGIN_ACCOUNT="4 per minute",
        RATELIMIT_LOGIN_ADDRESS="1000 per minute",
        PROXY_COUNT=1,
    )


def test_json_login_attempts_count_against_the_account_limit(cafe, make_app):
    app = limited_app(make_app)
    email = cafe.staff.email
    statuses = [wrong_login(behind_proxy(app), email, as_json=True).status_code for _ in range(6)]
    assert statuses == [400, 400, 400, 400, 429, 429]


def test_form_and_json_attempts_share_one_limit(cafe, make_app):
    app = limited_app(make_app)
    email = cafe.staff.email
    spellings = [email, f"  {email.upper()} ", email, f"{email} "]
    for n, spelling in enumerate(spellings):
        response = wrong_login(behind_proxy(app), spelling, as_json=n % 2 == 1)
        assert response.status_code == 400
    for as_json in (True, False):
        assert wrong_login(behind_proxy(app), email, as_json).status_code == 429
    # The right password waits too, whichever way it is sent.
    client = behind_proxy(app)
    client.get("/staff/login")
    response = client.post(
        "/staff/login",
        json={"email": email, "password": PASSWORD},
        headers={"X-CSRFToken": client.csrf, **new_address()},
    )
    assert response.status_code == 429
