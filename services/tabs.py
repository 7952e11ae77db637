"""The tab loop: open, order, prepare, ask to pay, pay.

Every change to a tab first takes the tab's row with a conditional UPDATE
(`touch_tab`). That one statement both checks the tab is still in a state that
allows the change and, on PostgreSQL, locks the row until commit, so a payment and
a late order on the same tab are serialised and the amount paid is always the
amount owed.
"""

from flask_babel import gettext, lazy_gettext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import (
    MenuItem,
    PayRequest,
    Shop,
    StaffMember,
    Tab,
    TabLine,
    TabMember,
    TokenCard,
)
from models.base import utcnow
from models.tab import (
    COMP,
    DEPOSIT_HELD,
    DEPOSIT_KEPT,
    DEPOSIT_NONE,
    DEPOSIT_PENDING,
    DEPOSIT_REFUNDED,
    DEPOSIT_WAIVED,
    LINE_VOID,
    LIVE_TAB_STATUSES,
    MAX_QUANTITY,
    OPEN,
    PREPARING,
    READY,
    SERVED,
    SETTLING,
    VOID,
    WALKED_OUT,
    can_move_line,
    can_move_tab,
)
from services import Conflict, NotFound, Refused, audit, parse_id, stamps, trust
from services import options as options_service
from services import push as push_service
from services import tax as tax_service
from services.tab_state import (
    MAX_REASON,
    close_tab,
    closed_message,
    settle_deposit_on_void,
    touch_tab,
)
from services.text import one_line_within, without_controls

MAX_NAME = 40
MAX_NOTE = 140

_STATUS_TIMESTAMP = {
    PREPARING: "preparing_at",
    READY: "ready_at",
    SERVED: "served_at",
    LINE_VOID: "voided_at",
}
CARD_IN_USE = lazy_gettext("This card is in use. Ask at the counter for a card of your own.")


# -- opening ---------------------------------------------------------------------


def live_tab_for_phone(shop_id: int, phone_id: str | None) -> Tab | None:
    """The phone's live tab at the shop: its own, or the friend's tab it joined."""
    if not phone_id:
        return None
    own = db.session.execute(
        select(Tab).where(Tab.shop_id == shop_id, Tab.open_phone_id == phone_id)
    ).scalar_one_or_none()
    if own is not None:
        return own
    return db.session.execute(
        select(Tab)
        .join(TabMember, TabMember.tab_id == Tab.id)
        .where(TabMember.shop_id == shop_id, TabMember.live_phone_id == phone_id)
    ).scalar_one_or_none()


def live_tab_on_card(card: TokenCard) -> Tab | None:
    if not card.is_personal:
        return None
    return db.session.execute(select(Tab).where(Tab.open_card_id == card.id)).scalar_one_or_none()


def open_tab(
    card: TokenCard, phone_id: str, customer_name: str = "", *, _retried: bool = False
) -> Tab:
    """The phone scanned `card` and tapped "Open my tab".

    Returns the tab the phone should go to: its existing live tab at this shop, the
    tab staff opened on this personal card (which this phone now claims), or a new
    one. A personal card whose tab belongs to another phone is refused.
    """
    if not card.active:
        raise NotFound(gettext("This card is no longer in use."))
    customer_name = one_line_within(customer_name, MAX_NAME, gettext("Your name"))

    on_card = live_tab_on_card(card)
    if on_card is not None:
        if on_card.phone_id == phone_id:
            return on_card
        if on_card.phone_id is None:
            return _claim(on_card, phone_id, customer_name)
        raise Conflict(str(CARD_IN_USE))

    existing = live_tab_for_phone(card.shop_id, phone_id)
    if existing is not None:
        return existing

    tab = Tab(
        shop_id=card.shop_id,
        card_id=card.id,
        currency=card.shop.currency,
        phone_id=phone_id,
        open_phone_id=phone_id,
        open_card_id=card.id if card.is_personal else None,
        customer_name=customer_name,
        **trust.new_tab_terms(card.shop, phone_id, card, deposit_for_new_tab(card.shop)),
    )
    return _insert_tab(
        tab, lambda: open_tab(card, phone_id, customer_name, _retried=True), retried=_retried
    )


