"""Refunds (for deposits) go through the same provider interface and library, and
amounts are sent in the units Stripe expects for each currency."""

import pytest

from services.payment_providers import (
    CounterProvider,
    ProviderError,
    from_stripe_amount,
    refund,
    to_stripe_amount,
)
from tests.stripe_standin import SECRET_KEY
from tests.test_stripe_webhook import card_checkout


def test_refund_part_of_a_checkout(stripe_app, stripe_api, cafe):
    _, _, session_id = card_checkout(stripe_app, cafe)
    with stripe_app.app_context():
        result = refund(session_id, 200, currency="EUR", idempotency_key="deposit-1")
    assert (result.status, result.amount) == ("succeeded", 200)
    assert result.refund_id.startswith("re_test_")
    [lookup] = stripe_api.calls("GET", f"/v1/checkout/sessions/{session_id}")
    assert lookup.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    [call] = stripe_api.calls("POST", "/v1/refunds")
    assert call.params == {
        "payment_intent": stripe_api.sessions[session_id]["payment_intent"],
        "amount": "200",
    }
    assert call.headers["Idempotency-Key"] == "deposit-1"


def test_refund_a_whole_payment_intent_once(stripe_app, stripe_api, cafe):
    _, _, session_id = card_checkout(stripe_app, cafe)
    intent = stripe_api.sessions[session_id]["payment_intent"]
    with stripe_app.app_context():
        first = refund(intent, idempotency_key="deposit-2")
        again = refund(intent, idempotency_key="deposit-2")
    assert first.refund_id == again.refund_id  # the retry was not a second refund
    assert len(stripe_api.refunds) == 1
    assert stripe_api.calls("POST", "/v1/refunds")[0].params == {"payment_intent": intent}


def test_refund_failure_is_reported(stripe_app, stripe_api, cafe):
    _, _, session_id = card_checkout(stripe_app, cafe)
    stripe_api.mode = "error"
    with stripe_app.app_context(), pytest.raises(ProviderError):
        refund(session_id, 100, currency="EUR")
    assert stripe_api.refunds == []


def test_refund_without_stripe_is_refused(app):
    with app.app_context(), pytest.raises(ProviderError):
        refund("pi_test_x", 100, currency="EUR")


def test_counter_refund_is_handed_back_by_staff():
    result = CounterProvider().refund("tab-1", 500)
    assert (result.status, result.amount) == ("at_counter", 500)
    with pytest.raises(ProviderError):
        CounterProvider().create_checkout(None)


@pytest.mark.parametrize(
    "amount, currency, sent",
    [
        (380, "EUR", 380),  # cents
        (4500, "KRW", 4500),  # no minor unit: already what Stripe wants
        (500, "JPY", 500),
        (1200, "ISK", 120000),  # no minor unit in ISO, hundredths for Stripe
        (1500, "BHD", 1500),  # fils: three digits in both
    ],
)
def test_amounts_in_stripes_units(amount, currency, sent):
    assert to_stripe_amount(amount, currency) == sent
    assert to_stripe_amount(amount, currency.lower()) == sent
    assert from_stripe_amount(sent, currency) == amount
