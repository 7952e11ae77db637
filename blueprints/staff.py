"""Behind the counter: the live queue, tabs, counter orders and taking payment.

Every lookup is by id *and* the logged-in member's shop, so another shop's rows are
simply not found.
"""

import io
import secrets
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from blueprints import wants_json
from blueprints.counter_rows import draw_rows
from blueprints.forms import (
    AdjustLineForm,
    CloseTabForm,
    DepositForm,
    EmptyForm,
    LineStatusForm,
    LoginForm,
    OrderForm,
    PaymentForm,
    StaffOpenTabForm,
    VoidLineForm,
    WalkOutForm,
    chosen_options,
    first_error,
    json_formdata,
    submitted,
)
from extensions import db, limiter, login_manager
from live import counter_etag
from models import PayRequest, Shop, StaffMember, StaffSession, Tab, TabLine, TokenCard
from models.base import utcnow
from models.payment import METHOD_LABELS, PAYMENT_METHODS
from models.shop import closed_since
from models.tab import LINE_LABELS, LINE_VOID
from money import AmountError, format_money, parse_amount
from services import NotFound, Refused, adjustments, parse_id, unit_of_work
from services import checkout as checkout_service
from services import options as options_service
from services import payments as pay_service
from services import push as push_service
from services import tabs as tab_service
from services import team as team_service
from services.counter import counter_view, personal_cards
from services.shops import menu_items
from services.text import one_line
from web.headers import PRIVATE

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The Flask session key holding this browser's StaffSession id.
STAFF_SESSION = "staff_session"


@login_manager.user_loader
def load_member(session_id: str) -> StaffMember | None:
    """`session_id` is "<id>:<epoch>" (StaffMember.get_id). A session from before the
    member's last deactivation or password reset carries an old epoch and is refused,
    so it does not come back when the member is reactivated; one whose StaffSession
    row is gone (it logged out) is refused too."""
    member_id, _, epoch = (session_id or "").partition(":")
    member_id = parse_id(member_id)
    browser = session.get(STAFF_SESSION)
    if member_id is None or not isinstance(browser, str):
        return None
    member = db.session.execute(
        select(StaffMember)
        .join(StaffSession, StaffSession.staff_member_id == StaffMember.id)
        .where(StaffMember.id == member_id, StaffSession.id == browser)
    ).scalar_one_or_none()
    if member is None or not member.active or str(member.session_epoch) != epoch:
        return None
    return member


# Where a login or a staff action may return to: the counter's pages and the back
# office's, on this site only.
RETURN_PATHS = ("/staff", "/admin")


def next_target() -> str | None:
    """Where to go after the action (`next`, a counter or back-office page), or None
    when none was asked. A target that is not one of ours is refused before anything is done, so a
    bad `next` can never fail the answer of an action already saved."""
    fields = request.form if not request.is_json else (request.get_json(silent=True) or {})
    target = fields.get("next") or request.args.get("next")
    if not target:
        return None
    if (
        not isinstance(target, str)
        or len(target) > 500
        or not target.isprintable()  # CR/LF would break the Location header
        or "\\" in target  # browsers read it as "/"
        or urlsplit(target).scheme
        or urlsplit(target).netloc
        or not any(
            urlsplit(target).path == path or urlsplit(target).path.startswith(path + "/")
            for path in RETURN_PATHS
        )
    ):
        raise Refused(gettext("That page to come back to is not one of ours."))
    return target


@bp.before_request
def check_next_before_acting():
    # A login saves nothing a bad `next` could strand, so there a foreign target is
    # ignored and the counter opens (a phishing link cannot block staff from logging in).
    if request.method == "POST" and request.endpoint != "staff.login":
        next_target()


def login_target() -> str:
    try:
        return next_target() or url_for(".counter")
    except Refused:
        return url_for(".counter")


def safe_next(default: str) -> str:
    return next_target() or default


def done(message: str, default: str):
    """Answer a staff action: JSON for the page's own fetch, else back where it came from."""
    if wants_json():
        return jsonify(ok=True, message=message)
    flash(message, "success")
    return redirect(safe_next(default), code=303)


def shop_tab(tab_id: int) -> Tab:
    tab = db.session.execute(
        select(Tab)
        .where(Tab.id == tab_id, Tab.shop_id == current_user.shop_id)
        .options(selectinload(Tab.lines), selectinload(Tab.payments), selectinload(Tab.members))
    ).scalar_one_or_none()
    if tab is None:
        abort(404)
    return tab


