"""Paying by card: opening a Stripe Checkout session from the bill.

The Stripe API is a local stand-in (tests/stripe_standin.py) that checks what Tabby
sends; a tab is only ever marked paid by the signed webhook (test_stripe_webhook.py).
"""

import threading
from html import unescape

from sqlalchemy import func, select

from extensions import db
from live import PHONE_COOKIE
from models import CheckoutSession, Payment
from tests.helpers import load_tab, open_tab, order, tab_snapshot
from tests.pay_helpers import set_shop
from tests.stripe_standin import SECRET_KEY, deliver, session_id_from


def ordered_tab(stripe_app, cafe, *items):
    phone = stripe_app.test_client()
    public_id = open_tab(phone, cafe.table)
    for item in items or (cafe.flat_white, cafe.croissant):
        assert order(phone, public_id, item).status_code == 303
    return phone, public_id


def count(in_app, model) -> int:
    return in_app(lambda: db.session.execute(select(func.count()).select_from(model)).scalar())


def test_pay_by_card_opens_a_checkout_for_the_bill(stripe_app, stripe_api, cafe, in_app):
    phone, public_id = ordered_tab(stripe_app, cafe)
    bill = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert "Pay by card" in bill

    response = phone.post_form(f"/tab/{public_id}/pay/card")

    assert response.status_code == 303
    assert response.location.startswith(f"{stripe_api.url}/pay/cs_test_")
    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    assert call.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert call.headers["Idempotency-Key"]
    p = call.params
    assert p["mode"] == "payment"
    [line] = p["line_items"]
    assert line["quantity"] == "1"
    assert line["price_data"]["unit_amount"] == "660"  # 3.80 + 2.80 in cents
    assert line["price_data"]["currency"] == "eur"
    assert line["price_data"]["product_data"]["name"] == f"Tab at {cafe.shop.name}"
    assert p["client_reference_id"] == public_id
    assert p["success_url"] == f"http://localhost/tab/{public_id}/pay/card/done"
    assert p["cancel_url"] == f"http://localhost/tab/{public_id}/pay/card/cancelled"
    tab = load_tab(in_app, public_id)
    assert p["metadata"] == {
        "shop_id": str(cafe.shop.id),
        "tab_id": str(tab.id),
        "checkout": call.headers["Idempotency-Key"],
        "purpose": "bill",
    }
    # Opening a checkout takes no money and changes nothing on the tab.
    assert tab.status == "open" and tab.payments == []
    rows = in_app(lambda: db.session.execute(select(CheckoutSession)).scalars().all())
    assert [(r.provider, r.amount, r.currency, r.status) for r in rows] == [
        ("stripe", 660, "EUR", "created")
    ]
    assert rows[0].provider_session_id == session_id_from(response.location)


def test_paid_once_with_the_right_amount(stripe_app, stripe_api, cafe, in_app):
    phone, public_id = ordered_tab(stripe_app, cafe)
    location = phone.post_form(f"/tab/{public_id}/pay/card").location

    answer = deliver(stripe_app.test_client(), stripe_api.event(session_id_from(location)))

    assert answer.status_code == 200 and answer.json["outcome"] == "paid"
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert [(p.method, p.amount, p.tip, p.currency, p.staff_id) for p in tab.payments] == [
        ("card", 660, 0, "EUR", None)
    ]
    receipt = phone.get(f"/tab/{public_id}/receipt").get_data(as_text=True)
    assert "Paid by card" in receipt
    # The bill of a paid tab no longer offers to pay.
    assert phone.get(f"/tab/{public_id}/bill").status_code == 302
    again = phone.post_form(f"/tab/{public_id}/pay/card")
    assert (again.status_code, again.location) == (303, f"/tab/{public_id}/receipt")


def test_double_tap_opens_one_checkout(stripe_app, stripe_api, cafe, in_app):
    phone, public_id = ordered_tab(stripe_app, cafe)
    first = phone.post_form(f"/tab/{public_id}/pay/card")
    second = phone.post_form(f"/tab/{public_id}/pay/card")
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert len(stripe_api.sessions) == 1
    assert count(in_app, CheckoutSession) == 1


def test_simultaneous_taps_share_one_session_through_the_idempotency_key(
    stripe_app, stripe_api, cafe, in_app
):
    phone, public_id = ordered_tab(stripe_app, cafe)
    cookie = phone.get_cookie(PHONE_COOKIE).value
    stripe_api.mode, stripe_api.delay = "slow", 0.3  # both requests reach Stripe
    results = []

    def tap():
        client = stripe_app.test_client()
        client.set_cookie(PHONE_COOKIE, cookie)
        client.get(f"/tab/{public_id}/bill")
        results.append(client.post_form(f"/tab/{public_id}/pay/card"))

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status_code for r in results] == [303, 303]
    assert results[0].location == results[1].location
    calls = stripe_api.calls("POST", "/v1/checkout/sessions")
    assert {c.headers["Idempotency-Key"] for c in calls} == {calls[0].headers["Idempotency-Key"]}
    assert len(stripe_api.sessions) == 1
    assert count(in_app, CheckoutSession) == 1


