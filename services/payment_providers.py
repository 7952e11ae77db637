"""Who takes the money: a small interface with two providers.

- `counter`: the foundation's way. Staff take cash or card at the counter and record
  it (services.tabs.record_payment); nothing happens online.
- `stripe`: Stripe Checkout through the official library. On only when both
  STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set. A checkout being opened, or the
  customer's browser coming back from it, proves nothing; only the signed webhook
  does (services.checkout).

Providers talk to the outside world and never touch the database, so the rules in
services.checkout decide what is recorded, and calls to the provider never hold a
database transaction open.
"""

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app

from money import minor_digits

log = logging.getLogger(__name__)

COUNTER = "counter"
STRIPE = "stripe"


class ProviderError(Exception):
    """The provider could not do what was asked (down, slow, refused); nothing happened
    on our side. `message` is fit to show a customer."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(detail or message)
        self.message = message


class SignatureError(Exception):
    """A webhook whose signature does not verify: not from the provider."""


@dataclass(frozen=True)
class CheckoutRequest:
    amount: int  # what to charge, in the currency's minor units (tip included)
    currency: str  # ISO 4217, any case
    description: str  # the single line the customer sees, e.g. "Tab at Corner Café"
    success_url: str
    cancel_url: str
    reference: str  # the tab's public id
    idempotency_key: str
    expires_at: datetime
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StartedCheckout:
    session_id: str
    url: str
    payment_intent: str | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_id: str | None
    status: str  # the provider's word: "succeeded", "pending", ... or "at_counter"
    amount: int | None


class PaymentProvider(ABC):
    name: str
    online: bool  # takes the money itself (True) or leaves it to staff (False)

    @abstractmethod
    def create_checkout(self, request: CheckoutRequest) -> StartedCheckout: ...

    @abstractmethod
    def refund(
        self, reference: str, amount: int | None = None, *, idempotency_key: str | None = None
    ) -> RefundResult: ...


class CounterProvider(PaymentProvider):
    """Money changes hands at the counter; staff record it and hand back any refund."""

    name = COUNTER
    online = False

    def create_checkout(self, request: CheckoutRequest) -> StartedCheckout:
        raise ProviderError("Please pay at the counter.")

    def refund(
        self, reference: str, amount: int | None = None, *, idempotency_key: str | None = None
    ) -> RefundResult:
        return RefundResult(refund_id=None, status="at_counter", amount=amount)


# Stripe's own list of currencies whose API amounts have no minor unit, and those with
# three; every other currency is sent in hundredths. ISO 4217 agrees for most, not all
# (ISK has no minor unit in ISO, but Stripe still wants hundredths).
_STRIPE_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
_STRIPE_THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def _stripe_digits(currency: str) -> int:
    code = currency.upper()
    if code in _STRIPE_ZERO_DECIMAL:
        return 0
    if code in _STRIPE_THREE_DECIMAL:
        return 3
    return 2


def to_stripe_amount(amount: int, currency: str) -> int:
    """Our minor units (ISO 4217 digits) → the integer Stripe's API expects."""
    shift = _stripe_digits(currency) - minor_digits(currency.upper())
    if shift >= 0:
        return amount * 10**shift
    scale = 10**-shift
    if amount % scale:
        raise ProviderError(f"Card payment can't take this amount in {currency.upper()}.")
    return amount // scale


def from_stripe_amount(amount: int, currency: str) -> int:
    shift = _stripe_digits(currency) - minor_digits(currency.upper())
    return amount // 10**shift if shift >= 0 else amount * 10**-shift


UNAVAILABLE = "Card payment isn't working right now. Please try again, or pay at the counter."


