"""Every route in the URL map × every kind of visitor → the answer they get.

The routes are found by walking the URL map, so a route added later fails here until
it is classified below. A refused request (or any 4xx) leaves the database exactly as
it was. Requests from a visitor who may act aim at spare rows, so acting (revoking a
card, closing a tab) never changes what the other cells of the matrix see.
"""

import re
from urllib.parse import urlsplit

import pytest

from app import create_app
from tests import fuzz_world as world_mod
from tests import helpers

# Who may use each endpoint.
PUBLIC = "public"  # anyone, no login, no phone
PUBLIC_ACTION = "public action"  # anyone may POST (open a tab, join by link)
TAB = "tab"  # only the phone(s) on the tab
LOGIN = "login"  # the login page itself
LOGOUT = "logout"
STAFF = "staff"  # staff and owners of the shop; another shop's rows are not found
ADMIN = "admin"  # owners of the shop only
WEBHOOK = "webhook"  # no session: Stripe's signature or nothing

CLASSES = {
    "pwa.start": PUBLIC,
    "pwa.manifest": PUBLIC,
    "health.healthz": PUBLIC,
    "push.service_worker": PUBLIC,
    "static": PUBLIC,
    "customer.card": PUBLIC,
    "customer.join_page": PUBLIC,
    "customer.open_tab": PUBLIC_ACTION,
    "customer.join": PUBLIC_ACTION,
    # Any phone (or none) gets its own history: see test_history_is_the_phones_own below.
    "customer.history": PUBLIC,
    "customer.tab": TAB,
    "customer.tab_live": TAB,
    "customer.menu": TAB,
    "customer.item_sheet": TAB,
    # Item photos are public pictures, named by a hash of their content.
    "photos.photo": PUBLIC,
    "customer.order": TAB,
    "customer.bill": TAB,
    "customer.pay_at_counter": TAB,
    "customer.keep_ordering": TAB,
    "customer.receipt": TAB,
    "customer.bill_live": TAB,
    "customer.rate": TAB,
    "customer.flag_line": TAB,
    "customer.use_free_item": TAB,
    "customer.invitation": TAB,
    "customer.invite": TAB,
    "customer.stop_inviting": TAB,
    "push.subscribe": TAB,
    "push.unsubscribe": TAB,
    "payments.pay_by_card": TAB,
    "payments.deposit_by_card": TAB,
    "payments.card_done": TAB,
    "payments.card_cancelled": TAB,
    "payments.stripe_webhook": WEBHOOK,
    # The ready board: a secret address, no login (the owner rotates it).
    "tickets.ready_board": PUBLIC,
    "tickets.ready_board_live": PUBLIC,
    "tickets.bump": STAFF,
    "tickets.serve": STAFF,
    "tickets.recall": STAFF,
    "tickets.station": STAFF,
    "tickets.station_live": STAFF,
    "staff.login": LOGIN,
    "staff.logout": LOGOUT,
}

# <name> or <converter:name> in a rule, in the order they come.
PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?([^:<>]+)>")

CUSTOMERS = ("anonymous", "tab_phone", "other_phone")


def classify(endpoint: str) -> str:
    if endpoint in CLASSES:
        return CLASSES[endpoint]
    if endpoint.startswith("admin."):
        return ADMIN
    if endpoint.startswith("staff."):
        return STAFF
    raise AssertionError(
        f"{endpoint} is not in the authorisation matrix: say who may use it in "
        "tests/test_authorisation_matrix.py"
    )


def routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule, tuple(sorted(rule.arguments))))
    return sorted(found)


# The whole module shares one seeded world, emptied once at the end.
@pytest.fixture(autouse=True)
def _empty_tables():
    yield


@pytest.fixture(scope="module")
def world(app, database, _stripe_server):
    world_mod.empty_all(app)
    built = world_mod.build(world_mod.stripe_app(database, _stripe_server.url))
    yield built
    world_mod.empty_all(app)


ALL_ROUTES = None


def _all_routes():
    global ALL_ROUTES
    if ALL_ROUTES is None:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", **helpers.PUSH_TEST_CONFIG}
        )
        ALL_ROUTES = routes(app)
    return ALL_ROUTES


def test_every_route_is_classified():
    unclassified = []
    for endpoint, *_ in _all_routes():
        try:
            classify(endpoint)
        except AssertionError as problem:
            unclassified.append(str(problem))
    assert not unclassified, "\n".join(unclassified)


