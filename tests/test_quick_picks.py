"""Fewer taps to an item with options: the combinations this café's customers order
most are quick picks on the item's sheet, and a phone's last order of an item is its
one-tap "Add" on the menu; both only while today's menu still offers them."""

import re
from datetime import timedelta

import pytest

from extensions import db
from models import OptionChoice, TabLine
from models.tab import LINE_VOID
from services import picks
from tests.helpers import large_oat_shot, load_tab, open_tab, order, visible_text

LARGE_OAT_SHOT = "Large, Oat milk, Extra shot"


def checked_ids(html: str) -> set[int]:
    return {int(value) for value in re.findall(r'<input[^>]*\bvalue="(\d+)"[^>]*\bchecked\b', html)}


@pytest.fixture
def ordered_by_others(coffee, new_client):
    """`times` other phones each order the flat white with `choices` on their own tab."""

    def ordered(times: int, **choices) -> list[str]:
        tabs = []
        for _ in range(times):
            other = new_client()
            public_id = open_tab(other, coffee.table)
            response = order(other, public_id, coffee.flat_white, **choices)
            assert response.status_code == 303, response.get_data(as_text=True)
            tabs.append(public_id)
        return tabs

    return ordered


def sheet(phone, public_id, item, **query):
    response = phone.get(f"/tab/{public_id}/menu/{item.id}", query_string=query)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_what_two_customers_chose_is_a_quick_pick_that_ticks_its_choices(
    coffee, phone, ordered_by_others
):
    ordered_by_others(2, **large_oat_shot(coffee.options))
    public_id = open_tab(phone, coffee.table)
    html = sheet(phone, public_id, coffee.flat_white)
    assert "Quick picks" in html
    o = coffee.options
    link = re.search(r'<a class="pill" href="([^"]+)" data-pick="([^"]+)">([^<]+)</a>', html)
    assert link is not None, html
    assert link.group(3) == f"{LARGE_OAT_SHOT} · €5.30"
    assert sorted(map(int, link.group(2).split())) == sorted([o.large, o.oat_milk, o.extra_shot])

    # Without JavaScript the pick is a link: the sheet again, those choices ticked.
    picked = phone.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert checked_ids(picked) == {o.large, o.oat_milk, o.extra_shot}
    assert "Add · €5.30" in visible_text(picked)


def test_a_one_off_combination_and_the_defaults_are_not_quick_picks(
    coffee, phone, ordered_by_others
):
    o = coffee.options
    ordered_by_others(1, **large_oat_shot(o))
    ordered_by_others(3, options=[o.regular])  # the item's defaults
    public_id = open_tab(phone, coffee.table)
    assert "Quick picks" not in sheet(phone, public_id, coffee.flat_white)


def test_a_combination_ordered_again_on_one_tab_counts_once(coffee, phone, new_client):
    other = new_client()
    their_tab = open_tab(other, coffee.table)
    for key in ("round-1", "round-2"):
        choices = {**large_oat_shot(coffee.options), "request_key": key}
        assert order(other, their_tab, coffee.flat_white, **choices).status_code == 303
    public_id = open_tab(phone, coffee.table)
    assert "Quick picks" not in sheet(phone, public_id, coffee.flat_white)


def test_the_most_chosen_combination_comes_first(coffee, phone, ordered_by_others):
    o = coffee.options
    ordered_by_others(2, options=[o.small, o.soy_milk])
    ordered_by_others(3, **large_oat_shot(o))
    public_id = open_tab(phone, coffee.table)
    labels = re.findall(
        r"data-pick=\"[^\"]+\">([^<]+)</a>", sheet(phone, public_id, coffee.flat_white)
    )
    assert labels == [f"{LARGE_OAT_SHOT} · €5.30", "Small, Soy milk · €3.90"]


def test_a_combination_with_a_choice_now_unavailable_is_not_offered(
    coffee, phone, ordered_by_others, in_app
):
    o = coffee.options
    ordered_by_others(2, **large_oat_shot(o))

    def out_of_oat_milk():
        db.session.get(OptionChoice, o.oat_milk).available = False
        db.session.commit()

    in_app(out_of_oat_milk)
    public_id = open_tab(phone, coffee.table)
    assert "Quick picks" not in sheet(phone, public_id, coffee.flat_white)


