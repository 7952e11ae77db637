"""Taking payment on a tab's staff page: one panel that starts from what the customer
asked to pay (their part and their tip), says what to take and the change to give,
and records it in one tap. A tip the customer chose is never silently dropped; when
staff change it, the audit says so. Walking out and closing are apart, below."""

import re

import pytest
from sqlalchemy import select

from extensions import db
from models import AuditEntry
from tests.helpers import load_tab, open_tab, order, visible_text
from tests.pay_helpers import ask_to_pay, invite, join, tab_id_of


@pytest.fixture
def asked(cafe, phone, in_app):
    """Ana's flat white (€3.80); she asked to pay it with a 15% tip (€0.57)."""
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    assert ask_to_pay(phone, public_id, tip="15").status_code == 303
    return public_id


def words(html: str) -> str:
    return " ".join(visible_text(html).split())


def panel(page: str) -> str:
    return page.split('id="payment"', 1)[1].split("</section>", 1)[0]


def panel_form(staff, tab_id: int, choice: str | None = None) -> dict[str, str]:
    """The payment form's fields, as the page fills them in."""
    query = f"?for={choice}" if choice else ""
    page = staff.get(f"/staff/tabs/{tab_id}{query}").get_data(as_text=True)
    form = re.search(r"<form[^>]*data-pay-form.*?</form>", page, re.S).group(0)
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name and name.group(1) != "csrf_token":
            value = re.search(r'value="([^"]*)"', tag)
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def test_the_panel_starts_from_the_customers_part_and_tip(cafe, asked, staff_client, in_app):
    page = staff_client.get(f"/staff/tabs/{tab_id_of(in_app, asked)}").get_data(as_text=True)
    text = words(panel(page))
    assert "Ana asked to pay: whole tab €3.80" in text
    assert "Tip the customer chose: €0.57" in text
    assert "To take €4.37" in text
    assert panel_form(staff_client, tab_id_of(in_app, asked))["tip"] == "0.57"
    assert "Record payment" not in page  # one way to take payment, not two


def test_taking_the_panel_as_shown_keeps_the_customers_tip_to_the_receipt(
    cafe, asked, phone, staff_client, in_app
):
    tab_id = tab_id_of(in_app, asked)
    fields = panel_form(staff_client, tab_id)
    response = staff_client.post_form(f"/staff/tabs/{tab_id}/payment", {**fields, "method": "cash"})
    assert response.status_code == 303
    tab = load_tab(in_app, asked)
    assert [(p.amount, p.tip, p.method) for p in tab.payments] == [(380, 57, "cash")]
    receipt = words(phone.get(f"/tab/{asked}/receipt").get_data(as_text=True))
    assert "Tip€0.57 Paid by cash€4.37" in receipt


def test_a_payment_sent_without_a_tip_keeps_the_one_the_customer_chose(
    cafe, asked, staff_client, in_app
):
    tab_id = tab_id_of(in_app, asked)
    fields = panel_form(staff_client, tab_id)
    del fields["tip"]
    staff_client.post_form(f"/staff/tabs/{tab_id}/payment", {**fields, "method": "card"})
    assert [(p.amount, p.tip) for p in load_tab(in_app, asked).payments] == [(380, 57)]


def test_the_whole_tab_keeps_the_tips_its_phones_chose(
    cafe, phone, new_client, staff_client, in_app
):
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    ben = new_client()
    join(ben, invite(phone, public_id), "Ben")
    order(ben, public_id, cafe.croissant)
    assert ask_to_pay(phone, public_id, share="phone", tip="10").status_code == 303
    tab_id = tab_id_of(in_app, public_id)

    page = staff_client.get(f"/staff/tabs/{tab_id}").get_data(as_text=True)
    choices = re.findall(r'data-choice="([^"]+)"', page)
    assert len(choices) == 2 and choices[-1] == "all"
    whole = panel_form(staff_client, tab_id, "all")
    assert (whole["amount"], whole["tip"]) == ("6.60", "0.38")
    assert "request_id" not in whole
    staff_client.post_form(f"/staff/tabs/{tab_id}/payment", {**whole, "method": "card"})
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert [(p.share, p.amount, p.tip) for p in tab.payments] == [("all", 660, 38)]


def test_staff_changing_the_tip_is_said_in_the_audit(cafe, asked, staff_client, in_app, login):
    tab_id = tab_id_of(in_app, asked)
    fields = panel_form(staff_client, tab_id)
    staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {**fields, "tip": "0", "method": "cash"}
    )
    assert [p.tip for p in load_tab(in_app, asked).payments] == [0]
    detail = in_app(
        lambda: db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "payment"))
    )
    assert '"tip_asked": 57' in detail
    audit = words(login(cafe.owner).get("/admin/audit").get_data(as_text=True))
    assert "tip: €0.00, changed by staff; the customer chose: €0.57" in audit


def test_the_tip_as_chosen_leaves_no_note_in_the_audit(cafe, asked, staff_client, in_app):
    tab_id = tab_id_of(in_app, asked)
    staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {**panel_form(staff_client, tab_id), "method": "cash"}
    )
    detail = in_app(
        lambda: db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "payment"))
    )
    assert "tip_asked" not in detail


def test_cash_given_says_the_change_to_give_back(cafe, asked, staff_client, in_app):
    tab_id = tab_id_of(in_app, asked)
    fields = {**panel_form(staff_client, tab_id), "cash_given": "10", "method": "cash"}
    response = staff_client.post_form(f"/staff/tabs/{tab_id}/payment", fields)
    assert response.status_code == 303
    counter = words(staff_client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Paid: Ana, cash. Give back €5.63 in change." in counter


def test_cash_given_short_of_what_to_take_is_refused_and_records_nothing(
    cafe, asked, staff_client, in_app
):
    tab_id = tab_id_of(in_app, asked)
    fields = {**panel_form(staff_client, tab_id), "cash_given": "4.00", "method": "cash"}
    response = staff_client.post_form(f"/staff/tabs/{tab_id}/payment", fields)
    assert response.status_code == 400
    page = words(response.get_data(as_text=True))
    assert "The cash given (€4.00) is less than the €4.37 to take." in page
    assert load_tab(in_app, asked).payments == []


def test_walking_out_is_apart_from_payment_and_asks_to_confirm(cafe, asked, staff_client, in_app):
    page = staff_client.get(f"/staff/tabs/{tab_id_of(in_app, asked)}").get_data(as_text=True)
    assert "walked-out" not in panel(page)
    trouble = page.split('id="trouble"', 1)[1].split("</section>", 1)[0]
    assert "Mark walked out" in trouble
    assert 'data-confirm="Mark Ana walked out, owing €3.80?"' in trouble
    assert 'class="void-form"' in page and 'data-confirm="Void 1 × Flat white?"' in page
