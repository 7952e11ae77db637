"""The deposit against no-shows: asked for when a tab opens, taken at the counter
before the tab's orders reach the queue, deducted from the bill, and refunded or
kept (with a reason) when the tab is voided."""

import pytest

from tests.helpers import load_tab, open_tab, order, tab_snapshot
from tests.pay_helpers import ask_to_pay, asked_on_staff_page, set_shop, tab_id_of, take_asked


@pytest.fixture
def deposit_cafe(cafe, in_app):
    set_shop(in_app, cafe.shop, deposit_amount=500)
    return cafe


@pytest.fixture
def held(deposit_cafe, phone, staff_client, in_app):
    """Ana's tab, its €5.00 deposit taken in cash: (public id, tab id)."""
    public_id = open_tab(phone, deposit_cafe.table, "Ana")
    tab_id = tab_id_of(in_app, public_id)
    confirm = staff_client.post_form(f"/staff/tabs/{tab_id}/deposit", {"method": "cash"})
    assert confirm.status_code == 303
    return public_id, tab_id


def queue(staff) -> str:
    page = staff.get("/staff").get_data(as_text=True)
    return page.split('id="queue-title"')[1].split("</section>")[0]


def test_without_a_deposit_setting_tabs_take_none(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table)
    tab = load_tab(in_app, public_id)
    assert (tab.deposit_amount, tab.deposit_status) == (0, "none")
    assert "Deposit" not in phone.get(f"/tab/{public_id}").get_data(as_text=True)


def test_orders_wait_off_the_queue_until_staff_take_the_deposit(
    deposit_cafe, phone, staff_client, in_app
):
    public_id = open_tab(phone, deposit_cafe.table, "Ana")
    tab = load_tab(in_app, public_id)
    assert (tab.deposit_amount, tab.deposit_status) == (500, "pending")
    page = phone.get(f"/tab/{public_id}").get_data(as_text=True)
    assert "Deposit: €5.00" in page
    assert "your order goes to the bar once staff have the deposit" in page

    assert order(phone, public_id, deposit_cafe.flat_white).status_code == 303
    assert "Flat white" not in queue(staff_client)
    counter = staff_client.get("/staff").get_data(as_text=True)
    assert "Deposits to take" in counter
    assert "Take deposit" in counter

    response = staff_client.post_form(f"/staff/tabs/{tab.id}/deposit", {"method": "card"})
    assert response.status_code == 303
    tab = load_tab(in_app, public_id)
    assert (tab.deposit_status, tab.deposit_method) == ("held", "card")
    assert "Flat white" in queue(staff_client)
    assert "Deposits to take" not in staff_client.get("/staff").get_data(as_text=True)
    assert "Deposit: €5.00" not in phone.get(f"/tab/{public_id}").get_data(as_text=True)


def test_a_deposit_is_confirmed_once(held, staff_client, in_app):
    public_id, tab_id = held
    before = tab_snapshot(in_app, public_id)
    again = staff_client.post_form(f"/staff/tabs/{tab_id}/deposit", {"method": "cash"})
    assert again.status_code == 409
    assert "no deposit waiting" in again.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before


def test_the_deposit_comes_off_the_final_bill(held, deposit_cafe, phone, staff_client, in_app):
    public_id, tab_id = held
    order(phone, public_id, deposit_cafe.flat_white)
    order(phone, public_id, deposit_cafe.croissant)
    bill = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert "Deposit paid" in bill
    assert "To pay <strong data-due>€1.60</strong>" in bill

    ask_to_pay(phone, public_id, tip="10")  # 10% of the €6.60 bill: €0.66
    asked = asked_on_staff_page(staff_client, tab_id)["Ana"]
    assert (asked["amount"], asked["tip"]) == ("1.60", "0.66")
    assert take_asked(staff_client, tab_id, asked, "cash").status_code == 303

    tab = load_tab(in_app, public_id)
    assert (tab.status, tab.deposit_status) == ("paid", "applied")
    assert [(p.amount, p.deposit_applied, p.tip) for p in tab.payments] == [(160, 500, 66)]
    receipt = phone.get(f"/tab/{public_id}/receipt").get_data(as_text=True)
    assert "Deposit deducted" in receipt
    assert "−€5.00" in receipt


