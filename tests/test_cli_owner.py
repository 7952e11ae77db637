"""The shell as an owner lives with it: a password from a script, amounts written as
the shop's locale writes them, and shops, staff and menus to list (and a shop made by
mistake to delete)."""

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, MenuItem, Payment, Shop, StaffMember, Tab, TabLine, TokenCard
from tests.helpers import PASSWORD, open_tab, order


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args, input=None):
        return runner.invoke(args=[str(a) for a in args], input=input)

    return run


def count(in_app, model, *where) -> int:
    return in_app(
        lambda: db.session.execute(
            select(func.count()).select_from(model).where(*where)
        ).scalar_one()
    )


def price_of(in_app, name: str) -> int:
    return in_app(
        lambda: db.session.execute(select(MenuItem.price).where(MenuItem.name == name)).scalar_one()
    )


# -- staff add: never a prompt nobody can answer ----------------------------------------


def test_staff_add_without_a_password_or_a_terminal_says_what_to_do(cli, cafe, in_app):
    before = count(in_app, StaffMember)

    result = cli("staff", "add", "--shop", cafe.shop.slug, "--email", "new@example.com")

    assert result.exit_code == 2
    assert "Aborted" not in result.output
    assert "--password" in result.output and "--password-stdin" in result.output
    assert count(in_app, StaffMember) == before


