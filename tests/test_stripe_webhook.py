"""Stripe's webhook is the only thing that marks a tab paid by card, once, and only
when it is signed by Stripe and names a checkout we opened for that very tab."""

import json
import threading
import time

from sqlalchemy import select

from extensions import db
from models import CheckoutSession, Payment, StripeEvent
from tests.helpers import load_tab, open_tab, order
from tests.stripe_standin import deliver, session_id_from, sign


def card_checkout(stripe_app, shop):
    """A phone with a tab of 6.60 that tapped "Pay by card"; returns (phone, tab id,
    checkout session id)."""
    phone = stripe_app.test_client()
    public_id = open_tab(phone, shop.table)
    order(phone, public_id, shop.flat_white)
    order(phone, public_id, shop.croissant)
    response = phone.post_form(f"/tab/{public_id}/pay/card")
    assert response.status_code == 303
    return phone, public_id, session_id_from(response.location)


def payments(in_app):
    return in_app(
        lambda: [
            (p.tab_id, p.amount, p.method)
            for p in db.session.execute(select(Payment)).scalars().all()
        ]
    )


def test_forged_signature_is_refused_and_the_tab_stays_unpaid(stripe_app, stripe_api, cafe, in_app):
    _, public_id, session_id = card_checkout(stripe_app, cafe)
    event = stripe_api.event(session_id)
    stripe = stripe_app.test_client()

    assert deliver(stripe, event, secret="whsec_someone_else").status_code == 400
    assert deliver(stripe, event, signature="t=1,v1=deadbeef").status_code == 400
    no_header = stripe.post(
        "/stripe/webhook", data=json.dumps(event), content_type="application/json"
    )
    assert no_header.status_code == 400
    # A genuine signature over a different body (amount edited after signing).
    signed = json.dumps(event).encode()
    event["data"]["object"]["amount_total"] = 1
    tampered = stripe.post(
        "/stripe/webhook",
        data=json.dumps(event),
        headers={"Stripe-Signature": sign(signed)},
        content_type="application/json",
    )
    assert tampered.status_code == 400
    # An old, captured signature is past Stripe's tolerance.
    stale = json.dumps(stripe_api.event(session_id)).encode()
    old = stripe.post(
        "/stripe/webhook",
        data=stale,
        headers={"Stripe-Signature": sign(stale, timestamp=int(time.time()) - 3600)},
        content_type="application/json",
    )
    assert old.status_code == 400

    assert load_tab(in_app, public_id).status == "open"
    assert payments(in_app) == []


def test_the_webhook_needs_no_csrf_token_but_a_browser_post_still_does(
    stripe_app, stripe_api, cafe, in_app
):
    phone, public_id, session_id = card_checkout(stripe_app, cafe)
    # The customer's pages stay CSRF-protected: no token, no checkout.
    assert phone.post(f"/tab/{public_id}/pay/card").status_code == 400
    assert deliver(stripe_app.test_client(), stripe_api.event(session_id)).status_code == 200


def test_replayed_event_records_one_payment(stripe_app, stripe_api, cafe, in_app):
    _, public_id, session_id = card_checkout(stripe_app, cafe)
    event = stripe_api.event(session_id)
    stripe = stripe_app.test_client()

    first = deliver(stripe, event)
    again = deliver(stripe, event)

    assert first.json["outcome"] == "paid"
    assert again.status_code == 200 and again.json["outcome"] == "replayed"
    tab = load_tab(in_app, public_id)
    assert [(p.amount, p.method) for p in tab.payments] == [(660, "card")]


def test_completed_and_async_succeeded_for_one_checkout_pay_once(
    stripe_app, stripe_api, cafe, in_app
):
    _, public_id, session_id = card_checkout(stripe_app, cafe)
    stripe = stripe_app.test_client()
    deliver(stripe, stripe_api.event(session_id))
    later = deliver(
        stripe, stripe_api.event(session_id, "checkout.session.async_payment_succeeded")
    )
    assert later.json["outcome"] == "checkout already completed"
    assert len(load_tab(in_app, public_id).payments) == 1


