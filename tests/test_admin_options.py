"""The owner's option groups, allergens, tags and tax, from the back office."""

import pytest

from extensions import db
from models import MenuCategory, MenuItem, OptionChoice, OptionGroup, Shop
from tests.helpers import load_tab, open_tab, order


@pytest.fixture
def owner(cafe, login):
    return login(cafe.owner)


def ok(response):
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def group_of(in_app, shop_id, name):
    return in_app(
        lambda: db.session.execute(
            db.select(OptionGroup).where(OptionGroup.shop_id == shop_id, OptionGroup.name == name)
        ).scalar_one()
    )


def choices_of(in_app, group_id):
    return in_app(
        lambda: {
            c.name: (c.id, c.price_delta, c.is_default, c.available)
            for c in db.session.execute(
                db.select(OptionChoice).where(OptionChoice.group_id == group_id)
            ).scalars()
        }
    )


def test_owner_makes_a_milk_group_attaches_it_and_customers_order_with_it(
    owner, cafe, phone, in_app
):
    ok(owner.post_form("/admin/menu/options", {"name": "Milk", "rule": "optional"}))
    milk = group_of(in_app, cafe.shop.id, "Milk")
    assert (milk.min_choices, milk.max_choices) == (0, 1)
    ok(
        owner.post_form(
            f"/admin/menu/options/{milk.id}/choices", {"name": "Oat milk", "price_delta": "0.40"}
        )
    )
    ok(
        owner.post_form(
            f"/admin/menu/options/{milk.id}/choices", {"name": "Skimmed", "price_delta": "-0.10"}
        )
    )
    assert choices_of(in_app, milk.id)["Skimmed"][1] == -10
    page = owner.get("/admin/menu/options").get_data(as_text=True)
    assert "Oat milk" in page and "Used by 0 items." in page

    item = cafe.flat_white.id
    ok(
        owner.post_form(
            f"/admin/menu/items/{item}/options", {"groups": [milk.id], f"position-{milk.id}": "1"}
        )
    )
    assert "Used by 1 item." in owner.get("/admin/menu/options").get_data(as_text=True)
    assert f'value="{milk.id}" checked' in owner.get(f"/admin/menu/items/{item}").get_data(
        as_text=True
    )

    public_id = open_tab(phone, cafe.table)
    oat = choices_of(in_app, milk.id)["Oat milk"][0]
    ok(order(phone, public_id, cafe.flat_white, options=[oat]))
    assert load_tab(in_app, public_id).lines[0].unit_price == 420


def test_out_of_oat_milk_is_one_tap_and_keeps_the_item_on_the_menu(owner, coffee, phone, in_app):
    oat = coffee.options.oat_milk
    ok(owner.post_form(f"/admin/menu/choices/{oat}/available", {"value": "0"}))
    assert choices_of(in_app, coffee.options.groups["Milk"])["Oat milk"][3] is False
    public_id = open_tab(phone, coffee.table)
    response = order(phone, public_id, coffee.flat_white, options=[coffee.options.regular, oat])
    assert response.status_code == 400
    ok(order(phone, public_id, coffee.flat_white, options=[coffee.options.regular]))


def test_a_group_that_takes_one_keeps_one_default(owner, coffee, in_app):
    size = coffee.options.groups["Size"]
    ok(
        owner.post_form(
            f"/admin/menu/choices/{coffee.options.large}",
            {"name": "Large", "price_delta": "0.50", "is_default": "y"},
        )
    )
    defaults = [name for name, c in choices_of(in_app, size).items() if c[2]]
    assert defaults == ["Large"]


