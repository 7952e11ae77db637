"""The counter's tickets: one per order round of a tab, bumped, recalled and handed
over in one tap; stations that see only their lines; the public ready board."""

import re
from datetime import timedelta

import pytest

import services.tickets as tickets
from extensions import db
from models import Shop, TabLine
from models.base import utcnow
from tests.helpers import open_tab

JSON = {"Accept": "application/json"}


def ordered(phone, public_id, item, note="") -> int:
    response = phone.post_json(
        f"/tab/{public_id}/order", {"item_id": item.id, "quantity": 1, "note": note}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["line_id"]


def board(client, url="/staff/live") -> dict:
    return client.get(url, headers=JSON).json


def ticket_lines(html: str) -> list[list[int]]:
    """Each ticket's line ids, in the board's order."""
    return [
        [int(i) for i in re.findall(r'data-line-id="(\d+)"', ticket)]
        for ticket in re.split(r'<li class="ticket', html)[1:]
    ]


def statuses(in_app, *line_ids) -> list[str]:
    return in_app(lambda: [db.session.get(TabLine, line_id).status for line_id in line_ids])


def post_lines(client, action: str, line_ids, **extra):
    return client.post_form(f"/staff/tickets/{action}", {"line": list(line_ids), **extra})


@pytest.fixture
def ana(cafe, phone):
    return phone, open_tab(phone, cafe.table, "Ana")


def test_lines_ordered_together_make_one_ticket_and_a_later_round_another(cafe, ana, staff_client):
    phone, public_id = ana
    coffee = ordered(phone, public_id, cafe.flat_white, note="oat milk")
    croissant = ordered(phone, public_id, cafe.croissant)
    assert post_lines(staff_client, "bump", [coffee, croissant]).status_code == 303

    # Staff started (and finished) on the first round: a new order is a new ticket.
    again = ordered(phone, public_id, cafe.flat_white)
    answer = board(staff_client)

    assert ticket_lines(answer["html"]) == [[coffee, croissant], [again]]
    assert "oat milk" in answer["html"]
    assert "Ana" in answer["html"] and "Table 1" in answer["html"]


def test_a_line_ordered_long_after_the_first_starts_a_new_ticket():
    now = utcnow()
    first = TabLine(id=1, tab_id=1, ordered_at=now)
    soon = TabLine(id=2, tab_id=1, ordered_at=now + timedelta(seconds=30))
    later = TabLine(id=3, tab_id=1, ordered_at=now + tickets.ROUND_WINDOW + timedelta(seconds=5))
    other_tab = TabLine(id=4, tab_id=2, ordered_at=now + timedelta(seconds=40))

    rounds = tickets.order_rounds([first, soon, other_tab, later])

    assert [[line.id for line in t.lines] for t in rounds] == [[1, 2], [4], [3]]


def test_the_counts_say_what_is_to_make_and_what_is_ready(cafe, ana, staff_client):
    phone, public_id = ana
    coffee = ordered(phone, public_id, cafe.flat_white)
    ordered(phone, public_id, cafe.croissant)
    staff_client.post_form(f"/staff/lines/{coffee}/status", {"status": "ready"})

    html = board(staff_client)["html"]

    assert re.search(r"To make <strong class=\"count\">1</strong>", html)
    assert re.search(r"Ready to hand over <strong class=\"count\">1</strong>", html)


def test_bumping_a_ticket_makes_every_line_ready_and_handing_over_clears_it(
    cafe, ana, staff_client, in_app
):
    phone, public_id = ana
    lines = [ordered(phone, public_id, cafe.flat_white), ordered(phone, public_id, cafe.croissant)]

    assert post_lines(staff_client, "bump", lines).status_code == 303
    assert statuses(in_app, *lines) == ["ready", "ready"]
    assert "Hand over" in board(staff_client)["html"]

    assert post_lines(staff_client, "serve", lines).status_code == 303
    assert statuses(in_app, *lines) == ["served", "served"]
    assert board(staff_client)["queue_ids"] == []


def test_a_bumped_ticket_can_be_recalled_within_a_minute(cafe, ana, staff_client, in_app):
    phone, public_id = ana
    lines = [ordered(phone, public_id, cafe.flat_white)]
    post_lines(staff_client, "bump", lines)

    response = staff_client.post_json("/staff/tickets/recall", {"line": lines})

    assert response.status_code == 200, response.get_data(as_text=True)
    assert statuses(in_app, *lines) == ["ordered"]


def test_a_ticket_bumped_over_a_minute_ago_cannot_be_recalled(
    cafe, ana, staff_client, in_app, monkeypatch
):
    phone, public_id = ana
    lines = [ordered(phone, public_id, cafe.flat_white)]
    post_lines(staff_client, "bump", lines)
    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(tickets, "utcnow", lambda: later)

    response = post_lines(staff_client, "recall", lines, next="/staff")

    assert response.status_code == 409
    assert statuses(in_app, *lines) == ["ready"]


@pytest.mark.parametrize("lines", [[], ["x"], ["99999"]])
def test_a_bump_of_no_known_line_is_refused_and_changes_nothing(
    cafe, ana, staff_client, in_app, lines
):
    phone, public_id = ana
    line = ordered(phone, public_id, cafe.flat_white)

    response = post_lines(staff_client, "bump", lines)

    assert response.status_code in (400, 409)
    assert statuses(in_app, line) == ["ordered"]


def test_another_shops_lines_cannot_be_bumped(cafe, other_cafe, ana, login, in_app):
    phone, public_id = ana
    line = ordered(phone, public_id, cafe.flat_white)

    response = post_lines(login(other_cafe.staff), "bump", [line])

    assert response.status_code == 409
    assert statuses(in_app, line) == ["ordered"]


# -- stations --------------------------------------------------------------------------


@pytest.fixture
def stations(cafe, login):
    """Bar makes the coffee, Kitchen the food."""
    owner = login(cafe.owner)
    for name in ("Bar", "Kitchen"):
        assert owner.post_form("/admin/counter/stations", {"name": name}).status_code == 303
    html = owner.get("/admin/counter").get_data(as_text=True)
    ids = dict(
        (name, int(i))
        for i, name in re.findall(r'<option value="(\d+)"[^>]*>(Bar|Kitchen)</option>', html)
    )
    response = owner.post_form(
        "/admin/counter/routes",
        {"category": ["Coffee", "Food"], "station": [ids["Bar"], ids["Kitchen"]]},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return ids


def test_each_station_shows_only_its_lines_and_the_counter_shows_all(
    cafe, ana, staff_client, stations
):
    phone, public_id = ana
    coffee = ordered(phone, public_id, cafe.flat_white)
    food = ordered(phone, public_id, cafe.croissant)

    bar = board(staff_client, f"/staff/stations/{stations['Bar']}/live")
    kitchen = board(staff_client, f"/staff/stations/{stations['Kitchen']}/live")

    assert bar["queue_ids"] == [coffee]
    assert kitchen["queue_ids"] == [food]
    assert ticket_lines(board(staff_client)["html"]) == [[coffee, food]]


def test_a_ticket_is_ready_once_every_station_bumped_its_part(
    cafe, ana, staff_client, stations, in_app
):
    phone, public_id = ana
    coffee = ordered(phone, public_id, cafe.flat_white)
    food = ordered(phone, public_id, cafe.croissant)

    post_lines(staff_client, "bump", [coffee], station=stations["Bar"])
    assert "All ready" in board(staff_client)["html"]  # the kitchen's part is still to make
    post_lines(staff_client, "bump", [food], station=stations["Kitchen"])

    assert statuses(in_app, coffee, food) == ["ready", "ready"]
    assert "Hand over" in board(staff_client)["html"]


def test_a_station_board_page_names_its_station(cafe, staff_client, stations):
    response = staff_client.get(f"/staff/stations/{stations['Bar']}")
    assert response.status_code == 200
    assert "Bar" in response.get_data(as_text=True)


def test_another_shops_station_is_not_found(other_cafe, login, stations):
    response = login(other_cafe.staff).get(f"/staff/stations/{stations['Bar']}")
    assert response.status_code == 404


# -- the ready board ---------------------------------------------------------------------


def board_key(cafe, login) -> str:
    owner = login(cafe.owner)
    owner.post_form("/admin/counter/board", {"action": "open"})
    html = owner.get("/admin/counter").get_data(as_text=True)
    return re.search(r"/board/([A-Za-z0-9_-]+)", html)[1]


def test_the_ready_board_shows_who_can_collect_and_clears_when_served(
    cafe, ana, staff_client, login, new_client
):
    phone, public_id = ana
    line = ordered(phone, public_id, cafe.flat_white)
    key = board_key(cafe, login)
    screen = new_client()  # no login

    page = screen.get(f"/board/{key}")
    assert page.status_code == 200
    assert "Ana" not in page.get_data(as_text=True)
    etag = screen.get(f"/board/{key}/live").headers["ETag"]

    post_lines(staff_client, "bump", [line])
    answer = screen.get(f"/board/{key}/live", headers={"If-None-Match": etag})
    assert answer.status_code == 200
    assert "Ana" in answer.json["html"] and "€" not in answer.json["html"]
    assert (
        screen.get(
            f"/board/{key}/live", headers={"If-None-Match": answer.headers["ETag"]}
        ).status_code
        == 304
    )

    post_lines(staff_client, "serve", [line])
    assert "Ana" not in screen.get(f"/board/{key}/live").json["html"]


def test_a_rotated_board_address_stops_working(cafe, login, new_client, in_app):
    old = board_key(cafe, login)
    new = board_key(cafe, login)

    assert new != old
    assert new_client().get(f"/board/{old}").status_code == 404
    assert new_client().get(f"/board/{new}").status_code == 200


def test_a_shop_without_a_board_has_no_board_address(cafe, new_client, in_app):
    assert in_app(lambda: db.session.get(Shop, cafe.shop.id).board_key) is None
    assert new_client().get("/board/x").status_code == 404


def test_the_tab_page_says_how_the_customer_will_be_told(cafe, ana, login):
    phone, public_id = ana
    assert "this page shows it" in phone.get(f"/tab/{public_id}").get_data(as_text=True)

    board_key(cafe, login)

    html = phone.get(f"/tab/{public_id}").get_data(as_text=True)
    assert "watch the screen at the counter" in html


def test_the_preparing_step_shows_only_when_the_shop_turns_it_on(cafe, ana, staff_client, login):
    phone, public_id = ana
    ordered(phone, public_id, cafe.flat_white)
    assert 'value="preparing"' not in board(staff_client)["html"]

    owner = login(cafe.owner)
    response = owner.post_form(
        "/admin/counter/tickets", {"preparing_step": "y", "warn": "4", "late": "8"}
    )

    assert response.status_code == 303
    assert 'value="preparing"' in board(staff_client)["html"]
    page = staff_client.get("/staff").get_data(as_text=True)
    assert 'data-warn="4" data-late="8"' in page


@pytest.mark.parametrize(("warn", "late"), [("10", "5"), ("0", "5"), ("x", "5"), ("5", "999")])
def test_bad_ticket_ages_are_refused_and_change_nothing(cafe, login, in_app, warn, late):
    response = login(cafe.owner).post_form("/admin/counter/tickets", {"warn": warn, "late": late})

    assert response.status_code == 400
    shop = in_app(lambda: db.session.get(Shop, cafe.shop.id))
    assert (shop.ticket_warn_minutes, shop.ticket_late_minutes) == (5, 10)


def test_a_station_needs_a_unique_name(cafe, login):
    owner = login(cafe.owner)
    assert owner.post_form("/admin/counter/stations", {"name": "Bar"}).status_code == 303
    assert owner.post_form("/admin/counter/stations", {"name": " bar "}).status_code == 400
    assert owner.post_form("/admin/counter/stations", {"name": ""}).status_code == 400


def test_a_category_routed_to_another_shops_station_is_refused(cafe, other_cafe, login, stations):
    other = login(other_cafe.owner)
    other.post_form("/admin/counter/stations", {"name": "Bar"})

    response = login(cafe.owner).post_form(
        "/admin/counter/routes", {"category": ["Coffee"], "station": ["999999"]}
    )

    assert response.status_code == 400


def category_routes(in_app) -> dict[str, int]:
    from models import StationRoute

    return in_app(
        lambda: dict(
            db.session.execute(db.select(StationRoute.category, StationRoute.station_id)).all()
        )
    )


def test_a_batch_of_category_routes_with_one_bad_pair_changes_none(login, cafe, stations, in_app):
    before = category_routes(in_app)
    sent = {"category": ["Coffee", "Food"], "station": [stations["Kitchen"], "999999"]}

    response = login(cafe.owner).post_form("/admin/counter/routes", sent)

    assert response.status_code == 400
    assert "Choose one of the shop&#39;s stations for each category." in response.get_data(
        as_text=True
    )
    assert (
        category_routes(in_app)
        == before
        == {"Coffee": stations["Bar"], "Food": stations["Kitchen"]}
    )


# -- items with their own station --------------------------------------------------------


def item_routes(in_app) -> dict[int, int]:
    from models import ItemRoute

    return in_app(
        lambda: dict(
            db.session.execute(db.select(ItemRoute.menu_item_id, ItemRoute.station_id)).all()
        )
    )


def test_an_items_own_station_wins_over_its_categorys(
    cafe, ana, staff_client, login, stations, in_app
):
    phone, public_id = ana
    coffee = ordered(phone, public_id, cafe.flat_white)
    toast = ordered(phone, public_id, cafe.croissant)
    owner = login(cafe.owner)

    response = owner.post_form(
        "/admin/counter/item-routes",
        {"item": [cafe.croissant.id, cafe.flat_white.id], "station": [stations["Bar"], ""]},
    )

    assert response.status_code == 303, response.get_data(as_text=True)
    assert item_routes(in_app) == {cafe.croissant.id: stations["Bar"]}
    assert board(staff_client, f"/staff/stations/{stations['Bar']}/live")["queue_ids"] == [
        coffee,
        toast,
    ]
    assert board(staff_client, f"/staff/stations/{stations['Kitchen']}/live")["queue_ids"] == []

    # Blank again: the item follows its category once more.
    owner.post_form("/admin/counter/item-routes", {"item": [cafe.croissant.id], "station": [""]})
    assert item_routes(in_app) == {}
    assert board(staff_client, f"/staff/stations/{stations['Kitchen']}/live")["queue_ids"] == [
        toast
    ]


def test_the_back_office_names_each_items_station(cafe, login, stations):
    owner = login(cafe.owner)
    owner.post_form(
        "/admin/counter/item-routes", {"item": [cafe.croissant.id], "station": [stations["Bar"]]}
    )

    html = owner.get("/admin/counter").get_data(as_text=True)
    chosen = re.search(rf'id="item-route-{cafe.croissant.id}".*?</select>', html, re.S)[0]
    assert re.search(rf'value="{stations["Bar"]}" selected>Bar<', chosen)


def test_removing_a_station_sends_its_items_back_to_their_category(cafe, login, stations, in_app):
    owner = login(cafe.owner)
    owner.post_form(
        "/admin/counter/item-routes", {"item": [cafe.croissant.id], "station": [stations["Bar"]]}
    )

    owner.post_form(f"/admin/counter/stations/{stations['Bar']}/remove", {})

    assert item_routes(in_app) == {}


@pytest.mark.parametrize(
    "form",
    [
        {"item": ["x"], "station": [""]},
        {"item": ["999999"], "station": [""]},
        {"item": ["{croissant}"], "station": ["999999"]},
        {"item": ["{croissant}"], "station": ["{other}"]},
        {"item": ["{other_item}"], "station": ["{bar}"]},
        {},
    ],
)
def test_bad_item_routes_are_refused_and_change_nothing(
    cafe, other_cafe, login, stations, in_app, form
):
    other = login(other_cafe.owner)
    other.post_form("/admin/counter/stations", {"name": "Bar"})
    other_html = other.get("/admin/counter").get_data(as_text=True)
    other_station = re.search(r"/staff/stations/(\d+)", other_html)[1]
    names = {
        "croissant": cafe.croissant.id,
        "other": other_station,
        "other_item": other_cafe.croissant.id,
        "bar": stations["Bar"],
    }
    sent = {key: [value.format(**names) for value in values] for key, values in form.items()}

    response = login(cafe.owner).post_form("/admin/counter/item-routes", sent)

    assert response.status_code == 400
    assert item_routes(in_app) == {}


# -- what the ready board shows ------------------------------------------------------------


@pytest.mark.parametrize(
    ("shows", "seen", "unseen"),
    [
        ("code", ["Ana"], [">Table", "Flat white"]),
        ("where", ["Ana", "Table"], ["Flat white"]),
        ("items", ["Ana", "Table", "1 × Flat white"], []),
    ],
)
def test_the_ready_board_shows_what_the_owner_chose_and_never_prices(
    cafe, ana, staff_client, login, new_client, shows, seen, unseen
):
    phone, public_id = ana
    line = ordered(phone, public_id, cafe.flat_white)
    post_lines(staff_client, "bump", [line])
    key = board_key(cafe, login)

    response = login(cafe.owner).post_form("/admin/counter/board/shows", {"shows": shows})

    assert response.status_code == 303
    html = new_client().get(f"/board/{key}/live").json["html"]
    for text in seen:
        assert text in html
    for text in [*unseen, "€", "3.80", "3,80"]:
        assert text not in html


@pytest.mark.parametrize("shows", ["", "prices", "x" * 50])
def test_a_board_choice_that_is_not_one_is_refused(cafe, login, in_app, shows):
    response = login(cafe.owner).post_form("/admin/counter/board/shows", {"shows": shows})

    assert response.status_code == 400
    assert in_app(lambda: db.session.get(Shop, cafe.shop.id).board_shows) == "where"
