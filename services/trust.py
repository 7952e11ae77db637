"""Trust that grows with paying: how much a tab may run up unpaid.

A phone or personal card the shop has never seen may run a tab up to the shop's
first limit; every tab paid in full at this shop since its last walk-out adds a
step, up to a ceiling. Nothing is stored about a customer beyond their tabs: the
standing is read from them, per phone and per personal card, and the better of the
two counts (a regular who keeps their card brings its history to a new phone).

A walk-out resets the count, and the next tab asks for the shop's walk-out
deposit; staff can lift it. The limit is frozen on a tab when it opens and staff
can raise it for that tab in one tap. Both go in the audit trail.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext
from sqlalchemy import and_, case, func, or_, select, update

from extensions import db
from models import Shop, StaffMember, Tab, TokenCard
from models.base import utcnow
from models.tab import (
    DEPOSIT_PENDING,
    DEPOSIT_WAIVED,
    LIVE_TAB_STATUSES,
    PAID,
    WALKED_OUT,
)
from money import MAX_AMOUNT, format_money
from services import Conflict, Refused, audit


class OverLimit(Refused):
    """An order that would take the tab past its limit: the page offers what to do."""

    status_code = 409


@dataclass(frozen=True)
class Standing:
    """What the shop's own tabs say about a phone or card."""

    paid: int = 0  # tabs paid in full since the last walk-out
    walk_outs: int = 0
    last_walked_out: bool = False  # the most recent closed tab was a walk-out


def limit_after(shop: Shop, paid: int) -> int | None:
    """The limit a tab starts with after `paid` tabs paid in full; None: no limit."""
    if shop.tab_limit_first is None:
        return None
    limit = shop.tab_limit_first + shop.tab_limit_step * paid
    if shop.tab_limit_ceiling is not None:
        limit = min(limit, shop.tab_limit_ceiling)
    return min(limit, MAX_AMOUNT)


def _standing(shop_id: int, holder) -> Standing:
    """`holder` is a condition on Tab naming the phone or the card. One aggregate,
    however many tabs the holder closed here."""
    closed = (Tab.shop_id == shop_id, holder)
    last_walk_out = (
        select(func.max(Tab.closed_at)).where(*closed, Tab.status == WALKED_OUT).scalar_subquery()
    )
    is_paid = Tab.status == PAID
    after = or_(last_walk_out.is_(None), Tab.closed_at > last_walk_out)
    row = db.session.execute(
        select(
            func.sum(case((and_(is_paid, after), 1), else_=0)),
            func.sum(case((Tab.status == WALKED_OUT, 1), else_=0)),
            func.max(Tab.closed_at),
            last_walk_out,
        ).where(*closed, Tab.status.in_((PAID, WALKED_OUT)))
    ).one()
    paid, walk_outs, last, walked_out = row
    return Standing(
        paid=int(paid or 0),
        walk_outs=int(walk_outs or 0),
        last_walked_out=walked_out is not None and walked_out >= last,
    )


def standing(shop_id: int, phone_id: str | None, card: TokenCard | None) -> Standing:
    """The better of the phone's and the personal card's standing; a walk-out on
    either still asks for the deposit next time."""
    found = []
    if phone_id:
        found.append(_standing(shop_id, Tab.phone_id == phone_id))
    if card is not None and card.is_personal:
        found.append(_standing(shop_id, Tab.card_id == card.id))
    if not found:
        return Standing()
    return Standing(
        paid=max(s.paid for s in found),
        walk_outs=max(s.walk_outs for s in found),
        last_walked_out=any(s.last_walked_out for s in found),
    )


def new_tab_terms(shop: Shop, phone_id: str | None, card: TokenCard | None, deposit: dict) -> dict:
    """The columns a new tab starts with: `deposit` (the shop's usual one, from
    services.tabs.deposit_for_new_tab), raised to the walk-out deposit after a
    walk-out, and the limit the phone's or card's standing earns."""
    if shop.tab_limit_first is None and not shop.walkout_deposit:
        return {**deposit, "tab_limit": None}
    found = standing(shop.id, phone_id, card)
    terms = {**deposit, "tab_limit": limit_after(shop, found.paid)}
    if found.last_walked_out and shop.walkout_deposit > deposit.get("deposit_amount", 0):
        terms.update(deposit_amount=shop.walkout_deposit, deposit_status=DEPOSIT_PENDING)
    return terms


# -- ordering ---------------------------------------------------------------------


def room_left(tab: Tab) -> int | None:
    """What the tab may still run up unpaid; None: no limit. A deposit taken covers
    its part, so it counts as paid."""
    if tab.tab_limit is None:
        return None
    return max(0, tab.tab_limit - tab.due)


def check_room(tab: Tab, adding: int, staff: StaffMember | None) -> None:
    """Refuse a customer's order that would take the tab past its limit. Staff adding
    at the counter decide for themselves."""
    if staff is not None or tab.tab_limit is None:
        return
    # What others committed while this order waited for the tab's row counts too.
    db.session.refresh(tab, ["lines", "payments"])
    room = room_left(tab)
    if adding <= room:
        return
    shop = tab.shop
    raise OverLimit(
        gettext(
            "That would take your tab past %(limit)s, the most you can run up here. "
            "Pay what's on your tab so far and carry on ordering, or ask at the counter.",
            limit=format_money(tab.tab_limit, tab.currency, shop.locale),
        )
    )


