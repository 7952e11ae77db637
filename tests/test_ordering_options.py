"""Ordering an item with options through the customer's order route: the choices
and their prices are checked against the item and frozen on the tab line."""

from extensions import db
from models import MenuCategory, MenuItem, OptionChoice, Shop
from tests.helpers import large_oat_shot, load_tab, open_tab, order, tab_snapshot


def test_a_large_oat_flat_white_with_an_extra_shot_is_one_line_priced_with_its_options(
    coffee, phone, in_app
):
    public_id = open_tab(phone, coffee.table)
    o = coffee.options
    response = order(phone, public_id, coffee.flat_white, 2, **large_oat_shot(o))
    assert response.status_code == 303, response.get_data(as_text=True)
    [line] = load_tab(in_app, public_id).lines
    assert line.name == "Flat white (Large, Oat milk, Extra shot)"
    assert line.quantity == 2
    assert line.unit_price == 380 + 50 + 40 + 60
    assert line.line_total == 2 * 530
    assert [(c["group"], c["choice"], c["price"]) for c in line.options] == [
        ("Size", "Large", 50),
        ("Milk", "Oat milk", 40),
        ("Extras", "Extra shot", 60),
    ]


def test_a_choice_that_takes_money_off_lowers_the_line(coffee, phone, in_app):
    public_id = open_tab(phone, coffee.table)
    assert (
        order(phone, public_id, coffee.flat_white, options=[coffee.options.small]).status_code
        == 303
    )
    [line] = load_tab(in_app, public_id).lines
    assert (line.name, line.unit_price) == ("Flat white (Small)", 350)


def test_an_item_without_options_is_ordered_as_before(coffee, phone, in_app):
    public_id = open_tab(phone, coffee.table)
    assert order(phone, public_id, coffee.croissant).status_code == 303
    [line] = load_tab(in_app, public_id).lines
    assert (line.name, line.unit_price, line.options) == ("Butter croissant", 280, None)


def refused(phone, in_app, public_id, item, options, message):
    before = tab_snapshot(in_app, public_id)
    response = order(phone, public_id, item, options=options)
    assert response.status_code == 400, response.status_code
    assert message in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before


def test_a_required_group_without_a_choice_is_refused_and_nothing_changes(coffee, phone, in_app):
    public_id = open_tab(phone, coffee.table)
    refused(
        phone,
        in_app,
        public_id,
        coffee.flat_white,
        [coffee.options.oat_milk],
        "Choose Size for Flat white.",
    )


def test_two_sizes_or_three_extras_are_too_many(coffee, phone, in_app):
    public_id = open_tab(phone, coffee.table)
    o = coffee.options
    refused(
        phone, in_app, public_id, coffee.flat_white, [o.small, o.large], "Choose at most 1 Size"
    )
    refused(
        phone,
        in_app,
        public_id,
        coffee.flat_white,
        [o.regular, o.extra_shot, o.syrup, o.decaf],
        "Choose at most 2 of Extras",
    )


def test_a_choice_of_another_item_or_another_shop_is_refused(
    coffee, other_cafe, add_options, phone, in_app
):
    public_id = open_tab(phone, coffee.table)
    refused(
        phone,
        in_app,
        public_id,
        coffee.croissant,
        [coffee.options.oat_milk],
        "That option is not offered for Butter croissant.",
    )
    theirs = add_options(other_cafe.shop, other_cafe.flat_white.id)
    refused(
        phone,
        in_app,
        public_id,
        coffee.flat_white,
        [coffee.options.regular, theirs.oat_milk],
        "That option is not offered for Flat white.",
    )
    refused(
        phone,
        in_app,
        public_id,
        coffee.flat_white,
        ["x'; drop", coffee.options.regular],
        "That option is not offered",
    )


def test_an_unavailable_choice_is_refused_but_the_item_stays_orderable(coffee, phone, in_app):
    in_app(
        lambda: setattr(db.session.get(OptionChoice, coffee.options.oat_milk), "available", False)
    )
    public_id = open_tab(phone, coffee.table)
    o = coffee.options
    refused(
        phone,
        in_app,
        public_id,
        coffee.flat_white,
        [o.regular, o.oat_milk],
        "Sorry, Oat milk is not available right now.",
    )
    assert (
        order(phone, public_id, coffee.flat_white, options=[o.regular, o.soy_milk]).status_code
        == 303
    )


def test_a_later_price_change_never_rewrites_the_snapshot(coffee, phone, in_app):
    public_id = open_tab(phone, coffee.table)
    o = coffee.options
    assert order(phone, public_id, coffee.flat_white, options=[o.large]).status_code == 303

    def reprice():
        db.session.get(OptionChoice, o.large).price_delta = 90
        db.session.get(OptionChoice, o.large).name = "Huge"

    in_app(reprice)
    [line] = load_tab(in_app, public_id).lines
    assert (line.name, line.unit_price, line.options[0]["price"]) == ("Flat white (Large)", 430, 50)


def test_an_order_sent_as_json_carries_its_options_as_a_list(coffee, phone, in_app):
    public_id = open_tab(phone, coffee.table)
    o = coffee.options
    response = phone.post(
        f"/tab/{public_id}/order",
        json={"item_id": coffee.flat_white.id, "quantity": 1, "options": [o.large, o.decaf]},
        headers={"Accept": "application/json", "X-CSRFToken": phone.csrf_token()},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    [line] = load_tab(in_app, public_id).lines
    assert line.name == "Flat white (Large, Decaf)"


def test_the_line_keeps_the_tax_rate_of_the_item_else_its_category_else_the_shop(
    coffee, phone, in_app
):
    def rates():
        shop = db.session.get(Shop, coffee.shop.id)
        shop.tax_rate, shop.prices_include_tax = 21000, True
        db.session.add(MenuCategory(shop_id=shop.id, name="Food", tax_rate=9000))
        db.session.get(MenuItem, coffee.sold_out.id).available = True
        db.session.get(MenuItem, coffee.sold_out.id).tax_rate = 13500

    in_app(rates)
    public_id = open_tab(phone, coffee.table)
    order(phone, public_id, coffee.flat_white, options=[coffee.options.regular])
    order(phone, public_id, coffee.croissant)
    order(phone, public_id, coffee.sold_out)
    lines = load_tab(in_app, public_id).lines
    assert [(line.tax_rate, line.tax_included) for line in lines] == [
        (21000, True),
        (9000, True),
        (13500, True),
    ]


def test_staff_adding_an_item_with_options_get_its_defaults_until_their_form_asks(
    coffee, staff_client, in_app
):
    from models import Tab

    opened = staff_client.post_form("/staff/tabs/new", {"customer_name": "Walk-in"})
    assert opened.status_code == 303, opened.get_data(as_text=True)
    tab_id = int(opened.location.rsplit("/", 1)[1])
    response = staff_client.post_form(
        f"/staff/tabs/{tab_id}/order", {"item_id": coffee.flat_white.id, "quantity": "1"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    line = in_app(lambda: db.session.get(Tab, tab_id).lines[0])
    assert (line.name, line.unit_price) == ("Flat white (Regular)", 380)
