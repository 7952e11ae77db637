"""Every amount field reads what it is given by the shop's locale, as the CLI does
(money.parse_amount): the owner's prices and deposit, the counter's bill and tip, the
customer's own tip. Each form also fills itself in as that locale writes amounts."""

import re

import pytest
from sqlalchemy import select

from extensions import db
from models import MenuItem, Shop
from tests.helpers import load_tab, open_tab, order
from tests.pay_helpers import ask_to_pay, pay_requests, tab_id_of


@pytest.fixture
def german(make_shop):
    return make_shop(currency="EUR", locale="de_DE", timezone="Europe/Berlin")


@pytest.fixture
def owner(german, login):
    client = login(german.owner)
    client.get("/admin/menu")
    return client


def add_item(owner, name, price):
    data = {"name": name, "price": price, "category": "", "available": "y", "sort": "0"}
    return owner.post_form("/admin/menu/items", data)


def price_of(in_app, name):
    return in_app(
        lambda: db.session.execute(select(MenuItem.price).where(MenuItem.name == name)).scalar()
    )


@pytest.mark.parametrize(
    "typed, minor", [("3,80", 380), ("1.200,50", 120050), ("1.200", 120000), ("3.80", 380)]
)
def test_the_owner_types_prices_as_the_shop_writes_them(owner, in_app, typed, minor):
    assert add_item(owner, "Cortado", typed).status_code == 303
    assert price_of(in_app, "Cortado") == minor


def test_an_ambiguous_price_is_refused_and_nothing_saved(owner, in_app):
    response = add_item(owner, "Cortado", "1,200")

    assert response.status_code == 400
    assert "could be read two ways" in response.get_data(as_text=True)
    assert price_of(in_app, "Cortado") is None


def test_the_item_form_shows_the_price_with_the_shops_decimal_sign(german, owner, in_app):
    page = owner.get(f"/admin/menu/items/{german.flat_white.id}").get_data(as_text=True)
    assert 'value="3,80"' in page
    # and saving the form untouched keeps the price
    fields = {"name": "Flat white", "price": "3,80", "category": "", "available": "y"}
    assert owner.post_form(f"/admin/menu/items/{german.flat_white.id}", fields).status_code == 303
    assert price_of(in_app, "Flat white") == 380


def test_the_deposit_setting_reads_the_shops_locale(german, login, in_app):
    owner = login(german.owner)
    page = owner.get("/admin/settings").get_data(as_text=True)
    assert re.search(r'name="deposit"[^>]*value="0,00"', page)
    settings = {
        "name": "Blaue Tür",
        "currency": "EUR",
        "locale": "de_DE",
        "timezone": "Europe/Berlin",
        "service_note": "",
        "tip_presets": "10",
        "deposit": "2,50",
    }
    assert owner.post_form("/admin/settings", settings).status_code == 303
    deposit = in_app(lambda: db.session.get(Shop, german.shop.id).deposit_amount)
    assert deposit == 250


def test_the_counter_fills_in_and_reads_the_bill_as_the_shop_writes_it(
    german, phone, login, in_app
):
    public_id = open_tab(phone, german.table)
    order(phone, public_id, german.flat_white)
    order(phone, public_id, german.croissant)
    staff = login(german.staff)
    tab_id = tab_id_of(in_app, public_id)

    page = staff.get(f"/staff/tabs/{tab_id}").get_data(as_text=True)
    assert 'value="6,60"' in page

    paid = staff.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "6,60", "tip": "1,00"}
    )
    assert paid.status_code == 303, paid.get_data(as_text=True)
    assert [(p.amount, p.tip) for p in load_tab(in_app, public_id).payments] == [(660, 100)]


def test_the_customers_own_tip_reads_the_shops_locale(german, phone, in_app):
    public_id = open_tab(phone, german.table)
    order(phone, public_id, german.flat_white)
    bill = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert 'placeholder="e.g. 3,50"' in bill

    refused = ask_to_pay(phone, public_id, tip="custom", custom_tip="1,500")
    assert refused.status_code == 400
    assert "could be read two ways" in refused.get_data(as_text=True)

    assert ask_to_pay(phone, public_id, tip="custom", custom_tip="1,50").status_code == 303
    assert pay_requests(in_app, tab_id_of(in_app, public_id)) == [("all", None, 150, False)]
