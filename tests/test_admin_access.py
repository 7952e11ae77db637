"""Every /admin route, found by walking the URL map so new routes are covered too:
anonymous visitors go to the login page, staff are refused, and another shop's owner
gets 404 for this shop's ids. None of them changes anything in the database."""

import pytest
from flask import url_for
from sqlalchemy import select

from extensions import db
from models import MenuCategory, Station
from services.printing import short_reference

# A POST body every back-office form accepts, so a refusal is about who asks, not what.
ANY_FORM = {
    "name": "Taken over",
    "price": "1.00",
    "currency": "EUR",
    "locale": "en",
    "timezone": "UTC",
    "service_note": "",
    "direction": "down",
    "value": "0",
    "email": "intruder@example.com",
    "password": "long-enough-password",
    "role": "staff",
    "kind": "table",
    "count": "3",
    "sort": "0",
    "category": "",
}

# Which of the café's rows each URL argument names.
ID_ARGS = {
    "card_id": lambda c: c.table.id,
    "item_id": lambda c: c.flat_white.id,
    "member_id": lambda c: c.staff.id,
    "category_id": lambda c: c.category.id,
    "group_id": lambda c: c.options.groups["Size"],
    # In another group than group_id: deleting one leaves the other to be deleted.
    "choice_id": lambda c: c.options.oat_milk,
    "station_id": lambda c: c.station.id,
}


def admin_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule == "/admin" or rule.rule.startswith("/admin/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((rule.endpoint, method, tuple(sorted(rule.arguments))))
    return routes


def route_id(route):
    endpoint, method, _ = route
    return f"{method} {endpoint}"


@pytest.fixture
def shop_a(cafe, in_app, add_options):
    cafe.options = add_options(cafe.shop)

    def add_category():
        category = MenuCategory(shop_id=cafe.shop.id, name="Coffee", sort=1)
        db.session.add(category)
        return category

    def add_station():
        station = Station(shop_id=cafe.shop.id, name="Bar")
        db.session.add(station)
        return station

    cafe.category = in_app(add_category)
    cafe.station = in_app(add_station)
    return cafe


def url_for_route(app, endpoint, arguments, cafe):
    unknown = [name for name in arguments if name not in ID_ARGS]
    assert not unknown, f"{endpoint}: add {unknown} to ID_ARGS so isolation is tested"
    with app.test_request_context():
        return url_for(endpoint, **{name: ID_ARGS[name](cafe) for name in arguments})


def everything(in_app):
    """Every row of every table, to show a refused request changed nothing."""

    def read():
        return {
            table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
            for table in db.metadata.sorted_tables
        }

    return in_app(read)


def send(client, method, url):
    if method == "GET":
        return client.get(url)
    return client.post_form(url, ANY_FORM)


def test_the_walk_finds_the_back_office(app):
    endpoints = {endpoint for endpoint, _, _ in admin_routes(app)}
    assert {
        "admin.home",
        "admin.day",
        "admin.settings",
        "admin.menu",
        "admin.add_item",
        "admin.staff",
        "admin.set_active",
        "admin.cards",
        "admin.revoke_card",
        "admin.print_cards",
        "admin.card_svg",
    } <= endpoints


def test_anonymous_visitors_are_sent_to_log_in(app, shop_a, new_client, in_app):
    before = everything(in_app)
    anonymous = new_client()
    for endpoint, method, arguments in admin_routes(app):
        url = url_for_route(app, endpoint, arguments, shop_a)
        response = send(anonymous, method, url)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response.location.startswith("/staff/login"), (method, url)
    assert everything(in_app) == before


def test_staff_are_refused_everywhere(app, shop_a, login, in_app):
    staff = login(shop_a.staff)
    before = everything(in_app)
    for endpoint, method, arguments in admin_routes(app):
        url = url_for_route(app, endpoint, arguments, shop_a)
        response = send(staff, method, url)
        assert response.status_code == 403, (method, url, response.status_code)
        if method == "GET":
            assert "Only the shop" in response.get_data(as_text=True)
    assert everything(in_app) == before


def test_another_shops_owner_finds_none_of_this_shops_rows(app, shop_a, other_cafe, login, in_app):
    intruder = login(other_cafe.owner)
    before = everything(in_app)
    checked = 0
    for endpoint, method, arguments in admin_routes(app):
        if not arguments:
            continue
        url = url_for_route(app, endpoint, arguments, shop_a)
        response = send(intruder, method, url)
        assert response.status_code == 404, (method, url, response.status_code)
        checked += 1
    assert checked >= 10
    assert everything(in_app) == before


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_owner_gets_every_route_of_their_own_shop(app, shop_a, login, method):
    """The other half of the tests above: the same requests get through for the right
    owner (a later POST may be refused on its merits after an earlier one changed the
    shop, but never as a stranger), so the refusals above are about who asks."""
    owner = login(shop_a.owner)
    routes = sorted(admin_routes(app), key=lambda r: any(w in r[0] for w in ("delete", "revoke")))
    for endpoint, route_method, arguments in routes:
        if route_method != method:
            continue
        url = url_for_route(app, endpoint, arguments, shop_a)
        response = send(owner, method, url)
        assert response.status_code in (200, 303, 400, 409), (method, url, response.status_code)


def test_list_pages_show_only_the_owners_shop(shop_a, other_cafe, login):
    intruder = login(other_cafe.owner)
    staff_page = intruder.get("/admin/staff").get_data(as_text=True)
    cards_page = intruder.get("/admin/cards").get_data(as_text=True)
    menu_page = intruder.get("/admin/menu").get_data(as_text=True)

    assert shop_a.staff.email not in staff_page and other_cafe.staff.email in staff_page
    assert short_reference(shop_a.table) not in cards_page
    assert short_reference(other_cafe.table) in cards_page
    assert f"/admin/menu/items/{shop_a.flat_white.id}" not in menu_page
    assert f"/admin/menu/items/{other_cafe.flat_white.id}" in menu_page
