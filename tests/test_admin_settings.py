"""Shop settings from the back office: what the owner may change, what is refused,
and the closing time the day's report flags late tabs by."""

import re
from datetime import UTC, date, datetime, time
from html import unescape

import pytest
from sqlalchemy import select

from extensions import db
from models import MenuItem, Shop
from tests.helpers import open_tab, order, visible_text

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


def settings_page_values(owner) -> dict:
    """What the settings page's fields hold, as a browser would send them back."""
    page = owner.get("/admin/settings").get_data(as_text=True)
    values = dict(re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', page))
    values.pop("csrf_token", None)
    values.pop("prices", None)  # radios: none is chosen until the owner picks one
    note = re.search(r'<textarea[^>]*name="service_note"[^>]*>([^<]*)<', page)
    values["service_note"] = unescape(note.group(1)).strip() if note else ""
    return {key: unescape(value) for key, value in values.items()}


def test_a_new_currency_asks_what_happens_to_the_prices(cafe, owner, in_app):
    before = prices(in_app, cafe.shop.id)
    response = owner.post_form(
        "/admin/settings", {**settings_page_values(owner), "currency": "JPY"}
    )

    assert response.status_code == 400
    assert "choose what happens to the prices" in response.get_data(as_text=True)
    assert shop_row(in_app, cafe.shop.id).currency == "EUR"
    assert prices(in_app, cafe.shop.id) == before


def test_an_untouched_deposit_field_is_never_refused_by_the_new_currency(cafe, owner, in_app):
    """The page shows the deposit as "0.00"; switching to yen must not read it as yen."""
    values = settings_page_values(owner)
    assert values["deposit"] == "0.00"
    response = owner.post_form(
        "/admin/settings", {**values, "currency": "JPY", "prices": "same_digits"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    shop = shop_row(in_app, cafe.shop.id)
    assert (shop.currency, shop.deposit_amount) == ("JPY", 0)


def test_the_deposit_follows_the_prices_unless_the_owner_types_a_new_one(cafe, owner, in_app):
    save(owner, deposit="2.50", tip_presets="10")
    values = settings_page_values(owner)
    assert values["deposit"] == "2.50"
    response = owner.post_form(
        "/admin/settings", {**values, "currency": "KRW", "prices": "same_digits"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    shop = shop_row(in_app, cafe.shop.id)
    assert (shop.currency, shop.deposit_amount) == ("KRW", 250)  # ₩250, as the prices

    values = settings_page_values(owner)
    response = owner.post_form(
        "/admin/settings",
        {**values, "currency": "EUR", "prices": "same_digits", "deposit": "5.5"},
    )
    assert response.status_code == 303
    assert shop_row(in_app, cafe.shop.id).deposit_amount == 550  # typed, read in euros

    typed = owner.post_form(
        "/admin/settings",
        {**settings_page_values(owner), "currency": "JPY", "prices": "same_digits",
         "deposit": "2.50"},
    )  # fmt: skip
    assert typed.status_code == 400
    assert "JPY amounts have no decimal places" in typed.get_data(as_text=True)
    assert shop_row(in_app, cafe.shop.id).currency == "EUR"


def test_a_round_trip_through_yen_keeps_every_price(make_shop, login, in_app):
    """USD 3.80 → JPY → EUR comes back as 3.80: never USD 3.80 → ¥4 → €4.00."""
    usd = make_shop(currency="USD", locale="en_US")
    shop, owner = usd.shop, login(usd.owner)
    for currency, price in (("JPY", 380), ("EUR", 380), ("USD", 380)):
        response = owner.post_form(
            "/admin/settings",
            {**settings_page_values(owner), "currency": currency, "prices": "same_digits"},
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        assert shop_row(in_app, shop.id).currency == currency
        assert prices(in_app, shop.id)["Flat white"] == price
    assert "$3.80" in owner.get("/admin/menu").get_data(as_text=True)


def test_keeping_the_amounts_refuses_what_cannot_be_exact_and_rounds_nothing(cafe, owner, in_app):
    response = owner.post_form(
        "/admin/settings",
        {**settings_page_values(owner), "currency": "JPY", "prices": "same_amounts"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "JPY can&#39;t show 3 prices exactly" in page
    assert "Flat white" in page and "keep the digits instead" in page
    assert prices(in_app, cafe.shop.id)["Flat white"] == 380
    assert shop_row(in_app, cafe.shop.id).currency == "EUR"

    # Whole euros go to yen exactly, and back with their cents.
    in_app(_set_prices, cafe.shop.id, 400)
    for currency, price in (("JPY", 4), ("GBP", 400)):
        response = owner.post_form(
            "/admin/settings",
            {**settings_page_values(owner), "currency": currency, "prices": "same_amounts"},
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        assert set(prices(in_app, cafe.shop.id).values()) == {price}
    saved = visible_text(owner.get(response.location).get_data(as_text=True))
    assert "Prices are now in GBP, as you chose: Flat white was JP¥4 and is now £4.00." in saved


def _set_prices(shop_id, price):
    for item in db.session.execute(select(MenuItem).where(MenuItem.shop_id == shop_id)).scalars():
        item.price = price


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
