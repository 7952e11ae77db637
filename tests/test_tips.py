"""Tips: the shop's presets, a custom amount or none, chosen on the bill and
recorded on the payment apart from the bill."""

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli import shop_set
from extensions import db
from models import Shop
from tests.helpers import load_tab, open_tab, order, tab_snapshot, visible_text
from tests.pay_helpers import (
    ask_to_pay,
    asked_on_staff_page,
    pay_requests,
    set_shop,
    tab_id_of,
    take_asked,
)


@pytest.fixture
def owing(cafe, phone):
    """Ana's tab: two flat whites and a croissant, €10.40."""
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white, 2)
    order(phone, public_id, cafe.croissant)
    return public_id


def test_the_bill_offers_no_tip_the_presets_and_another_amount(cafe, phone, owing):
    page = phone.get(f"/tab/{owing}/bill").get_data(as_text=True)
    assert 'name="tip" value="none" checked' in page
    assert "10% · €1.04" in visible_text(page)
    assert "15% · €1.56" in visible_text(page)
    assert "20% · €2.08" in visible_text(page)
    assert 'name="custom_tip"' in page


def test_a_shop_without_presets_offers_no_tip_and_other(cafe, phone, owing, in_app):
    set_shop(in_app, cafe.shop, tip_presets="")
    page = phone.get(f"/tab/{owing}/bill").get_data(as_text=True)
    assert "%" not in page.split('aria-label="Tip"')[1].split("</fieldset>")[0]
    assert 'value="custom"' in page


def test_a_preset_tip_is_computed_on_the_server_and_recorded_apart(
    cafe, phone, owing, staff_client, in_app
):
    assert ask_to_pay(phone, owing, tip="15").status_code == 303
    tab_id = tab_id_of(in_app, owing)
    assert pay_requests(in_app, tab_id) == [("all", 15, None, False)]

    banner = phone.get(f"/tab/{owing}").get_data(as_text=True)
    assert "Your bill is <strong>€10.40</strong> + tip €1.56" in banner

    asked = asked_on_staff_page(staff_client, tab_id)["Ana"]
    assert (asked["amount"], asked["tip"]) == ("10.40", "1.56")
    assert take_asked(staff_client, tab_id, asked, "card").status_code == 303

    tab = load_tab(in_app, owing)
    assert tab.status == "paid"
    assert [(p.amount, p.tip, p.method, p.share) for p in tab.payments] == [
        (1040, 156, "card", "all")
    ]
    assert pay_requests(in_app, tab_id) == [("all", 15, None, True)]


def test_a_custom_tip(cafe, phone, owing, in_app):
    assert ask_to_pay(phone, owing, tip="custom", custom_tip="2.50").status_code == 303
    assert pay_requests(in_app, tab_id_of(in_app, owing)) == [("all", None, 250, False)]


def test_no_tip(cafe, phone, owing, staff_client, in_app):
    assert ask_to_pay(phone, owing).status_code == 303
    tab_id = tab_id_of(in_app, owing)
    asked = asked_on_staff_page(staff_client, tab_id)["Ana"]
    assert asked["tip"] == "0.00"
    take_asked(staff_client, tab_id, asked, "cash")
    assert [(p.amount, p.tip) for p in load_tab(in_app, owing).payments] == [(1040, 0)]


@pytest.mark.parametrize(
    "tip, custom, message",
    [
        ("custom", "-1.00", "cannot be negative"),
        ("custom", "10.41", "A tip can be at most the bill itself (€10.40)"),
        ("custom", "99999999999", "too large"),
        ("custom", "1.234", "at most 2 decimal places"),
        ("custom", "", "Enter the tip"),
        ("101", "", "Choose one of the tips shown"),
        ("-5", "", "Choose one of the tips shown"),
    ],
)
def test_a_bad_tip_is_refused_on_the_bill_and_nothing_changes(
    cafe, phone, owing, in_app, tip, custom, message
):
    before = tab_snapshot(in_app, owing)
    response = ask_to_pay(phone, owing, tip=tip, custom_tip=custom)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Your bill" in page  # still on the bill, with the message
    assert tab_snapshot(in_app, owing) == before
    assert pay_requests(in_app, tab_id_of(in_app, owing)) == []


@pytest.mark.parametrize(
    "tip, message",
    [("-0.50", "cannot be negative"), ("10.41", "at most the bill itself"), ("1e9", "like 3.50")],
)
def test_staff_cannot_record_a_negative_or_enormous_tip(
    cafe, phone, owing, staff_client, in_app, tip, message
):
    tab_id = tab_id_of(in_app, owing)
    before = tab_snapshot(in_app, owing)
    response = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "10.40", "tip": tip}
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert tab_snapshot(in_app, owing) == before


def test_the_tip_follows_the_krw_minor_unit(make_shop, new_client, in_app):
    won = make_shop(currency="KRW", locale="ko_KR", timezone="Asia/Seoul")
    set_shop(in_app, won.shop, tip_presets="15")
    phone = new_client()
    public_id = open_tab(phone, won.table)
    order(phone, public_id, won.croissant)  # 280 won
    page = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert "15% · ₩42" in visible_text(page)  # 42 won: 15% of 280, no minor digits


# -- setting the presets -------------------------------------------------------------


def shop_row(in_app, shop):
    return in_app(lambda: db.session.execute(select(Shop).where(Shop.id == shop.id)).scalar_one())


def test_the_cli_sets_tip_presets_and_the_deposit(app, cafe, in_app):
    runner = CliRunner()
    with app.app_context():
        result = runner.invoke(
            shop_set, ["--shop", cafe.shop.slug, "--tips", "5, 12,18", "--deposit", "5.00"]
        )
    assert result.exit_code == 0, result.output
    assert "tips 5%, 12%, 18%; deposit €5.00" in result.output
    row = shop_row(in_app, cafe.shop)
    assert (row.tip_presets, row.deposit_amount) == ("5,12,18", 500)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tips", "10,15,20,25,30"], "at most 4"),
        (["--tips", "150"], "from 0 to 100"),
        (["--deposit", "-1"], "cannot be negative"),
    ],
)
def test_the_cli_refuses_bad_settings_and_changes_nothing(app, cafe, in_app, args, message):
    with app.app_context():
        result = CliRunner().invoke(shop_set, ["--shop", cafe.shop.slug, *args])
    assert result.exit_code != 0
    assert message in result.output
    row = shop_row(in_app, cafe.shop)
    assert (row.tip_presets, row.deposit_amount) == ("10,15,20", 0)
