"""The customer's menu: allergens and tags on each item, the filter, and the item
sheet that picks options with the line's price."""

import re

from extensions import db
from models import MenuItem, OptionChoice
from tests.helpers import load_tab, open_tab, visible_text


def set_item(in_app, item_id, **values):
    def change():
        item = db.session.get(MenuItem, item_id)
        for key, value in values.items():
            setattr(item, key, value)

    in_app(change)


def article(page: str, item_id: int) -> str:
    match = re.search(rf'<article [^>]*id="item-{item_id}">(.*?)</article>', page, re.S)
    return visible_text(match.group(1)) if match else ""


def test_unknown_allergens_are_said_plainly_and_none_is_not_the_same(cafe, phone, in_app):
    set_item(in_app, cafe.croissant.id, allergens="gluten,eggs,milk", tags="vegetarian")
    set_item(in_app, cafe.sold_out.id, allergens="")
    public_id = open_tab(phone, cafe.table)
    page = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    assert "Allergen information not given; ask at the counter." in article(
        page, cafe.flat_white.id
    )
    croissant = article(page, cafe.croissant.id)
    assert "Contains: Cereals containing gluten, Eggs, Milk" in croissant
    assert "Vegetarian" in croissant
    assert "None of the 14 main allergens." in article(page, cafe.sold_out.id)


def test_the_filter_leaves_out_items_with_an_allergen_and_those_not_known(cafe, phone, in_app):
    set_item(in_app, cafe.croissant.id, allergens="gluten,milk", tags="vegetarian")
    set_item(in_app, cafe.sold_out.id, allergens="nuts", tags="vegan,vegetarian")
    public_id = open_tab(phone, cafe.table)
    no_nuts = phone.get(f"/tab/{public_id}/menu?free=nuts").get_data(as_text=True)
    assert article(no_nuts, cafe.croissant.id)
    assert not article(no_nuts, cafe.sold_out.id)
    assert not article(no_nuts, cafe.flat_white.id)  # unknown: nothing can be promised
    assert "Items without allergen information are left out." in no_nuts
    vegan = phone.get(f"/tab/{public_id}/menu?tag=vegan").get_data(as_text=True)
    assert [
        bool(article(vegan, i.id)) for i in (cafe.flat_white, cafe.croissant, cafe.sold_out)
    ] == [False, False, True]
    odd = phone.get(f"/tab/{public_id}/menu?tag=%00&free=uranium")
    assert odd.status_code in (200, 400)


def test_an_item_with_options_opens_a_sheet_with_defaults_and_the_price(coffee, phone, in_app):
    public_id = open_tab(phone, coffee.table)
    menu = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    assert f'/tab/{public_id}/menu/{coffee.flat_white.id}"' in menu
    sheet = phone.get(f"/tab/{public_id}/menu/{coffee.flat_white.id}").get_data(as_text=True)
    assert re.search(rf'value="{coffee.options.regular}" data-price="0" checked', sheet)
    assert "Large +€0.50" in visible_text(sheet)
    assert "Small −€0.30" in visible_text(sheet)
    assert "Add · €3.80" in visible_text(sheet)
    # The defaults as the page sends them: one tap adds a regular flat white.
    response = phone.post_form(
        f"/tab/{public_id}/order",
        {
            "item_id": coffee.flat_white.id,
            "sheet": "1",
            "quantity": "1",
            f"option-{coffee.options.groups['Size']}": coffee.options.regular,
        },
    )
    assert response.status_code == 303
    assert load_tab(in_app, public_id).lines[0].name == "Flat white (Regular)"


def test_an_unavailable_choice_is_shown_but_cannot_be_picked(coffee, phone, in_app):
    in_app(
        lambda: setattr(db.session.get(OptionChoice, coffee.options.oat_milk), "available", False)
    )
    public_id = open_tab(phone, coffee.table)
    sheet = phone.get(f"/tab/{public_id}/menu/{coffee.flat_white.id}").get_data(as_text=True)
    assert re.search(rf'value="{coffee.options.oat_milk}"[^>]*disabled', sheet)
    assert "Oat milk +€0.40 (not available)" in visible_text(sheet)


def test_a_refused_sheet_order_shows_the_sheet_again_with_the_reason(coffee, phone, in_app):
    public_id = open_tab(phone, coffee.table)
    response = phone.post_form(
        f"/tab/{public_id}/order",
        {
            "item_id": coffee.flat_white.id,
            "sheet": "1",
            "quantity": "1",
            "options": [coffee.options.oat_milk],
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose Size for Flat white." in page
    assert re.search(rf'value="{coffee.options.oat_milk}" data-price="40" checked', page)
    assert load_tab(in_app, public_id).lines == []


def test_another_shops_item_has_no_sheet_here(coffee, other_cafe, phone):
    public_id = open_tab(phone, coffee.table)
    assert phone.get(f"/tab/{public_id}/menu/{other_cafe.flat_white.id}").status_code == 404
    assert phone.get(f"/tab/{public_id}/menu/99999999999").status_code == 404


def test_the_menu_adds_an_item_with_its_defaults_in_one_tap_unless_one_is_missing(
    coffee, phone, in_app
):
    public_id = open_tab(phone, coffee.table)
    menu = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    assert 'Add · €3.80<span class="sr-only"> – Flat white (Regular)</span></button>' in menu
    # Regular runs out: the size must be chosen on the sheet.
    in_app(
        lambda: setattr(db.session.get(OptionChoice, coffee.options.regular), "available", False)
    )
    menu = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    assert "– Flat white (" not in menu
    assert 'aria-label="Choose options for Flat white"' in menu


def test_a_refused_sheet_with_odd_choice_values_is_still_a_clear_400(coffee, phone, in_app):
    public_id = open_tab(phone, coffee.table)
    response = phone.post_form(
        f"/tab/{public_id}/order",
        {"item_id": coffee.flat_white.id, "sheet": "1", "options": ["²", "-1", "9" * 30]},
    )
    assert response.status_code == 400
    assert "That option is not offered for Flat white." in response.get_data(as_text=True)
