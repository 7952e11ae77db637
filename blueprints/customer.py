"""What a customer's phone sees: the card they scanned, their tab, the menu, the bill.

A phone is known by a random id in a long-lived cookie; no account, no sign-up. A tab
answers only to the phone it belongs to.
"""

import secrets
from dataclasses import dataclass
from itertools import groupby

import qrcode
import qrcode.image.svg
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
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from blueprints import error_response, wants_json
from blueprints.forms import (
    BillForm,
    EmptyForm,
    FlagLineForm,
    JoinForm,
    OpenTabForm,
    OrderForm,
    RatingForm,
    chosen_options,
    submitted,
)
from extensions import db, limiter
from live import PHONE_COOKIE, bill_etag, phone_signer, read_phone, tab_page_etag, tab_poll_etag
from live.phone import PHONE_COOKIE_AGE
from models import PayRequest, Shop, Tab, TabMember, TokenCard
from models.base import new_code
from models.menu import ALLERGENS, DIETARY_TAGS
from models.payment import SHARE_ALL, SHARE_EQUAL, SHARE_PHONE
from models.tab import PAID
from money import AmountError, example_amount, format_money, parse_amount
from services import Conflict, Refused, parse_id, trust, unit_of_work
from services import feedback as feedback_service
from services import menu as menu_service
from services import options as options_service
from services import payments as pay_service
from services import picks as picks_service
from services import tabs as tab_service
from services import tax as tax_service
from services.shops import menu_items
from web.headers import PRIVATE

bp = Blueprint("customer", __name__)


def sign_phone_id(value: str) -> str:
    return phone_signer(current_app.secret_key).sign(value).decode()


def phone_id() -> str | None:
    """The phone's id, from a cookie signed with the app's secret: a made-up or altered
    cookie is no phone at all (it gets a new id when it opens a tab)."""
    if "phone_id" not in g:
        g.phone_id = read_phone(
            phone_signer(current_app.secret_key), request.cookies.get(PHONE_COOKIE)
        )
    return g.phone_id


def ensure_phone_id() -> str:
    existing = phone_id()
    if existing:
        return existing
    g.new_phone_id = g.phone_id = new_code()
    return g.new_phone_id