def allowed(kind: str, role: str, has_ids: bool) -> bool:
    if kind in (PUBLIC, PUBLIC_ACTION, LOGIN):
        return True
    if kind == TAB:
        return role == "tab_phone"
    if kind in (STAFF, LOGOUT):
        if role in ("staff", "owner"):
            return True
        return role in ("other_staff", "other_owner") and not has_ids
    if kind == ADMIN:
        return role == "owner" or (role == "other_owner" and not has_ids)
    return False  # the webhook: no visitor is Stripe


def url_for_route(world, rule: str, args: tuple, acting: bool, kind: str = STAFF) -> str:
    """The route's URL with real values: spare rows for a visitor who may act, the
    café's own rows for one who must be refused."""
    a = world.a
    if acting:
        # A row of its own, so acting on it (deleting, revoking) changes no other cell.
        fresh = world_mod.fresh_rows(world.app, a.shop)
    values = {
        "code": a.table_code,
        "token": world.join_token,
        "public_id": world.tab_public_id,
        "filename": "css/app.css",
        "tab_id": a.spare_tab if acting else a.tab,
        # A customer flags a line of the tab itself; staff act on the spare tab's.
        "line_id": a.spare_lines[0] if acting and kind != TAB else a.lines[0],
        "card_id": fresh.card if acting else a.table,
        "item_id": fresh.item if acting else a.item,
        "category_id": fresh.category if acting else a.category,
        "member_id": fresh.member if acting else a.staff,
        "group_id": fresh.group if acting else a.group,
        "choice_id": fresh.choice if acting else a.choice,
        "station_id": fresh.station if acting else a.station,
        # The ready board's secret, or a photo's content hash no photo has.
        "key": a.board_key if rule.startswith("/board") else "0" * 32,
        "extension": "jpg",
    }
    path = PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), rule)
    assert "<" not in path, rule
    return path


def is_login_redirect(response) -> bool:
    return response.status_code in (302, 303) and urlsplit(response.location).path == (
        "/staff/login"
    )


def expected_refusal(kind: str, role: str):
    """What a refused visitor gets: a status code, or "login" for the login page."""
    if kind == TAB:
        return 403
    if kind == WEBHOOK:
        return 400
    if role in CUSTOMERS:
        return "login"
    if kind == ADMIN and role in ("staff", "other_staff"):
        return 403
    return 404  # another shop's staff or owner, asking for this shop's row


@pytest.mark.parametrize("role", world_mod.ROLES)
@pytest.mark.parametrize("route", _all_routes(), ids=lambda r: f"{r[1]} {r[2]}")
def test_the_matrix(world, route, role):
    endpoint, method, rule, args = route
    kind = classify(endpoint)
    may = allowed(kind, role, bool(args))
    app = world.app
    client = world.clients[role]
    if kind == LOGOUT and may:
        shop = world.b if role.startswith("other_") else world.a
        client = world_mod.login(app, getattr(shop, role.removeprefix("other_") + "_email"))
    url = url_for_route(world, rule, args, acting=may, kind=kind)
    cookie = world_mod.phone_cookie(client)
    before = world_mod.snapshot(app)

    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": client.csrf_token()})
    world_mod.restore_phone_cookie(client, cookie)

    status = response.status_code
    assert status < 500, f"{method} {url} as {role}: {status}"
    if kind == LOGOUT and may:
        assert is_login_redirect(response), f"{method} {url} as {role}: {status}"
        assert is_login_redirect(client.get("/staff")), "still logged in after logging out"
    elif may:
        assert status not in (401, 403) and not is_login_redirect(response), (
            f"{method} {url} as {role} should get in, got {status}"
        )
        if args and kind != PUBLIC:
            assert status != 404, f"{method} {url} as {role}: its own row was not found"
    else:
        expected = expected_refusal(kind, role)
        if expected == "login":
            assert is_login_redirect(response), f"{method} {url} as {role}: {status}"
        else:
            assert status == expected, f"{method} {url} as {role}: {status}, not {expected}"
    if not may or 400 <= status < 500:
        assert world_mod.snapshot(app) == before, f"{method} {url} as {role} changed data"


@pytest.mark.parametrize("role", world_mod.ROLES)
def test_history_is_the_phones_own(world, role):
    """/me answers everyone, and lists only the tabs of the phone asking."""
    response = world.clients[role].get("/me")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    own = {"tab_phone": world.tab_public_id, "other_phone": world.other_public_id}.get(role)
    for public_id in (
        world.tab_public_id,
        world.other_public_id,
        world.shared_public_id,
        world.b_public_id,
        world.spare_public_id,
    ):
        shown = f'data-tab="{public_id}"' in page
        assert shown == (public_id == own), f"/me as {role}: {public_id} shown={shown}"
