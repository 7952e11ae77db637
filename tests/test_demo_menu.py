"""`flask demo` makes a real coffee menu: sizes, milks and extras, allergens, tags and
tax; `flask menu list` shows them."""

from sqlalchemy import select

from extensions import db
from models import MenuItem, OptionChoice, OptionGroup, TokenCard
from services.tax import lines_tax
from tests.helpers import load_tab, open_tab, order


def demo(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def by_name(in_app, model, name):
    return in_app(lambda: db.session.execute(select(model).where(model.name == name)).scalar_one())


def test_a_large_oat_latte_with_an_extra_shot_from_the_demo_is_priced_and_taxed(
    app, new_client, in_app
):
    demo(app)
    demo(app)  # twice changes nothing
    assert in_app(lambda: len(db.session.execute(select(OptionGroup)).all())) == 3
    latte = by_name(in_app, MenuItem, "Latte")
    size = by_name(in_app, OptionGroup, "Size")
    choices = {
        c.name: c.id
        for c in in_app(lambda: list(db.session.execute(select(OptionChoice)).scalars()))
    }
    card = in_app(
        lambda: (
            db.session.execute(select(TokenCard).where(TokenCard.kind == "table")).scalars().first()
        )
    )

    phone = new_client()
    public_id = open_tab(phone, card)
    response = order(
        phone,
        public_id,
        latte,
        **{
            f"option-{size.id}": choices["Large"],
            "options": [choices["Oat milk"], choices["Extra shot"]],
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    lines = load_tab(in_app, public_id).lines
    assert [(line.name, line.unit_price, line.tax_rate) for line in lines] == [
        ("Latte (Large, Oat milk, Extra shot)", 550, 13500)
    ]
    [rate] = lines_tax(lines).rates
    assert (rate.net, rate.tax, rate.gross) == (485, 65, 550)


def test_menu_list_shows_options_allergens_tags_and_tax(app):
    demo(app)
    result = app.test_cli_runner().invoke(args=["menu", "list", "--shop", "demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Prices include tax; 13.5 % unless an item says otherwise." in out
    assert "Size (choose one): Regular (default), Large +€0.50" in out
    assert "Milk (optional): Oat milk +€0.40, Soy milk +€0.40, Skimmed milk" in out
    assert "Allergens: gluten, eggs, milk, nuts" in out
    assert "Allergens: not given" in out
    assert "Tax: 23 %" in out


def test_the_demo_has_a_few_small_photos_served_from_the_menu(app, in_app, client):
    demo(app)
    keys = in_app(
        lambda: {
            item.name: item.photo_key for item in db.session.execute(select(MenuItem)).scalars()
        }
    )
    with_photos = {name for name, key in keys.items() if key}
    assert with_photos == {
        "Latte",
        "Flat white",
        "Butter croissant",
        "Fresh orange juice",
        "Avocado toast",
    }
    for name in with_photos:
        for extension in ("webp", "jpg"):
            served = client.get(f"/photos/{keys[name]}.{extension}")
            assert served.status_code == 200
            assert len(served.data) < 40_000  # a drawing, small even at 640×480
    demo(app)  # seeding again keeps the same photos
    assert (
        in_app(
            lambda: {i.name: i.photo_key for i in db.session.execute(select(MenuItem)).scalars()}
        )
        == keys
    )