@bp.after_app_request
def remember_phone(response):
    new = g.pop("new_phone_id", None)
    if new:
        response.set_cookie(
            PHONE_COOKIE,
            sign_phone_id(new),
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
    if not mine or not any(secrets.compare_digest(p, mine) for p in tab.phone_ids):
        abort(
            make_response(
                error_response(
                    gettext(
                        "This tab belongs to another phone. Scan your own card to open a "
                        "tab, or ask its owner for a “join my tab” link."
                    ),
                    403,
                    gettext("Not your tab"),
                )
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
    form = submitted(OpenTabForm())
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
    # The phone's browser keeps the page; while nothing it shows changed, it is a 304
    # (given before Flask for the tab's owner: live/answers.py).
    etag = tab_page_etag(
        tab.id,
        tab.version,
        tab.shop.settings_version,
        language(),
        request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]),
    )
    if request.if_none_match.contains_weak(etag):
        return not_modified(etag)
    response = make_response(
        render_template(
            "customer/tab.html",
            tab=tab,
            shop=tab.shop,
            form=EmptyForm(),
            mine=my_payment(tab),
            is_owner=tab.phone_id == phone_id(),
        )
    )
    response.set_etag(etag, weak=True)
    return response


def language() -> str:
    return str(get_locale())


def not_modified(etag: str):
    return "", 304, {"ETag": f'W/"{etag}"', "Cache-Control": PRIVATE}


@bp.app_template_global()
def poll_etag(tab: Tab) -> str:
    """The tab's poll ETag as it stands; also what the tab page's first poll sends."""
    return tab_poll_etag(tab.id, tab.version, tab.shop.settings_version, language())


@bp.app_template_global()
def bill_poll_etag(tab: Tab) -> str:
    return bill_etag(tab.id, tab.version, tab.shop.settings_version, language())


@bp.get("/tab/<token:public_id>/live")
def tab_live(public_id: str):
    """Polled by the open tab page; 304 when nothing changed since the last answer.

    The owner's unchanged polls, nearly all of them, are answered before Flask
    (live/answers.py). Here too, with those off, the owner's poll reads one row and
    stops there; a friend's phone is checked against the whole tab."""
    row = db.session.execute(
        select(Tab.id, Tab.version, Tab.phone_id, Shop.settings_version)
        .join(Shop, Shop.id == Tab.shop_id)
        .where(Tab.public_id == public_id)
    ).first()
    mine = phone_id()
    if row is not None and row.phone_id and mine and secrets.compare_digest(row.phone_id, mine):
        etag = tab_poll_etag(row.id, row.version, row.settings_version, language())
        if request.if_none_match.contains_weak(etag):
            return not_modified(etag)
    tab = my_tab(public_id, with_lines=False)
    etag = poll_etag(tab)
    if request.if_none_match.contains_weak(etag):
        return not_modified(etag)
    payload = {
        "version": tab.version,
        "status": tab.status,
        "total": tab.total,
        "lines": [{"id": line.id, "name": line.name, "status": line.status} for line in tab.lines],
        "html": render_template(
            "customer/_tab_body.html",
            tab=tab,
            shop=tab.shop,
            mine=my_payment(tab),
            is_owner=tab.phone_id == phone_id(),
        ),
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


def render_menu(
    tab: Tab, form: OrderForm | None = None, error: str | None = None, over_limit: bool = False
):
    menu_filter = menu_service.MenuFilter.read(
        request.args.getlist("free"), request.args.getlist("tag")
    )
    items = menu_service.filtered(menu_items(tab.shop_id), menu_filter)
    categories = [(name, list(group)) for name, group in groupby(items, key=lambda i: i.category)]
    return (
        render_template(
            "customer/menu.html",
            tab=tab,
            shop=tab.shop,
            categories=categories,
            form=form or OrderForm(),
            error=error,
            over_limit=over_limit,
            request_key=secrets.token_urlsafe(12),
            menu_filter=menu_filter,
            allergens=ALLERGENS,
            dietary_tags=DIETARY_TAGS,
            quick=picks_service.quick_adds(tab.shop_id, phone_id(), items),
        ),
        (409 if over_limit else 400) if error else 200,
    )


@bp.get("/tab/<token:public_id>/menu/<id:item_id>")
def item_sheet(public_id: str, item_id: int):
    """An item's options, quantity and note, with the line's price: the sheet a tap
    on the menu opens (a page of its own, so it works without JavaScript)."""
    tab = my_tab(public_id)
    return render_item_sheet(tab, item_id)


def render_item_sheet(tab: Tab, item_id, error: str | None = None):
    item = options_service.item_with_options(tab.shop_id, parse_id(item_id) or 0)
    if item is None or item.is_archived:
        abort(404)
    if error:
        chosen = [i for c in chosen_options() if (i := parse_id(c))]
    else:
        chosen = picks_service.picked_ids(item, request.args.getlist("pick"))
    picked = set(chosen if chosen is not None else options_service.default_choice_ids(item))
    unit = item.price + sum(
        c.price_delta for g in item.option_groups for c in g.choices if c.id in picked
    )
    return (
        render_template(
            "customer/item.html",
            tab=tab,
            shop=tab.shop,
            item=item,
            picked=picked,
            picks=picks_service.popular(item, phone_id()) if tab.status == "open" else [],
            unit_price=unit,
            error=error,
            request_key=secrets.token_urlsafe(12),
            allergens=ALLERGENS,
            dietary_tags=DIETARY_TAGS,
        ),
        400 if error else 200,
    )


@bp.post("/tab/<token:public_id>/order")
@order_limit
def order(public_id: str):
    tab = my_tab(public_id)
    form = OrderForm()
    try:
        submitted(form)
        with unit_of_work():
            line = form.add_to(
                tab,
                chosen_options(),
                phone_id=phone_id(),
                language=str(get_locale() or "en"),
            )
    except Refused as refusal:
        if wants_json():
            raise
        db.session.refresh(tab)
        if not tab.is_live:
            raise
        if request.form.get("sheet") and tab.status == "open":
            return render_item_sheet(tab, form.item_id.data, refusal.message)
        return render_menu(tab, form, refusal.message, isinstance(refusal, trust.OverLimit))
    message = gettext(
        "Added %(quantity)d × %(item)s to your tab.", quantity=line.quantity, item=line.name
    )
    if wants_json():
        return jsonify(ok=True, message=message, line_id=line.id)
    flash(message, "success")
    # Back to where the item is on the menu, not to the top of the page.
    return redirect(
        url_for(".menu", public_id=public_id, _anchor=f"item-{line.menu_item_id}"), code=303
    )


def my_payment(tab: Tab) -> dict | None:
    """What this phone asked to pay, as staff will take it: its part and its tip."""
    if not tab.is_live:
        return None
    request = db.session.execute(
        select(PayRequest).where(
            PayRequest.tab_id == tab.id,
            PayRequest.phone_id == phone_id(),
            PayRequest.paid_at.is_(None),
        )
    ).scalar_one_or_none()
    if request is None:
        return None
    try:
        part = pay_service.part_for(tab, request.share, request.phone_id, strict=False)
    except Refused:
        return None
    tip = pay_service.request_tip(request, part)
    return {"request": request, "part": part, "tip": tip, "total": part.due + tip}


def bill_choices(tab: Tab) -> list:
    """The parts this phone may pay: the whole tab, its own lines, an equal share."""
    mine = phone_id()
    choices = [pay_service.part_for(tab, SHARE_ALL, mine, strict=False)]
    if len(tab.phone_ids) > 1:
        for share in (SHARE_PHONE, SHARE_EQUAL):
            try:
                part = pay_service.part_for(tab, share, mine)
            except Refused:
                continue
            if part.gross:
                choices.append(part)
    return [part for part in choices if part.gross]


def pay_figures(tab: Tab, choices: list) -> dict:
    """Every figure the bill can show, worked out here for each part this phone may pay:
    what it owes, each preset tip, and what each tip brings the payment to."""
    shop = tab.shop

    def money(minor: int) -> str:
        return format_money(minor, tab.currency, shop.locale)

    figures = {}
    for part in choices:
        tips = {p: pay_service.tip_for_percent(part.gross, p) for p in shop.tip_percents}
        figures[part.share] = {
            "due": money(part.due),
            "tips": {str(p): money(tip) for p, tip in tips.items()},
            "totals": {"none": money(part.due)}
            | {str(p): money(part.due + tip) for p, tip in tips.items()},
        }
    return figures


def pay_label(figures: dict, share: str, tip_choice: str) -> str:
    """The pay button's words for the choice made: the amount it all comes to."""
    shown = figures.get(share)
    if shown is None:
        return gettext("Pay at the counter")
    if tip_choice == "custom":
        return gettext("Pay %(amount)s + tip at the counter", amount=shown["due"])
    total = shown["totals"].get(tip_choice, shown["totals"]["none"])
    return gettext("Pay %(amount)s at the counter", amount=total)


def line_names(tab: Tab) -> dict:
    """On a shared tab, whose each line is."""
    if len(tab.phone_ids) < 2:
        return {}
    return {
        line.id: pay_service.phone_name(tab, pay_service.line_owner(tab, line))
        for line in tab.billable_lines
    }


def render_bill(tab: Tab, form: BillForm | None = None, error: str | None = None, status=200):
    choices = bill_choices(tab)
    shared = len(tab.phone_ids) > 1
    chosen = (form.share.data if form else None) or (SHARE_PHONE if shared else SHARE_ALL)
    if chosen not in [part.share for part in choices] and choices:
        chosen = choices[0].share
    part = next((p for p in choices if p.share == chosen), None)
    tip_choice = (form.tip.data if form else None) or "none"
    figures = pay_figures(tab, choices)
    return (
        render_template(
            "customer/bill.html",
            tab=tab,
            shop=tab.shop,
            form=form or BillForm(),
            choices=choices,
            chosen=chosen,
            part=part,
            tip_choice=tip_choice,
            tips=[(p, pay_service.tip_for_percent(part.gross, p)) for p in tab.shop.tip_percents]
            if part
            else [],
            figures=figures,
            pay_label=pay_label(figures, chosen, tip_choice),
            tip_example=example_amount(tab.currency, tab.shop.locale),
            names=line_names(tab),
            mine=my_payment(tab),
            error=error,
            rating=feedback_service.rating_for(tab, phone_id()),
        ),
        status,
    )


def bill_live_payload(tab: Tab) -> dict:
    """What the open bill page refreshes when staff change the tab: the table of
    lines and totals, the lines still open to "something wasn't right", and what each
    choice and tip now comes to."""
    figures = pay_figures(tab, bill_choices(tab))
    return {
        "version": tab.version,
        "status": tab.status,
        "total": tab.total,
        "dues": {share: shown["due"] for share, shown in figures.items()},
        "tips": {share: shown["tips"] for share, shown in figures.items()},
        "figures": figures,
        "table": render_template(
            "customer/_bill_table.html", tab=tab, shop=tab.shop, names=line_names(tab)
        ),
        "flags": render_template("customer/_bill_flags.html", tab=tab),
    }


@bp.get("/tab/<token:public_id>/bill")
def bill(public_id: str):
    tab = my_tab(public_id)
    if tab.status == PAID:
        return redirect(url_for(".receipt", public_id=public_id))
    return render_bill(tab)


@bp.get("/tab/<token:public_id>/bill/live")
def bill_live(public_id: str):
    """Polled by the open bill: a comp or discount shows before the customer pays."""
    tab = my_tab(public_id, with_lines=False)
    etag = bill_poll_etag(tab)
    if request.if_none_match.contains_weak(etag):
        return not_modified(etag)
    payload = bill_live_payload(tab)
    if tab.status == PAID:
        payload["redirect"] = url_for(".receipt", public_id=public_id)
    response = jsonify(payload)
    response.set_etag(etag, weak=True)
    return response


@bp.post("/tab/<token:public_id>/rating")
def rate(public_id: str):
    """One tap on the bill: how was it? Optional, and never in the way of paying."""
    tab = my_tab(public_id, with_lines=False)
    form = submitted(RatingForm())
    with unit_of_work():
        rating = feedback_service.rate(tab, phone_id(), form.rating.data, form.comment.data)
    message = (
        gettext("Thanks for telling us.")
        if rating.comment
        else gettext("Thanks! You rated us %(rating)d of 5.", rating=rating.rating)
    )
    if wants_json():
        return jsonify(ok=True, message=message, rating=rating.rating)
    flash(message, "success")
    return redirect(url_for(".bill", public_id=public_id), code=303)


@bp.post("/tab/<token:public_id>/lines/<id:line_id>/flag")
def flag_line(public_id: str, line_id: int):
    """Something wasn't right with a line: the counter sees it at once."""
    tab = my_tab(public_id)
    form = submitted(FlagLineForm())
    line = feedback_service.tab_line(tab, line_id)
    with unit_of_work():
        feedback_service.flag_line(tab, line, phone_id(), form.note.data)
    message = gettext("Thanks — staff will look at your %(item)s right away.", item=line.name)
    if wants_json():
        return jsonify(ok=True, message=message)
    flash(message, "success")
    return redirect(url_for(".bill", public_id=public_id), code=303)


@bp.post("/tab/<token:public_id>/pay")
def pay_at_counter(public_id: str):
    """Tap 3 of 3: the part and tip chosen on the bill go to the counter."""
    tab = my_tab(public_id)
    form = BillForm()
    try:
        submitted(form)
        try:
            custom = parse_amount(
                form.custom_tip.data, tab.currency, tab.shop.locale, allow_blank=True
            )
        except AmountError as problem:
            raise Refused(gettext("The tip: %(problem)s", problem=problem)) from None
        percent, amount = pay_service.parse_tip_choice(
            form.tip.data, custom if form.custom_tip.data else None
        )
        with unit_of_work():
            pay_service.ask_to_pay(tab, phone_id(), form.share.data or SHARE_ALL, percent, amount)
    except Refused as refusal:
        if wants_json():
            raise
        db.session.refresh(tab)
        if not tab.is_live:
            raise
        return render_bill(tab, form, refusal.message, refusal.status_code)
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
    mine = phone_id()
    # On a shared tab each phone keeps the receipt for what it paid; the whole tab's
    # lines are shown to all of them. A whole-tab payment at the counter is the owner's.
    payments = [
        p
        for p in tab.payments
        if p.payer_phone_id == mine or (p.payer_phone_id is None and tab.phone_id == mine)
    ]
    if tab.status != PAID and not payments:
        return redirect(url_for(".tab", public_id=public_id))
    others = sum(p.covers for p in tab.payments if p not in payments)
    return render_template(
        "customer/receipt.html",
        tab=tab,
        shop=tab.shop,
        payments=payments,
        paid_by_others=others,
        # A bill paid in parts says how much of its tax each part carried.
        payment_tax=tax_service.payment_taxes(tab) if len(tab.payments) > 1 else None,
        paid_at=max((p.created_at for p in payments), default=tab.closed_at),
        phone=mine,
    )


# -- the phone's history -------------------------------------------------------------

HISTORY_LIMIT = 100


@bp.get("/me")
def history():
    """Every tab this phone opened or joined, at any café: no account, just the phone."""
    mine = phone_id()
    tabs = []
    if mine:
        joined = select(TabMember.tab_id).where(TabMember.phone_id == mine)
        tabs = list(
            db.session.execute(
                select(Tab)
                .where((Tab.phone_id == mine) | Tab.id.in_(joined))
                .options(
                    selectinload(Tab.lines), selectinload(Tab.payments), selectinload(Tab.shop)
                )
                .order_by(Tab.opened_at.desc(), Tab.id.desc())
                .limit(HISTORY_LIMIT)
            ).scalars()
        )
    return render_template("customer/history.html", tabs=tabs, phone=mine)


# -- sharing the tab -----------------------------------------------------------------


def inline_qr(url: str) -> Markup:
    image = qrcode.make(
        url,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
    )
    svg = image.to_string(encoding="unicode")
    label = escape(gettext("Join my tab"))
    return Markup(svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{label}" ', 1))


@bp.get("/tab/<token:public_id>/invite")
def invitation(public_id: str):
    tab = my_tab(public_id)
    if tab.phone_id != phone_id():
        raise Refused(gettext("Only the phone that opened the tab can invite friends."))
    link = None
    if pay_service.invitation_is_live(tab):
        link = url_for(".join_page", token=tab.invite_token, _external=True)
    return render_template(
        "customer/invite.html",
        tab=tab,
        shop=tab.shop,
        link=link,
        qr=inline_qr(link) if link else None,
        form=EmptyForm(),
    )


@bp.post("/tab/<token:public_id>/invite")
def invite(public_id: str):
    tab = my_tab(public_id)
    with unit_of_work():
        pay_service.invite(tab, phone_id())
    return redirect(url_for(".invitation", public_id=public_id), code=303)


@bp.post("/tab/<token:public_id>/invite/stop")
def stop_inviting(public_id: str):
    tab = my_tab(public_id)
    with unit_of_work():
        pay_service.stop_inviting(tab, phone_id())
    flash(gettext("The join link no longer works."), "success")
    return redirect(url_for(".tab", public_id=public_id), code=303)


@bp.get("/join/<token:token>")
def join_page(token: str):
    tab = pay_service.tab_for_invitation(token)
    if pay_service.on_tab(tab, phone_id()):
        return redirect(url_for(".tab", public_id=tab.public_id))
    return render_template(
        "customer/join.html", tab=tab, shop=tab.shop, token=token, form=JoinForm()
    )


@bp.post("/join/<token:token>")
def join(token: str):
    form = submitted(JoinForm())
    with unit_of_work():
        tab = pay_service.join(token, ensure_phone_id(), form.name.data)
    return redirect(url_for(".tab", public_id=tab.public_id), code=303)


# -- refusals: a way onward ------------------------------------------------------------

# Refusals of these lead back to the bill, where the person was deciding how to pay.
BILL_ACTIONS = {
    "customer.rate",
    "customer.flag_line",
    "customer.pay_at_counter",
    "payments.pay_by_card",
}
CUSTOMER_BLUEPRINTS = (None, "customer", "payments", "pwa", "push")


@dataclass
class Onward:
    """The one next step a refusal page offers a customer, and the café it happened
    at (for the page's header; `tab` only when it is this phone's)."""

    kind: str  # "receipt", "bill", "tab", "history" or "start"
    url: str
    label: str
    shop: Shop | None = None
    tab: Tab | None = None


@bp.app_context_processor
def refusal_helpers():
    return {"way_onward": way_onward}


def way_onward() -> Onward | None:
    """For the error and refusal pages of a customer's request: where to go from here
    (the receipt of a paid tab, the bill or the tab itself, the phone's own tab at the
    café, its tabs and receipts, or the start page). None on staff pages."""
    if "onward" not in g:
        g.onward = None
        staff_address = request.path.startswith(("/staff", "/admin"))
        if request.blueprint in CUSTOMER_BLUEPRINTS and not staff_address:
            try:
                g.onward = _way_onward(_route_args())
            except DBAPIError:  # the refusal may be that the database is gone
                g.onward = Onward("start", url_for("pwa.start"), gettext("How to open a tab"))
    return g.onward


def _route_args() -> dict:
    """The address's arguments, also when routing itself refused it (a GET of a form's
    POST-only address has no view_args)."""
    if request.view_args is not None:
        return request.view_args
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in ("GET", "POST"):
        try:
            return adapter.match(request.path, method=method)[1]
        except HTTPException:
            continue
    return {}


def _way_onward(args: dict) -> Onward:
    mine = phone_id()
    shop = None
    if "public_id" in args:
        tab = db.session.execute(
            select(Tab).where(Tab.public_id == args["public_id"])
        ).scalar_one_or_none()
        if tab is not None and pay_service.on_tab(tab, mine):
            return _onward_on_my_tab(tab)
        shop = tab.shop if tab is not None else None
    elif "code" in args:
        card = db.session.execute(
            select(TokenCard).where(TokenCard.code == args["code"])
        ).scalar_one_or_none()
        shop = card.shop if card is not None else None
    elif "token" in args:
        invited = db.session.execute(
            select(Tab).where(Tab.invite_token == args["token"])
        ).scalar_one_or_none()
        shop = invited.shop if invited is not None else None
    if shop is not None:
        live = tab_service.live_tab_for_phone(shop.id, mine)
    else:  # the café is not known: the phone's live tab wherever it is
        live = _any_live_tab(mine)
    if live is not None:
        url = url_for("customer.tab", public_id=live.public_id)
        return Onward("tab", url, gettext("Back to my tab"), shop, live)
    if mine and _has_history(mine):
        return Onward("history", url_for("customer.history"), gettext("My tabs and receipts"), shop)
    return Onward("start", url_for("pwa.start"), gettext("How to open a tab"), shop)


def _onward_on_my_tab(tab: Tab) -> Onward:
    public_id = tab.public_id
    if tab.status == PAID:
        url = url_for("customer.receipt", public_id=public_id)
        return Onward("receipt", url, gettext("See my receipt"), tab.shop, tab)
    if tab.is_live and request.endpoint in BILL_ACTIONS:
        url = url_for("customer.bill", public_id=public_id)
        return Onward("bill", url, gettext("Back to the bill"), tab.shop, tab)
    url = url_for("customer.tab", public_id=public_id)
    return Onward("tab", url, gettext("Back to my tab"), tab.shop, tab)


def _any_live_tab(mine: str | None) -> Tab | None:
    if not mine:
        return None
    joined = select(TabMember.tab_id).where(TabMember.live_phone_id == mine)
    return db.session.execute(
        select(Tab)
        .where((Tab.open_phone_id == mine) | Tab.id.in_(joined))
        .order_by(Tab.opened_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def _has_history(mine: str) -> bool:
    return (
        db.session.execute(select(Tab.id).where(Tab.phone_id == mine).limit(1)).first()
        or db.session.execute(
            select(TabMember.id).where(TabMember.phone_id == mine).limit(1)
        ).first()
    ) is not None


@bp.errorhandler(Conflict)
def moved_on(error: Conflict):
    """A form sent to a tab that has moved on. Once the tab is paid its receipt is the
    answer (an old bill reached with Back, a second tap), with what happened said on
    it; anything else gets the refusal page and its way onward."""
    if request.method == "POST" and not wants_json():
        way = way_onward()
        if way is not None and way.kind == "receipt":
            flash(error.message, "info")
            return redirect(way.url, code=303)
    return error_response(error.message, error.status_code)


# Routes kept in modules of their own register on `bp` when imported.
from blueprints import customer_stamps  # noqa: E402,F401
