"""Paying by card online (Stripe Checkout) and Stripe's webhook.

Every route here is a 404 unless Stripe is configured, and the bill only offers
"Pay by card" when it is.
"""

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from blueprints.customer import moved_on, my_tab, phone_id
from extensions import csrf, db
from models.tab import PAID
from services import Conflict, Refused, unit_of_work
from services import checkout as checkout_service
from services.payment_providers import (
    STRIPE,
    ProviderError,
    SignatureError,
    stripe_enabled,
    stripe_provider,
)
from web.bodies import json_object

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__)
# A card payment asked for on a tab paid meanwhile leads to its receipt, as on the bill.
bp.register_error_handler(Conflict, moved_on)


@bp.before_request
def only_when_enabled():
    if not stripe_enabled(current_app.config):
        abort(404)


@bp.app_context_processor
def card_payment_flag():
    return {"card_payments": stripe_enabled(current_app.config)}


@bp.post("/tab/<token:public_id>/pay/card")
def pay_by_card(public_id: str):
    tab = my_tab(public_id)
    base = current_app.config["BASE_URL"]
    plan = checkout_service.plan_checkout(
        tab,
        STRIPE,
        phone_id=phone_id(),
        success_url=base + url_for(".card_done", public_id=public_id),
        cancel_url=base + url_for(".card_cancelled", public_id=public_id),
    )
    # End the transaction (and on SQLite its write lock) before calling out.
    db.session.rollback()
    if plan.reuse_url:
        return redirect(plan.reuse_url, code=303)
    try:
        started = stripe_provider().create_checkout(plan.request)
    except ProviderError as error:
        return render_template(
            "error.html", title="Card payment unavailable", message=error.message, status=503
        ), 503
    with unit_of_work():
        row = checkout_service.save_checkout(plan, started)
        url = row.url
    return redirect(url, code=303)


@bp.post("/tab/<token:public_id>/deposit/card")
def deposit_by_card(public_id: str):
    """The tab's owner pays the deposit by card instead of at the counter; the
    webhook takes it (and sends the orders to the bar), as for the bill."""
    tab = my_tab(public_id, with_lines=False)
    back = current_app.config["BASE_URL"] + url_for("customer.tab", public_id=public_id)
    plan = checkout_service.plan_deposit_checkout(
        tab, STRIPE, phone_id=phone_id(), success_url=back, cancel_url=back
    )
    db.session.rollback()  # no transaction held while Stripe is called
    if plan.reuse_url:
        return redirect(plan.reuse_url, code=303)
    try:
        started = stripe_provider().create_checkout(plan.request)
    except ProviderError as error:
        return render_template(
            "error.html", title="Card payment unavailable", message=error.message, status=503
        ), 503
    with unit_of_work():
        url = checkout_service.save_checkout(plan, started).url
    return redirect(url, code=303)


@bp.get("/tab/<token:public_id>/pay/card/done")
def card_done(public_id: str):
    """Where Stripe sends the customer back. It only shows what the webhook has told
    us so far; coming back here marks nothing paid."""
    tab = my_tab(public_id)
    if tab.status == PAID:
        return redirect(url_for("customer.receipt", public_id=public_id))
    checkout = checkout_service.latest_checkout(tab)
    return render_template("payments/card_done.html", tab=tab, shop=tab.shop, checkout=checkout)


@bp.get("/tab/<token:public_id>/pay/card/cancelled")
def card_cancelled(public_id: str):
    tab = my_tab(public_id)
    if tab.status == PAID:
        return redirect(url_for("customer.receipt", public_id=public_id))
    return render_template("payments/card_cancelled.html", tab=tab, shop=tab.shop)


def is_event(event: dict) -> bool:
    """The shape every Stripe event has, checked before anything reads it: a signed
    body is still only as well-formed as whoever holds the secret made it."""
    data = event.get("data")
    session = data.get("object") if isinstance(data, dict) else None
    event_id, kind = event.get("id"), event.get("type")
    return (
        isinstance(event_id, str)
        and 0 < len(event_id) <= 255
        and event_id.isprintable()
        and isinstance(kind, str)
        and len(kind) <= 80
        and isinstance(session, dict)
        and isinstance(session.get("metadata") or {}, dict)
    )


@bp.post("/stripe/webhook")
@csrf.exempt  # Stripe signs it instead; no browser session is involved
def stripe_webhook():
    payload = request.get_data(cache=False)
    try:
        # Our own reader first: Stripe's parser would crash on a deep or odd body.
        event = json_object(payload)
        stripe_provider().verify_event(payload, request.headers.get("Stripe-Signature"))
    except (SignatureError, ValueError, Refused) as error:
        log.warning("stripe webhook refused: %s", str(error)[:200])
        return jsonify(error="signature does not verify"), 400
    if not is_event(event):
        return jsonify(error="not an event"), 400

    try:
        with unit_of_work():
            outcome = checkout_service.apply_stripe_event(event)
    except Refused as refusal:
        with unit_of_work():
            outcome = checkout_service.refuse_checkout(event, refusal.message)
        if outcome.refund:
            reference, amount, key = outcome.refund
            try:
                stripe_provider().refund(reference, amount, idempotency_key=key)
            except ProviderError as error:
                log.error("stripe: refund for %s failed; refund it by hand: %s", reference, error)
    # Anything we chose not to act on is still a 200: Stripe would otherwise resend
    # it for days, and a resend changes nothing.
    return jsonify(received=True, outcome=outcome.outcome)