def deposit_for_new_tab(shop) -> dict:
    """Columns a new tab starts with: the shop's deposit, asked for and not yet taken."""
    if shop.deposit_amount > 0:
        return {"deposit_amount": shop.deposit_amount, "deposit_status": DEPOSIT_PENDING}
    return {"deposit_amount": 0, "deposit_status": DEPOSIT_NONE}


def _insert_tab(tab: Tab, retry, retried: bool = False):
    """Insert a new tab; if a simultaneous request won the race, go where it went."""
    try:
        with db.session.begin_nested():
            db.session.add(tab)
            db.session.flush()
    except IntegrityError:
        if retried:
            raise Conflict(
                gettext("Someone else just opened a tab here; please try again.")
            ) from None
        return retry()
    return tab


def _claim(tab: Tab, phone_id: str, customer_name: str) -> Tab:
    existing = live_tab_for_phone(tab.shop_id, phone_id)
    if existing is not None:
        # The phone already has a tab here; one phone, one live tab per shop.
        return existing
    values = {"phone_id": phone_id, "open_phone_id": phone_id}
    if customer_name and not tab.customer_name:
        values["customer_name"] = customer_name
    try:
        with db.session.begin_nested():
            result = db.session.execute(
                update(Tab)
                .where(Tab.id == tab.id, Tab.phone_id.is_(None), Tab.status.in_(LIVE_TAB_STATUSES))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        result = None
    db.session.refresh(tab)
    if result is None or result.rowcount != 1:
        if tab.phone_id == phone_id and tab.is_live:
            return tab
        raise Conflict(str(CARD_IN_USE))
    return tab


def staff_open_tab(
    shop: Shop, staff: StaffMember, card: TokenCard | None = None, customer_name: str = ""
) -> Tab:
    """A tab opened behind the counter: on a personal card handed over, or a walk-in."""
    customer_name = one_line_within(customer_name, MAX_NAME, "The name")
    if card is not None:
        if card.shop_id != shop.id or not card.active:
            raise NotFound("No such card.")
        if not card.is_personal:
            raise Refused("Table cards open a tab per phone; pick a personal card.")
        if live_tab_on_card(card) is not None:
            raise Conflict(f"{card.label} already has an open tab.")
    tab = Tab(
        shop_id=shop.id,
        card_id=card.id if card else None,
        open_card_id=card.id if card else None,
        currency=shop.currency,
        customer_name=customer_name,
        opened_by_id=staff.id,
        **trust.new_tab_terms(shop, None, card, deposit_for_new_tab(shop)),
    )

    def lost_race():
        raise Conflict(f"{card.label} already has an open tab.")

    return _insert_tab(tab, lost_race)


# -- ordering --------------------------------------------------------------------


def parse_quantity(raw) -> int:
    try:
        quantity = int(str(raw).strip())
    except (TypeError, ValueError):
        raise Refused(gettext("Quantity must be a whole number.")) from None
    if not 1 <= quantity <= MAX_QUANTITY:
        raise Refused(gettext("Quantity must be between 1 and %(most)d.", most=MAX_QUANTITY))
    return quantity


def add_line(
    tab: Tab,
    item_id,
    quantity,
    note: str = "",
    *,
    request_key: str | None = None,
    staff: StaffMember | None = None,
    phone_id: str | None = None,
    options=(),
    language: str | None = None,
) -> TabLine:
    """Order `quantity` of a menu item onto the tab at today's price.

    Only the item id and the chosen option ids come from the client: the name, the
    options and their prices and the tax rate are read from the shop's own menu and
    frozen on the line (services.options, services.tax). `language` is the one the
    ordering phone reads the tab in: its notifications follow it from now on.
    """
    quantity = parse_quantity(quantity)
    note = one_line_within(note, MAX_NOTE, "The note")
    request_key = without_controls(request_key or "").strip()[:64] or None
    try:
        item_id = parse_id(int(str(item_id).strip()))
    except (TypeError, ValueError):
        raise Refused(gettext("Pick an item from the menu.")) from None
    item = None
    if item_id is not None:  # out of range is simply no item
        item = db.session.execute(
            select(MenuItem).where(MenuItem.id == item_id, MenuItem.shop_id == tab.shop_id)
        ).scalar_one_or_none()
    if item is None or item.is_archived:
        raise NotFound(gettext("That item is not on this menu."))
    if not item.available:
        raise Refused(gettext("Sorry, %(item)s is not available right now.", item=item.name))
    selection = options_service.choose(item, options)

    repeat = _line_for_key(tab, request_key)
    if repeat is not None:
        return repeat

    # Once a customer has asked to pay, staff are about to take the amount they were
    # shown; only staff may still add to it (they are the ones taking the money).
    touch_tab(tab, allowed=LIVE_TAB_STATUSES if staff else (OPEN,))
    if tab.split_ways:
        raise Conflict(gettext("This tab is being split equally and part is paid; open a new tab."))
    # The same tap may have been committed by a simultaneous request while this one
    # waited for the tab's row lock; it is one order, not two.
    repeat = _line_for_key(tab, request_key)
    if repeat is not None:
        return repeat
    rate = tax_service.item_rate(item, tab.shop)
    amount = selection.unit_price * quantity
    # What the order adds to what the tab costs: with tax on top where prices exclude
    # it (rounded on this line alone, so at most a cent above the bill's own rounding).
    included = tab.shop.prices_include_tax
    trust.check_room(tab, amount if included else amount + tax_service.tax_on(amount, rate), staff)
    line = TabLine(
        shop_id=tab.shop_id,
        tab=tab,
        menu_item_id=item.id,
        name=selection.line_name,
        unit_price=selection.unit_price,
        options=selection.snapshot,
        tax_rate=rate,
        tax_included=included,
        quantity=quantity,
        note=note,
        request_key=request_key,
        added_by_id=staff.id if staff else None,
        phone_id=phone_id,
    )
    db.session.add(line)
    db.session.flush()
    if phone_id and language:
        push_service.follow_language(tab, phone_id, language)
    return line


def _line_for_key(tab: Tab, request_key: str | None) -> TabLine | None:
    if not request_key:
        return None
    return db.session.execute(
        select(TabLine).where(TabLine.tab_id == tab.id, TabLine.request_key == request_key)
    ).scalar_one_or_none()


# -- preparing -------------------------------------------------------------------


def move_line(line: TabLine, new_status: str, staff: StaffMember, reason: str = "") -> TabLine:
    """Advance a line (ordered → preparing → ready → served) or void it with a reason."""
    if not can_move_line(line.status, new_status):
        raise Conflict(f"{line.name} is {line.status}; it cannot go to {new_status}.")
    values = {"status": new_status, _STATUS_TIMESTAMP[new_status]: utcnow()}
    if new_status == LINE_VOID:
        reason = one_line_within(reason, MAX_REASON, "The reason")
        if not reason:
            raise Refused("Say why the line is voided.")
        values.update(void_reason=reason, voided_by_id=staff.id)

    tab = line.tab
    touch_tab(tab)
    if new_status == LINE_VOID and (line.payment_id is not None or tab.split_ways):
        raise Conflict(f"{line.name} is already part of a payment; it cannot be voided.")
    # Conditional on the status we showed, so two staff tapping at once move it once.
    result = db.session.execute(
        update(TabLine)
        .where(TabLine.id == line.id, TabLine.status == line.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(f"{line.name} was just changed by someone else; look again.")
    db.session.refresh(line)
    if new_status == LINE_VOID:
        audit.record(
            "void",
            shop_id=tab.shop_id,
            staff=staff,
            tab=tab,
            line=line,
            amount=line.line_total,
            reason=reason,
            item=f"{line.quantity} × {line.name}",
        )
        if line.adjustment == COMP:  # a free item taken back gives its stamps back
            stamps.give_back(line, staff, reason)
    push_service.line_moved(tab, new_status)
    return line


def mark_tab_ready(tab: Tab, staff: StaffMember) -> list[TabLine]:
    """Everything still being made on the tab is ready: one tap, one notification."""
    touch_tab(tab)
    db.session.refresh(tab, ["lines"])
    lines = [line for line in tab.lines if can_move_line(line.status, READY)]
    if not lines:
        raise Conflict("Nothing on this tab is waiting to be made.")
    now = utcnow()
    for line in lines:
        result = db.session.execute(
            update(TabLine)
            .where(TabLine.id == line.id, TabLine.status == line.status)
            .values(status=READY, ready_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(f"{line.name} was just changed by someone else; look again.")
        db.session.refresh(line)
    push_service.line_moved(tab, READY)
    return lines


# -- paying ----------------------------------------------------------------------


def request_payment(tab: Tab) -> Tab:
    """The customer tapped "Pay at the counter": staff now see the tab waiting."""
    if tab.status == SETTLING:
        return tab
    if not tab.is_live:
        raise Conflict(closed_message(tab))
    if not tab.billable_lines:
        raise Refused(gettext("There is nothing on this tab to pay for yet."))
    touch_tab(tab, allowed=(OPEN,), status=SETTLING, pay_requested_at=utcnow())
    return tab


def cancel_payment_request(tab: Tab) -> Tab:
    if tab.status == OPEN:
        return tab
    touch_tab(tab, allowed=(SETTLING,), status=OPEN, pay_requested_at=None)
    # What they chose to pay is stale once they order more.
    db.session.execute(
        delete(PayRequest).where(PayRequest.tab_id == tab.id, PayRequest.paid_at.is_(None))
    )
    return tab


def close_empty_tab(
    tab: Tab, staff: StaffMember, deposit: str | None = None, reason: str = ""
) -> Tab:
    """Close a tab with nothing owed (opened by mistake, a no-show, or every line
    voided). A deposit taken is refunded, or kept with a reason (`deposit`)."""
    if tab.is_live and tab.total:
        raise Refused("This tab still owes money; take the payment or void its lines first.")
    if not can_move_tab(tab.status, VOID):
        raise Conflict(closed_message(tab))
    deposit_values = settle_deposit_on_void(tab, deposit, reason)
    close_tab(
        tab,
        VOID,
        close_reason=f"Closed with nothing owed by {staff.display_name}",
        **deposit_values,
    )
    if tab.total:
        raise Conflict("An order just arrived on this tab; look again.")
    if tab.deposit_status in (DEPOSIT_REFUNDED, DEPOSIT_KEPT):
        audit.record(
            f"deposit_{tab.deposit_status}",
            shop_id=tab.shop_id,
            staff=staff,
            tab=tab,
            amount=tab.deposit_amount,
            reason=tab.deposit_reason,
        )
    push_service.tab_closed(tab)
    return tab


def mark_walked_out(tab: Tab, staff: StaffMember, reason: str) -> Tab:
    """The customer left without paying. The tab closes with what it owed (the owner's
    report lists it) and a deposit taken is kept against the loss."""
    reason = one_line_within(reason, MAX_REASON, "The reason")
    if not reason:
        raise Refused("Say why the tab is marked walked out (for example “left without paying”).")
    if not can_move_tab(tab.status, WALKED_OUT):
        raise Conflict(closed_message(tab))
    unpaid = tab.owed
    deposit_kept = tab.deposit_left
    deposit = {DEPOSIT_HELD: DEPOSIT_KEPT, DEPOSIT_PENDING: DEPOSIT_WAIVED}
    close_tab(
        tab,
        WALKED_OUT,
        close_reason=reason,
        deposit_status=deposit.get(tab.deposit_status, tab.deposit_status),
        deposit_reason=f"Walked out ({staff.display_name}): {reason}"
        if tab.deposit_status == DEPOSIT_HELD
        else tab.deposit_reason,
    )
    db.session.execute(
        delete(PayRequest).where(PayRequest.tab_id == tab.id, PayRequest.paid_at.is_(None))
    )
    audit.record(
        "walk_out",
        shop_id=tab.shop_id,
        staff=staff,
        tab=tab,
        amount=unpaid,
        reason=reason,
        deposit_kept=deposit_kept,
    )
    push_service.tab_closed(tab)
    return tab
