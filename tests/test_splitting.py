"""Splitting the bill of a shared tab: each phone pays for its own lines, or everyone
pays an equal share; the tab closes when the total is covered."""

import pytest
from sqlalchemy import select

from extensions import db
from models import TabLine
from tests.helpers import load_tab, open_tab, order, phone_id_of, tab_snapshot, visible_text
from tests.pay_helpers import (
    ask_to_pay,
    asked_on_staff_page,
    invite,
    join,
    pay_requests,
    tab_id_of,
    take_asked,
)


@pytest.fixture
def table_of_two(cafe, new_client, in_app):
    """Ana (two flat whites, €7.60) and Ben (a croissant, €2.80) on Ana's tab."""
    ana, ben = new_client(), new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    join(ben, invite(ana, public_id), "Ben")
    order(ana, public_id, cafe.flat_white, 2)
    order(ben, public_id, cafe.croissant)
    return ana, ben, public_id, tab_id_of(in_app, public_id)


def test_the_bill_of_a_shared_tab_offers_my_items_equal_share_or_everything(table_of_two):
    _, ben, public_id, _ = table_of_two
    page = ben.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert 'value="phone" checked' in page  # a friend pays for their own by default
    assert "My items · €2.80" in visible_text(page)
    assert "Equal share (1 of 2) · €5.20" in visible_text(page)
    assert "Whole tab · €10.40" in visible_text(page)
    assert "10% · €0.28" in visible_text(page)  # the tips are of the chosen part


def test_each_phone_pays_for_its_own_lines(table_of_two, staff_client, in_app):
    ana, ben, public_id, tab_id = table_of_two
    assert ask_to_pay(ben, public_id, share="phone", tip="20").status_code == 303
    assert "Your bill is <strong>€2.80</strong> + tip €0.56" in ben.get(
        f"/tab/{public_id}"
    ).get_data(as_text=True)
    assert ask_to_pay(ana, public_id, share="phone").status_code == 303

    asked = asked_on_staff_page(staff_client, tab_id)
    assert {name: (a["amount"], a["tip"]) for name, a in asked.items()} == {
        "Ana": ("7.60", "0.00"),
        "Ben": ("2.80", "0.56"),
    }
    assert take_asked(staff_client, tab_id, asked["Ben"], "card").status_code == 303
    tab = load_tab(in_app, public_id)
    assert tab.status == "settling"  # Ana still owes
    assert tab.owed == 760
    assert take_asked(staff_client, tab_id, asked["Ana"], "cash").status_code == 303

    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    ben_phone = phone_id_of(ben)
    ana_phone = phone_id_of(ana)
    assert [(p.share, p.payer_phone_id, p.amount, p.tip, p.method) for p in tab.payments] == [
        ("phone", ben_phone, 280, 56, "card"),
        ("phone", ana_phone, 760, 0, "cash"),
    ]
    paid_by = {line.name: line.payment_id for line in tab.lines}
    assert paid_by == {"Flat white": tab.payments[1].id, "Butter croissant": tab.payments[0].id}
    assert sum(p.amount for p in tab.payments) == tab.total == 1040
    assert all(done for *_, done in pay_requests(in_app, tab_id))


def test_everyone_pays_an_equal_share_of_ten_euros_three_ways(
    cafe, create_item, new_client, staff_client, in_app
):
    platter = create_item(cafe.shop, "Sharing platter", 1000)
    ana, ben, cy = new_client(), new_client(), new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    token = invite(ana, public_id)
    join(ben, token, "Ben")
    join(cy, token, "Cy")
    order(cy, public_id, platter)
    tab_id = tab_id_of(in_app, public_id)

    for phone in (ana, ben, cy):
        assert ask_to_pay(phone, public_id, share="equal").status_code == 303
    asked = asked_on_staff_page(staff_client, tab_id)
    assert {name: a["amount"] for name, a in asked.items()} == {
        "Ana": "3.34",
        "Ben": "3.33",
        "Cy": "3.33",
    }
    take_asked(staff_client, tab_id, asked["Ben"])
    # The split is fixed now: no more orders onto it.
    before = tab_snapshot(in_app, public_id)
    more = staff_client.post_form(
        f"/staff/tabs/{tab_id}/order", {"item_id": cafe.croissant.id, "quantity": 1}
    )
    assert more.status_code == 409
    assert tab_snapshot(in_app, public_id) == before
    take_asked(staff_client, tab_id, asked["Cy"])
    assert load_tab(in_app, public_id).status == "settling"
    take_asked(staff_client, tab_id, asked["Ana"])

    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert tab.split_ways == 3
    assert sorted((p.share_key, p.amount) for p in tab.payments) == [
        ("equal:1/3", 334),
        ("equal:2/3", 333),
        ("equal:3/3", 333),
    ]
    assert sum(p.amount for p in tab.payments) == 1000


