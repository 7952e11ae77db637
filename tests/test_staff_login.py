"""Staff sign in and out; the counter is closed to anyone who is not signed in."""

from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models import Payment, StaffMember, Tab, TabLine
from tests.helpers import PASSWORD, open_tab, order


def is_login_redirect(response) -> bool:
    return response.status_code in (302, 303) and urlsplit(response.location).path == (
        "/staff/login"
    )


def logged_in(client) -> bool:
    response = client.get("/staff")
    if response.status_code == 200:
        return True
    assert is_login_redirect(response), response.status_code
    return False


def set_active(in_app, member, active: bool) -> None:
    in_app(
        lambda: db.session.execute(
            update(StaffMember).where(StaffMember.id == member.id).values(active=active)
        )
    )


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("tabby_session=")]
    assert cookies, response.headers
    return cookies[-1]


def cookie_attributes(cookie: str) -> set[str]:
    return {part.strip().split("=", 1)[0].lower() for part in cookie.split(";")[1:]}


# -- the login page -----------------------------------------------------------------


def test_the_login_page_renders_a_form(client):
    response = client.get("/staff/login")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Staff login" in page
    assert 'name="email"' in page
    assert 'name="password"' in page
    assert 'name="csrf_token"' in page


def test_the_right_email_and_password_log_in(cafe, new_client):
    client = new_client()
    client.get("/staff/login")

    response = client.post_form("/staff/login", {"email": cafe.staff.email, "password": PASSWORD})

    assert response.status_code == 303
    assert urlsplit(response.location).path == "/staff"
    counter = client.get("/staff")
    assert counter.status_code == 200
    assert cafe.shop.name in counter.get_data(as_text=True)


def test_the_email_is_case_insensitive(cafe, new_client):
    client = new_client()
    client.get("/staff/login")

    response = client.post_form(
        "/staff/login", {"email": cafe.staff.email.upper(), "password": PASSWORD}
    )

    assert response.status_code == 303
    assert logged_in(client)


@pytest.mark.parametrize(
    "email, password",
    [
        ("{staff}", "wrong-password-entirely"),
        ("{staff}", PASSWORD.upper()),
        ("nobody@nowhere.example.com", PASSWORD),
    ],
    ids=["wrong-password", "password-case-matters", "unknown-email"],
)
def test_a_wrong_login_is_refused_and_not_logged_in(cafe, new_client, email, password):
    client = new_client()
    client.get("/staff/login")

    response = client.post_form(
        "/staff/login", {"email": email.format(staff=cafe.staff.email), "password": password}
    )

    assert response.status_code == 400
    assert "don't match" in unescape(response.get_data(as_text=True))
    assert not logged_in(client)


def test_a_deactivated_member_cannot_log_in(cafe, new_client, in_app):
    set_active(in_app, cafe.staff, False)
    client = new_client()
    client.get("/staff/login")

    response = client.post_form("/staff/login", {"email": cafe.staff.email, "password": PASSWORD})

    assert response.status_code == 400
    assert "match an active login" in response.get_data(as_text=True)
    assert not logged_in(client)


def test_a_member_deactivated_while_logged_in_is_logged_out_on_the_next_request(
    cafe, staff_client, in_app
):
    assert logged_in(staff_client)

    set_active(in_app, cafe.staff, False)

    response = staff_client.get("/staff")
    assert is_login_redirect(response)
    live = staff_client.get("/staff/live")
    assert is_login_redirect(live)


# -- logging out --------------------------------------------------------------------


def test_logout_logs_out(staff_client):
    staff_client.get("/staff")  # the page whose "Log out" button is pressed

    response = staff_client.post_form("/staff/logout")

    assert response.status_code == 303
    assert urlsplit(response.location).path == "/staff/login"
    assert not logged_in(staff_client)


def test_logout_is_post_only(staff_client):
    response = staff_client.get("/staff/logout")

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert logged_in(staff_client)


def test_logout_needs_the_csrf_token(staff_client):
    staff_client.get("/staff")

    response = staff_client.post("/staff/logout")  # no token, as a forged form would
    assert response.status_code == 400
    assert logged_in(staff_client)

    wrong = staff_client.post("/staff/logout", data={"csrf_token": "forged"})
    assert wrong.status_code == 400
    assert logged_in(staff_client)


# -- the session cookie -------------------------------------------------------------


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_the_session_cookie_is_httponly_lax_and_secure_when_asked(cafe, make_app, secure):
    app = make_app(SESSION_COOKIE_SECURE=secure)
    client = app.test_client()
    client.get("/staff/login")

    response = client.post_form("/staff/login", {"email": cafe.staff.email, "password": PASSWORD})

    assert response.status_code == 303
    cookie = session_cookie(response)
    attributes = cookie_attributes(cookie)
    assert "httponly" in attributes
    assert "samesite=lax" in cookie.lower().replace(" ", "")
    assert ("secure" in attributes) is secure