def test_delayed_payment_counts_only_when_it_clears(stripe_app, stripe_api, cafe, in_app):
    _, public_id, session_id = card_checkout(stripe_app, cafe)
    stripe = stripe_app.test_client()
    pending = deliver(stripe, stripe_api.event(session_id, payment_status="unpaid"))
    assert pending.status_code == 200
    assert load_tab(in_app, public_id).status == "open"
    deliver(stripe, stripe_api.event(session_id, "checkout.session.async_payment_succeeded"))
    assert load_tab(in_app, public_id).status == "paid"


def test_event_naming_another_shops_tab_pays_nothing(
    stripe_app, stripe_api, cafe, other_cafe, in_app
):
    _, mine, my_session = card_checkout(stripe_app, cafe)
    _, theirs, their_session = card_checkout(stripe_app, other_cafe)
    their_tab = load_tab(in_app, theirs)
    stripe = stripe_app.test_client()

    # My checkout, relabelled as the other shop's tab.
    relabelled = stripe_api.event(
        my_session,
        client_reference_id=theirs,
        metadata={
            "shop_id": str(other_cafe.shop.id),
            "tab_id": str(their_tab.id),
            "checkout": stripe_api.sessions[their_session]["metadata"]["checkout"],
        },
    )
    # A checkout we never opened, claiming to pay the other shop's tab.
    unknown = stripe_api.event(their_session, id="cs_test_not_ours")
    for event in (relabelled, unknown):
        answer = deliver(stripe, event)
        assert answer.status_code == 200
        assert answer.json["outcome"].startswith("ignored")

    assert load_tab(in_app, mine).status == "open"
    assert load_tab(in_app, theirs).status == "open"
    assert payments(in_app) == []
    outcomes = in_app(lambda: db.session.execute(select(StripeEvent.outcome)).scalars().all())
    assert all(o.startswith("ignored") for o in outcomes) and len(outcomes) == 2


def test_amount_that_does_not_match_the_checkout_pays_nothing(stripe_app, stripe_api, cafe, in_app):
    _, public_id, session_id = card_checkout(stripe_app, cafe)
    stripe = stripe_app.test_client()
    for wrong in ({"amount_total": 1}, {"currency": "gbp"}):
        answer = deliver(stripe, stripe_api.event(session_id, **wrong))
        assert answer.json["outcome"] == "ignored: amount does not match"
    assert load_tab(in_app, public_id).status == "open"
    assert payments(in_app) == []


def test_success_page_without_webhook_leaves_the_tab_unpaid(stripe_app, stripe_api, cafe, in_app):
    phone, public_id, _ = card_checkout(stripe_app, cafe)
    page = phone.get(f"/tab/{public_id}/pay/card/done?session_id=cs_test_whatever")
    assert page.status_code == 200
    assert "Confirming your payment" in page.get_data(as_text=True)
    phone.get(f"/tab/{public_id}/pay/card/done")
    assert load_tab(in_app, public_id).status == "open"
    assert payments(in_app) == []
    # The receipt is not there yet either.
    assert phone.get(f"/tab/{public_id}/receipt").status_code == 302


def test_success_page_after_the_webhook_goes_to_the_receipt(stripe_app, stripe_api, cafe):
    phone, public_id, session_id = card_checkout(stripe_app, cafe)
    deliver(stripe_app.test_client(), stripe_api.event(session_id))
    page = phone.get(f"/tab/{public_id}/pay/card/done")
    assert page.status_code == 302 and page.location.endswith(f"/tab/{public_id}/receipt")