def test_an_equal_share_is_paid_once(table_of_two, staff_client, in_app):
    _, ben, public_id, tab_id = table_of_two
    ask_to_pay(ben, public_id, share="equal")
    asked = asked_on_staff_page(staff_client, tab_id)["Ben"]
    assert take_asked(staff_client, tab_id, asked).status_code == 303
    before = tab_snapshot(in_app, public_id)
    again = take_asked(staff_client, tab_id, asked)
    assert again.status_code == 409
    assert "already paid" in again.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before


def test_splitting_by_lines_then_equally_is_refused(table_of_two, staff_client, in_app):
    ana, ben, public_id, tab_id = table_of_two
    ask_to_pay(ben, public_id, share="phone")
    take_asked(staff_client, tab_id, asked_on_staff_page(staff_client, tab_id)["Ben"])
    before = tab_snapshot(in_app, public_id)
    response = ask_to_pay(ana, public_id, share="equal")
    assert response.status_code == 409
    assert "already paid for their own lines" in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before


def test_staff_can_take_the_rest_after_a_part_is_paid(table_of_two, staff_client, in_app):
    _, ben, public_id, tab_id = table_of_two
    ask_to_pay(ben, public_id, share="phone")
    take_asked(staff_client, tab_id, asked_on_staff_page(staff_client, tab_id)["Ben"])
    page = staff_client.get(f"/staff/tabs/{tab_id}").get_data(as_text=True)
    assert 'name="amount" value="7.60"' in page
    response = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "7.60", "tip": "0"}
    )
    assert response.status_code == 303
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert [p.amount for p in tab.payments] == [280, 760]
    unpaid = in_app(
        lambda: db.session.scalar(
            select(db.func.count())
            .select_from(TabLine)
            .where(TabLine.tab_id == tab_id, TabLine.payment_id.is_(None))
        )
    )
    assert unpaid == 0


def test_a_part_that_changed_since_it_was_asked_for_is_refused(
    cafe, table_of_two, staff_client, in_app
):
    _, ben, public_id, tab_id = table_of_two
    ask_to_pay(ben, public_id, share="phone")
    asked = asked_on_staff_page(staff_client, tab_id)["Ben"]
    line_id = in_app(
        lambda: db.session.scalar(
            select(TabLine.id).where(TabLine.tab_id == tab_id, TabLine.name == "Butter croissant")
        )
    )
    staff_client.post_form(f"/staff/lines/{line_id}/void", {"reason": "Dropped it"})
    before = tab_snapshot(in_app, public_id)
    response = take_asked(staff_client, tab_id, asked)
    assert response.status_code == 409
    assert tab_snapshot(in_app, public_id) == before


def test_a_paid_line_cannot_be_voided(table_of_two, staff_client, in_app):
    _, ben, public_id, tab_id = table_of_two
    ask_to_pay(ben, public_id, share="phone")
    take_asked(staff_client, tab_id, asked_on_staff_page(staff_client, tab_id)["Ben"])
    line_id = in_app(
        lambda: db.session.scalar(
            select(TabLine.id).where(TabLine.tab_id == tab_id, TabLine.name == "Butter croissant")
        )
    )
    before = tab_snapshot(in_app, public_id)
    response = staff_client.post_form(f"/staff/lines/{line_id}/void", {"reason": "Oops"})
    assert response.status_code == 409
    assert "already part of a payment" in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before


def test_paying_a_voided_tab_is_refused_and_changes_nothing(cafe, phone, staff_client, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.croissant)
    tab_id = tab_id_of(in_app, public_id)
    line_id = in_app(lambda: db.session.scalar(select(TabLine.id).where(TabLine.tab_id == tab_id)))
    staff_client.post_form(f"/staff/lines/{line_id}/void", {"reason": "Left"})
    assert staff_client.post_form(f"/staff/tabs/{tab_id}/close").status_code == 303
    before = tab_snapshot(in_app, public_id)

    by_staff = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "2.80", "tip": "0"}
    )
    assert by_staff.status_code == 409
    assert "This tab is closed." in by_staff.get_data(as_text=True)
    by_phone = ask_to_pay(phone, public_id, tip="10")
    assert by_phone.status_code == 409
    assert "This tab is closed." in by_phone.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before
    assert pay_requests(in_app, tab_id) == []