def test_staff_add_at_a_terminal_asks_twice(cli, cafe, in_app, monkeypatch):
    monkeypatch.setattr("cli.at_a_terminal", lambda: True)
    args = ("staff", "add", "--shop", cafe.shop.slug, "--email", "bea@example.com")

    result = cli(*args, input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat" in result.output
    assert count(in_app, StaffMember, StaffMember.email == "bea@example.com") == 1


def test_staff_add_reads_the_password_from_standard_input(cli, cafe, in_app, login):
    args = ("staff", "add", "--shop", cafe.shop.slug, "--email", "bea@example.com")
    result = cli(*args, "--password-stdin", input=PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    member = in_app(
        lambda: db.session.execute(
            select(StaffMember).where(StaffMember.email == "bea@example.com")
        ).scalar_one()
    )
    assert login(member).get("/staff").status_code == 200


@pytest.mark.parametrize(
    "extra, stdin, message",
    [
        (["--password-stdin"], "", "read no password"),
        (["--password-stdin", "--password", PASSWORD], PASSWORD + "\n", "not both"),
        (["--password-stdin"], "short\n", "at least 10 characters"),
    ],
    ids=["empty-stdin", "both", "too-short"],
)
def test_a_password_from_standard_input_is_checked_like_any(
    cli, cafe, in_app, extra, stdin, message
):
    before = count(in_app, StaffMember)
    args = ("staff", "add", "--shop", cafe.shop.slug, "--email", "bea@example.com")

    result = cli(*args, *extra, input=stdin)

    assert result.exit_code != 0
    assert message in result.output
    assert "Aborted" not in result.output
    assert count(in_app, StaffMember) == before


# -- amounts as the shop's locale writes them -------------------------------------------


@pytest.mark.parametrize(
    "currency, locale, price, minor",
    [
        ("KRW", "ko_KR", "5,000", 5000),
        ("USD", "en_US", "1,200", 120000),
        ("EUR", "fr_FR", "3,80", 380),
        ("EUR", "de_DE", "3,80", 380),
        ("EUR", "de_DE", "1.200,50", 120050),
        ("EUR", "en_IE", "3.80", 380),
    ],
)
def test_menu_add_reads_the_price_by_the_shops_locale(
    cli, create_shop, in_app, currency, locale, price, minor
):
    shop = create_shop(currency=currency, locale=locale)

    result = cli("menu", "add", "--shop", shop.slug, "--name", "Latte", "--price", price)

    assert result.exit_code == 0, result.output
    assert price_of(in_app, "Latte") == minor


@pytest.mark.parametrize(
    "currency, locale, price, message",
    [
        ("EUR", "de_DE", "1,200", "could be read two ways"),
        ("USD", "en_US", "1.200", "like 1234.50"),
        ("KRW", "ko_KR", "5,00", "no decimal places"),
    ],
)
def test_an_ambiguous_price_is_refused_with_how_to_write_it(
    cli, create_shop, in_app, currency, locale, price, message
):
    shop = create_shop(currency=currency, locale=locale)

    result = cli("menu", "add", "--shop", shop.slug, "--name", "Latte", "--price", price)

    assert result.exit_code != 0
    assert message in result.output
    assert count(in_app, MenuItem) == 0


def test_shop_set_reads_the_deposit_by_the_shops_locale(cli, create_shop, in_app):
    shop = create_shop(currency="KRW", locale="ko_KR")

    result = cli("shop", "set", "--shop", shop.slug, "--deposit", "10,000")

    assert result.exit_code == 0, result.output
    deposit = in_app(
        lambda: db.session.execute(select(Shop.deposit_amount).where(Shop.id == shop.id))
    ).scalar_one()
    assert deposit == 10000


# -- lists ---------------------------------------------------------------------------


def test_shop_list_shows_every_shop_and_what_it_holds(cli, cafe, other_cafe):
    result = cli("shop", "list")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    for made, line in zip((cafe, other_cafe), lines, strict=True):
        assert line.startswith(made.shop.slug)
        assert made.shop.name in line and made.shop.currency in line
        assert "2 staff, 2 cards, 3 items, 0 tabs" in line


def test_shop_list_with_no_shops_says_how_to_make_one(cli):
    result = cli("shop", "list")
    assert result.exit_code == 0
    assert "No shops yet" in result.output and "shop create" in result.output


def test_staff_list_shows_the_shops_logins_only(cli, cafe, other_cafe, create_staff):
    create_staff(cafe.shop, "staff", email="gone@example.com", active=False)

    result = cli("staff", "list", "--shop", cafe.shop.slug)

    assert result.exit_code == 0, result.output
    assert cafe.owner.email in result.output and cafe.staff.email in result.output
    assert "gone@example.com" in result.output and "(deactivated)" in result.output
    assert other_cafe.staff.email not in result.output
    assert "owner" in result.output


def test_menu_list_shows_categories_prices_and_what_is_off(cli, cafe, in_app):
    result = cli("menu", "list", "--shop", cafe.shop.slug)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Coffee" in lines and "Food" in lines
    flat_white = next(line for line in lines if "Flat white" in line)
    assert "€3.80" in flat_white and "not available" not in flat_white
    banana = next(line for line in lines if "Banana bread" in line)
    assert "(not available)" in banana


def test_lists_refuse_an_unknown_shop(cli):
    for command in (("staff", "list"), ("menu", "list"), ("shop", "delete")):
        result = cli(*command, "--shop", "no-such-shop")
        assert result.exit_code != 0
        assert "no shop with the slug 'no-such-shop'" in result.output


# -- deleting a shop made by mistake ------------------------------------------------------


def shop_rows(in_app, shop_id: int) -> dict:
    return {
        model.__name__: count(in_app, model, model.shop_id == shop_id)
        for model in (StaffMember, TokenCard, MenuItem, Tab, TabLine, Payment, AuditEntry)
    } | {"Shop": count(in_app, Shop, Shop.id == shop_id)}


def test_shop_delete_asks_first_and_without_a_terminal_needs_yes(cli, cafe, in_app):
    before = shop_rows(in_app, cafe.shop.id)

    result = cli("shop", "delete", "--shop", cafe.shop.slug)

    assert result.exit_code == 2
    assert "2 staff logins, 2 cards" in result.output and "3 menu items" in result.output
    assert "--yes" in result.output and "Aborted" not in result.output
    assert shop_rows(in_app, cafe.shop.id) == before


def test_shop_delete_asks_at_a_terminal_and_no_keeps_it(cli, cafe, in_app, monkeypatch):
    monkeypatch.setattr("cli.at_a_terminal", lambda: True)
    result = cli("shop", "delete", "--shop", cafe.shop.slug, input="n\n")

    assert "Delete it?" in result.output
    assert result.exit_code != 0
    assert count(in_app, Shop, Shop.id == cafe.shop.id) == 1


def test_shop_delete_with_yes_deletes_the_shop_and_all_it_holds(cli, cafe, other_cafe, in_app):
    other_before = shop_rows(in_app, other_cafe.shop.id)

    result = cli("shop", "delete", "--shop", cafe.shop.slug, "--yes")

    assert result.exit_code == 0, result.output
    assert "This deletes" in result.output and "2 staff logins" in result.output
    assert set(shop_rows(in_app, cafe.shop.id).values()) == {0}
    assert shop_rows(in_app, other_cafe.shop.id) == other_before
    assert cli("shop", "create", "--slug", cafe.shop.slug, "--name", "Again",
               "--currency", "EUR").exit_code == 0  # fmt: skip


def test_a_shop_with_history_is_kept_unless_forced(cli, cafe, phone, staff_client, in_app):
    tab = open_tab(phone, cafe.table)
    order(phone, tab, cafe.flat_white)
    tab_id = in_app(lambda: db.session.execute(select(Tab.id)).scalar_one())
    paid = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "3.80", "tip": ""}
    )
    assert paid.status_code == 303
    before = shop_rows(in_app, cafe.shop.id)

    refused = cli("shop", "delete", "--shop", cafe.shop.slug, "--yes")

    assert refused.exit_code != 0
    assert "1 tab, 1 payment" in refused.output and "--force" in refused.output
    assert shop_rows(in_app, cafe.shop.id) == before

    forced = cli("shop", "delete", "--shop", cafe.shop.slug, "--yes", "--force")

    assert forced.exit_code == 0, forced.output
    assert "1 tab, 1 tab line" in forced.output and "1 payment" in forced.output
    assert set(shop_rows(in_app, cafe.shop.id).values()) == {0}
    assert phone.get(f"/tab/{tab}").status_code == 404