class StripeProvider(PaymentProvider):
    name = STRIPE
    online = True

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        api_base: str | None = None,
        timeout: float = 10,
        max_retries: int = 2,
    ):
        import stripe

        self.webhook_secret = webhook_secret
        # A client object of our own rather than the library's module-level settings,
        # so two apps (or tests) in one process never share a key or an address.
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def create_checkout(self, request: CheckoutRequest) -> StartedCheckout:
        import stripe

        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": to_stripe_amount(request.amount, request.currency),
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "client_reference_id": request.reference,
            "metadata": dict(request.metadata),
            "payment_intent_data": {"metadata": dict(request.metadata)},
            "expires_at": int(request.expires_at.timestamp()),
        }
        try:
            session = self.client.v1.checkout.sessions.create(
                params, {"idempotency_key": request.idempotency_key}
            ).to_dict()
        except stripe.StripeError as error:
            log.error("stripe: checkout for %s failed: %s", request.reference, error)
            raise ProviderError(UNAVAILABLE, str(error)) from error
        if not session.get("id") or not session.get("url"):
            log.error("stripe: checkout for %s came back without id or url", request.reference)
            raise ProviderError(UNAVAILABLE, "no session id or url")
        intent = session.get("payment_intent")
        return StartedCheckout(
            session_id=session["id"],
            url=session["url"],
            payment_intent=intent if isinstance(intent, str) else None,
        )

    def refund(
        self, reference: str, amount: int | None = None, *, idempotency_key: str | None = None
    ) -> RefundResult:
        """Give money back for a checkout session (`cs_…`) or a payment intent (`pi_…`).

        `amount` is in Stripe's units for the charge's currency (None: all of it). The
        idempotency key makes a retried refund a no-op instead of a second refund.
        """
        import stripe

        try:
            intent = reference
            if reference.startswith("cs_"):
                session = self.client.v1.checkout.sessions.retrieve(reference).to_dict()
                intent = session.get("payment_intent")
                if not isinstance(intent, str) or not intent:
                    raise ProviderError("This checkout has no payment to refund.")
            params = {"payment_intent": intent}
            if amount is not None:
                params["amount"] = amount
            options = {"idempotency_key": idempotency_key} if idempotency_key else {}
            refund = self.client.v1.refunds.create(params, options).to_dict()
        except stripe.StripeError as error:
            log.error("stripe: refund of %s failed: %s", reference, error)
            raise ProviderError("The refund didn't go through; try again.", str(error)) from error
        return RefundResult(
            refund_id=refund.get("id"), status=refund.get("status", ""), amount=refund.get("amount")
        )

    def verify_event(self, payload: bytes, signature: str | None):
        """The event, if `signature` is Stripe's for this exact body; else SignatureError."""
        import stripe

        try:
            return stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise SignatureError(str(error)) from error


# -- which providers this app has -------------------------------------------------


def stripe_enabled(config) -> bool:
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"))


def stripe_provider(app: Flask | None = None) -> StripeProvider | None:
    """This app's Stripe provider, made once per app; None when Stripe is off."""
    app = app or current_app._get_current_object()
    if not stripe_enabled(app.config):
        return None
    provider = app.extensions.get("tabby_stripe")
    if provider is None:
        provider = StripeProvider(
            app.config["STRIPE_SECRET_KEY"],
            app.config["STRIPE_WEBHOOK_SECRET"],
            api_base=app.config.get("STRIPE_API_BASE"),
            timeout=app.config.get("STRIPE_TIMEOUT", 10),
            max_retries=app.config.get("STRIPE_MAX_RETRIES", 2),
        )
        app.extensions["tabby_stripe"] = provider
    return provider


def provider(name: str, app: Flask | None = None) -> PaymentProvider:
    """The provider called `name`; the deposit and split flows look theirs up here."""
    if name == COUNTER:
        return CounterProvider()
    if name == STRIPE:
        found = stripe_provider(app)
        if found is not None:
            return found
    raise ProviderError("Card payment isn't available here. Please pay at the counter.")


def refund(
    reference: str,
    amount: int | None = None,
    *,
    currency: str | None = None,
    provider_name: str = STRIPE,
    idempotency_key: str | None = None,
) -> RefundResult:
    """Refund a card payment (e.g. a deposit when a tab is voided).

    `reference` is the checkout session or payment intent id; `amount` in our minor
    units of `currency` (None: the whole payment).
    """
    if amount is not None:
        if currency is None:
            raise ValueError("an amount to refund needs its currency")
        amount = to_stripe_amount(amount, currency)
    return provider(provider_name).refund(reference, amount, idempotency_key=idempotency_key)
