"""Paying a tab by card online: the rules around a provider's checkout.

1. `plan_checkout` reads the tab and decides what to ask the provider for (or finds
   the checkout a double tap already opened). The view then ends the transaction,
   so no database lock is held while the provider is called.
2. `save_checkout` keeps the provider's answer.
3. `apply_stripe_event` is the only thing that marks a tab paid by card: a signed
   webhook saying the money was taken, for the exact amount, on a checkout we
   opened for that very tab. The customer's browser coming back proves nothing.

A deposit paid by card goes the same way with purpose "deposit": its webhook takes
the deposit (never paying the bill), and when the tab is later closed with the
deposit refunded, `deposit_refund` says what to give back through the provider.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import CheckoutSession, Shop, StripeEvent, Tab
from models.base import utcnow
from models.checkout import BILL, COMPLETED, CREATED, DEPOSIT, EXPIRED, REFUSED
from models.tab import DEPOSIT_REFUNDED, PAID
from services import Conflict, Refused
from services import payments as pay_service
from services.payment_providers import (
    STRIPE,
    CheckoutRequest,
    ProviderError,
    StartedCheckout,
    from_stripe_amount,
)
from services.payment_providers import refund as provider_refund
from services.payments import SHARE_ALL

log = logging.getLogger(__name__)

# Stripe keeps a checkout (and an idempotency key) for 24 hours; stop reusing ours a
# little before, so a customer is never sent to one about to lapse.
CHECKOUT_REUSE_FOR = timedelta(hours=23)

PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
EXPIRED_EVENTS = ("checkout.session.expired", "checkout.session.async_payment_failed")


@dataclass(frozen=True)
class CheckoutPlan:
    """What to ask the provider for, in plain values (the view ends the transaction
    before calling out, which expires the rows)."""

    shop_id: int
    tab_id: int
    provider: str
    phone_id: str | None
    amount: int
    tip: int
    currency: str
    request: CheckoutRequest
    reuse_url: str | None = None  # a live checkout for this very bill already exists
    purpose: str = BILL


def plan_checkout(
    tab: Tab,
    provider_name: str,
    *,
    phone_id: str | None,
    success_url: str,
    cancel_url: str,
) -> CheckoutPlan:
    if tab.status == PAID:
        raise Conflict("This tab is already paid.")
    if not tab.is_live:
        raise Conflict("This tab is closed.")
    # What is still owed after the deposit and any shares already paid.
    amount, tip = pay_service.part_for(tab, SHARE_ALL, strict=False).due, 0
    if amount <= 0:
        raise Refused("There is nothing on this tab to pay for yet.")

    # The same bill (tab version and amount) gives the same key, so a double tap, a
    # retry or a second request racing this one all get one checkout. A changed bill
    # gives a new key; so does a checkout that lapsed (the attempt number). The tab's
    # public id, never reused, keeps keys apart even if a restored database reuses ids.
    base = f"tabby-{tab.shop_id}-{tab.public_id}-v{tab.version}-{amount}-{tip}"
    return _plan(
        tab,
        provider_name,
        BILL,
        base,
        amount,
        tip,
        description=f"Tab at {tab.shop.name}",
        phone_id=phone_id,
        success_url=success_url,
        cancel_url=cancel_url,
    )


def plan_deposit_checkout(
    tab: Tab,
    provider_name: str,
    *,
    phone_id: str | None,
    success_url: str,
    cancel_url: str,
) -> CheckoutPlan:
    """The deposit, paid by card by the phone that opened the tab (it comes off that
    phone's part of the bill)."""
    if not tab.is_live:
        raise Conflict("This tab is closed.")
    if not tab.deposit_pending or tab.deposit_amount <= 0:
        raise Conflict("There is no deposit waiting on this tab.")
    if not phone_id or phone_id != tab.phone_id:
        raise Refused("Only the phone that opened the tab pays its deposit.")
    # The deposit never changes once asked for, so orders added meanwhile keep the key.
    base = f"tabby-{tab.shop_id}-{tab.public_id}-deposit-{tab.deposit_amount}"
    return _plan(
        tab,
        provider_name,
        DEPOSIT,
        base,
        tab.deposit_amount,
        0,
        description=f"Deposit at {tab.shop.name}",
        phone_id=phone_id,
        success_url=success_url,
        cancel_url=cancel_url,
    )


def _plan(
    tab: Tab,
    provider_name: str,
    purpose: str,
    base: str,
    amount: int,
    tip: int,
    *,
    description: str,
    phone_id: str | None,
    success_url: str,
    cancel_url: str,
) -> CheckoutPlan:
    earlier = (
        db.session.execute(
            select(CheckoutSession)
            .where(
                CheckoutSession.shop_id == tab.shop_id,
                CheckoutSession.tab_id == tab.id,
                CheckoutSession.idempotency_key.startswith(base + "-", autoescape=True),
            )
            .order_by(CheckoutSession.id.desc())
        )
        .scalars()
        .all()
    )
    now = utcnow()
    reuse = None
    if earlier and earlier[0].status == CREATED and earlier[0].expires_at > now:
        reuse = earlier[0].url
    key = f"{base}-{len(earlier)}"
    return CheckoutPlan(
        shop_id=tab.shop_id,
        tab_id=tab.id,
        provider=provider_name,
        phone_id=phone_id,
        amount=amount,
        tip=tip,
        currency=tab.currency,
        reuse_url=reuse,
        purpose=purpose,
        request=CheckoutRequest(
            amount=amount + tip,
            currency=tab.currency,
            description=description,
            success_url=success_url,
            cancel_url=cancel_url,
            reference=tab.public_id,
            idempotency_key=key,
            expires_at=now + CHECKOUT_REUSE_FOR,
            metadata={
                "shop_id": str(tab.shop_id),
                "tab_id": str(tab.id),
                "checkout": key,
                "purpose": purpose,
            },
        ),
    )


def save_checkout(plan: CheckoutPlan, started: StartedCheckout) -> CheckoutSession:
    """Keep the checkout the provider opened; a racing request may have kept it first."""
    row = CheckoutSession(
        shop_id=plan.shop_id,
        tab_id=plan.tab_id,
        provider=plan.provider,
        provider_session_id=started.session_id,
        idempotency_key=plan.request.idempotency_key,
        url=started.url,
        amount=plan.amount,
        tip=plan.tip,
        currency=plan.currency,
        purpose=plan.purpose,
        payment_intent=started.payment_intent,
        phone_id=plan.phone_id,
        expires_at=plan.request.expires_at,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        row = db.session.execute(
            select(CheckoutSession).where(
                CheckoutSession.idempotency_key == plan.request.idempotency_key
            )
        ).scalar_one_or_none()
        if row is None or row.provider_session_id != started.session_id:
            raise Conflict("This payment was just started elsewhere; please try again.") from None
    return row


def latest_checkout(tab: Tab, purpose: str = BILL) -> CheckoutSession | None:
    return db.session.execute(
        select(CheckoutSession)
        .where(
            CheckoutSession.shop_id == tab.shop_id,
            CheckoutSession.tab_id == tab.id,
            CheckoutSession.purpose == purpose,
        )
        .order_by(CheckoutSession.id.desc())
        .limit(1)
    ).scalar_one_or_none()


# -- the webhook ---------------------------------------------------------------------


@dataclass
class EventOutcome:
    outcome: str
    refund: tuple[str, int, str] | None = None  # (reference, Stripe amount, key)


def _claim_event(event: dict, shop_id: int | None, outcome: str) -> bool:
    """Record the event as handled; False if it already was (a replay).

    The unique event id makes two deliveries racing each other wait for one another
    (PostgreSQL) or run one after the other (SQLite), and the loser stops here.
    """
    try:
        with db.session.begin_nested():
            db.session.add(
                StripeEvent(
                    event_id=str(event.get("id", ""))[:255],
                    event_type=str(event.get("type", ""))[:80],
                    shop_id=shop_id,
                    outcome=outcome[:200],
                )
            )
            db.session.flush()
    except IntegrityError:
        return False
    return True


def already_handled(event_id: str) -> bool:
    return (
        db.session.execute(
            select(StripeEvent.id).where(StripeEvent.event_id == event_id)
        ).scalar_one_or_none()
        is not None
    )


def _checkout_for(session: dict) -> tuple[CheckoutSession | None, str]:
    """Our checkout row for the provider's session, or None and why not."""
    session_id = session.get("id")
    if not isinstance(session_id, str) or not session_id:
        return None, "no session id"
    row = db.session.execute(
        select(CheckoutSession).where(CheckoutSession.provider_session_id == session_id)
    ).scalar_one_or_none()
    if row is None:
        return None, f"unknown checkout {session_id}"
    # Everything the session says about whose bill it is must agree with what we
    # stored when we opened it; a tab is only ever paid by its own checkout.
    metadata = session.get("metadata") or {}
    tab = db.session.get(Tab, row.tab_id)
    expected = {
        "shop_id": str(row.shop_id),
        "tab_id": str(row.tab_id),
        "checkout": row.idempotency_key,
    }
    if (
        tab is None
        or tab.shop_id != row.shop_id
        or any(metadata.get(k) != v for k, v in expected.items())
        or session.get("client_reference_id") != tab.public_id
    ):
        return None, f"checkout {session_id} does not match its tab"
    return row, ""


def apply_stripe_event(event: dict) -> EventOutcome:
    """Act on one verified Stripe event, at most once per event id and once per checkout.

    Raises Refused/Conflict only from record_payment, when the money arrived but the tab
    cannot take it; the caller then rolls back and calls `refuse_checkout`.
    """
    event_id = str(event.get("id", ""))
    kind = str(event.get("type", ""))
    session = (event.get("data") or {}).get("object") or {}
    if kind not in PAID_EVENTS + EXPIRED_EVENTS:
        _claim_event(event, None, "not handled")
        return EventOutcome("not handled")
    if already_handled(event_id):
        return EventOutcome("replayed")

    row, problem = _checkout_for(session)
    if row is None:
        log.warning("stripe event %s (%s) ignored: %s", event_id, kind, problem)
        _claim_event(event, None, f"ignored: {problem}")
        return EventOutcome(f"ignored: {problem}")
    if not _claim_event(event, row.shop_id, "handling"):
        return EventOutcome("replayed")

    if kind in EXPIRED_EVENTS:
        db.session.execute(
            update(CheckoutSession)
            .where(CheckoutSession.id == row.id, CheckoutSession.status == CREATED)
            .values(status=EXPIRED)
        )
        return _finish(event_id, "expired")

    if session.get("payment_status") != "paid":
        # A delayed method (a bank debit): async_payment_succeeded follows if it clears.
        return _finish(event_id, "waiting for the payment to clear")

    currency = str(session.get("currency") or "")
    paid = session.get("amount_total")
    if (
        currency.upper() != row.currency
        or not isinstance(paid, int)
        or from_stripe_amount(paid, currency) != row.charged
    ):
        log.error(
            "stripe event %s: checkout %s paid %r %s, expected %s %s",
            event_id, row.provider_session_id, paid, currency, row.charged, row.currency,
        )  # fmt: skip
        return _finish(event_id, "ignored: amount does not match")

    # Conditional on the status, so `completed` and `async_payment_succeeded` for one
    # checkout (or two deliveries of either) record one payment between them.
    result = db.session.execute(
        update(CheckoutSession)
        .where(CheckoutSession.id == row.id, CheckoutSession.status.in_((CREATED, EXPIRED)))
        .values(status=COMPLETED, completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return _finish(event_id, "checkout already completed")
    tab = db.session.get(Tab, row.tab_id)
    intent = session.get("payment_intent")
    intent = intent if isinstance(intent, str) else row.payment_intent
    if row.purpose == DEPOSIT:
        # Takes the deposit only: the bill stays to pay. Raises (and the money goes
        # back) if staff took the deposit at the counter meanwhile or the tab closed.
        if row.amount != tab.deposit_amount:
            raise Refused("The deposit asked for changed.")
        pay_service.confirm_deposit(tab, None, "card", provider=row.provider)
        db.session.execute(
            update(CheckoutSession)
            .where(CheckoutSession.id == row.id)
            .values(payment_intent=intent)
            .execution_options(synchronize_session=False)
        )
        return _finish(event_id, "deposit taken")
    payment = pay_service.record_payment(
        tab, row.amount, row.tip, "card", provider="stripe", payer_phone_id=row.phone_id
    )
    db.session.execute(
        update(CheckoutSession)
        .where(CheckoutSession.id == row.id)
        .values(payment_id=payment.id, payment_intent=intent)
        .execution_options(synchronize_session=False)
    )
    return _finish(event_id, "paid")


def _finish(event_id: str, outcome: str) -> EventOutcome:
    db.session.execute(
        update(StripeEvent).where(StripeEvent.event_id == event_id).values(outcome=outcome)
    )
    return EventOutcome(outcome)


def refuse_checkout(event: dict, reason: str) -> EventOutcome:
    """The card was charged but the tab could not take the payment (its bill changed
    after the checkout opened, or it was settled at the counter meanwhile). Keep the
    event as handled and say what to refund; the caller refunds after commit."""
    session = (event.get("data") or {}).get("object") or {}
    row, problem = _checkout_for(session)
    if row is None:
        _claim_event(event, None, f"ignored: {problem}")
        return EventOutcome(f"ignored: {problem}")
    if not _claim_event(event, row.shop_id, f"refused: {reason}"):
        return EventOutcome("replayed")
    result = db.session.execute(
        update(CheckoutSession)
        .where(CheckoutSession.id == row.id, CheckoutSession.status.in_((CREATED, EXPIRED)))
        .values(status=REFUSED, completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return EventOutcome("checkout already completed")
    shop = db.session.get(Shop, row.shop_id)
    log.warning(
        "stripe: checkout %s for tab %s at %s refused (%s); refunding",
        row.provider_session_id, row.tab_id, shop.slug if shop else row.shop_id, reason,
    )  # fmt: skip
    intent = session.get("payment_intent")
    reference = intent if isinstance(intent, str) and intent else row.provider_session_id
    return EventOutcome(
        f"refused: {reason}",
        refund=(reference, int(session.get("amount_total") or 0), f"refund-{row.idempotency_key}"),
    )


# -- giving a card deposit back ------------------------------------------------------


@dataclass(frozen=True)
class DepositRefund:
    """A deposit taken by card to give back once the tab's closing is committed."""

    tab_id: int
    reference: str  # the payment intent, or the checkout session when none was kept
    amount: int  # our minor units
    currency: str
    idempotency_key: str


def deposit_refund(tab: Tab) -> DepositRefund | None:
    """What to refund through the provider now that `tab` was closed with its deposit
    refunded; None when the deposit was taken at the counter (staff hand it back)."""
    if tab.deposit_status != DEPOSIT_REFUNDED or tab.deposit_method != STRIPE:
        return None
    row = db.session.execute(
        select(CheckoutSession)
        .where(
            CheckoutSession.shop_id == tab.shop_id,
            CheckoutSession.tab_id == tab.id,
            CheckoutSession.purpose == DEPOSIT,
            CheckoutSession.status == COMPLETED,
        )
        .order_by(CheckoutSession.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        log.error("stripe: tab %s refunds a card deposit but has no paid checkout", tab.id)
        return None
    return DepositRefund(
        tab_id=tab.id,
        reference=row.payment_intent or row.provider_session_id,
        amount=row.amount,
        currency=row.currency,
        # One refund per checkout, however often this is retried.
        idempotency_key=f"deposit-refund-{row.idempotency_key}",
    )


def send_deposit_refund(refund: DepositRefund) -> bool:
    """Ask the provider for the money back; call after commit, never inside a
    transaction. False (and logged for a refund by hand) when it did not go through."""
    try:
        result = provider_refund(
            refund.reference,
            refund.amount,
            currency=refund.currency,
            idempotency_key=refund.idempotency_key,
        )
    except ProviderError as error:
        log.error(
            "stripe: deposit refund for tab %s (%s) failed; refund it by hand: %s",
            refund.tab_id, refund.reference, error,
        )  # fmt: skip
        return False
    log.info(
        "stripe: deposit for tab %s refunded: %s (%s)",
        refund.tab_id, result.refund_id, result.status,
    )  # fmt: skip
    return True
