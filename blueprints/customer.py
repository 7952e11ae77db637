"""What a customer's phone sees: the card they scanned, their tab, the menu, the bill.

A phone is known by a random id in a long-lived cookie; no account, no sign-up. A tab
answers only to the phone it belongs to.
"""

import re
import secrets
from itertools import groupby

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blueprints import wants_json
from extensions import db, limiter
from forms import EmptyForm, OpenTabForm, OrderForm, first_error
from models import Tab, TokenCard
from models.base import new_code
from models.tab import PAID
from services import Conflict, Refused, unit_of_work
from services import tabs as tab_service
from services.shops import menu_items

bp = Blueprint("customer", __name__)

PHONE_COOKIE = "tabby_phone"
PHONE_COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
_PHONE_ID = re.compile(r"^[A-Za-z0-9_-]{22,43}$")


def phone_id() -> str | None:
    value = request.cookies.get(PHONE_COOKIE, "")
    return value if _PHONE_ID.match(value) else None


def ensure_phone_id() -> str:
    existing = phone_id()
    if existing:
        return existing
    g.new_phone_id = new_code()
    return g.new_phone_id


@bp.after_app_request
def remember_phone(response):
    new = g.pop("new_phone_id", None)
    if new:
        response.set_cookie(
            PHONE_COOKIE,
            new,
            max_age=PHONE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            # Same rule as the staff session cookie: Secure whenever the site is HTTPS.
            secure=request.is_secure or current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def card_or_friendly_404(code: str) -> TokenCard:
    card = db.session.execute(select(TokenCard).where(TokenCard.code == code)).scalar_one_or_none()
    if card is None or not card.active:
        abort(
            make_response(
                render_template("customer/card_unknown.html", revoked=card is not None), 404
            )
        )
    return card


def my_tab(public_id: str, *, with_lines: bool = True) -> Tab:
    query = select(Tab).where(Tab.public_id == public_id)
    if with_lines:
        query = query.options(selectinload(Tab.lines))
    tab = db.session.execute(query).scalar_one_or_none()
    if tab is None:
        abort(404)
    mine = phone_id()
    if not mine or tab.phone_id is None or not secrets.compare_digest(tab.phone_id, mine):
        abort(
            make_response(
                render_template(
                    "error.html",
                    title="Not your tab",
                    message="This tab belongs to another phone. Scan your own card to open a tab.",
                    status=403,
                ),
                403,
            )
        )
    return tab


def tab_key() -> str:
    return "tab:" + (request.view_args or {}).get("public_id", "")


# Limits are read from config per request (see config.py for the numbers and why).
# The polls (/live) are deliberately not limited: an open tab page asks every few
# seconds all through a visit.
scan_limit = limiter.limit(lambda: current_app.config["RATELIMIT_CARD_SCAN"])
open_limit = limiter.limit(lambda: current_app.config["RATELIMIT_TAB_OPEN"])
order_limit = limiter.limit(lambda: current_app.config["RATELIMIT_ORDER"], key_func=tab_key)


# -- the card ----------------------------------------------------------------------


@bp.get("/t/<token:code>")
@scan_limit
def card(code: str):
    card = card_or_friendly_404(code)
    mine = tab_service.live_tab_for_phone(card.shop_id, phone_id())
    on_card = tab_service.live_tab_on_card(card)
    if on_card is not None and on_card.phone_id not in (None, phone_id()):
        return render_template("customer/card_in_use.html", card=card, shop=card.shop), 409
    return render_template(
        "customer/card.html", card=card, shop=card.shop, my_tab=mine, form=OpenTabForm()
    )


@bp.post("/t/<token:code>")
@open_limit
def open_tab(code: str):
    card = card_or_friendly_404(code)
    form = OpenTabForm()
    if not form.validate_on_submit():
        raise Refused(first_error(form))
    try:
        with unit_of_work():
            tab = tab_service.open_tab(card, ensure_phone_id(), form.customer_name.data)
    except Conflict:
        return render_template("customer/card_in_use.html", card=card, shop=card.shop), 409
    return redirect(url_for(".tab", public_id=tab.public_id), code=303)


# -- the tab -----------------------------------------------------------------------


@bp.get("/tab/<token:public_id>")
def tab(public_id: str):
    tab = my_tab(public_id)
    if tab.status == PAID:
        return redirect(url_for(".receipt", public_id=public_id))
    return render_template("customer/tab.html", tab=tab, shop=tab.shop, form=EmptyForm())


@bp.get("/tab/<token:public_id>/live")
def tab_live(public_id: str):
    """Polled by the open tab page; 304 when nothing changed since the last answer.

    Most polls find nothing new, so they read three columns of one row and stop
    there; only a change (or a stranger's phone) loads the tab itself."""
    row = db.session.execute(
        select(Tab.id, Tab.version, Tab.phone_id).where(Tab.public_id == public_id)
    ).first()
    mine = phone_id()
    if row is not None and row.phone_id and mine and secrets.compare_digest(row.phone_id, mine):
        etag = f"tab-{row.id}-{row.version}"
        if request.if_none_match.contains_weak(etag):
            return "", 304, {"ETag": f'W/"{etag}"', "Cache-Control": "private, no-cache"}
    tab = my_tab(public_id, with_lines=False)
    etag = f"tab-{tab.id}-{tab.version}"
    payload = {
        "version": tab.version,
        "status": tab.status,
        "total": tab.total,
        "lines": [{"id": line.id, "name": line.name, "status": line.status} for line in tab.lines],
        "html": render_template("customer/_tab_body.html", tab=tab, shop=tab.shop),
    }
    if tab.status == PAID:
        payload["redirect"] = url_for(".receipt", public_id=public_id)
    response = jsonify(payload)
    response.set_etag(etag, weak=True)
    return response


@bp.get("/tab/<token:public_id>/menu")
def menu(public_id: str):
    tab = my_tab(public_id)
    return render_menu(tab)


def render_menu(tab: Tab, form: OrderForm | None = None, error: str | None = None):
    items = menu_items(tab.shop_id)
    categories = [(name, list(group)) for name, group in groupby(items, key=lambda i: i.category)]
    return (
        render_template(
            "customer/menu.html",
            tab=tab,
            shop=tab.shop,
            categories=categories,
            form=form or OrderForm(),
            error=error,
            request_key=secrets.token_urlsafe(12),
        ),
        400 if error else 200,
    )


@bp.post("/tab/<token:public_id>/order")
@order_limit
def order(public_id: str):
    tab = my_tab(public_id)
    form = OrderForm()
    try:
        if not form.validate_on_submit():
            raise Refused(first_error(form))
        with unit_of_work():
            line = tab_service.add_line(
                tab,
                form.item_id.data,
                form.quantity.data,
                form.note.data,
                request_key=form.request_key.data,
            )
    except Refused as refusal:
        if wants_json():
            raise
        db.session.refresh(tab)
        if not tab.is_live:
            raise
        return render_menu(tab, form, refusal.message)
    message = f"Added {line.quantity} × {line.name} to your tab."
    if wants_json():
        return jsonify(ok=True, message=message, line_id=line.id)
    flash(message, "success")
    return redirect(url_for(".menu", public_id=public_id), code=303)


@bp.get("/tab/<token:public_id>/bill")
def bill(public_id: str):
    tab = my_tab(public_id)
    if tab.status == PAID:
        return redirect(url_for(".receipt", public_id=public_id))
    return render_template("customer/bill.html", tab=tab, shop=tab.shop, form=EmptyForm())


@bp.post("/tab/<token:public_id>/pay")
def pay_at_counter(public_id: str):
    tab = my_tab(public_id)
    with unit_of_work():
        tab_service.request_payment(tab)
    return redirect(url_for(".tab", public_id=public_id), code=303)


@bp.post("/tab/<token:public_id>/keep-ordering")
def keep_ordering(public_id: str):
    tab = my_tab(public_id)
    with unit_of_work():
        tab_service.cancel_payment_request(tab)
    return redirect(url_for(".menu", public_id=public_id), code=303)


@bp.get("/tab/<token:public_id>/receipt")
def receipt(public_id: str):
    tab = my_tab(public_id)
    if tab.status != PAID:
        return redirect(url_for(".tab", public_id=public_id))
    return render_template("customer/receipt.html", tab=tab, shop=tab.shop)
