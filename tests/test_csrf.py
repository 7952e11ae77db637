"""CSRF protection is always on: a POST needs the token of the page its own session
loaded, or it is refused with a "reload" message and changes nothing."""

import html

import pytest
from sqlalchemy import func, select

from extensions import db
from live import PHONE_COOKIE
from models import Tab
from tests.helpers import PASSWORD, load_tab, open_tab, order

RELOAD = "reload the page and try again"


def tab_count(in_app) -> int:
    return in_app(lambda: db.session.execute(select(func.count(Tab.id))).scalar_one())


def assert_reload_page(response):
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Please reload" in page
    assert RELOAD in page


def test_csrf_is_on(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("not-a-token", id="garbled"),
    ],
)
def test_opening_a_tab_without_a_good_token_is_refused(cafe, phone, in_app, token):
    phone.get(f"/t/{cafe.table.code}")
    data = {"customer_name": "Ana"}
    if token is not None:
        data["csrf_token"] = token

    response = phone.post(f"/t/{cafe.table.code}", data=data)

    assert_reload_page(response)
    assert tab_count(in_app) == 0
    assert phone.get_cookie(PHONE_COOKIE) is None


def test_a_token_from_another_session_is_refused(cafe, new_client, in_app):
    victim, attacker = new_client(), new_client()
    victim.get(f"/t/{cafe.table.code}")
    attackers_token = attacker.csrf_token()
    assert attackers_token != victim.csrf

    response = victim.post(
        f"/t/{cafe.table.code}", data={"customer_name": "Ana", "csrf_token": attackers_token}
    )

    assert_reload_page(response)
    assert tab_count(in_app) == 0


def test_the_pages_own_token_works(cafe, phone, in_app):
    page = phone.get(f"/t/{cafe.table.code}").get_data(as_text=True)
    assert f'name="csrf_token" type="hidden" value="{phone.csrf}"' in page

    response = phone.post(
        f"/t/{cafe.table.code}", data={"customer_name": "Ana", "csrf_token": phone.csrf}
    )

    assert response.status_code == 303
    assert tab_count(in_app) == 1


def test_an_order_without_a_token_adds_nothing(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    phone.get(f"/tab/{public_id}/menu")
    before = load_tab(in_app, public_id)

    response = phone.post(
        f"/tab/{public_id}/order", data={"item_id": cafe.croissant.id, "quantity": 1}
    )

    assert_reload_page(response)
    after = load_tab(in_app, public_id)
    assert [line.name for line in after.lines] == ["Flat white"]
    assert after.version == before.version


def test_an_order_sent_by_fetch_without_a_token_gets_a_json_error(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table)

    response = phone.post(
        f"/tab/{public_id}/order",
        data={"item_id": cafe.croissant.id, "quantity": 1},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    assert RELOAD in response.get_json()["error"]
    assert load_tab(in_app, public_id).lines == []


def test_asking_to_pay_without_a_token_changes_nothing(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)

    response = phone.post(f"/tab/{public_id}/pay")

    assert_reload_page(response)
    assert load_tab(in_app, public_id).status == "open"


def test_a_staff_login_without_a_token_is_refused(cafe, new_client):
    tablet = new_client()
    tablet.get("/staff/login")

    response = tablet.post("/staff/login", data={"email": cafe.staff.email, "password": PASSWORD})

    assert_reload_page(response)
    counter = tablet.get("/staff")
    assert counter.status_code == 302
    assert counter.location.startswith("/staff/login")


def test_a_staff_login_with_the_token_works(cafe, new_client):
    tablet = new_client()
    tablet.get("/staff/login")

    response = tablet.post_form("/staff/login", {"email": cafe.staff.email, "password": PASSWORD})

    assert response.status_code == 303
    assert tablet.get("/staff").status_code == 200