def test_staff_paying_the_whole_tab_see_the_deposit_deducted(
    held, deposit_cafe, phone, staff_client, in_app
):
    public_id, tab_id = held
    order(phone, public_id, deposit_cafe.flat_white, 2)  # €7.60
    page = staff_client.get(f"/staff/tabs/{tab_id}").get_data(as_text=True)
    assert 'name="amount" value="2.60"' in page
    wrong = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "7.60", "tip": "0"}
    )
    assert wrong.status_code == 409
    assert "The bill is €2.60" in wrong.get_data(as_text=True)
    right = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "2.60", "tip": "0"}
    )
    assert right.status_code == 303
    assert load_tab(in_app, public_id).status == "paid"


def test_a_deposit_bigger_than_the_bill_covers_it_and_the_rest_goes_back(
    held, deposit_cafe, phone, staff_client, in_app
):
    public_id, tab_id = held
    order(phone, public_id, deposit_cafe.croissant)  # €2.80 against €5.00
    response = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "0.00", "tip": "0"}
    )
    assert response.status_code == 303
    tab = load_tab(in_app, public_id)
    assert (tab.status, tab.deposit_status) == ("paid", "applied")
    assert [(p.amount, p.deposit_applied) for p in tab.payments] == [(0, 280)]
    page = staff_client.get(f"/staff/tabs/{tab_id}").get_data(as_text=True)
    assert "Hand back €2.20 of the deposit." in page
    assert "Deposit handed back" in phone.get(f"/tab/{public_id}/receipt").get_data(as_text=True)


def test_voiding_a_no_show_refunds_the_deposit(held, staff_client, in_app):
    public_id, tab_id = held
    response = staff_client.post_form(f"/staff/tabs/{tab_id}/close", {"deposit": "refund"})
    assert response.status_code == 303
    tab = load_tab(in_app, public_id)
    assert (tab.status, tab.deposit_status) == ("void", "refunded")


def test_voiding_a_no_show_can_keep_the_deposit_with_a_reason(held, staff_client, in_app):
    public_id, tab_id = held
    before = tab_snapshot(in_app, public_id)
    no_reason = staff_client.post_form(f"/staff/tabs/{tab_id}/close", {"deposit": "keep"})
    assert no_reason.status_code == 400
    assert "Say why the deposit is kept" in no_reason.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before

    kept = staff_client.post_form(
        f"/staff/tabs/{tab_id}/close", {"deposit": "keep", "reason": "Did not show up"}
    )
    assert kept.status_code == 303
    tab = load_tab(in_app, public_id)
    assert (tab.status, tab.deposit_status, tab.deposit_reason) == (
        "void",
        "kept",
        "Did not show up",
    )


def test_voiding_with_a_deposit_held_needs_a_choice(held, staff_client, in_app):
    public_id, tab_id = held
    before = tab_snapshot(in_app, public_id)
    response = staff_client.post_form(f"/staff/tabs/{tab_id}/close")
    assert response.status_code == 400
    assert "refund it or keep it" in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before


def test_a_deposit_never_taken_is_waived_when_the_tab_closes(
    deposit_cafe, phone, staff_client, in_app
):
    public_id = open_tab(phone, deposit_cafe.table)
    tab_id = tab_id_of(in_app, public_id)
    assert staff_client.post_form(f"/staff/tabs/{tab_id}/close").status_code == 303
    assert load_tab(in_app, public_id).deposit_status == "waived"


def test_a_staff_opened_tab_asks_for_the_deposit_too(deposit_cafe, staff_client, in_app):
    response = staff_client.post_form("/staff/tabs/new", {"customer_name": "Walk-in"})
    assert response.status_code == 303
    page = staff_client.get(response.location).get_data(as_text=True)
    assert "Take the deposit: €5.00" in page
    assert "Deposit received: cash" in page
