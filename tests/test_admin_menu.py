"""The owner's menu: categories in order, items, prices that never rewrite a tab,
archiving instead of deleting, and bad input refused with nothing saved."""

import pytest
from sqlalchemy import select

from extensions import db
from models import MenuCategory, MenuItem, TabLine
from tests.helpers import load_tab, open_tab, order


def items(in_app, shop):
    return in_app(
        lambda: {
            item.name: item
            for item in db.session.execute(
                select(MenuItem).where(MenuItem.shop_id == shop.id)
            ).scalars()
        }
    )


def menu_rows(in_app):
    def read():
        return (
            sorted(map(tuple, db.session.execute(select(MenuItem.__table__)).all()), key=repr),
            sorted(map(tuple, db.session.execute(select(MenuCategory.__table__)).all()), key=repr),
        )

    return in_app(read)


@pytest.fixture
def owner(cafe, login):
    client = login(cafe.owner)
    client.get("/admin/menu")
    return client


def add_category(owner, name):
    return owner.post_form("/admin/menu/categories", {"name": name})


def add_item(owner, **fields):
    data = {"name": "Cortado", "price": "3.20", "category": "", "available": "y", "sort": "0"}
    data.update(fields)
    return owner.post_form("/admin/menu/items", data)


def test_owner_adds_categories_and_items_and_customers_see_them_in_that_order(
    cafe, owner, phone, in_app
):
    for name in ("Cakes", "Drinks"):
        assert add_category(owner, name).status_code == 303
    assert add_item(owner, name="Lemon cake", price="4", category="Cakes").status_code == 303
    assert add_item(owner, name="Tea", price="2.50", category="Drinks", sort="2").status_code == 303
    assert (
        add_item(owner, name="Lemonade", price="3", category="Drinks", sort="1").status_code == 303
    )
    drinks = in_app(
        lambda: db.session.execute(
            select(MenuCategory).where(MenuCategory.name == "Drinks")
        ).scalar_one()
    )
    response = owner.post_form(f"/admin/menu/categories/{drinks.id}/move", {"direction": "up"})
    assert response.status_code == 303

    public_id = open_tab(phone, cafe.table)
    page = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    # Drinks was moved above Cakes; within Drinks, position 1 before 2; the fixture's
    # items (categories made outside the back office) come after.
    positions = [page.index(text) for text in ("Lemonade", "Tea", "Lemon cake", "Flat white")]
    assert positions == sorted(positions)
    assert page.index("<h2>Drinks</h2>") < page.index("<h2>Cakes</h2>")
    assert items(in_app, cafe.shop)["Lemonade"].price == 300


def test_a_price_change_never_changes_lines_already_on_tabs(cafe, owner, phone, in_app):
    public_id = open_tab(phone, cafe.table)
    assert order(phone, public_id, cafe.flat_white, 2).status_code == 303

    response = owner.post_form(
        f"/admin/menu/items/{cafe.flat_white.id}",
        {"name": "Flat white", "price": "4.50", "category": "", "available": "y", "sort": "0"},
    )
    assert response.status_code == 303
    assert order(phone, public_id, cafe.flat_white, 1).status_code == 303

    tab = load_tab(in_app, public_id)
    assert [(line.unit_price, line.quantity) for line in tab.lines] == [(380, 2), (450, 1)]
    assert tab.total == 2 * 380 + 450
    assert items(in_app, cafe.shop)["Flat white"].price == 450


