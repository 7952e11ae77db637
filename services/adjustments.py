"""What staff do about a line that wasn't right: remake it (back to the queue, same
price), comp it (its price off entirely) or discount it (an amount or a percent off),
always with a reason, always in the audit trail.

A comp or discount never rewrites the line's price snapshot: it is kept apart in
`TabLine.discount`, so the bill, the report and the CSV can show both. Money that is
already settled is never changed: a line covered by a payment, or any line once an
equal split is fixed (the shares were computed from the total), is refused.
"""

from flask_babel import gettext
from sqlalchemy import update

from extensions import db
from models import LoyaltyStamp, StaffMember, Tab, TabLine
from models.base import utcnow
from models.tab import (
    ADJUST_NONE,
    COMP,
    DISCOUNT,
    LINE_VOID,
    ORDERED,
    REMAKE,
)
from models.trust import REDEEMED
from money import AmountError, format_money, parse_amount
from services import Conflict, NotFound, Refused, audit, stamps
from services.tab_state import MAX_REASON, close_as_paid, touch_tab
from services.text import one_line_within

PERCENT = "percent"
AMOUNT = "amount"


def percent_off(gross: int, percent: int) -> int:
    """`percent` of a line, in minor units, rounded half up (integers only)."""
    if gross < 0 or not 0 <= percent <= 100:
        raise ValueError("gross must be >= 0 and percent 0-100")
    return (gross * percent + 50) // 100


def parse_discount(
    kind: str | None, value: str | None, gross: int, currency: str, locale: str = "en"
) -> int:
    """The amount off a line of `gross` minor units: a percent (whole, 1-100) or an
    amount in the tab's currency; never nothing, never more than the line."""
    kind = (kind or "").strip().lower()
    text = (value or "").strip()
    if kind == PERCENT:
        digits = text.rstrip("%").strip()
        if not digits.isdigit() or not 1 <= int(digits) <= 100:
            raise Refused("A discount in percent is a whole number from 1 to 100.")
        off = percent_off(gross, int(digits))
    elif kind == AMOUNT:
        try:
            off = parse_amount(text, currency, locale)
        except AmountError as problem:
            raise Refused(f"The discount: {problem}") from None
    else:
        raise Refused("Say whether the discount is an amount or a percent.")
    if off <= 0:
        raise Refused("That discount takes nothing off; enter more, or comp the line.")
    if off > gross:
        raise Refused(
            f"A discount can be at most the line itself ({format_money(gross, currency)})."
        )
    return off


def _reason(reason: str | None, what: str) -> str:
    reason = one_line_within(reason, MAX_REASON, "The reason")
    if not reason:
        raise Refused(f"Say why the line is {what}.")
    return reason


def _check_line(line: TabLine, what: str) -> None:
    tab = line.tab
    touch_tab(tab)
    db.session.refresh(line)
    if line.status == LINE_VOID:
        raise Conflict(f"{line.name} was removed from the bill; there is nothing to {what}.")
    if line.payment_id is not None:
        raise Conflict(f"{line.name} is already paid; it cannot be {what}ed now.")
    if tab.split_ways:
        raise Conflict(
            f"The bill is being split equally and part is paid; {line.name} cannot be "
            f"{what}ed now (the shares are fixed)."
        )


def _resolve_values(line: TabLine, resolution: str, staff: StaffMember, reason: str, now) -> dict:
    if not line.needs_attention:
        return {}
    return {
        "resolved_at": now,
        "resolution": resolution,
        "resolution_reason": reason,
        "resolved_by_id": staff.id,
    }


