"""Cashing up: counting the drawer against what the till recorded.

Expected cash = the opening float the owner enters + cash paid for bills + cash
tips + deposits taken in cash − deposits refunded or handed back in cash (see
`services.takings` for what each is). Card money never enters the drawer.

Several cash-ups a day are allowed, one after another: each covers the cash since
the one before (the shop's first since the start of its day), which is how a drawer
handed over at a change of shift is counted. A miscount is put right by counting
again: the recount covers the same stretch and replaces the latest cash-up, which
stays on record as replaced, so no day's difference is ever counted twice and
nothing once recorded is rewritten.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from extensions import db
from models import CashUp, Shop, StaffMember
from models.base import as_utc, utcnow
from models.cashup import MAX_NOTE
from money import MAX_AMOUNT
from services import Conflict, Refused, audit
from services.report import Period, shop_zone
from services.takings import CASH, Amounts, takings
from services.text import one_line


@dataclass
class Drawer:
    """The cash since the latest cash-up, as it stands now: what the form shows."""

    starts_at: datetime
    ends_at: datetime
    cash: Amounts
    latest: CashUp | None  # the cash-up this stretch follows, or a recount replaces
    recount: bool

    @property
    def after(self) -> int:
        """The number of the latest cash-up (0: none yet); the form sends it back so
        a double tap, or another owner counting meanwhile, is caught."""
        return self.latest.number if self.latest else 0

    @property
    def suggested_float(self) -> int | None:
        return self.latest.opening_float if self.latest else None

    def expected(self, opening_float: int) -> int:
        return opening_float + self.cash.received


def latest(shop_id: int) -> CashUp | None:
    return db.session.execute(
        select(CashUp).where(CashUp.shop_id == shop_id).order_by(CashUp.number.desc()).limit(1)
    ).scalar_one_or_none()


def start_of_day(shop: Shop, now: datetime) -> datetime:
    zone = shop_zone(shop)
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone).astimezone(UTC)


def drawer(shop: Shop, *, recount: bool = False, now: datetime | None = None) -> Drawer:
    """The stretch a cash-up made now would cover, and the cash it saw."""
    now = now or utcnow()
    last = latest(shop.id)
    if recount:
        if last is None:
            raise Refused(gettext("There is no cash-up to count again yet."))
        starts_at = as_utc(last.starts_at)
    else:
        starts_at = as_utc(last.counted_at) if last else start_of_day(shop, now)
    money = takings(shop.id, shop.currency, starts_at, now)
    return Drawer(starts_at, now, money.by_method[CASH], last, recount)


def clean_note(note: str | None) -> str:
    note = one_line(note)
    if len(note) > MAX_NOTE:
        raise Refused(gettext("Keep the note under %(most)s characters.", most=MAX_NOTE))
    return note


def _check_amount(amount: int, what: str) -> int:
    if not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT:
        raise Refused(gettext("%(what)s must be an amount from zero up.", what=what))
    return amount


def cash_up(
    shop: Shop,
    staff: StaffMember,
    *,
    opening_float: int,
    counted: int,
    after: int,
    note: str = "",
    recount: bool = False,
    now: datetime | None = None,
) -> CashUp:
    """Record a count of the drawer. `after` is the latest cash-up's number the owner
    saw when they began counting; if another was recorded since, nothing is saved."""
    _check_amount(opening_float, gettext("The float"))
    _check_amount(counted, gettext("The cash counted"))
    note = clean_note(note)
    found = drawer(shop, recount=recount, now=now)
    if found.after != after:
        raise Conflict(
            gettext("Someone cashed up since you opened this page; look again and count anew.")
        )
    expected = found.expected(opening_float)
    row = CashUp(
        shop_id=shop.id,
        number=found.after + 1,
        starts_at=found.starts_at,
        counted_at=found.ends_at,
        currency=shop.currency,
        opening_float=opening_float,
        cash_bills=found.cash.bill,
        cash_tips=found.cash.tip,
        cash_deposits_taken=found.cash.deposit_in,
        cash_given_back=found.cash.deposit_out,
        expected=expected,
        counted=counted,
        note=note,
        staff_id=staff.id,
        replaces_id=found.latest.id if recount else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            gettext("Someone cashed up at the same moment; look again and count anew.")
        ) from None
    audit.record(
        "cash_up",
        shop_id=shop.id,
        staff=staff,
        amount=row.difference,
        currency=shop.currency,
        reason=note,
        opening_float=opening_float,
        expected=expected,
        counted=counted,
        since=found.starts_at.astimezone(shop_zone(shop)).strftime("%Y-%m-%d %H:%M"),
        recount_of=found.latest.number if recount else None,
    )
    return row


@dataclass
class CashUpRow:
    cash_up: CashUp
    replaced: bool
    by: str


def cash_ups(shop_id: int, period: Period, names: dict[int, str]) -> list[CashUpRow]:
    """The cash-ups counted in the range, in order, each marked if a recount
    replaced it."""
    recount = aliased(CashUp)
    replaced = select(recount.id).where(recount.replaces_id == CashUp.id).exists()
    rows = db.session.execute(
        select(CashUp, replaced)
        .where(CashUp.shop_id == shop_id, period.contains(CashUp.counted_at))
        .order_by(CashUp.number)
    ).all()
    return [CashUpRow(row, bool(gone), names.get(row.staff_id, "")) for row, gone in rows]


def difference_of(rows: list[CashUpRow], currency: str) -> int:
    """The range's cash over (positive) or short: a replaced count is left out."""
    return sum(
        row.cash_up.difference
        for row in rows
        if not row.replaced and row.cash_up.currency == currency
    )
