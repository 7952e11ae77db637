"""The deposit paid by card: a Stripe checkout with purpose "deposit" that only the
signed webhook turns into a deposit taken (never a paid bill), and a card refund
through Stripe when the tab is closed with the deposit refunded."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from extensions import db
from models import CheckoutSession
from tests.helpers import PASSWORD, load_tab, open_tab, order, tab_snapshot
from tests.pay_helpers import set_shop, tab_id_of
from tests.stripe_standin import deliver, session_id_from

BUTTON = "Pay the deposit by card"


@pytest.fixture
def deposit_cafe(cafe, in_app):
    set_shop(in_app, cafe.shop, deposit_amount=500)
    return cafe


def staff_of(app, cafe):
    client = app.test_client()
    response = client.post_form("/staff/login", {"email": cafe.staff.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def queue(staff) -> str:
    page = staff.get("/staff").get_data(as_text=True)
    return page.split('id="queue-title"')[1].split("</section>")[0]


def deposit_checkout(stripe_app, cafe, *items):
    """Ana opens a tab, orders, and taps the deposit button: (phone, public id,
    checkout session id)."""
    phone = stripe_app.test_client()
    public_id = open_tab(phone, cafe.table, "Ana")
    for item in items:
        assert order(phone, public_id, item).status_code == 303
    page = phone.get(f"/tab/{public_id}").get_data(as_text=True)
    assert BUTTON in page
    response = phone.post_form(f"/tab/{public_id}/deposit/card")
    assert response.status_code == 303, response.get_data(as_text=True)
    return phone, public_id, session_id_from(response.location)


def checkouts(in_app):
    return in_app(
        lambda: [
            (c.purpose, c.amount, c.tip, c.status)
            for c in db.session.execute(select(CheckoutSession).order_by(CheckoutSession.id))
            .scalars()
            .all()
        ]
    )


def test_the_deposit_checkout_asks_for_the_deposit(stripe_app, stripe_api, deposit_cafe, in_app):
    phone, public_id, _ = deposit_checkout(stripe_app, deposit_cafe, deposit_cafe.flat_white)

    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    p = call.params
    [line] = p["line_items"]
    assert line["price_data"]["unit_amount"] == "500"  # the deposit, not the 3.80 ordered
    assert line["price_data"]["currency"] == "eur"
    assert line["price_data"]["product_data"]["name"] == f"Deposit at {deposit_cafe.shop.name}"
    assert p["client_reference_id"] == public_id
    assert p["success_url"] == p["cancel_url"] == f"http://localhost/tab/{public_id}"
    tab = load_tab(in_app, public_id)
    assert p["metadata"] == {
        "shop_id": str(deposit_cafe.shop.id),
        "tab_id": str(tab.id),
        "checkout": call.headers["Idempotency-Key"],
        "purpose": "deposit",
    }
    assert checkouts(in_app) == [("deposit", 500, 0, "created")]
    # Asking takes nothing: the deposit still waits, the bill is untouched.
    assert (tab.deposit_status, tab.status, tab.payments) == ("pending", "open", [])

    # A double tap goes back to the same checkout.
    again = phone.post_form(f"/tab/{public_id}/deposit/card")
    assert again.status_code == 303
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 1


def test_the_signed_webhook_takes_the_deposit_and_sends_orders_to_the_bar(
    stripe_app, stripe_api, deposit_cafe, in_app
):
    staff = staff_of(stripe_app, deposit_cafe)
    phone, public_id, session_id = deposit_checkout(
        stripe_app, deposit_cafe, deposit_cafe.flat_white
    )
    assert "Flat white" not in queue(staff)

    answer = deliver(stripe_app.test_client(), stripe_api.event(session_id))

    assert answer.status_code == 200 and answer.json["outcome"] == "deposit taken"
    tab = load_tab(in_app, public_id)
    assert (tab.deposit_status, tab.deposit_method, tab.deposit_taken_by_id) == (
        "held",
        "stripe",
        None,
    )
    assert (tab.status, tab.payments) == ("open", [])  # the bill is still to pay
    assert checkouts(in_app) == [("deposit", 500, 0, "completed")]
    assert "Flat white" in queue(staff)
    page = phone.get(f"/tab/{public_id}").get_data(as_text=True)
    assert BUTTON not in page and "Deposit: €5.00" not in page


def test_a_forged_webhook_leaves_the_deposit_waiting(stripe_app, stripe_api, deposit_cafe, in_app):
    _, public_id, session_id = deposit_checkout(stripe_app, deposit_cafe)
    before = tab_snapshot(in_app, public_id)

    forged = deliver(stripe_app.test_client(), stripe_api.event(session_id), secret="whsec_x")

    assert forged.status_code == 400
    assert tab_snapshot(in_app, public_id) == before
    assert load_tab(in_app, public_id).deposit_status == "pending"
    assert checkouts(in_app) == [("deposit", 500, 0, "created")]


def test_the_bill_then_deducts_the_card_deposit(stripe_app, stripe_api, deposit_cafe, in_app):
    phone, public_id, deposit_session = deposit_checkout(
        stripe_app, deposit_cafe, deposit_cafe.flat_white, deposit_cafe.croissant
    )
    stripe = stripe_app.test_client()
    deliver(stripe, stripe_api.event(deposit_session))

    bill = phone.post_form(f"/tab/{public_id}/pay/card")
    assert bill.status_code == 303
    bill_session = session_id_from(bill.location)
    # 6.60 ordered, 5.00 already paid by card: 1.60 left.
    assert stripe_api.sessions[bill_session]["amount_total"] == 160
    assert stripe_api.sessions[bill_session]["metadata"]["purpose"] == "bill"
    assert deliver(stripe, stripe_api.event(bill_session)).json["outcome"] == "paid"

    tab = load_tab(in_app, public_id)
    assert (tab.status, tab.deposit_status) == ("paid", "applied")
    assert [(p.amount, p.deposit_applied, p.method) for p in tab.payments] == [(160, 500, "card")]
    assert stripe_api.refunds == []


def test_closing_the_empty_tab_refunds_the_card_deposit_once(
    stripe_app, stripe_api, deposit_cafe, in_app
):
    _, public_id, session_id = deposit_checkout(stripe_app, deposit_cafe)
    deliver(stripe_app.test_client(), stripe_api.event(session_id))
    staff = staff_of(stripe_app, deposit_cafe)
    tab_id = tab_id_of(in_app, public_id)

    response = staff.post_form(f"/staff/tabs/{tab_id}/close", {"deposit": "refund"})
    assert response.status_code == 303
    again = staff.post_form(f"/staff/tabs/{tab_id}/close", {"deposit": "refund"})
    assert again.status_code == 409

    tab = load_tab(in_app, public_id)
    assert (tab.status, tab.deposit_status) == ("void", "refunded")
    [refund] = stripe_api.calls("POST", "/v1/refunds")
    assert refund.params == {
        "payment_intent": stripe_api.sessions[session_id]["payment_intent"],
        "amount": "500",
    }
    assert refund.headers["Idempotency-Key"]
    assert [r["amount"] for r in stripe_api.refunds] == [500]


def test_a_deposit_kept_for_a_no_show_is_not_refunded(stripe_app, stripe_api, deposit_cafe, in_app):
    _, public_id, session_id = deposit_checkout(stripe_app, deposit_cafe)
    deliver(stripe_app.test_client(), stripe_api.event(session_id))
    staff = staff_of(stripe_app, deposit_cafe)
    tab_id = tab_id_of(in_app, public_id)
    response = staff.post_form(
        f"/staff/tabs/{tab_id}/close", {"deposit": "keep", "reason": "Did not show up"}
    )
    assert response.status_code == 303
    assert load_tab(in_app, public_id).deposit_status == "kept"
    assert stripe_api.calls("POST", "/v1/refunds") == []


def test_a_failed_card_refund_still_closes_the_tab_and_says_so(
    stripe_app, stripe_api, deposit_cafe, in_app
):
    _, public_id, session_id = deposit_checkout(stripe_app, deposit_cafe)
    deliver(stripe_app.test_client(), stripe_api.event(session_id))
    staff = staff_of(stripe_app, deposit_cafe)
    tab_id = tab_id_of(in_app, public_id)
    stripe_api.mode = "error"

    response = staff.post_form(
        f"/staff/tabs/{tab_id}/close", {"deposit": "refund"}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "refund it by hand" in unescape(response.get_data(as_text=True))
    assert load_tab(in_app, public_id).deposit_status == "refunded"
    assert stripe_api.refunds == []


def test_deposit_taken_at_the_counter_meanwhile_sends_the_card_money_back(
    stripe_app, stripe_api, deposit_cafe, in_app
):
    _, public_id, session_id = deposit_checkout(stripe_app, deposit_cafe)
    staff = staff_of(stripe_app, deposit_cafe)
    tab_id = tab_id_of(in_app, public_id)
    assert staff.post_form(f"/staff/tabs/{tab_id}/deposit", {"method": "cash"}).status_code == 303

    answer = deliver(stripe_app.test_client(), stripe_api.event(session_id))

    assert answer.json["outcome"].startswith("refused")
    tab = load_tab(in_app, public_id)
    assert (tab.deposit_status, tab.deposit_method) == ("held", "cash")
    assert checkouts(in_app) == [("deposit", 500, 0, "refused")]
    assert [r["amount"] for r in stripe_api.refunds] == [500]


def test_only_the_tabs_owner_pays_the_deposit(stripe_app, stripe_api, deposit_cafe, in_app):
    owner = stripe_app.test_client()
    public_id = open_tab(owner, deposit_cafe.table, "Ana")
    stranger = stripe_app.test_client()
    assert stranger.post_form(f"/tab/{public_id}/deposit/card").status_code == 403
    assert stripe_api.calls("POST", "/v1/checkout/sessions") == []


def test_no_deposit_button_without_stripe_or_without_a_deposit(
    app, deposit_cafe, cafe, phone, in_app, stripe_app
):
    public_id = open_tab(phone, deposit_cafe.table, "Ana")
    page = phone.get(f"/tab/{public_id}").get_data(as_text=True)
    assert "Deposit: €5.00" in page and BUTTON not in page  # Stripe is off on `app`
    assert phone.post_form(f"/tab/{public_id}/deposit/card").status_code == 404

    set_shop(in_app, cafe.shop, deposit_amount=0)
    card_phone = stripe_app.test_client()
    other = open_tab(card_phone, cafe.table)
    page = card_phone.get(f"/tab/{other}").get_data(as_text=True)
    assert BUTTON not in page
    refused = card_phone.post_form(f"/tab/{other}/deposit/card")
    assert refused.status_code == 409
    assert re.search("no deposit waiting", refused.get_data(as_text=True))
