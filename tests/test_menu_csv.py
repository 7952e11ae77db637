"""The whole menu in one CSV file: out and back in gives the same menu, a refused row
changes nothing, re-importing adds nothing twice, and hostile files are refused."""

import csv
import io

import pytest

from extensions import db
from models import ItemOptionGroup, MenuCategory, MenuItem, OptionChoice, OptionGroup, Shop
from services import Refused, menu_csv, unit_of_work
from services import menu as menu_service

HEADER = ",".join(menu_csv.HEADER)


@pytest.fixture
def full_menu(coffee, add_options, in_app):
    """The coffee café with a latte sharing the flat white's groups, allergens (one
    item unknown), tags, a category rate and an item rate."""

    def fill():
        shop = db.session.get(Shop, coffee.shop.id)
        menu_service.add_category(shop, "Coffee")
        menu_service.add_category(shop, "Food")
        coffee_row = db.session.execute(
            db.select(MenuCategory).where(
                MenuCategory.shop_id == shop.id, MenuCategory.name == "Coffee"
            )
        ).scalar_one()
        menu_service.set_category_tax(coffee_row, 9000)
        latte = menu_service.save_item(
            shop,
            None,
            name="Latte",
            description="Espresso and milk.\nServed hot.",
            price=400,
            category="Coffee",
            available=True,
            sort=2,
        )
        flat_white = db.session.get(MenuItem, coffee.flat_white.id)
        groups = [link.group_id for link in flat_white.option_links]
        from services import options as options_service

        options_service.set_item_groups(latte, {g: n for n, g in enumerate(groups, start=1)})
        menu_service.save_details(flat_white, ["milk"], ["vegetarian"], None)
        menu_service.save_details(latte, ["milk", "soya"], ["vegetarian", "gluten_free"], 13500)
        croissant = db.session.get(MenuItem, coffee.croissant.id)
        menu_service.save_details(croissant, [], [], None)
        oat = db.session.get(OptionChoice, coffee.options.oat_milk)
        options_service.set_choice_available(oat, False)
        db.session.commit()

    in_app(fill)
    return coffee


def export(in_app, shop_id):
    return in_app(lambda: menu_csv.export_text(db.session.get(Shop, shop_id)))


def do_import(in_app, shop_id, data):
    def run():
        with unit_of_work():
            return menu_csv.import_menu(db.session.get(Shop, shop_id), data)

    return in_app(run)


def refusal(in_app, shop_id, data) -> str:
    with pytest.raises(Refused) as refused:
        do_import(in_app, shop_id, data)
    return refused.value.message


def rows_of(text):
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_export_then_import_into_an_empty_shop_gives_the_same_menu(full_menu, create_shop, in_app):
    written = export(in_app, full_menu.shop.id)
    empty = create_shop()
    result = do_import(in_app, empty.id, written.encode("utf-8"))
    assert (result.groups, result.choices, result.items) == (3, 9, 4)
    assert export(in_app, empty.id) == written
    latte = rows_of(written)
    assert latte[[r[2] for r in latte].index("Latte")][:6] == [
        "item",
        "Coffee",
        "Latte",
        "4.00",
        "Espresso and milk.\nServed hot.",
        "yes",
    ]


def test_shared_groups_stay_shared(full_menu, create_shop, in_app):
    empty = create_shop()
    do_import(in_app, empty.id, export(in_app, full_menu.shop.id).encode())

    def links():
        groups = db.session.execute(
            db.select(OptionGroup).where(OptionGroup.shop_id == empty.id)
        ).scalars()
        return {
            group.name: db.session.execute(
                db.select(db.func.count())
                .select_from(ItemOptionGroup)
                .where(ItemOptionGroup.group_id == group.id)
            ).scalar_one()
            for group in groups
        }

    assert in_app(links) == {"Size": 2, "Milk": 2, "Extras": 2}


