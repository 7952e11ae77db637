"""The owner sets tab limits, the idle reminder and the stamp card in the back office;
bad input is refused with a clear 4xx and changes nothing; the page lists per phone
the tabs paid, walk-outs and the limit its next tab starts with."""

import pytest

from extensions import db
from models import MenuCategory, Shop
from tests.helpers import open_tab, order, visible_text
from tests.pay_helpers import set_shop, tab_id_of

GOOD = {
    "tab_limit_first": "25.00",
    "tab_limit_step": "10",
    "tab_limit_ceiling": "60",
    "walkout_deposit": "5.00",
    "idle_minutes": "45",
    "loyalty_every": "10",
    "loyalty_categories": "Coffee",
}


@pytest.fixture
def owner(cafe, login, in_app):
    in_app(lambda: db.session.add(MenuCategory(shop_id=cafe.shop.id, name="Coffee")))
    return login(cafe.owner)


def trust_columns(in_app, shop_id):
    def read():
        shop = db.session.get(Shop, shop_id)
        return (
            shop.tab_limit_first,
            shop.tab_limit_step,
            shop.tab_limit_ceiling,
            shop.walkout_deposit,
            shop.idle_minutes,
            shop.loyalty_every,
            shop.loyalty_categories,
        )

    return in_app(read)


def test_the_owner_sets_limits_idle_reminders_and_the_stamp_card(cafe, owner, in_app):
    page = owner.get("/admin/settings/trust")
    assert page.status_code == 200
    assert "Tab limits" in page.get_data(as_text=True)
    assert "/admin/settings/trust" in owner.get("/admin/settings").get_data(as_text=True)
    response = owner.post_form("/admin/settings/trust", GOOD)
    assert response.status_code == 303
    assert trust_columns(in_app, cafe.shop.id) == (2500, 1000, 6000, 500, 45, 10, "Coffee")
    again = owner.get("/admin/settings/trust").get_data(as_text=True)
    assert 'value="25.00"' in again
    assert 'value="Coffee" checked' in again


def test_empty_fields_mean_no_limit_no_reminder_and_no_stamp_card(cafe, owner, in_app):
    owner.post_form("/admin/settings/trust", GOOD)
    blank = dict.fromkeys(GOOD, "")
    blank.update(tab_limit_step="0", walkout_deposit="0")
    assert owner.post_form("/admin/settings/trust", blank).status_code == 303
    assert trust_columns(in_app, cafe.shop.id) == (None, 0, None, 0, None, None, "")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tab_limit_first": "lots"}, "Tab limit for a phone"),
        ({"tab_limit_step": "-5"}, "Added for every tab"),
        ({"tab_limit_ceiling": "10"}, "below the first limit"),
        ({"idle_minutes": "0"}, "whole number from 1 to 1440"),
        ({"idle_minutes": "4.5"}, "whole number from 1 to 1440"),
        ({"loyalty_every": "1"}, "whole number from 2 to 100"),
        ({"loyalty_categories": "Cocktails"}, "from your menu"),
        ({"loyalty_categories": ""}, "at least one category"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(cafe, owner, in_app, changes, message):
    before = trust_columns(in_app, cafe.shop.id)
    response = owner.post_form("/admin/settings/trust", {**GOOD, **changes})
    assert response.status_code == 400
    assert message in visible_text(response.get_data(as_text=True))
    assert trust_columns(in_app, cafe.shop.id) == before


def test_the_settings_need_the_forms_token_and_an_owner(cafe, owner, login, in_app):
    before = trust_columns(in_app, cafe.shop.id)
    assert owner.post("/admin/settings/trust", data=GOOD).status_code == 400
    staff = login(cafe.staff)
    assert staff.post_form("/admin/settings/trust", GOOD).status_code == 403
    assert trust_columns(in_app, cafe.shop.id) == before


def test_the_owner_sees_per_phone_tabs_paid_walk_outs_and_the_limit_now(
    cafe, owner, phone, staff_client, in_app
):
    set_shop(in_app, cafe.shop, tab_limit_first=500, tab_limit_step=400, walkout_deposit=300)
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    tab_id = tab_id_of(in_app, public_id)
    staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"amount": "3.80", "tip": "", "method": "cash"}
    )
    page = visible_text(owner.get("/admin/settings/trust").get_data(as_text=True))
    assert "Ana · Phone" in page
    assert "€9.00" in page

    second = open_tab(phone, cafe.table, "Ana")
    order(phone, second, cafe.flat_white)
    staff_client.post_form(f"/staff/tabs/{tab_id_of(in_app, second)}/walked-out", {"reason": "x"})
    page = visible_text(owner.get("/admin/settings/trust").get_data(as_text=True))
    assert "€5.00 · deposit required" in page


def test_a_new_currency_carries_the_limits_with_the_prices(cafe, owner, in_app):
    owner.post_form("/admin/settings/trust", GOOD)
    settings = {"name": "Café Number 1", "locale": "en", "timezone": "UTC", "tip_presets": ""}
    to_yen = {**settings, "currency": "JPY", "prices": "same_digits"}
    assert owner.post_form("/admin/settings", to_yen).status_code == 303
    assert trust_columns(in_app, cafe.shop.id)[:4] == (2500, 1000, 6000, 500)  # ¥2,500
    back = {**settings, "currency": "EUR", "prices": "same_amounts"}
    assert owner.post_form("/admin/settings", back).status_code == 303
    assert trust_columns(in_app, cafe.shop.id)[:4] == (250000, 100000, 600000, 50000)
