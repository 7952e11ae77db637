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
