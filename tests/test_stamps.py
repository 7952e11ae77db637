"""The stamp card: every N paid items of the chosen categories earn one free; stamps
are earned when a tab is paid (never on a walk-out or a comp), belong to the phone and
to a personal card, show on the bill and receipt, and are spent with "Use my free …",
which comps one item with the reason "loyalty" in the audit and the day's figures."""

import pytest
from sqlalchemy import select

from extensions import db
from models import AuditEntry, LoyaltyStamp
from services import stamps
from tests.helpers import load_tab, open_tab, order, phone_id_of, visible_text
from tests.pay_helpers import set_shop, tab_id_of


@pytest.fixture
def stamp_cafe(cafe, in_app):
    """A coffee card: three paid coffees, the fourth free."""
    set_shop(in_app, cafe.shop, loyalty_every=3, loyalty_categories="Coffee")
    return cafe


def pay_whole_tab(staff, in_app, public_id: str):
    tab = load_tab(in_app, public_id)
    response = staff.post_form(
        f"/staff/tabs/{tab.id}/payment",
        {"amount": f"{tab.due / 100:.2f}", "tip": "", "method": "cash"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def held(in_app, shop_id, phone_id=None, card_id=None) -> int:
    return in_app(lambda: stamps.balance(shop_id, phone_id, card_id))


def test_paid_coffees_earn_stamps_shown_on_the_receipt(stamp_cafe, phone, staff_client, in_app):
    public_id = open_tab(phone, stamp_cafe.table)
    order(phone, public_id, stamp_cafe.flat_white, 2)
    order(phone, public_id, stamp_cafe.croissant)  # food earns nothing
    pay_whole_tab(staff_client, in_app, public_id)
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 2
    receipt = visible_text(phone.get(f"/tab/{public_id}/receipt").get_data(as_text=True))
    assert "This tab earned 2 stamps." in receipt
    assert "1 more stamp and the next one is free." in receipt


def test_the_next_tab_shows_the_stamp_card_while_ordering(stamp_cafe, phone, staff_client, in_app):
    first = open_tab(phone, stamp_cafe.table)
    order(phone, first, stamp_cafe.flat_white, 2)
    pay_whole_tab(staff_client, in_app, first)

    second = open_tab(phone, stamp_cafe.table)
    page = visible_text(phone.get(f"/tab/{second}").get_data(as_text=True))
    assert "Stamp card" in page
    assert "1 more stamp and the next one is free." in page


def test_no_stamps_on_a_walk_out_or_a_comped_line(stamp_cafe, phone, staff_client, in_app):
    walked = open_tab(phone, stamp_cafe.table)
    order(phone, walked, stamp_cafe.flat_white, 3)
    staff_client.post_form(f"/staff/tabs/{tab_id_of(in_app, walked)}/walked-out", {"reason": "x"})
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 0

    comped = open_tab(phone, stamp_cafe.table)
    order(phone, comped, stamp_cafe.flat_white, 2)
    order(phone, comped, stamp_cafe.flat_white)
    line_id = load_tab(in_app, comped).lines[0].id
    response = staff_client.post_form(f"/staff/lines/{line_id}/comp", {"reason": "spilt"})
    assert response.status_code == 303
    pay_whole_tab(staff_client, in_app, comped)
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 1


def test_a_free_coffee_is_used_on_the_bill_and_comped_as_loyalty(
    stamp_cafe, phone, staff_client, in_app
):
    first = open_tab(phone, stamp_cafe.table)
    order(phone, first, stamp_cafe.flat_white, 3)
    pay_whole_tab(staff_client, in_app, first)

    second = open_tab(phone, stamp_cafe.table)
    order(phone, second, stamp_cafe.flat_white, 2)
    bill = phone.get(f"/tab/{second}/bill").get_data(as_text=True)
    assert "You have 1 free item waiting." in visible_text(bill)
    line_id = load_tab(in_app, second).lines[0].id
    assert f'data-use-free="{line_id}"' in bill
    assert "Use my free Flat white" in bill

    used = phone.post_form(f"/tab/{second}/lines/{line_id}/free")
    assert used.status_code == 303
    tab = load_tab(in_app, second)
    line = tab.lines[0]
    assert (line.discount, line.adjustment, line.adjustment_reason) == (380, "comp", "loyalty")
    assert tab.total == 380
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 0
    entry = in_app(
        lambda: db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "comp")
        ).scalar_one()
    )
    assert (entry.line_id, entry.amount, entry.reason, entry.staff_id) == (
        line_id,
        380,
        "loyalty",
        None,
    )

    # Spent: a second tap is refused and changes nothing.
    again = phone.post_form(f"/tab/{second}/lines/{line_id}/free")
    assert again.status_code == 409
    assert load_tab(in_app, second).total == 380
    # The one paid coffee of this tab earns a stamp; the free one does not.
    pay_whole_tab(staff_client, in_app, second)
    assert held(in_app, stamp_cafe.shop.id, phone_id_of(phone)) == 1


def test_the_days_figures_count_the_free_coffee_as_a_comp(
    stamp_cafe, phone, staff_client, login, in_app
):
    in_app(
        lambda: db.session.add(
            LoyaltyStamp(shop_id=stamp_cafe.shop.id, phone_id="x", kind="earned", stamps=3)
        )
    )
    public_id = open_tab(phone, stamp_cafe.table)
    in_app(
        lambda: db.session.add(
            LoyaltyStamp(
                shop_id=stamp_cafe.shop.id, phone_id=phone_id_of(phone), kind="earned", stamps=3
            )
        )
    )
    order(phone, public_id, stamp_cafe.flat_white)
    line_id = load_tab(in_app, public_id).lines[0].id
    assert phone.post_form(f"/tab/{public_id}/lines/{line_id}/free").status_code == 303
    day = visible_text(login(stamp_cafe.owner).get("/admin/day").get_data(as_text=True))
    assert "loyalty" in day


def test_without_stamps_or_for_other_items_nothing_is_free(stamp_cafe, phone, in_app):
    public_id = open_tab(phone, stamp_cafe.table)
    order(phone, public_id, stamp_cafe.flat_white)
    order(phone, public_id, stamp_cafe.croissant)
    coffee, croissant = (line.id for line in load_tab(in_app, public_id).lines)
    assert "Use my free" not in phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert phone.post_form(f"/tab/{public_id}/lines/{coffee}/free").status_code == 409
    assert phone.post_form(f"/tab/{public_id}/lines/{croissant}/free").status_code == 404
    assert phone.post(f"/tab/{public_id}/lines/{coffee}/free").status_code == 400  # no CSRF
    assert load_tab(in_app, public_id).total == 660


def test_a_personal_cards_stamps_follow_it_to_a_new_phone(
    stamp_cafe, phone, new_client, staff_client, in_app
):
    public_id = open_tab(phone, stamp_cafe.personal)
    order(phone, public_id, stamp_cafe.flat_white, 3)
    pay_whole_tab(staff_client, in_app, public_id)
    new_phone = new_client()
    on_card = open_tab(new_phone, stamp_cafe.personal)
    order(new_phone, on_card, stamp_cafe.flat_white)
    bill = new_phone.get(f"/tab/{on_card}/bill").get_data(as_text=True)
    assert "Use my free Flat white" in bill