@pytest.mark.parametrize(
    ("url", "data", "status"),
    [
        ("/admin/menu/options", {"name": "Milk", "rule": "lots"}, 400),
        ("/admin/menu/options", {"name": "Extras", "rule": "many", "most": "x"}, 400),
        ("/admin/menu/options", {"name": "", "rule": "one"}, 400),
        ("/admin/menu/options", {"name": "Size", "rule": "one"}, 409),
        ("GROUP/choices", {"name": "Oat", "price_delta": "abc"}, 400),
        ("GROUP/choices", {"name": "Large", "price_delta": "1"}, 409),
        ("ITEM/options", {"groups": ["nope"]}, 400),
        ("ITEM/options", {"groups": ["999999"]}, 404),
        ("ITEM/details", {"allergens_known": "stated", "allergens": ["uranium"]}, 400),
        ("ITEM/details", {"allergens_known": "maybe"}, 400),
        ("ITEM/details", {"allergens_known": "unknown", "tax_rate": "lots"}, 400),
        ("/admin/menu/tax", {"prices_include_tax": "1", "tax_rate": "150"}, 400),
        ("/admin/menu/tax", {"prices_include_tax": "maybe", "tax_rate": "9"}, 400),
    ],
)
def test_bad_input_is_refused_with_a_4xx_and_changes_nothing(
    owner, coffee, in_app, url, data, status
):
    url = url.replace("GROUP", f"/admin/menu/options/{coffee.options.groups['Size']}")
    url = url.replace("ITEM", f"/admin/menu/items/{coffee.flat_white.id}")

    def state():
        return (
            [
                (g.name, g.min_choices, g.max_choices)
                for g in db.session.execute(db.select(OptionGroup)).scalars()
            ],
            [
                (c.name, c.price_delta)
                for c in db.session.execute(db.select(OptionChoice)).scalars()
            ],
            [
                (i.allergens, i.tags, i.tax_rate, len(i.option_links))
                for i in db.session.execute(db.select(MenuItem)).scalars()
            ],
            [
                (s.tax_rate, s.prices_include_tax)
                for s in db.session.execute(db.select(Shop)).scalars()
            ],
        )

    before = in_app(state)
    response = owner.post_form(url, data)
    assert response.status_code == status, response.get_data(as_text=True)
    assert in_app(state) == before


def test_another_shops_groups_and_choices_are_not_found(owner, other_cafe, add_options):
    theirs = add_options(other_cafe.shop, other_cafe.flat_white.id)
    assert (
        owner.post_form(
            f"/admin/menu/choices/{theirs.oat_milk}/available", {"value": "0"}
        ).status_code
        == 404
    )
    assert owner.post_form(f"/admin/menu/options/{theirs.groups['Milk']}/delete").status_code == 404
    assert (
        owner.post_form(
            f"/admin/menu/items/{other_cafe.flat_white.id}/details", {"allergens_known": "unknown"}
        ).status_code
        == 404
    )


def test_an_option_post_without_the_csrf_token_is_refused(owner, coffee):
    response = owner.post(
        f"/admin/menu/choices/{coffee.options.oat_milk}/available", data={"value": "0"}
    )
    assert response.status_code == 400


def test_allergens_unknown_is_kept_apart_from_none(owner, cafe, in_app):
    url = f"/admin/menu/items/{cafe.croissant.id}/details"

    def stored():
        item = db.session.get(MenuItem, cafe.croissant.id)
        return item.allergens, item.tags, item.tax_rate

    assert in_app(stored) == (None, "", None)
    ok(
        owner.post_form(
            url,
            {
                "allergens_known": "stated",
                "allergens": ["milk", "gluten", "eggs"],
                "tags": ["vegetarian"],
                "tax_rate": "9",
            },
        )
    )
    assert in_app(stored) == ("gluten,eggs,milk", "vegetarian", 9000)
    ok(owner.post_form(url, {"allergens_known": "stated"}))
    assert in_app(stored) == ("", "", None)
    ok(owner.post_form(url, {"allergens_known": "unknown", "allergens": ["milk"]}))
    assert in_app(stored) == (None, "", None)


def test_owner_sets_prices_excluding_tax_and_a_category_rate(owner, cafe, in_app):
    ok(owner.post_form("/admin/menu/tax", {"prices_include_tax": "0", "tax_rate": "8.875"}))
    ok(owner.post_form("/admin/menu/categories", {"name": "Food"}))
    food = in_app(
        lambda: db.session.execute(
            db.select(MenuCategory).where(MenuCategory.shop_id == cafe.shop.id)
        ).scalar_one()
    )
    ok(owner.post_form(f"/admin/menu/categories/{food.id}/tax", {"tax_rate": "5"}))
    shop = in_app(lambda: db.session.get(Shop, cafe.shop.id))
    assert (shop.prices_include_tax, shop.tax_rate) == (False, 8875)
    assert in_app(lambda: db.session.get(MenuCategory, food.id).tax_rate) == 5000
    page = owner.get("/admin/menu").get_data(as_text=True)
    assert 'value="8.875"' in page and 'value="5"' in page