def test_deleting_an_item_on_past_tabs_archives_it(cafe, owner, phone, staff_client, in_app):
    public_id = open_tab(phone, cafe.table)
    assert order(phone, public_id, cafe.flat_white).status_code == 303

    response = owner.post_form(f"/admin/menu/items/{cafe.flat_white.id}/delete")
    assert response.status_code == 303
    assert "archived" in owner.get(response.location).get_data(as_text=True)

    kept = items(in_app, cafe.shop)["Flat white"]
    assert kept.archived_at is not None
    line = in_app(lambda: db.session.execute(select(TabLine)).scalar_one())
    assert (line.menu_item_id, line.name, line.unit_price) == (kept.id, "Flat white", 380)
    # Off the customer's menu, the staff order form and refused if posted anyway.
    assert f'id="item-{kept.id}"' not in phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    tab_page = staff_client.get(f"/staff/tabs/{load_tab(in_app, public_id).id}")
    assert f'<option value="{kept.id}"' not in tab_page.get_data(as_text=True)
    refused = order(phone, public_id, kept)
    assert refused.status_code == 400
    assert "not on this menu" in refused.get_data(as_text=True)
    assert len(load_tab(in_app, public_id).lines) == 1
    # The bill still shows it.
    assert "Flat white" in phone.get(f"/tab/{public_id}").get_data(as_text=True)

    assert owner.post_form(f"/admin/menu/items/{kept.id}/restore").status_code == 303
    assert items(in_app, cafe.shop)["Flat white"].archived_at is None


def test_deleting_an_item_never_ordered_really_deletes_it(cafe, owner, in_app):
    response = owner.post_form(f"/admin/menu/items/{cafe.croissant.id}/delete")

    assert response.status_code == 303
    assert "Butter croissant" not in items(in_app, cafe.shop)


def test_the_available_switch(cafe, owner, in_app):
    url = f"/admin/menu/items/{cafe.flat_white.id}/available"
    assert owner.post_form(url, {"value": "0"}).status_code == 303
    assert items(in_app, cafe.shop)["Flat white"].available is False
    assert owner.post_form(url, {"value": "1"}).status_code == 303
    assert items(in_app, cafe.shop)["Flat white"].available is True


def test_renaming_a_category_moves_its_items_with_it(cafe, owner, in_app):
    add_category(owner, "Hot")
    add_item(owner, name="Mocha", category="Hot")
    hot = in_app(
        lambda: db.session.execute(
            select(MenuCategory).where(MenuCategory.name == "Hot")
        ).scalar_one()
    )
    assert owner.post_form(f"/admin/menu/categories/{hot.id}", {"name": "Warm"}).status_code == 303
    assert items(in_app, cafe.shop)["Mocha"].category == "Warm"

    refused = owner.post_form(f"/admin/menu/categories/{hot.id}/delete")
    assert refused.status_code == 409
    assert "move or delete them first" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"price": "-1.00"}, "cannot be negative"),
        ({"price": "three"}, "Enter an amount like 3.50"),
        ({"price": ""}, "Enter an amount"),
        ({"price": "1.234"}, "at most 2 decimal places"),
        ({"name": "   "}, "needs a name"),
        ({"category": "No such category"}, "Pick one of the menu"),
        ({"sort": "-3"}, "position must be a whole number"),
    ],
)
def test_bad_items_are_refused_clearly_and_nothing_is_saved(cafe, owner, in_app, fields, message):
    before = menu_rows(in_app)

    added = add_item(owner, **fields)
    edited = owner.post_form(
        f"/admin/menu/items/{cafe.flat_white.id}",
        {"name": "Flat white", "price": "3.80", "category": "", "sort": "0", **fields},
    )

    for response in (added, edited):
        assert 400 <= response.status_code < 500
        assert message in response.get_data(as_text=True)
    assert menu_rows(in_app) == before


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_bad_category_names_are_refused(owner, in_app, name):
    before = menu_rows(in_app)

    response = add_category(owner, name)

    assert response.status_code == 400
    assert "name" in response.get_data(as_text=True)
    assert menu_rows(in_app) == before


def test_a_duplicate_category_is_refused(owner, in_app):
    add_category(owner, "Cakes")
    before = menu_rows(in_app)

    response = add_category(owner, "Cakes")

    assert response.status_code == 409
    assert "already a category called Cakes" in response.get_data(as_text=True)
    assert menu_rows(in_app) == before
