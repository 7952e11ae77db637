"""Trust that grows with paying: a phone never seen may run a tab up to the shop's
first limit, each tab paid in full here raises it a step up to a ceiling, a walk-out
resets it and asks a deposit next time, and staff can raise a tab's limit or lift
that deposit in one tap (services/trust.py)."""

import pytest
from sqlalchemy import select

from extensions import db
from models import AuditEntry
from tests.helpers import load_tab, open_tab, order, visible_text
from tests.pay_helpers import set_shop, tab_id_of


@pytest.fixture
def trusting(cafe, in_app):
    """€5.00 to start, +€4.00 per tab paid, at most €12.00; €3.00 after a walk-out."""
    set_shop(
        in_app,
        cafe.shop,
        tab_limit_first=500,
        tab_limit_step=400,
        tab_limit_ceiling=1200,
        walkout_deposit=300,
    )
    return cafe


def pay_whole_tab(staff, in_app, public_id: str) -> None:
    tab = load_tab(in_app, public_id)
    response = staff.post_form(
        f"/staff/tabs/{tab.id}/payment",
        {"amount": f"{tab.due / 100:.2f}", "tip": "", "method": "cash"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert load_tab(in_app, public_id).status == "paid"


def walk_out(staff, in_app, public_id: str) -> None:
    tab_id = tab_id_of(in_app, public_id)
    response = staff.post_form(f"/staff/tabs/{tab_id}/walked-out", {"reason": "left"})
    assert response.status_code == 303


def test_without_a_limit_setting_tabs_have_none(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table)
    assert load_tab(in_app, public_id).tab_limit is None
    for _ in range(3):
        assert order(phone, public_id, cafe.flat_white, 9).status_code == 303
    assert "run a tab up to" not in phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)


def test_a_new_phone_sees_its_limit_and_is_refused_past_it_with_what_to_do(trusting, phone, in_app):
    public_id = open_tab(phone, trusting.table)
    assert load_tab(in_app, public_id).tab_limit == 500
    menu = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    assert "You can run a tab up to €5.00 here." in menu

    assert order(phone, public_id, trusting.flat_white).status_code == 303  # €3.80
    refused = order(phone, public_id, trusting.croissant)  # €2.80 more: €6.60
    assert refused.status_code == 409
    page = visible_text(refused.get_data(as_text=True))
    assert "That would take your tab past €5.00" in page
    assert "Pay what’s on my tab so far" in page
    assert "ask at the counter" in page
    assert f'href="/tab/{public_id}/bill"' in refused.get_data(as_text=True)
    assert [line.name for line in load_tab(in_app, public_id).lines] == ["Flat white"]


def test_the_limit_grows_with_each_tab_paid_up_to_the_ceiling(
    trusting, phone, staff_client, in_app
):
    limits = []
    for _ in range(4):
        public_id = open_tab(phone, trusting.table)
        limits.append(load_tab(in_app, public_id).tab_limit)
        order(phone, public_id, trusting.flat_white)
        pay_whole_tab(staff_client, in_app, public_id)
    assert limits == [500, 900, 1200, 1200]


def test_a_walk_out_resets_the_limit_and_asks_a_deposit_staff_can_lift(
    trusting, phone, staff_client, in_app
):
    first = open_tab(phone, trusting.table)
    order(phone, first, trusting.flat_white)
    pay_whole_tab(staff_client, in_app, first)
    second = open_tab(phone, trusting.table)
    assert load_tab(in_app, second).tab_limit == 900
    order(phone, second, trusting.flat_white)
    walk_out(staff_client, in_app, second)

    third = open_tab(phone, trusting.table)
    tab = load_tab(in_app, third)
    assert (tab.tab_limit, tab.deposit_amount, tab.deposit_status) == (500, 300, "pending")
    staff_page = staff_client.get(f"/staff/tabs/{tab.id}").get_data(as_text=True)
    assert "No deposit needed" in staff_page
    lifted = staff_client.post_form(f"/staff/tabs/{tab.id}/lift-deposit")
    assert lifted.status_code == 303
    assert load_tab(in_app, third).deposit_status == "waived"
    assert staff_client.post_form(f"/staff/tabs/{tab.id}/lift-deposit").status_code == 409

    # Paying the tab after the walk-out clears the deposit for the next one.
    order(phone, third, trusting.flat_white)
    pay_whole_tab(staff_client, in_app, third)
    fourth = load_tab(in_app, open_tab(phone, trusting.table))
    assert (fourth.tab_limit, fourth.deposit_status) == (900, "none")


def test_staff_raise_a_tabs_limit_in_one_tap_and_the_audit_says_so(
    trusting, phone, staff_client, in_app
):
    public_id = open_tab(phone, trusting.table)
    order(phone, public_id, trusting.flat_white)
    assert order(phone, public_id, trusting.croissant).status_code == 409
    tab_id = tab_id_of(in_app, public_id)
    assert "Raise the limit" in staff_client.get(f"/staff/tabs/{tab_id}").get_data(as_text=True)

    raised = staff_client.post_form(f"/staff/tabs/{tab_id}/raise-limit")
    assert raised.status_code == 303
    tab = load_tab(in_app, public_id)
    assert (tab.tab_limit, tab.limit_raised_by) == (900, 400)
    assert order(phone, public_id, trusting.croissant).status_code == 303
    entry = in_app(
        lambda: db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "limit_raised")
        ).scalar_one()
    )
    assert (entry.tab_id, entry.amount, entry.staff_id) == (tab_id, 400, trusting.staff.id)


def test_a_personal_card_brings_its_history_to_a_new_phone(
    trusting, phone, new_client, staff_client, in_app
):
    for _ in range(2):
        public_id = open_tab(phone, trusting.personal)
        order(phone, public_id, trusting.flat_white)
        pay_whole_tab(staff_client, in_app, public_id)
    new_phone = new_client()
    on_card = open_tab(new_phone, trusting.personal)
    assert load_tab(in_app, on_card).tab_limit == 1200
    stranger = open_tab(new_client(), trusting.table)
    assert load_tab(in_app, stranger).tab_limit == 500


def test_staff_adding_at_the_counter_are_not_held_to_the_limit(
    trusting, phone, staff_client, in_app
):
    public_id = open_tab(phone, trusting.table)
    tab_id = tab_id_of(in_app, public_id)
    response = staff_client.post_form(
        f"/staff/tabs/{tab_id}/order", {"item_id": trusting.flat_white.id, "quantity": "3"}
    )
    assert response.status_code == 303
    assert load_tab(in_app, public_id).total == 1140


def test_bad_taps_on_the_limit_change_nothing(trusting, cafe, other_cafe, phone, login, in_app):
    public_id = open_tab(phone, trusting.table)
    tab_id = tab_id_of(in_app, public_id)
    other_staff = login(other_cafe.staff)
    assert other_staff.post_form(f"/staff/tabs/{tab_id}/raise-limit").status_code == 404
    staff = login(cafe.staff)
    no_csrf = staff.post(f"/staff/tabs/{tab_id}/raise-limit")
    assert no_csrf.status_code == 400
    assert load_tab(in_app, public_id).tab_limit == 500