def test_a_changed_bill_gets_a_new_checkout(stripe_app, stripe_api, cafe, in_app):
    phone, public_id = ordered_tab(stripe_app, cafe)
    first = phone.post_form(f"/tab/{public_id}/pay/card").location
    order(phone, public_id, cafe.flat_white)
    second = phone.post_form(f"/tab/{public_id}/pay/card").location
    assert first != second
    amounts = [
        c.params["line_items"][0]["price_data"]["unit_amount"]
        for c in stripe_api.calls("POST", "/v1/checkout/sessions")
    ]
    assert amounts == ["660", "1040"]


def test_zero_decimal_currency_is_sent_as_is(make_shop, stripe_app, stripe_api):
    seoul = make_shop(currency="KRW", locale="ko_KR", timezone="Asia/Seoul")
    phone, public_id = ordered_tab(stripe_app, seoul, seoul.flat_white)
    assert phone.post_form(f"/tab/{public_id}/pay/card").status_code == 303
    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    price = call.params["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == ("krw", "380")


def test_nothing_to_pay_is_refused(stripe_app, stripe_api, cafe):
    phone = stripe_app.test_client()
    public_id = open_tab(phone, cafe.table)
    response = phone.post_form(f"/tab/{public_id}/pay/card")
    assert response.status_code == 400
    assert "nothing on this tab" in response.get_data(as_text=True)
    assert stripe_api.requests == []


def test_another_phone_cannot_pay_my_tab(stripe_app, stripe_api, cafe):
    _, public_id = ordered_tab(stripe_app, cafe)
    stranger = stripe_app.test_client()
    assert stranger.post_form(f"/tab/{public_id}/pay/card").status_code == 403
    assert stripe_api.requests == []


def test_stripe_down_gives_a_clear_message_and_records_nothing(
    stripe_app, stripe_api, cafe, in_app
):
    phone, public_id = ordered_tab(stripe_app, cafe)
    before = tab_snapshot(in_app, public_id)
    stripe_api.mode = "error"

    response = phone.post_form(f"/tab/{public_id}/pay/card")

    assert response.status_code == 503
    assert "Card payment isn't working right now" in unescape(response.get_data(as_text=True))
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 1
    assert count(in_app, CheckoutSession) == 0
    assert tab_snapshot(in_app, public_id) == before


def test_stripe_too_slow_gives_a_clear_message_and_records_nothing(
    stripe_app, stripe_api, cafe, in_app
):
    phone, public_id = ordered_tab(stripe_app, cafe)
    before = tab_snapshot(in_app, public_id)
    stripe_api.mode, stripe_api.delay = "slow", 3  # the app gives up after 2 s

    response = phone.post_form(f"/tab/{public_id}/pay/card")

    assert response.status_code == 503
    assert "pay at the counter" in response.get_data(as_text=True)
    assert count(in_app, CheckoutSession) == 0
    assert tab_snapshot(in_app, public_id) == before
    # Once Stripe answers again, paying works.
    stripe_api.mode = "ok"
    assert phone.post_form(f"/tab/{public_id}/pay/card").status_code == 303


def test_disabled_without_keys_no_button_and_routes_404(app, cafe, new_client):
    phone = new_client()
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)
    bill = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert "Pay at the counter" in bill
    assert "Pay by card" not in bill and "/pay/card" not in bill
    assert phone.post_form(f"/tab/{public_id}/pay/card").status_code == 404
    assert phone.get(f"/tab/{public_id}/pay/card/done").status_code == 404
    assert phone.get(f"/tab/{public_id}/pay/card/cancelled").status_code == 404
    assert phone.post("/stripe/webhook", data=b"{}").status_code == 404


def test_one_key_alone_does_not_enable_stripe(make_app, cafe):
    half = make_app(STRIPE_SECRET_KEY=SECRET_KEY)
    phone = half.test_client()
    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)
    assert "Pay by card" not in phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert phone.post_form(f"/tab/{public_id}/pay/card").status_code == 404


def test_cancel_page_leaves_the_tab_open(stripe_app, stripe_api, cafe, in_app):
    phone, public_id = ordered_tab(stripe_app, cafe)
    phone.post_form(f"/tab/{public_id}/pay/card")
    page = phone.get(f"/tab/{public_id}/pay/card/cancelled")
    assert page.status_code == 200
    assert "Nothing was charged" in page.get_data(as_text=True)
    assert load_tab(in_app, public_id).status == "open"
    assert count(in_app, Payment) == 0


def test_where_prices_exclude_tax_the_checkout_asks_for_the_bill_with_its_tax(
    stripe_app, stripe_api, cafe, in_app
):
    set_shop(in_app, cafe.shop, prices_include_tax=False, tax_rate=8875)
    phone, public_id = ordered_tab(stripe_app, cafe)

    assert phone.post_form(f"/tab/{public_id}/pay/card").status_code == 303

    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    # 6.60 of prices and 8.875 % of it (0.59) on top.
    assert call.params["line_items"][0]["price_data"]["unit_amount"] == "719"
    assert load_tab(in_app, public_id).total == 719