def test_allergens_unknown_none_and_listed_and_unavailable_choices_survive(
    full_menu, create_shop, in_app
):
    empty = create_shop()
    do_import(in_app, empty.id, export(in_app, full_menu.shop.id).encode())

    def read():
        items = db.session.execute(db.select(MenuItem).where(MenuItem.shop_id == empty.id))
        facts = {i.name: (i.allergens, i.tags, i.tax_rate) for i in items.scalars()}
        oat = db.session.execute(
            db.select(OptionChoice).where(
                OptionChoice.shop_id == empty.id, OptionChoice.name == "Oat milk"
            )
        ).scalar_one()
        small = db.session.execute(
            db.select(OptionChoice).where(
                OptionChoice.shop_id == empty.id, OptionChoice.name == "Small"
            )
        ).scalar_one()
        return facts, oat.available, oat.price_delta, small.price_delta

    facts, oat_available, oat_price, small_price = in_app(read)
    assert facts["Banana bread"][0] is None  # unknown stays unknown, not "none"
    assert facts["Butter croissant"][0] == ""
    assert facts["Latte"] == ("soya,milk", "vegetarian,gluten_free", 13500)
    assert (oat_available, oat_price, small_price) == (False, 40, -30)


def test_reimporting_the_same_file_changes_nothing(full_menu, in_app):
    written = export(in_app, full_menu.shop.id)

    def counts():
        return tuple(
            db.session.execute(
                db.select(db.func.count())
                .select_from(model)
                .where(model.shop_id == full_menu.shop.id)
            ).scalar_one()
            for model in (MenuItem, MenuCategory, OptionGroup, OptionChoice, ItemOptionGroup)
        )

    before = in_app(counts)
    do_import(in_app, full_menu.shop.id, written.encode())
    do_import(in_app, full_menu.shop.id, written.encode())
    assert in_app(counts) == before
    assert export(in_app, full_menu.shop.id) == written


def test_import_updates_items_by_name(full_menu, in_app):
    data = f"{HEADER}\nitem,Coffee,Flat white,4.20,Now bigger,no,none,vegan,,,,,,,\n"
    do_import(in_app, full_menu.shop.id, data.encode())

    def read():
        items = (
            db.session.execute(
                db.select(MenuItem).where(
                    MenuItem.shop_id == full_menu.shop.id, MenuItem.name == "Flat white"
                )
            )
            .scalars()
            .all()
        )
        return [
            (i.price, i.description, i.available, i.allergens, i.tags, len(i.option_links))
            for i in items
        ]

    # One flat white, changed; its groups are what the file says (none).
    assert in_app(read) == [(420, "Now bigger", False, "", "vegan", 0)]


GOOD = "category,,Cakes,,,,,,,,,,,,\nitem,Cakes,Carrot cake,3.50,,yes,unknown,,,,,,,,\n"


@pytest.mark.parametrize(
    "bad_row, reason",
    [
        ("item,Cakes,Scone,abc,,yes,,,,,,,,,", "amount like 3.50"),
        ("item,Cakes,Scone,-1,,yes,,,,,,,,,", "cannot be negative"),
        ("item,Cakes,Scone,3.505,,yes,,,,,,,,,", "decimal places"),
        ("item,Cakes,Scone,3,,maybe,,,,,,,,,", "available is yes or no"),
        ("item,Cakes,Scone,3,,yes,peanut butter,,,,,,,,", "allergens are none, unknown"),
        ("item,Cakes,Scone,3,,yes,,keto,,,,,,,", "dietary tags are"),
        ("item,Cakes,Scone,3,,yes,,,150,,,,,,", "between 0 and 100"),
        ("item,Cakes,Scone,3,,yes,,,,Toppings,,,,,", "no option group called Toppings"),
        ("item,Cakes,Carrot cake,3,,yes,,,,,,,,,", "already on row 3"),
        ("item,Cakes," + "S" * 121 + ",3,,yes,,,,,,,,,", "at most 120 characters"),
        ("item,Cakes,Scone,3," + "d" * 501 + ",yes,,,,,,,,,", "under 500 characters"),
        ("item,Cakes,,3,,yes,,,,,,,,,", "needs a name"),
        ("drink,,Scone,3,,yes,,,,,,,,,", "kind is category, group, choice or item"),
        ("group,,Toppings,,,,,,,,,sometimes,,,", "rule is one, optional or many"),
        ("group,,Toppings,,,,,,,,,many,99,,", "“Up to” takes a number"),
        ("choice,,Cream,0.50,,yes,,,,,Toppings,,,no,", "no option group called Toppings"),
        ("category,," + "C" * 61 + ",,,,,,,,,,,,", "at most 60 characters"),
        ("item,Cakes,Scone\x00,3,,yes,,,,,,,,,", "NUL"),
        ("item,Cakes,Scone,3,,yes,,,,,,,,,99999", "position must be a whole number"),
    ],
)
def test_a_bad_row_is_refused_with_its_number_and_nothing_changes(
    full_menu, in_app, bad_row, reason
):
    before = export(in_app, full_menu.shop.id)
    message = refusal(in_app, full_menu.shop.id, f"{HEADER}\n{GOOD}{bad_row}\n".encode())
    assert message.startswith("Row 4: "), message
    assert reason in message, message
    assert export(in_app, full_menu.shop.id) == before


