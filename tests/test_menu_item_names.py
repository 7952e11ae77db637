"""One item of a name per category: two "Flat white"s under Coffee would be two
lines nobody can tell apart on the menu, the counter and the bill. The rule lives in
services (shops.refuse_duplicate_item), so the shell and the back office refuse alike."""

import pytest
from sqlalchemy import func, select

from extensions import db
from models import MenuCategory, MenuItem
from tests.helpers import open_tab, order


def count_items(in_app, name=None) -> int:
    where = [func.lower(MenuItem.name) == name.lower()] if name else []
    return in_app(
        lambda: db.session.execute(
            select(func.count()).select_from(MenuItem).where(*where)
        ).scalar_one()
    )


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])


@pytest.fixture
def owner(cafe, login, in_app):
    # The back office picks categories from the shop's own list.
    in_app(lambda: db.session.add(MenuCategory(shop_id=cafe.shop.id, name="Coffee", sort=1)))
    client = login(cafe.owner)
    client.get("/admin/menu")
    return client


def add_in_back_office(owner, name, category="Coffee"):
    data = {"name": name, "price": "4.00", "category": category, "available": "y", "sort": "0"}
    return owner.post_form("/admin/menu/items", data)


def test_the_shell_refuses_a_second_item_of_a_name_in_a_category(cli, cafe, in_app):
    before = count_items(in_app)

    result = cli(
        "menu", "add", "--shop", cafe.shop.slug, "--name", "flat  WHITE", "--price", "4",
        "--category", "Coffee",
    )  # fmt: skip

    assert result.exit_code != 0
    assert "Coffee already has an item called flat WHITE" in result.output
    assert count_items(in_app) == before


def test_the_same_name_in_another_category_is_fine(cli, cafe, in_app):
    result = cli(
        "menu", "add", "--shop", cafe.shop.slug, "--name", "Flat white", "--price", "4",
        "--category", "Take away",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert count_items(in_app, "Flat white") == 2


def test_another_shops_item_of_that_name_does_not_count(cli, other_cafe, cafe, in_app):
    result = cli(
        "menu", "add", "--shop", other_cafe.shop.slug, "--name", "Espresso", "--price", "2",
        "--category", "Coffee",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    again = cli(
        "menu", "add", "--shop", cafe.shop.slug, "--name", "Espresso", "--price", "2",
        "--category", "Coffee",
    )  # fmt: skip
    assert again.exit_code == 0, again.output


def test_the_back_office_refuses_a_duplicate_and_keeps_what_was_typed(owner, in_app):
    before = count_items(in_app)

    response = add_in_back_office(owner, "Flat White ")

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Coffee already has an item called Flat White" in page
    assert count_items(in_app) == before


def test_renaming_an_item_onto_another_is_refused(cafe, owner, in_app):
    def uncategorise():
        for item in (cafe.croissant, cafe.flat_white):
            db.session.get(MenuItem, item.id).category = ""

    in_app(uncategorise)
    fields = {"name": "Flat white", "price": "2.80", "category": "", "available": "y"}

    response = owner.post_form(f"/admin/menu/items/{cafe.croissant.id}", fields)

    assert response.status_code == 409
    assert "The menu already has an item called Flat white" in response.get_data(as_text=True)
    assert count_items(in_app, "Butter croissant") == 1


def test_saving_an_item_unchanged_is_no_duplicate_of_itself(cafe, owner, in_app):
    fields = {"name": "Flat white", "price": "3.90", "category": "Coffee", "available": "y"}
    assert owner.post_form(f"/admin/menu/items/{cafe.flat_white.id}", fields).status_code == 303


def test_an_archived_item_frees_its_name_but_cannot_come_back_beside_a_new_one(
    cafe, owner, phone, in_app
):
    order(phone, open_tab(phone, cafe.table), cafe.flat_white)  # so it is archived, not deleted
    assert owner.post_form(f"/admin/menu/items/{cafe.flat_white.id}/delete").status_code == 303
    assert add_in_back_office(owner, "Flat white").status_code == 303

    restored = owner.post_form(f"/admin/menu/items/{cafe.flat_white.id}/restore")

    assert restored.status_code == 303
    page = owner.get(restored.location).get_data(as_text=True)
    assert "Coffee already has an item called Flat white" in page
    archived = in_app(lambda: db.session.get(MenuItem, cafe.flat_white.id).archived_at)
    assert archived is not None
