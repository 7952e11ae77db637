"""`flask menu add`: a shop made from the shell can be given a menu from the shell."""

from sqlalchemy import select

from extensions import db
from models import MenuItem


def run(app, *args):
    return app.test_cli_runner().invoke(args=["menu", "add", *args])


def items(in_app):
    return in_app(lambda: db.session.execute(select(MenuItem)).scalars().all())


def test_adds_an_item_at_its_price_in_minor_units(app, create_shop, in_app):
    shop = create_shop(currency="EUR", locale="en_IE")
    result = run(
        app, "--shop", shop.slug, "--name", "Flat white", "--price", "3.80", "--category", "Coffee"
    )
    assert result.exit_code == 0, result.output
    assert "Added Flat white at €3.80" in result.output
    [item] = items(in_app)
    assert (item.shop_id, item.name, item.price, item.category) == (
        shop.id,
        "Flat white",
        380,
        "Coffee",
    )


def test_zero_decimal_currency(app, create_shop, in_app):
    shop = create_shop(currency="KRW", locale="ko_KR")
    assert run(app, "--shop", shop.slug, "--name", "Latte", "--price", "4500").exit_code == 0
    assert items(in_app)[0].price == 4500


def test_bad_arguments_are_refused_and_add_nothing(app, create_shop, in_app):
    shop = create_shop(currency="EUR")
    cases = [
        (["--shop", "no-such-shop", "--name", "Tea", "--price", "3"], "no shop"),
        (["--shop", shop.slug, "--name", "Tea", "--price", "-3"], "cannot be negative"),
        (["--shop", shop.slug, "--name", "Tea", "--price", "abc"], "amount like 3.50"),
        (["--shop", shop.slug, "--name", "Tea", "--price", "3.505"], "at most 2 decimal"),
        (["--shop", shop.slug, "--name", "   ", "--price", "3"], "needs a name"),
    ]
    for args, message in cases:
        result = run(app, *args)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
    assert items(in_app) == []


# -- flask menu export / import ------------------------------------------------------------


def test_export_to_a_file_then_import_into_another_shop(app, coffee, create_shop, tmp_path):
    path = tmp_path / "menu.csv"
    exported = app.test_cli_runner().invoke(
        args=["menu", "export", "--shop", coffee.shop.slug, str(path)]
    )
    assert exported.exit_code == 0, exported.output
    written = path.read_text(encoding="utf-8-sig")
    assert written.startswith("kind,category,name,price")
    assert "Oat milk,0.40" in written
    empty = create_shop()
    imported = app.test_cli_runner().invoke(
        args=["menu", "import", "--shop", empty.slug, str(path)]
    )
    assert imported.exit_code == 0, imported.output
    assert "3 option groups with 9 choices, 3 items" in imported.output
    again = app.test_cli_runner().invoke(args=["menu", "export", "--shop", empty.slug])
    assert again.output.lstrip("\ufeff") == written


def test_a_refused_import_says_the_row_and_changes_nothing(app, cafe, in_app, tmp_path):
    path = tmp_path / "menu.csv"
    path.write_text("kind,name,price\nitem,Scone,3\nitem,Tea,lots\n", encoding="utf-8")
    before = [(i.name, i.price) for i in items(in_app)]
    result = app.test_cli_runner().invoke(
        args=["menu", "import", "--shop", cafe.shop.slug, str(path)]
    )
    assert result.exit_code != 0
    assert "Row 3: Enter an amount like 3.50" in result.output
    assert [(i.name, i.price) for i in items(in_app)] == before
    unknown = app.test_cli_runner().invoke(args=["menu", "import", "--shop", "nope", str(path)])
    assert unknown.exit_code != 0 and "no shop" in unknown.output