def test_a_refusal_found_while_saving_rolls_back_earlier_rows(full_menu, in_app):
    """Options that make an item cost less than nothing are only seen when saving."""
    before = export(in_app, full_menu.shop.id)
    data = (
        f"{HEADER}\ncategory,,Cakes,,,,,,,,,,,,\ngroup,,Size,,,,,,,,,one,,,\n"
        "choice,,Bigger,99999999999,,yes,,,,,Size,,,no,\n"
    )
    message = refusal(in_app, full_menu.shop.id, data.encode())
    assert message.startswith("Row 4: "), message
    assert export(in_app, full_menu.shop.id) == before


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "The file is empty"),
        (b"   \r\n", "The file is empty"),
        (b"name,price\nTea,3\n", "starting with kind and name"),
        (f"{HEADER}\nitem,Caf\xe9s,Tea,3,,,,,,,,,,,\n".encode("latin-1"), "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "UTF-8"),
        (HEADER.encode() + b"\n" + b"item,,Tea,3,,,,,,,,,,,\n" * 70_000, "at most 1 MB"),
        (HEADER.encode() + b"\n" + b"item,,T,3\n" * 5001, "at most 5000 rows"),
    ],
)
def test_hostile_files_are_refused_and_change_nothing(full_menu, in_app, data, reason):
    before = export(in_app, full_menu.shop.id)
    assert reason in refusal(in_app, full_menu.shop.id, data)
    assert export(in_app, full_menu.shop.id) == before


def test_rows_are_numbered_as_a_spreadsheet_shows_them(cafe, in_app):
    """A description over two lines is one row; a blank line is a row too."""
    data = (
        f'{HEADER}\nitem,Coffee,Tea,3,"Two\nlines",yes,,,,,,,,,\n\nitem,Coffee,Cake,x,,,,,,,,,,,\n'
    )
    assert refusal(in_app, cafe.shop.id, data.encode()).startswith("Row 4: ")


def test_spreadsheet_flavours_are_read(cafe, in_app):
    """Semicolons (European spreadsheets), UTF-16 with a byte-order mark, blank lines."""
    semicolons = HEADER.replace(",", ";") + "\n\nitem;Coffee;Café crème;3,80;;yes;none;;;;;;;;\n"
    do_import(in_app, cafe.shop.id, semicolons.encode("utf-8"))
    utf16 = f"{HEADER}\nitem,Tea,Sencha,3.00,,yes,,,,,,,,,\n".encode("utf-16")
    do_import(in_app, cafe.shop.id, utf16)

    def prices():
        items = db.session.execute(db.select(MenuItem).where(MenuItem.shop_id == cafe.shop.id))
        return {i.name: i.price for i in items.scalars()}

    assert {"Café crème": 380, "Sencha": 300}.items() <= in_app(prices).items()


def test_formula_cells_are_written_as_text_and_read_back_as_typed(cafe, create_shop, in_app):
    data = (
        f"{HEADER}\n"
        'item,Coffee,"=HYPERLINK(""http://evil.example"")",3,@SUM(A1),yes,,,,,,,,,\n'
        "item,Coffee,+Plus,3,-minus,yes,,,,,,,,,\n"
    )
    do_import(in_app, cafe.shop.id, data.encode())
    written = export(in_app, cafe.shop.id)
    cells = [cell for row in rows_of(written) for cell in row]
    assert '\'=HYPERLINK("http://evil.example")' in cells
    assert "'@SUM(A1)" in cells and "'+Plus" in cells and "'-minus" in cells
    assert not any(cell[:1] in ("=", "+", "@") for cell in cells)
    empty = create_shop()
    do_import(in_app, empty.id, written.encode())

    def names():
        items = db.session.execute(db.select(MenuItem).where(MenuItem.shop_id == empty.id))
        return {i.name: i.description for i in items.scalars()}

    assert in_app(names)['=HYPERLINK("http://evil.example")'] == "@SUM(A1)"
    assert in_app(names)["+Plus"] == "-minus"