def test_voided_lines_and_lines_older_than_a_month_are_not_counted(
    coffee, phone, ordered_by_others, in_app
):
    o = coffee.options
    voided, old = ordered_by_others(2, **large_oat_shot(o))

    def take_back():
        [void_line] = load_tab(in_app, voided).lines
        [old_line] = load_tab(in_app, old).lines
        db.session.get(TabLine, void_line.id).status = LINE_VOID
        db.session.get(TabLine, old_line.id).ordered_at -= timedelta(days=picks.POPULAR_DAYS + 1)
        db.session.commit()

    in_app(take_back)
    ordered_by_others(1, **large_oat_shot(o))  # one recent, standing order is a one-off
    public_id = open_tab(phone, coffee.table)
    assert "Quick picks" not in sheet(phone, public_id, coffee.flat_white)


def test_a_phones_last_order_of_an_item_is_its_one_tap_add_on_the_menu(
    coffee, phone, new_client, in_app
):
    o = coffee.options
    public_id = open_tab(phone, coffee.table)
    assert order(phone, public_id, coffee.flat_white, **large_oat_shot(o)).status_code == 303
    menu = visible_text(phone.get(f"/tab/{public_id}/menu").get_data(as_text=True))
    assert f"As last time: {LARGE_OAT_SHOT}" in menu
    assert "Add · €5.30 – Flat white (Large, Oat milk, Extra shot)" in menu
    # On the sheet it is the first quick pick, named as such.
    assert f"As last time: {LARGE_OAT_SHOT} · €5.30" in sheet(phone, public_id, coffee.flat_white)

    # Another phone at the same table is offered the item's defaults, not this usual.
    other = new_client()
    other_tab = open_tab(other, coffee.table)
    other_menu = visible_text(other.get(f"/tab/{other_tab}/menu").get_data(as_text=True))
    assert "As last time" not in other_menu
    assert "Add · €3.80 – Flat white (Regular)" in other_menu

    # The one-tap add orders exactly the usual again, as a new line.
    quick = {"options": [o.large, o.oat_milk, o.extra_shot], "request_key": "again-1"}
    assert order(phone, public_id, coffee.flat_white, **quick).status_code == 303
    lines = load_tab(in_app, public_id).lines
    assert [(line.name, line.unit_price) for line in lines] == [
        ("Flat white (Large, Oat milk, Extra shot)", 530)
    ] * 2


def test_a_usual_the_menu_no_longer_offers_falls_back_to_the_defaults(coffee, phone, in_app):
    o = coffee.options
    public_id = open_tab(phone, coffee.table)
    assert order(phone, public_id, coffee.flat_white, **large_oat_shot(o)).status_code == 303

    def out_of_oat_milk():
        db.session.get(OptionChoice, o.oat_milk).available = False
        db.session.commit()

    in_app(out_of_oat_milk)
    menu = visible_text(phone.get(f"/tab/{public_id}/menu").get_data(as_text=True))
    assert "As last time" not in menu
    assert "Add · €3.80 – Flat white (Regular)" in menu


@pytest.mark.parametrize(
    "picks_sent",
    [
        ["not-a-number"],
        ["999999"],  # no such choice
        ["large", "small"],  # two sizes where one is allowed
        ["croissant-choice"],  # a choice of another shop
        ["\x00", "1" * 5000],
    ],
)
def test_a_pick_link_that_is_not_a_valid_order_opens_the_sheet_on_its_defaults(
    coffee, other_cafe, add_options, phone, picks_sent
):
    o = coffee.options
    theirs = add_options(other_cafe.shop, other_cafe.flat_white.id)
    named = {"large": o.large, "small": o.small, "croissant-choice": theirs.large}
    sent = [str(named.get(p, p)) for p in picks_sent]
    public_id = open_tab(phone, coffee.table)
    html = sheet(phone, public_id, coffee.flat_white, pick=sent)
    assert checked_ids(html) == {o.regular}
    assert "Add · €3.80" in visible_text(html)