# -- staff -------------------------------------------------------------------------


def raise_limit(tab: Tab, staff: StaffMember) -> Tab:
    """One tap: the tab may run up one more step (or the first limit again if the
    shop sets no step)."""
    if tab.tab_limit is None:
        raise Conflict(gettext("This tab has no limit."))
    shop = tab.shop
    by = shop.tab_limit_step or shop.tab_limit_first or tab.tab_limit
    if by <= 0:
        raise Refused(gettext("Set a tab limit step in the settings to raise limits."))
    raised = min(tab.tab_limit + by, MAX_AMOUNT)
    # Conditional on the limit staff saw, so two taps at once raise it once.
    result = db.session.execute(
        update(Tab)
        .where(
            Tab.id == tab.id,
            Tab.status.in_(LIVE_TAB_STATUSES),
            Tab.tab_limit == tab.tab_limit,
        )
        .values(
            tab_limit=raised,
            limit_raised_by=Tab.limit_raised_by + (raised - tab.tab_limit),
            limit_raised_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(tab)
    if result.rowcount != 1:
        if not tab.is_live:
            raise Conflict(gettext("This tab is closed."))
        raise Conflict(gettext("The limit was just changed by someone else; look again."))
    audit.record(
        "limit_raised", shop_id=tab.shop_id, staff=staff, tab=tab, amount=by, limit=tab.tab_limit
    )
    return tab


def lift_deposit(tab: Tab, staff: StaffMember) -> Tab:
    """Staff know the customer: the deposit asked for is not needed on this tab."""
    result = db.session.execute(
        update(Tab)
        .where(
            Tab.id == tab.id,
            Tab.status.in_(LIVE_TAB_STATUSES),
            Tab.deposit_status == DEPOSIT_PENDING,
        )
        .values(
            deposit_status=DEPOSIT_WAIVED,
            deposit_reason=f"Lifted by {staff.display_name}",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(tab)
    if result.rowcount != 1:
        raise Conflict(gettext("There is no deposit waiting on this tab."))
    audit.record("deposit_lifted", shop_id=tab.shop_id, staff=staff, tab=tab, amount=0)
    return tab


# -- the owner's view -----------------------------------------------------------------


@dataclass(frozen=True)
class Regular:
    label: str  # the name they gave and a short phone label: nothing more about them
    paid: int  # tabs paid in full here, ever
    walk_outs: int
    limit: int | None  # what their next tab would start with
    deposit_required: bool


def phone_label(phone_id: str) -> str:
    """A phone the owner can tell apart from others, and nothing more about it."""
    return gettext("Phone %(code)s", code=phone_id[:4].upper())


REGULARS_PAGE = 50
REGULARS_DAYS = 90


@dataclass(frozen=True)
class RegularsPage:
    regulars: list[Regular]
    page: int
    more: bool  # a next page exists
    days: int = REGULARS_DAYS


def regulars(shop: Shop, page: int = 1) -> RegularsPage:
    """The phones seen in the last 90 days, most visits first, 50 to a page; for each,
    over all its history here: tabs paid, walk-outs and the limit its next tab would
    start with. Three statements, each reading through an index no more than the
    window's closed tabs or the page's phones' own tabs, however long the history."""
    since = utcnow() - timedelta(days=REGULARS_DAYS)
    visits = func.count()
    last = func.max(Tab.closed_at)
    phone_ids = list(
        db.session.execute(
            select(Tab.phone_id)
            .where(
                Tab.shop_id == shop.id,
                Tab.closed_at >= since,
                Tab.status.in_((PAID, WALKED_OUT)),
            )
            .group_by(Tab.phone_id)
            # Tabs without a phone form the one group counting no phone. Not "phone_id
            # IS NOT NULL" in WHERE: that range leads SQLite to the phone index, which
            # reads the shop's whole history instead of the window.
            .having(func.count(Tab.phone_id) > 0)
            .order_by(visits.desc(), last.desc(), Tab.phone_id)
            .offset((page - 1) * REGULARS_PAGE)
            .limit(REGULARS_PAGE + 1)
        ).scalars()
    )
    more = len(phone_ids) > REGULARS_PAGE
    phone_ids = phone_ids[:REGULARS_PAGE]
    if not phone_ids:
        return RegularsPage([], page, more)
    counts = _histories(shop.id, phone_ids)
    names = _latest_names(shop.id, phone_ids)
    found = []
    for phone_id in phone_ids:
        row = counts[phone_id]
        name = names.get(phone_id, "")
        label = phone_label(phone_id)
        walked_out_last = row.walked_out is not None and row.walked_out >= row.last
        found.append(
            Regular(
                label=f"{name} · {label}" if name else label,
                paid=int(row.paid),
                walk_outs=int(row.tabs - row.paid),
                limit=limit_after(shop, int(row.since)),
                deposit_required=walked_out_last and shop.walkout_deposit > 0,
            )
        )
    return RegularsPage(found, page, more)


def _histories(shop_id: int, phone_ids: list[str]) -> dict:
    """Per phone, over all its closed tabs here: tabs, paid, paid since its last
    walk-out, its last closed tab and last walk-out (one GROUP BY on the phone index)."""
    mine = (
        Tab.shop_id == shop_id,
        Tab.phone_id.in_(phone_ids),
        Tab.status.in_((PAID, WALKED_OUT)),
    )
    last_walk_out = (
        select(Tab.phone_id, func.max(Tab.closed_at).label("at"))
        .where(*mine, Tab.status == WALKED_OUT)
        .group_by(Tab.phone_id)
        .subquery()
    )
    is_paid = Tab.status == PAID
    after = or_(last_walk_out.c.at.is_(None), Tab.closed_at > last_walk_out.c.at)
    rows = db.session.execute(
        select(
            Tab.phone_id,
            func.count().label("tabs"),
            func.sum(case((is_paid, 1), else_=0)).label("paid"),
            func.sum(case((and_(is_paid, after), 1), else_=0)).label("since"),
            func.max(Tab.closed_at).label("last"),
            func.max(last_walk_out.c.at).label("walked_out"),
        )
        .outerjoin(last_walk_out, last_walk_out.c.phone_id == Tab.phone_id)
        .where(*mine)
        .group_by(Tab.phone_id)
    ).all()
    return {row.phone_id: row for row in rows}


def _latest_names(shop_id: int, phone_ids: list[str]) -> dict[str, str]:
    """The name each phone gave on its latest closed tab that has one."""
    if not phone_ids:
        return {}
    latest = (
        select(func.max(Tab.id))
        .where(
            Tab.shop_id == shop_id,
            Tab.phone_id.in_(phone_ids),
            Tab.status.in_((PAID, WALKED_OUT)),
            Tab.customer_name != "",
        )
        .group_by(Tab.phone_id)
    )
    rows = db.session.execute(select(Tab.phone_id, Tab.customer_name).where(Tab.id.in_(latest)))
    return {phone_id: name for phone_id, name in rows}


# -- the owner's settings -------------------------------------------------------------


def shift_amounts(shop: Shop, shifted) -> None:
    """The currency changed (services.shops.convert_prices): the limits and the
    walk-out deposit follow the prices. A limit that cannot be written exactly in the
    new currency is rounded down, which only asks a little less of trust."""
    for field in ("tab_limit_first", "tab_limit_step", "tab_limit_ceiling", "walkout_deposit"):
        value = getattr(shop, field)
        if value is not None:
            setattr(shop, field, shifted(value))


MAX_IDLE_MINUTES = 24 * 60
MAX_LOYALTY_EVERY = 100


def _amount(value: int | None, what: str, *, blank_ok: bool) -> int | None:
    if value is None:
        if blank_ok:
            return None
        return 0
    if not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
        raise Refused(gettext("%(what)s can't be negative.", what=what))
    return value


def _whole(text: str | None, what: str, low: int, high: int) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise Refused(
            gettext(
                "%(what)s is a whole number from %(low)d to %(high)d, or empty.",
                what=what,
                low=low,
                high=high,
            )
        )
    return int(text)


def set_settings(
    shop: Shop,
    *,
    first: int | None,
    step: int | None,
    ceiling: int | None,
    walkout_deposit: int | None,
    idle_minutes: str | None,
    loyalty_every: str | None,
    loyalty_categories: list[str],
    known_categories: list[str],
) -> Shop:
    """The owner's choices for limits, idle reminders and the stamp card. Amounts are
    minor units (None: left empty). New limits apply to tabs opened from now on."""
    first = _amount(first, gettext("The first limit"), blank_ok=True)
    step = _amount(step, gettext("The step"), blank_ok=False)
    ceiling = _amount(ceiling, gettext("The highest limit"), blank_ok=True)
    walkout_deposit = _amount(walkout_deposit, gettext("The walk-out deposit"), blank_ok=False)
    if first is not None and ceiling is not None and ceiling < first:
        raise Refused(gettext("The highest limit can't be below the first limit."))
    idle = _whole(idle_minutes, gettext("The idle reminder"), 1, MAX_IDLE_MINUTES)
    every = _whole(loyalty_every, gettext("The stamp card"), 2, MAX_LOYALTY_EVERY)
    chosen = []
    for name in loyalty_categories:
        if name not in known_categories:
            raise Refused(gettext("Pick the stamp card's categories from your menu's."))
        if name not in chosen:
            chosen.append(name)
    if every is not None and not chosen:
        raise Refused(gettext("Pick at least one category for the stamp card."))
    shop.tab_limit_first = first
    shop.tab_limit_step = step
    shop.tab_limit_ceiling = ceiling
    shop.walkout_deposit = walkout_deposit
    shop.idle_minutes = idle
    shop.loyalty_every = every
    shop.loyalty_categories = "\n".join(chosen)
    db.session.flush()
    return shop