# -- anonymous visitors -------------------------------------------------------------

# Every /staff route but the login page; test_every_staff_route_is_listed keeps
# this list in step with the app.
STAFF_ROUTES = [
    ("GET", "/staff"),
    ("GET", "/staff/live"),
    ("GET", "/staff/tabs/<id:tab_id>"),
    ("GET", "/staff/tabs/<id:tab_id>/items/<id:item_id>"),
    ("GET", "/staff/tabs/new"),
    ("GET", "/staff/cards"),
    ("GET", "/staff/cards/<id:card_id>/qr.svg"),
    ("POST", "/staff/logout"),
    ("POST", "/staff/lines/<id:line_id>/status"),
    ("POST", "/staff/lines/<id:line_id>/void"),
    ("POST", "/staff/lines/<id:line_id>/remake"),
    ("POST", "/staff/lines/<id:line_id>/comp"),
    ("POST", "/staff/lines/<id:line_id>/discount"),
    ("POST", "/staff/tabs/<id:tab_id>/order"),
    ("POST", "/staff/tabs/<id:tab_id>/payment"),
    ("POST", "/staff/tabs/<id:tab_id>/close"),
    ("POST", "/staff/tabs/<id:tab_id>/ready"),
    ("POST", "/staff/tabs/<id:tab_id>/remind"),
    ("POST", "/staff/tabs/<id:tab_id>/walked-out"),
    ("POST", "/staff/tabs/<id:tab_id>/deposit"),
    ("POST", "/staff/tabs/<id:tab_id>/raise-limit"),
    ("POST", "/staff/tabs/<id:tab_id>/lift-deposit"),
    ("POST", "/staff/tabs/new"),
    ("POST", "/staff/tickets/bump"),
    ("POST", "/staff/tickets/serve"),
    ("POST", "/staff/tickets/recall"),
    ("GET", "/staff/stations/<id:station_id>"),
    ("GET", "/staff/stations/<id:station_id>/live"),
]


def test_every_staff_route_is_listed(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff") and rule.endpoint != "staff.login"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(STAFF_ROUTES)


@pytest.fixture
def busy_cafe(cafe, new_client, in_app):
    """A tab with an order waiting (tab_id, line_id) and an empty tab (empty_tab_id)."""
    phone = new_client()
    public_id = open_tab(phone, cafe.table, "Ana")
    assert order(phone, public_id, cafe.flat_white).status_code == 303
    open_tab(new_client(), cafe.table, "Ben")

    def ids():
        tabs = db.session.execute(select(Tab).order_by(Tab.id)).scalars().all()
        line = db.session.execute(select(TabLine)).scalar_one()
        return tabs[0].id, tabs[1].id, line.id

    tab_id, empty_tab_id, line_id = in_app(ids)
    return cafe, tab_id, empty_tab_id, line_id


def database_state(in_app):
    def read():
        tabs = db.session.execute(
            select(Tab.id, Tab.status, Tab.version, Tab.phone_id, Tab.closed_at).order_by(Tab.id)
        ).all()
        lines = db.session.execute(
            select(TabLine.id, TabLine.status, TabLine.void_reason).order_by(TabLine.id)
        ).all()
        payments = db.session.execute(select(func.count()).select_from(Payment)).scalar_one()
        return [tuple(row) for row in tabs], [tuple(row) for row in lines], payments

    return in_app(read)


@pytest.mark.parametrize("method, rule", STAFF_ROUTES, ids=[f"{m} {r}" for m, r in STAFF_ROUTES])
def test_anonymous_visitors_are_sent_to_login_and_change_nothing(
    busy_cafe, new_client, in_app, method, rule
):
    cafe, tab_id, empty_tab_id, line_id = busy_cafe
    target_tab = empty_tab_id if rule.endswith("/close") else tab_id
    url = (
        rule.replace("<id:tab_id>", str(target_tab))
        .replace("<id:line_id>", str(line_id))
        .replace("<id:card_id>", str(cafe.personal.id))
        .replace("<id:item_id>", str(cafe.croissant.id))
        .replace("<id:station_id>", "1")  # login comes before the lookup
    )
    # What a signed-in member would send to make each of these change something.
    data = {
        "status": "preparing",
        "reason": "Spilt",
        "item_id": cafe.croissant.id,
        "quantity": "1",
        "method": "cash",
        "amount": "3.80",
        "tip": "0",
        "card_id": cafe.personal.id,
        "customer_name": "Intruder",
        "line": line_id,
    }
    visitor = new_client()
    visitor.get("/staff/login")  # a real CSRF token, so only the login check is left
    before = database_state(in_app)

    response = visitor.get(url) if method == "GET" else visitor.post_form(url, data)

    assert is_login_redirect(response), (response.status_code, response.location)
    assert database_state(in_app) == before