def test_bill_changed_after_checkout_is_refunded_not_counted(stripe_app, stripe_api, cafe, in_app):
    phone, public_id, session_id = card_checkout(stripe_app, cafe)
    order(phone, public_id, cafe.flat_white)  # the bill is now 10.40, the checkout 6.60

    event = stripe_api.event(session_id)
    answer = deliver(stripe_app.test_client(), event)

    assert answer.status_code == 200 and answer.json["outcome"].startswith("refused")
    assert load_tab(in_app, public_id).status == "open"
    assert payments(in_app) == []
    [refund] = stripe_api.calls("POST", "/v1/refunds")
    assert refund.params == {
        "payment_intent": stripe_api.sessions[session_id]["payment_intent"],
        "amount": "660",
    }
    assert refund.headers["Idempotency-Key"]
    status = in_app(lambda: db.session.execute(select(CheckoutSession.status)).scalar_one())
    assert status == "refused"
    page = phone.get(f"/tab/{public_id}/pay/card/done").get_data(as_text=True)
    assert "Payment not taken" in page
    # A resend of the same event neither pays nor refunds again.
    assert deliver(stripe_app.test_client(), event).json["outcome"] == "replayed"
    assert len(stripe_api.calls("POST", "/v1/refunds")) == 1


def test_tab_paid_at_the_counter_meanwhile_refunds_the_card(
    stripe_app, stripe_api, cafe, login, in_app
):
    _, public_id, session_id = card_checkout(stripe_app, cafe)
    tab = load_tab(in_app, public_id)
    staff = login(cafe.staff)
    staff.get("/staff")
    taken = staff.post_form(
        f"/staff/tabs/{tab.id}/payment", {"method": "cash", "amount": "6.60", "tip": ""}
    )
    assert taken.status_code in (302, 303), taken.get_data(as_text=True)

    answer = deliver(stripe_app.test_client(), stripe_api.event(session_id))

    assert answer.json["outcome"].startswith("refused")
    assert [(p.method, p.amount) for p in load_tab(in_app, public_id).payments] == [("cash", 660)]
    assert len(stripe_refunds := stripe_api.refunds) == 1 and stripe_refunds[0]["amount"] == 660


def test_many_deliveries_at_once_record_one_payment(stripe_app, stripe_api, cafe, in_app):
    _, public_id, session_id = card_checkout(stripe_app, cafe)
    completed = stripe_api.event(session_id)
    succeeded = stripe_api.event(session_id, "checkout.session.async_payment_succeeded")
    start = threading.Barrier(12)
    answers = []

    def send(event):
        client = stripe_app.test_client()
        start.wait()
        answers.append(deliver(client, event).status_code)

    threads = [
        threading.Thread(target=send, args=(completed if i % 2 else succeeded,)) for i in range(12)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 12
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert [(p.amount, p.method) for p in tab.payments] == [(660, "card")]
    events = in_app(lambda: db.session.execute(select(StripeEvent.event_id)).scalars().all())
    assert sorted(events) == sorted([completed["id"], succeeded["id"]])


def test_events_we_do_not_handle_are_acknowledged(stripe_app, stripe_api, cafe, in_app):
    _, public_id, session_id = card_checkout(stripe_app, cafe)
    answer = deliver(stripe_app.test_client(), stripe_api.event(session_id, "charge.refunded"))
    assert answer.status_code == 200 and answer.json["outcome"] == "not handled"
    assert load_tab(in_app, public_id).status == "open"


def test_expired_checkout_is_not_reused(stripe_app, stripe_api, cafe, in_app):
    phone, public_id, session_id = card_checkout(stripe_app, cafe)
    deliver(stripe_app.test_client(), stripe_api.event(session_id, "checkout.session.expired"))
    again = phone.post_form(f"/tab/{public_id}/pay/card")
    assert session_id_from(again.location) != session_id
    statuses = in_app(
        lambda: (
            db.session.execute(select(CheckoutSession.status).order_by(CheckoutSession.id))
            .scalars()
            .all()
        )
    )
    assert statuses == ["expired", "created"]