def shop_line(line_id: int) -> TabLine:
    line = db.session.execute(
        select(TabLine).where(TabLine.id == line_id, TabLine.shop_id == current_user.shop_id)
    ).scalar_one_or_none()
    if line is None:
        abort(404)
    return line


def shop_card(card_id) -> TokenCard:
    card_id = parse_id(card_id)
    if card_id is None:
        abort(404)
    card = db.session.execute(
        select(TokenCard).where(TokenCard.id == card_id, TokenCard.shop_id == current_user.shop_id)
    ).scalar_one_or_none()
    if card is None:
        abort(404)
    return card


# -- signing in ----------------------------------------------------------------------


def login_account_key() -> str:
    """One count per account, whatever the body's encoding (a form or JSON), read
    the way the form reads it. An empty key skips the limit; the per-address one
    still applies."""
    try:
        fields = json_formdata(request.get_json(silent=True)) if request.is_json else request.form
    except Refused:
        return ""
    email = one_line(fields.get("email", "")).lower()[:254]
    return f"login:{email}" if email else ""


def login_failed(response) -> bool:
    # Only failures count, so a shop's tablets signing in behind one address are
    # never locked out by their own successful logins.
    return response.status_code >= 400


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"],
    key_func=login_account_key,
    methods=["POST"],
    deduct_when=login_failed,
)
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN_ADDRESS"],
    methods=["POST"],
    deduct_when=login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for(".counter"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        member = db.session.execute(
            select(StaffMember).where(func.lower(StaffMember.email) == email)
        ).scalar_one_or_none()
        if member and member.active and member.check_password(form.password.data):
            target = login_target()
            with unit_of_work():
                browser_id = team_service.sign_in(member).id
            # A new session from scratch: nothing from the anonymous one (its CSRF
            # token above all) is carried into the signed-in one, which gets its own
            # token at once (in the cookie set now).
            session.clear()
            g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
            login_user(member)
            session[STAFF_SESSION] = browser_id
            generate_csrf()
            return redirect(target, code=303)
        error = gettext("That email and password don't match an active login.")
    elif request.method == "POST":
        error = first_error(form)
    status = 400 if request.method == "POST" else 200
    try:
        target = next_target()
    except Refused:
        target = None
    return render_template("staff/login.html", form=form, error=error, next=target), status


@bp.post("/logout")
@login_required
def logout():
    with unit_of_work():
        team_service.sign_out(session.get(STAFF_SESSION))
    logout_user()
    session.clear()
    flash(gettext("Logged out."), "success")
    return redirect(url_for(".login"), code=303)


# -- the counter ---------------------------------------------------------------------


@bp.get("")
@login_required
def counter():
    shop = current_user.shop
    view = counter_view(shop.id)
    return render_template(
        "staff/counter.html",
        shop=shop,
        view=view,
        rows=draw_rows(shop, view),
        form=EmptyForm(),
        etag=counter_version_tag(
            shop.live_version, shop.settings_version, shop.timezone, shop.closing_time
        ),
        undelivered=push_service.failed_messages(shop.id),
    )


def counter_version_tag(
    live_version: int, settings_version: int, timezone: str, closing_time
) -> str:
    """The counter's ETag (live/etags.py) for whoever is looking, now."""
    return counter_etag(
        current_user.shop_id,
        live_version,
        settings_version,
        current_user.id,
        closed_since(timezone, closing_time, utcnow()),
        str(get_locale()),
    )


@bp.get("/live")
@login_required
def counter_live():
    """Polled by the counter screen; 304 while nothing in the shop has changed."""
    version, settings_version, timezone, closing_time = db.session.execute(
        select(Shop.live_version, Shop.settings_version, Shop.timezone, Shop.closing_time).where(
            Shop.id == current_user.shop_id
        )
    ).one()
    etag = counter_version_tag(version, settings_version, timezone, closing_time)
    if request.if_none_match.contains_weak(etag):
        return "", 304, {"ETag": f'W/"{etag}"', "Cache-Control": PRIVATE}
    shop = current_user.shop
    view = counter_view(shop.id)
    response = jsonify(
        version=version,
        queue_ids=view.board.line_ids,
        ticket_ids=[ticket.key for ticket in view.board.tickets],
        waiting_ids=[tab.id for tab in view.waiting_to_pay],
        attention_ids=[line.id for line in view.needs_attention],
        html=render_template(
            "staff/_counter_body.html",
            shop=shop,
            view=view,
            rows=draw_rows(shop, view),
            form=EmptyForm(),
            undelivered=push_service.failed_messages(shop.id),
        ),
    )
    response.set_etag(etag, weak=True)
    return response


@bp.post("/lines/<id:line_id>/status")
@login_required
def move_line(line_id: int):
    line = shop_line(line_id)
    form = submitted(LineStatusForm())
    if form.status.data == LINE_VOID:
        raise Refused(gettext("Use Void, with a reason, to remove a line."))
    with unit_of_work():
        tab_service.move_line(line, form.status.data, current_user)
    return done(
        gettext("%(item)s: %(status)s.", item=line.name, status=LINE_LABELS[line.status]),
        url_for(".counter"),
    )


@bp.post("/lines/<id:line_id>/void")
@login_required
def void_line(line_id: int):
    line = shop_line(line_id)
    form = submitted(VoidLineForm())
    with unit_of_work():
        tab_service.move_line(line, LINE_VOID, current_user, form.reason.data)
    return done(gettext("%(item)s voided.", item=line.name), url_for(".tab", tab_id=line.tab_id))


@bp.post("/lines/<id:line_id>/remake")
@login_required
def remake_line(line_id: int):
    """Make it again: back to the queue at the same price."""
    line = shop_line(line_id)
    form = submitted(AdjustLineForm())
    with unit_of_work():
        adjustments.remake_line(line, current_user, form.reason.data)
    return done(
        gettext("%(item)s is back in the queue.", item=line.name),
        url_for(".tab", tab_id=line.tab_id),
    )


@bp.post("/lines/<id:line_id>/comp")
@login_required
def comp_line(line_id: int):
    line = shop_line(line_id)
    form = submitted(AdjustLineForm())
    with unit_of_work():
        adjustments.comp_line(line, current_user, form.reason.data)
    return done(
        gettext("%(item)s is on the house.", item=line.name),
        url_for(".tab", tab_id=line.tab_id),
    )


@bp.post("/lines/<id:line_id>/discount")
@login_required
def discount_line(line_id: int):
    line = shop_line(line_id)
    form = submitted(AdjustLineForm())
    with unit_of_work():
        adjustments.discount_line(
            line, current_user, form.kind.data, form.value.data, form.reason.data
        )
    shop = current_user.shop
    return done(
        gettext(
            "%(item)s: %(amount)s off.",
            item=line.name,
            amount=format_money(line.discount, line.tab.currency, shop.locale),
        ),
        url_for(".tab", tab_id=line.tab_id),
    )


# -- tabs ----------------------------------------------------------------------------


@bp.get("/tabs/<id:tab_id>")
@login_required
def tab(tab_id: int):
    tab = shop_tab(tab_id)
    shop = current_user.shop
    # The payment panel starts from what a customer asked to pay (the first request,
    # or the one picked with ?for=); otherwise from the whole tab.
    choices = pay_service.pay_choices(tab)
    wanted = request.args.get("for")
    chosen = next((c for c in choices if c.key == wanted), choices[0] if choices else None)
    return render_template(
        "staff/tab.html",
        shop=shop,
        tab=tab,
        items=menu_items(shop.id),
        payment_methods=PAYMENT_METHODS,
        choices=choices,
        chosen=chosen,
        phones_notified=len(push_service.subscriptions(tab)),
        undelivered=push_service.failed_messages(shop.id, tab.id),
        phone_name=lambda phone: pay_service.phone_name(tab, phone),
    )


@bp.post("/tabs/<id:tab_id>/ready")
@login_required
def tab_ready(tab_id: int):
    """Everything being made for this tab is ready: the customer gets one notification."""
    tab = shop_tab(tab_id)
    with unit_of_work():
        lines = tab_service.mark_tab_ready(tab, current_user)
    names = gettext(", ").join(line.name for line in lines)
    return done(gettext("Ready: %(items)s.", items=names), url_for(".tab", tab_id=tab_id))


@bp.post("/tabs/<id:tab_id>/remind")
@login_required
def remind(tab_id: int):
    """Nudge the customer to come and pay: a banner on their tab page, and a push
    notification to phones that take them."""
    tab = shop_tab(tab_id)
    with unit_of_work():
        pushed = push_service.remind_to_pay(tab)
    message = (
        gettext("Reminder sent to %(name)s's phone.", name=tab.display_name)
        if pushed
        else gettext(
            "Reminder shown on %(name)s's tab page (notifications are off).",
            name=tab.display_name,
        )
    )
    return done(message, url_for(".tab", tab_id=tab_id))


@bp.post("/tabs/<id:tab_id>/walked-out")
@login_required
def walked_out(tab_id: int):
    """The customer left without paying: the tab closes with a reason, unpaid."""
    tab = shop_tab(tab_id)
    form = submitted(WalkOutForm())
    with unit_of_work():
        tab_service.mark_walked_out(tab, current_user, form.reason.data)
    return done(gettext("Marked walked out: %(name)s.", name=tab.display_name), url_for(".counter"))


@bp.post("/tabs/<id:tab_id>/order")
@login_required
def order(tab_id: int):
    tab = shop_tab(tab_id)
    form = submitted(OrderForm())
    if request.form.get("pick"):  # "Choose options": the item's own picker page
        item = picker_item(tab, form.item_id.data)
        if item is None:
            raise NotFound(gettext("That item is not on this menu."))
        return redirect(
            url_for(
                ".add_item",
                tab_id=tab_id,
                item_id=item.id,
                quantity=form.quantity.data,
                note=form.note.data or None,
            ),
            303,
        )
    # From the picker, exactly what was ticked; from the quick form, the defaults.
    sheet = bool(request.form.get("sheet"))
    options = chosen_options()
    if not sheet and not options:
        options = options_service.defaults_for(tab.shop_id, form.item_id.data)
    try:
        with unit_of_work():
            line = form.add_to(tab, options, staff=current_user)
    except Refused as refusal:
        item = picker_item(tab, form.item_id.data)
        if wants_json() or item is None or not (sheet or item.option_links):
            raise
        picked = {i for c in options if (i := parse_id(c))}
        return item_picker(tab, item, refusal, picked, form.quantity.data, form.note.data)
    return done(
        gettext("Added %(quantity)d × %(item)s.", quantity=line.quantity, item=line.name),
        url_for(".tab", tab_id=tab_id),
    )


def picker_item(tab: Tab, raw_item_id):
    item_id = parse_id(raw_item_id)
    item = options_service.item_with_options(tab.shop_id, item_id) if item_id else None
    return None if item is None or item.is_archived else item


def item_picker(tab: Tab, item, refusal=None, picked=None, quantity="1", note=""):
    """The item's options as plain form fields, for staff adding it to a tab."""
    picked = set(options_service.default_choice_ids(item) if picked is None else picked)
    unit = item.price + sum(
        c.price_delta for g in item.option_groups for c in g.choices if c.id in picked
    )
    page = render_template(
        "staff/add_item.html",
        shop=tab.shop,
        tab=tab,
        item=item,
        picked=picked,
        unit_price=unit,
        quantity=str(quantity or "1")[:3],
        note=str(note or "")[:140],
        error=refusal.message if refusal else None,
        request_key=secrets.token_urlsafe(12),
    )
    return page, refusal.status_code if refusal else 200


@bp.get("/tabs/<id:tab_id>/items/<id:item_id>")
@login_required
def add_item(tab_id: int, item_id: int):
    """Staff choose an item's options (size, milk, extras) before adding it."""
    tab = shop_tab(tab_id)
    item = picker_item(tab, item_id)
    if item is None:
        abort(404)
    return item_picker(
        tab, item, quantity=request.args.get("quantity"), note=request.args.get("note")
    )


def payment_amounts(form: PaymentForm, tab: Tab) -> tuple[int, int | None, int | None]:
    """The bill, the tip (None: no tip field at all, so the one the customers chose;
    an empty field is no tip) and the cash given (None when not said)."""
    locale, currency = tab.shop.locale, tab.currency
    given = (form.cash_given.data or "").strip()
    try:
        amount = parse_amount(form.amount.data, currency, locale)
        tip = form.tip.data
        tip = None if tip is None else parse_amount(tip, currency, locale, allow_blank=True)
        return amount, tip, parse_amount(given, currency, locale) if given else None
    except AmountError as problem:
        raise Refused(str(problem)) from None


def paying_for(form: PaymentForm, tab: Tab) -> tuple[str, str | None]:
    """The share and paying phone: the request staff took, or the whole tab."""
    if not form.request_id.data:
        return "all", None
    asked = db.session.execute(
        select(PayRequest).where(
            PayRequest.id == (parse_id(form.request_id.data) or 0),
            PayRequest.tab_id == tab.id,
            PayRequest.shop_id == current_user.shop_id,
        )
    ).scalar_one_or_none()
    if asked is None:
        raise NotFound(gettext("That request to pay is not on this tab."))
    return asked.share, asked.phone_id


@bp.post("/tabs/<id:tab_id>/payment")
@login_required
def payment(tab_id: int):
    """Staff took the money for what the panel showed: a phone's request (its part;
    the tip it chose unless staff changed it) or the whole tab."""
    tab = shop_tab(tab_id)
    form = submitted(PaymentForm())
    amount, tip, given = payment_amounts(form, tab)
    share, payer = paying_for(form, tab)
    locale = tab.shop.locale
    with unit_of_work():
        payment = pay_service.record_payment(
            tab,
            amount,
            tip,
            form.method.data,
            staff=current_user,
            share=share,
            payer_phone_id=payer,
        )
        cash = given if payment.method == "cash" else None
        change = pay_service.change_for(cash, payment.received, tab.currency, locale)
    method = METHOD_LABELS[payment.method]
    if tab.is_live:
        message = gettext(
            "Paid: %(name)s's part, %(method)s. Still owed: %(due)s.",
            name=pay_service.phone_name(tab, payer),
            method=method,
            due=format_money(tab.due, tab.currency, locale),
        )
    else:
        message = gettext("Paid: %(name)s, %(method)s.", name=tab.display_name, method=method)
    if change is not None:
        change_text = format_money(change, tab.currency, locale)
        message += " " + gettext("Give back %(change)s in change.", change=change_text)
    return done(message, url_for(".tab", tab_id=tab_id) if tab.is_live else url_for(".counter"))


@bp.post("/tabs/<id:tab_id>/close")
@login_required
def close(tab_id: int):
    tab = shop_tab(tab_id)
    form = submitted(CloseTabForm())
    with unit_of_work():
        tab_service.close_empty_tab(tab, current_user, form.deposit.data or None, form.reason.data)
        card_refund = checkout_service.deposit_refund(tab)
    # A deposit paid by card goes back through the provider, only once the tab's
    # closing is committed, and outside any transaction.
    if card_refund and not checkout_service.send_deposit_refund(card_refund):
        return done(
            gettext(
                "Closed %(name)s. The card refund of the deposit didn't go through: "
                "refund it by hand from the Stripe dashboard.",
                name=tab.display_name,
            ),
            url_for(".counter"),
        )
    return done(gettext("Closed %(name)s.", name=tab.display_name), url_for(".counter"))


@bp.post("/tabs/<id:tab_id>/deposit")
@login_required
def deposit(tab_id: int):
    """The customer handed over the deposit: their orders now reach the queue."""
    tab = shop_tab(tab_id)
    form = submitted(DepositForm())
    with unit_of_work():
        pay_service.confirm_deposit(tab, current_user, form.method.data)
    return done(
        gettext("Deposit taken for %(name)s.", name=tab.display_name),
        url_for(".tab", tab_id=tab_id),
    )


@bp.route("/tabs/new", methods=["GET", "POST"])
@login_required
def new_tab():
    shop = current_user.shop
    if request.method == "POST":
        form = submitted(StaffOpenTabForm())
        card = shop_card(form.card_id.data) if form.card_id.data else None
        with unit_of_work():
            tab = tab_service.staff_open_tab(shop, current_user, card, form.customer_name.data)
        flash(gettext("Opened a tab for %(name)s.", name=tab.display_name), "success")
        return redirect(url_for(".tab", tab_id=tab.id), code=303)
    cards = [(c, t) for c, t in personal_cards(shop.id) if c.is_personal]
    return render_template("staff/new_tab.html", shop=shop, cards=cards, form=StaffOpenTabForm())


# -- cards ---------------------------------------------------------------------------


@bp.get("/cards")
@login_required
def cards():
    shop = current_user.shop
    return render_template("staff/cards.html", shop=shop, cards=personal_cards(shop.id))


@bp.get("/cards/<id:card_id>/qr.svg")
@login_required
def card_qr(card_id: int):
    card = shop_card(card_id)
    image = qrcode.make(
        card.url,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue(), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "private"}


# Routes kept in modules of their own register on `bp` when imported.
from blueprints import staff_trust  # noqa: E402,F401
