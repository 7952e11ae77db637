"""The counter keeps each row it drew (blueprints/counter_rows.py) and draws again only
the rows whose tab, line, age, language or shop settings changed; what staff see is
the same as a counter drawn from scratch."""

import re
from datetime import timedelta

import pytest

import blueprints.counter_rows as counter_rows
from models.base import utcnow
from tests.helpers import open_tab, order
from tests.pay_helpers import set_shop

JSON = {"Accept": "application/json"}


@pytest.fixture
def drawn(monkeypatch):
    """The rows drawn (not taken from the kept ones), as (macro name, row id)."""
    calls = []
    real = counter_rows.get_template_attribute

    def spy(template, name):
        macro = real(template, name)

        def draw(subject, *args):
            calls.append((name, subject.id))
            return macro(subject, *args)

        return draw

    monkeypatch.setattr(counter_rows, "get_template_attribute", spy)
    return calls


@pytest.fixture
def busy(cafe, new_client):
    """Three phones with an order each: (phone, public id) per tab."""
    tabs = []
    for name in ("Ana", "Ben", "Cleo"):
        phone = new_client()
        public_id = open_tab(phone, cafe.table, name)
        order(phone, public_id, cafe.flat_white)
        tabs.append((phone, public_id))
    return tabs


def live(staff):
    return staff.get("/staff/live", headers=JSON).json


def kind(calls, name):
    return [subject for macro, subject in calls if macro == name]


def test_rows_whose_tab_did_not_change_are_not_drawn_again(staff_client, busy, drawn):
    first = live(staff_client)
    assert len(kind(drawn, "open_row")) == 3 and len(kind(drawn, "ticket_card")) == 3
    drawn.clear()

    # Something elsewhere moved the shop's version, so the poll is not a 304.
    ana, public_id = busy[0]
    ana.post_form(f"/tab/{public_id}/invite")
    second = live(staff_client)

    # Only Ana's rows, whose tab moved on: her open tab and her line in the queue.
    assert kind(drawn, "open_row") == [tab_id_on_counter(first, "Ana")]
    assert len(kind(drawn, "ticket_card")) == 1
    assert strip_tokens(second["html"]) == strip_tokens(first["html"])


def tab_id_on_counter(answer, name) -> int:
    row = re.search(rf'data-tab-id="(\d+)">\s*<a [^>]*><strong>{name}</strong>', answer["html"])
    return int(row[1])


def strip_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_a_new_order_draws_that_tabs_rows_only(cafe, staff_client, busy, drawn):
    first = live(staff_client)
    drawn.clear()
    ben, public_id = busy[1]

    order(ben, public_id, cafe.croissant)
    second = live(staff_client)

    ben_tab = tab_id_on_counter(second, "Ben")
    assert kind(drawn, "open_row") == [ben_tab]
    assert len(kind(drawn, "ticket_card")) == 1  # Ben's ticket, now two lines; the others are kept
    assert "Butter croissant" in second["html"]
    # The croissant joins Ben's ticket (one order round), so it is listed with his line.
    new = max(second["queue_ids"])
    assert sorted(second["queue_ids"]) == sorted(first["queue_ids"] + [new])
    assert second["ticket_ids"] == first["ticket_ids"]


def test_kept_rows_show_what_a_counter_drawn_from_scratch_shows(app, cafe, staff_client, busy):
    live(staff_client)
    ben, public_id = busy[1]
    order(ben, public_id, cafe.croissant)
    kept = live(staff_client)

    app.extensions["counter_rows"].clear()
    fresh = live(staff_client)

    assert strip_tokens(kept["html"]) == strip_tokens(fresh["html"])
    assert kept["queue_ids"] == fresh["queue_ids"]


def test_the_queues_buttons_carry_the_token_of_the_page_they_are_on(
    cafe, staff_client, login, busy, in_app
):
    other_staff = login(cafe.owner)
    mine = live(staff_client)["html"]
    theirs = live(other_staff)["html"]  # the same rows, kept

    my_tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', mine))
    their_tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', theirs))
    assert len(my_tokens) == 1 and len(their_tokens) == 1 and my_tokens != their_tokens
    assert counter_rows.CSRF_STAND_IN not in mine + theirs

    line_id = re.search(r'data-line-id="(\d+)"', theirs)[1]
    response = other_staff.post(
        f"/staff/lines/{line_id}/status",
        data={"csrf_token": their_tokens.pop(), "status": "ready"},
        headers=JSON,
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_row_is_not_drawn_again_when_only_its_age_moves_on(
    staff_client, busy, drawn, monkeypatch
):
    """The age a row shows ("4 min") is brought up to date by live.js from the time it
    carries, so minutes passing draw nothing on the server."""
    live(staff_client)
    drawn.clear()
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(counter_rows, "utcnow", lambda: later)
    ana, public_id = busy[0]
    ana.post_form(f"/tab/{public_id}/invite")  # a change, so the poll is not a 304

    html = live(staff_client)["html"]

    assert len(kind(drawn, "open_row")) == 1  # only the tab that changed
    assert len(kind(drawn, "ticket_card")) == 1  # its ticket, which shows its version
    assert html.count("<time data-since=") >= 6


def test_the_shops_settings_and_the_language_have_rows_of_their_own(
    cafe, staff_client, busy, in_app
):
    before = live(staff_client)["html"]
    assert "€3.80" in before

    set_shop(in_app, cafe.shop, locale="de_DE")
    german = live(staff_client)["html"]
    korean = staff_client.get("/staff/live?lang=ko", headers=JSON).json["html"]

    assert "3,80\xa0€" in german and "€3.80" not in german
    assert "열린 탭" in korean or "준비" in korean
    assert "Open tabs" not in korean
