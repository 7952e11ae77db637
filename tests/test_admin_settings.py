"""Shop settings from the back office: what the owner may change, what is refused,
and the closing time the day's report flags late tabs by."""

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from extensions import db
from models import MenuItem, Shop
from tests.helpers import open_tab, order

GOOD = {
    "name": "The Blue Door",
    "currency": "EUR",
    "locale": "en_IE",
    "timezone": "Europe/Dublin",
    "service_note": "Free refills of filter coffee.",
    "closing_time": "17:30",
}


def shop_row(in_app, shop_id):
    return in_app(lambda: db.session.get(Shop, shop_id))


def prices(in_app, shop_id):
    return in_app(
        lambda: dict(
            db.session.execute(
                select(MenuItem.name, MenuItem.price).where(MenuItem.shop_id == shop_id)
            ).all()
        )
    )


@pytest.fixture
def owner(cafe, login):
    client = login(cafe.owner)
    client.get("/admin/settings")
    return client


def save(owner, **changes):
    return owner.post_form("/admin/settings", {**GOOD, **changes})


def test_the_owner_changes_the_settings_and_customers_see_the_note(cafe, owner, phone, in_app):
    response = save(owner, locale="fr_FR", timezone="America/New_York")

    assert response.status_code == 303
    shop = shop_row(in_app, cafe.shop.id)
    assert (shop.name, shop.locale, shop.timezone, shop.closing_time) == (
        "The Blue Door",
        "fr_FR",
        "America/New_York",
        time(17, 30),
    )
    public_id = open_tab(phone, cafe.table)
    assert "Free refills of filter coffee." in phone.get(f"/tab/{public_id}/menu").get_data(
        as_text=True
    )
    assert 'value="17:30"' in owner.get("/admin/settings").get_data(as_text=True)


def test_the_closing_time_can_be_cleared(cafe, owner, in_app):
    save(owner)
    assert save(owner, closing_time="").status_code == 303
    assert shop_row(in_app, cafe.shop.id).closing_time is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Give the shop a name"),
        ({"name": "x" * 81}, "at most 80 characters"),
        ({"currency": "EURO"}, "not an ISO 4217 currency code"),
        ({"currency": ""}, "not an ISO 4217 currency code"),
        ({"locale": "klingon_XX"}, "Unknown locale"),
        ({"timezone": "Mars/Olympus"}, "Unknown timezone"),
        ({"timezone": ""}, "Unknown timezone"),
        ({"closing_time": "25:99"}, "like 17:30"),
        ({"service_note": "x" * 1001}, "under 1000 characters"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(cafe, owner, in_app, changes, message):
    before = vars(shop_row(in_app, cafe.shop.id)).copy()
    before.pop("_sa_instance_state")

    response = save(owner, **changes)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    after = vars(shop_row(in_app, cafe.shop.id)).copy()
    after.pop("_sa_instance_state")
    assert after == before


def test_the_currency_cannot_change_while_tabs_are_live(cafe, owner, phone, in_app):
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)

    response = save(owner, currency="USD", name="Renamed too")

    assert response.status_code == 409
    assert "change while 1 tab is open" in response.get_data(as_text=True)
    shop = shop_row(in_app, cafe.shop.id)
    assert (shop.currency, shop.name) == ("EUR", cafe.shop.name)


def test_a_currency_change_keeps_the_price_figures(cafe, owner, in_app):
    assert save(owner, currency="JPY").status_code == 303  # no minor units
    assert shop_row(in_app, cafe.shop.id).currency == "JPY"
    assert prices(in_app, cafe.shop.id)["Flat white"] == 4  # 3.80 rounds to ¥4

    assert save(owner, currency="GBP").status_code == 303
    assert prices(in_app, cafe.shop.id)["Flat white"] == 400  # £4.00


def test_closing_at_is_the_local_closing_time_in_utc(create_shop, in_app):
    shop = create_shop(timezone="America/New_York", closing_time=time(17, 0))

    # 17:00 in New York is 22:00 UTC in winter and 21:00 UTC in summer.
    assert shop.closing_at(date(2026, 1, 15)) == datetime(2026, 1, 15, 22, 0, tzinfo=UTC)
    assert shop.closing_at(date(2026, 7, 15)) == datetime(2026, 7, 15, 21, 0, tzinfo=UTC)
    assert create_shop().closing_at(date(2026, 1, 15)) is None
    assert shop.local_today(datetime(2026, 1, 16, 3, 0, tzinfo=UTC)) == date(2026, 1, 15)


def test_the_owner_sets_tip_choices_and_a_deposit(cafe, owner, phone, in_app):
    response = save(owner, tip_presets="5, 10,12", deposit="5.00")

    assert response.status_code == 303
    shop = shop_row(in_app, cafe.shop.id)
    assert (shop.tip_presets, shop.deposit_amount) == ("5,10,12", 500)
    page = owner.get("/admin/settings").get_data(as_text=True)
    assert 'value="5,10,12"' in page and 'value="5.00"' in page
    # The customer's bill offers exactly those choices.
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)
    bill = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert 'name="tip" value="12"' in bill and 'name="tip" value="15"' not in bill


def test_no_deposit_and_no_tip_choices(cafe, owner, in_app):
    save(owner, tip_presets="10", deposit="2.00")
    assert save(owner, tip_presets="", deposit="").status_code == 303
    shop = shop_row(in_app, cafe.shop.id)
    assert (shop.tip_presets, shop.deposit_amount) == ("", 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tip_presets": "5,10,15,20,25"}, "at most 4 tip choices"),
        ({"tip_presets": "ten"}, "not a whole percent"),
        ({"tip_presets": "150"}, "from 0 to 100"),
        ({"deposit": "-1.00"}, "cannot be negative"),
        ({"deposit": "lots"}, "Deposit:"),
    ],
)
def test_bad_tip_choices_or_deposit_change_nothing(cafe, owner, in_app, changes, message):
    before = vars(shop_row(in_app, cafe.shop.id)).copy()
    before.pop("_sa_instance_state")

    response = save(owner, name="Renamed", **changes)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    after = vars(shop_row(in_app, cafe.shop.id)).copy()
    after.pop("_sa_instance_state")
    assert after == before  # the name change in the same form is not saved either