def test_import_touches_only_its_own_shop(full_menu, other_cafe, in_app):
    def other_menu():
        items = db.session.execute(
            db.select(MenuItem).where(MenuItem.shop_id == other_cafe.shop.id)
        )
        return sorted((i.name, i.price, i.description) for i in items.scalars())

    before = in_app(other_menu)
    data = f"{HEADER}\nitem,Coffee,Flat white,9.99,Changed,yes,,,,,,,,,\n"
    do_import(in_app, full_menu.shop.id, data.encode())
    assert in_app(other_menu) == before


def test_zero_decimal_currency_prices_are_whole_won(create_shop, in_app):
    shop = create_shop(currency="KRW", locale="ko_KR")
    data = f'{HEADER}\nitem,커피,라떼,"4,500",,yes,,,10,,,,,,\n'
    do_import(in_app, shop.id, data.encode())
    written = export(in_app, shop.id)
    assert rows_of(written)[-1][:4] == ["item", "커피", "라떼", "4500"]


# -- the back office ------------------------------------------------------------------------


@pytest.fixture
def owner(full_menu, login):
    return login(full_menu.owner)


def test_owner_downloads_the_menu_and_uploads_it_into_another_shop(
    owner, full_menu, make_shop, login, in_app
):
    page = owner.get("/admin/menu").get_data(as_text=True)
    assert "Download the menu (CSV)" in page and 'name="menu" type="file"' in page
    download = owner.get("/admin/menu.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "private, no-store"
    other = make_shop()
    other_owner = login(other.owner)
    response = other_owner.post_form(
        "/admin/menu/import", {"menu": (io.BytesIO(download.data), "menu.csv")}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Imported the menu" in other_owner.get("/admin/menu").get_data(as_text=True)
    assert "Latte" in export(in_app, other.shop.id)


def test_a_bad_upload_says_why_and_imports_nothing(owner, full_menu, in_app):
    before = export(in_app, full_menu.shop.id)
    data = f"{HEADER}\nitem,Coffee,Scone,abc,,yes,,,,,,,,,\n".encode()
    response = owner.post_form("/admin/menu/import", {"menu": (io.BytesIO(data), "menu.csv")})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported. Row 2:" in page
    assert export(in_app, full_menu.shop.id) == before
    missing = owner.post_form("/admin/menu/import", {})
    assert missing.status_code == 400
    assert "Choose a menu file" in missing.get_data(as_text=True)


def test_an_upload_over_the_size_limit_is_refused(owner, full_menu, in_app):
    before = export(in_app, full_menu.shop.id)
    data = b"x" * (menu_csv.MAX_BYTES + 128 * 1024)
    response = owner.post_form("/admin/menu/import", {"menu": (io.BytesIO(data), "menu.csv")})
    assert response.status_code == 413
    assert export(in_app, full_menu.shop.id) == before


def test_upload_needs_the_csrf_token_and_an_owner(full_menu, login, in_app):
    before = export(in_app, full_menu.shop.id)
    staff = login(full_menu.staff)
    data = f"{HEADER}\nitem,Coffee,Scone,3,,yes,,,,,,,,,\n".encode()
    assert staff.get("/admin/menu.csv").status_code == 403
    forbidden = staff.post_form("/admin/menu/import", {"menu": (io.BytesIO(data), "m.csv")})
    assert forbidden.status_code == 403
    owner = login(full_menu.owner)
    no_token = owner.post(
        "/admin/menu/import",
        data={"menu": (io.BytesIO(data), "m.csv")},
        content_type="multipart/form-data",
    )
    assert no_token.status_code == 400
    assert export(in_app, full_menu.shop.id) == before