def _set_discount(
    line: TabLine, off: int, kind: str, staff: StaffMember, reason: str, **detail
) -> TabLine:
    now = utcnow()
    before = line.discount
    was_comped = line.adjustment == COMP
    values = {
        "discount": off,
        "adjustment": kind,
        "adjustment_reason": reason,
        "adjusted_at": now,
        "adjusted_by_id": staff.id,
        **_resolve_values(line, kind, staff, reason, now),
    }
    # Conditional on the line still unpaid: a payment committed meanwhile wins.
    result = db.session.execute(
        update(TabLine)
        .where(TabLine.id == line.id, TabLine.payment_id.is_(None), TabLine.status != LINE_VOID)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(f"{line.name} was just paid or removed; look again.")
    db.session.refresh(line)
    audit.record(
        kind,
        shop_id=line.shop_id,
        staff=staff,
        tab=line.tab,
        line=line,
        amount=off,
        reason=reason,
        item=f"{line.quantity} × {line.name}",
        line_price=line.gross,
        discount_before=before,
        **detail,
    )
    # A free item staff now comp or discount their own way: its stamps come back.
    if was_comped:
        stamps.give_back(line, staff, reason)
    close_if_covered(line.tab, now)
    return line


def close_if_covered(tab, now) -> None:
    """Part of the tab was paid and the comp took off the rest: it is paid, as it would
    be had the last payment covered it (nothing is left for anyone to pay)."""
    db.session.refresh(tab, ["lines", "payments"])
    if tab.payments and tab.owed == 0:
        close_as_paid(tab, now)


def comp_line(line: TabLine, staff: StaffMember, reason: str | None) -> TabLine:
    """The line is on the house: its whole price comes off the bill."""
    reason = _reason(reason, "comped")
    _check_line(line, "comp")
    return _set_discount(line, line.gross, COMP, staff, reason)


def discount_line(
    line: TabLine, staff: StaffMember, kind: str | None, value: str | None, reason: str | None
) -> TabLine:
    reason = _reason(reason, "discounted")
    _check_line(line, "discount")
    off = parse_discount(kind, value, line.gross, line.tab.currency, line.tab.shop.locale)
    return _set_discount(line, off, DISCOUNT, staff, reason, given_as=f"{value} ({kind})")


def remake_line(line: TabLine, staff: StaffMember, reason: str | None) -> TabLine:
    """Make it again: the line goes back to the queue at the same price."""
    reason = _reason(reason, "remade")
    tab = line.tab
    touch_tab(tab)
    db.session.refresh(line)
    if line.status == LINE_VOID:
        raise Conflict(f"{line.name} was removed from the bill; there is nothing to remake.")
    now = utcnow()
    db.session.execute(
        update(TabLine)
        .where(TabLine.id == line.id)
        .values(
            status=ORDERED,
            preparing_at=None,
            ready_at=None,
            served_at=None,
            **_resolve_values(line, REMAKE, staff, reason, now),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(line)
    audit.record(
        REMAKE,
        shop_id=line.shop_id,
        staff=staff,
        tab=tab,
        line=line,
        amount=0,
        reason=reason,
        item=f"{line.quantity} × {line.name}",
    )
    return line


def redeem_stamps(tab: Tab, line_id, phone_id: str | None) -> TabLine:
    """ "Use my free coffee": one of the line's items comes off the bill, paid for with
    a card's worth of stamps."""
    every = tab.shop.loyalty_every
    holder_phone, card_id = stamps.holder(tab)
    if not every:
        raise Refused(gettext("This café has no stamp card."))
    if phone_id is None or phone_id != holder_phone:
        raise Refused(gettext("Only the phone that opened the tab can use its stamps."))
    touch_tab(tab)
    line = next((each for each in stamps.eligible_lines(tab) if each.id == line_id), None)
    if line is None:
        raise NotFound(gettext("That item doesn't earn stamps, or isn't on this tab."))
    if not stamps.can_be_free(line):
        raise Conflict(gettext("%(item)s is already paid or changed.", item=line.name))
    if tab.split_ways:
        raise Conflict(gettext("The bill is being split equally; ask at the counter."))
    if stamps.balance(tab.shop_id, holder_phone, card_id) < every:
        raise Conflict(gettext("You don't have a free item yet."))
    now = utcnow()
    result = db.session.execute(
        update(TabLine)
        .where(
            TabLine.id == line.id,
            TabLine.payment_id.is_(None),
            TabLine.adjustment == ADJUST_NONE,
            TabLine.status != LINE_VOID,
        )
        .values(
            discount=line.unit_price,
            adjustment=COMP,
            adjustment_reason=stamps.LOYALTY,
            adjusted_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(gettext("%(item)s was just paid or changed; look again.", item=line.name))
    db.session.refresh(line)
    db.session.add(
        LoyaltyStamp(
            shop_id=tab.shop_id,
            phone_id=holder_phone,
            card_id=card_id,
            tab_id=tab.id,
            line_id=line.id,
            kind=REDEEMED,
            stamps=-every,
            created_at=now,
        )
    )
    audit.record(
        COMP,
        shop_id=tab.shop_id,
        tab=tab,
        line=line,
        amount=line.unit_price,
        reason=stamps.LOYALTY,
        item=f"1 × {line.name}",
        line_price=line.gross,
        discount_before=0,
        stamps=every,
    )
    close_if_covered(tab, now)
    return line
