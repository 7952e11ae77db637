"""The day, for the owner: the money (defined once, in services/takings.py), tabs,
time to serve, voids, comps and discounts, who still owes, who walked out, and the
same figures as CSV for a spreadsheet.

Which day something belongs to
------------------------------
Days run from midnight to midnight in the shop's own timezone; a range of days is
turned into one half-open UTC interval [first midnight, midnight after the last day)
before any query runs. Every figure is placed by the moment its event happened:

- sales, tips and payments by the payment's time (the usual accounting rule), so a
  tab opened at 23:30 and paid at 00:30 is the *next* day's sale; a deposit when it
  was taken, and its refund, hand-back or keeping when its tab closed;
- paid, closed-empty and walked-out tabs by the time they were closed (for a paid
  tab that is the moment of its payment, so counts and sales agree);
- time from order to ready by the moment the line became ready;
- voids by the moment the line was voided.

What is owed now (tabs open or waiting to pay, less the deposits taken on them) is
shown whatever the range: it is the cash-flow view of the present, not of a past day.

Every read is a fixed number of statements, aggregated in SQL or eager-loaded, so
a busy day costs no more queries than a quiet one.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from extensions import db
from models import Payment, Shop, StaffMember, Tab, TabLine, TabMember, TabRating
from models.base import as_utc, utcnow
from models.tab import (
    COMP,
    DEPOSIT_APPLIED,
    DEPOSIT_KEPT,
    DEPOSIT_REFUNDED,
    DISCOUNT,
    LINE_VOID,
    LIVE_TAB_STATUSES,
    PAID,
    SETTLING,
    TAB_LABELS,
    VOID,
    WALKED_OUT,
)
from models.tax import TaxSummary, add_up, line_taxes
from money import format_plain
from services import Refused
from services import tax as tax_service
from services.takings import (
    TAKEN,
    Amounts,
    Takings,
    deposit_method,
    left_over,
    movements,
    takings,
)

# A year, leap day included: long enough for an annual export, short enough that
# one request never has to read a shop's whole history.
MAX_RANGE_DAYS = 366
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Far enough from datetime's limits that a day's UTC bounds always exist.
_FIRST_YEAR, _LAST_YEAR = 2000, 9998


def shop_zone(shop: Shop) -> ZoneInfo:
    try:
        return ZoneInfo(shop.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# -- the range -----------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days, first to last inclusive, and the UTC interval they cover."""

    first: date
    last: date
    zone: ZoneInfo

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=self.zone).astimezone(UTC)

    @property
    def ends(self) -> datetime:
        """The midnight after the last day: the interval is [starts, ends)."""
        return datetime.combine(
            self.last + timedelta(days=1), time(0), tzinfo=self.zone
        ).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def is_single_day(self) -> bool:
        return self.first == self.last

    def contains(self, moment):
        return and_(moment >= self.starts, moment < self.ends)

    def slug(self) -> str:
        if self.is_single_day:
            return self.first.isoformat()
        return f"{self.first.isoformat()}-to-{self.last.isoformat()}"


def _parse_date(text: str, which: str) -> date:
    text = text.strip()
    start = which == "start"
    if not _ISO_DATE.match(text):
        if start:
            raise Refused(gettext("The start date must look like 2024-05-31 (year-month-day)."))
        raise Refused(gettext("The end date must look like 2024-05-31 (year-month-day)."))
    try:
        value = date.fromisoformat(text)
    except ValueError:
        if start:
            problem = gettext("The start date %(day)s does not exist on the calendar.", day=text)
        else:
            problem = gettext("The end date %(day)s does not exist on the calendar.", day=text)
        raise Refused(problem) from None
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        years = {"first": _FIRST_YEAR, "last": _LAST_YEAR}
        if start:
            raise Refused(
                gettext("The start date must be between %(first)s and %(last)s.", **years)
            )
        raise Refused(gettext("The end date must be between %(first)s and %(last)s.", **years))
    return value


def parse_period(first: str | None, last: str | None, shop: Shop, now=None) -> Period:
    """The days asked for in `?from=&to=`; a missing end takes the other's value and
    no dates at all means today in the shop's timezone."""
    zone = shop_zone(shop)
    first = (first or "").strip()
    last = (last or "").strip()
    if not first and not last:
        today = (now or utcnow()).astimezone(zone).date()
        return Period(today, today, zone)
    first_day = _parse_date(first or last, "start")
    last_day = _parse_date(last or first, "end")
    if last_day < first_day:
        raise Refused(
            gettext(
                "The range ends (%(last)s) before it starts (%(first)s); "
                "pick an end date on or after the start.",
                last=last_day.isoformat(),
                first=first_day.isoformat(),
            )
        )
    if (last_day - first_day).days + 1 > MAX_RANGE_DAYS:
        raise Refused(gettext("Pick a range of at most %(days)s days.", days=MAX_RANGE_DAYS))
    return Period(first_day, last_day, zone)


# -- the page ------------------------------------------------------------------------


@dataclass
class Adjustment:
    """Money taken off a bill, with who did it and why.

    Voids, comps and discounts: each kind is a list of these on `DayReport`, read
    by its own query and shown by the same template macro.
    """

    kind: str
    at: datetime
    tab: Tab
    name: str
    quantity: int
    amount: int
    reason: str
    by: str


@dataclass(frozen=True)
class Headline:
    """The owner's money at a glance: the overview and the top of the day page show
    these, so both are built by `glance` from the same reads."""

    currency: str
    sales: int
    tips: int
    received: int
    owed: int
    open_tabs: int  # open or waiting to pay
    ratings: int
    average_rating: float | None


def glance(currency: str, money: Takings, owing: list[Tab], ratings: tuple) -> Headline:
    count, average = ratings
    return Headline(
        currency=currency,
        sales=money.total.sales,
        tips=money.total.tip,
        received=money.total.received,
        owed=owed_now(owing, currency),
        open_tabs=len(owing),
        ratings=count,
        average_rating=average,
    )


def owed_now(owing: list[Tab], currency: str) -> int:
    """What live tabs still have to hand over: their bills less what was paid and
    less the deposit already taken (it comes off the bill)."""
    return sum(tab.due for tab in owing if tab.currency == currency)


def headline(shop: Shop, period: Period) -> Headline:
    """The glance for `period` (the overview asks for today)."""
    money = takings(shop.id, shop.currency, period.starts, period.ends)
    return glance(shop.currency, money, live_tabs(shop.id), _rating_summary(shop.id, period))


@dataclass
class DayReport:
    shop: Shop
    period: Period
    currency: str
    money: Takings
    paid_tabs: int = 0
    closed_empty_tabs: int = 0
    walked_out_tabs: int = 0
    lines_ready: int = 0
    average_ready_seconds: float | None = None
    voids: list[Adjustment] = field(default_factory=list)
    comps: list[Adjustment] = field(default_factory=list)
    ratings: int = 0
    average_rating: float | None = None
    comments: list[TabRating] = field(default_factory=list)
    # Lines customers said weren't right, flagged in the range, with what staff did.
    flagged: list[TabLine] = field(default_factory=list)
    owing: list[Tab] = field(default_factory=list)
    walk_outs: list[Tab] = field(default_factory=list)
    # Phones with a tab in the range (opened or joined), split by whether they had
    # one at this shop before the range began.
    returning_phones: int = 0
    new_phones: int = 0
    # Net, tax and gross per rate of the sales (`sales_tax`).
    tax: TaxSummary = field(default_factory=lambda: TaxSummary(included=True))

    @property
    def headline(self) -> Headline:
        return glance(self.currency, self.money, self.owing, (self.ratings, self.average_rating))

    @property
    def sales(self) -> int:
        return self.money.total.sales

    @property
    def tips(self) -> int:
        return self.money.total.tip

    @property
    def received(self) -> int:
        return self.money.total.received

    @property
    def payments(self) -> int:
        return self.money.total.payments

    @property
    def by_method(self) -> list[tuple[str, Amounts]]:
        return list(self.money.by_method.items())

    @property
    def open_tabs(self) -> int:
        return sum(1 for tab in self.owing if tab.status != SETTLING)

    @property
    def waiting_tabs(self) -> int:
        return sum(1 for tab in self.owing if tab.status == SETTLING)

    @property
    def owed(self) -> int:
        return owed_now(self.owing, self.currency)

    @property
    def deposits_held(self) -> int:
        """Deposits taken on live tabs and not yet used: in the till, still theirs."""
        return sum(tab.deposit_left for tab in self.owing if tab.currency == self.currency)

    @property
    def walked_out(self) -> int:
        """What walk-outs left unpaid (before any deposit kept against it)."""
        return sum(tab.owed for tab in self.walk_outs if tab.currency == self.currency)

    @property
    def voided(self) -> int:
        return sum(void.amount for void in self.voids)

    def _adjusted(self, kind: str) -> int:
        rows = [row for row in self.comps if row.kind == kind]
        return sum(row.amount for row in rows if row.tab.currency == self.currency)

    @property
    def comped(self) -> int:
        return self._adjusted(COMP)

    @property
    def discounted(self) -> int:
        return self._adjusted(DISCOUNT)


def day_report(shop: Shop, period: Period) -> DayReport:
    money = takings(shop.id, shop.currency, period.starts, period.ends)
    report = DayReport(shop=shop, period=period, currency=shop.currency, money=money)
    _add_tab_counts(report)
    _add_time_to_ready(report)
    names = staff_names(shop.id)
    report.voids = _voids(shop.id, period, names)
    report.comps = _comps(shop.id, period, names)
    _add_ratings(report)
    report.flagged = _flagged(shop.id, period)
    report.owing = live_tabs(shop.id)
    report.walk_outs = _walk_outs(shop.id, period)
    _add_returning_phones(report)
    report.tax = sales_tax(shop, period)
    return report


def sales_tax(shop: Shop, period: Period) -> TaxSummary:
    """Net, tax and gross per rate of the range's sales: the tax each payment in the
    range carried (services.tax.payment_taxes), in the shop's currency. The gross
    adds up to the sales; tips and deposits are not in it. For tabs paid in full in
    the range it is the sum of their receipts' tax blocks."""
    tabs = db.session.execute(
        select(Tab)
        .join(Payment, Payment.tab_id == Tab.id)
        .where(
            Payment.shop_id == shop.id,
            Payment.currency == shop.currency,
            period.contains(Payment.created_at),
        )
        .options(selectinload(Tab.lines), selectinload(Tab.payments))
        .distinct()
    ).scalars()
    parts = []
    for tab in tabs:
        taxes = tax_service.payment_taxes(tab)
        parts += [
            taxes[p.id]
            for p in tab.payments
            if p.currency == shop.currency and period.starts <= as_utc(p.created_at) < period.ends
        ]
    return add_up(parts)


def phone_visits(shop_id: int):
    """Every visit a phone made to the shop, as (phone, at) rows: each tab it opened
    and each tab it joined."""
    return (
        select(Tab.phone_id.label("phone"), Tab.opened_at.label("at"))
        .where(Tab.shop_id == shop_id, Tab.phone_id.is_not(None))
        .union_all(
            select(TabMember.phone_id, TabMember.joined_at).where(TabMember.shop_id == shop_id)
        )
        .subquery()
    )


def _add_returning_phones(report: DayReport) -> None:
    """A phone counts when it opened or joined a tab in the range; it is returning
    when its first tab at this shop came before the range, in the shop's days."""
    shop_id, period = report.shop.id, report.period
    visits = phone_visits(shop_id)
    in_range = select(visits.c.phone).where(period.contains(visits.c.at))
    firsts = db.session.execute(
        select(visits.c.phone, func.min(visits.c.at))
        .where(visits.c.phone.in_(in_range))
        .group_by(visits.c.phone)
    ).all()
    starts = period.starts
    returning = sum(1 for _, first in firsts if as_utc(first) < starts)
    report.returning_phones = returning
    report.new_phones = len(firsts) - returning


def _add_tab_counts(report: DayReport) -> None:
    counts = dict(
        db.session.execute(
            select(Tab.status, func.count(Tab.id))
            .where(
                Tab.shop_id == report.shop.id,
                Tab.status.in_((PAID, VOID, WALKED_OUT)),
                report.period.contains(Tab.closed_at),
            )
            .group_by(Tab.status)
        ).all()
    )
    report.paid_tabs = counts.get(PAID, 0)
    report.closed_empty_tabs = counts.get(VOID, 0)
    report.walked_out_tabs = counts.get(WALKED_OUT, 0)


def _seconds_between(start, end):
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _add_time_to_ready(report: DayReport) -> None:
    """Each line that reached ready counts once, whatever its quantity: the counter
    makes a line as one order. A line voided after it was ready still took that long."""
    count, average = db.session.execute(
        select(
            func.count(TabLine.id),
            func.avg(_seconds_between(TabLine.ordered_at, TabLine.ready_at)),
        ).where(
            TabLine.shop_id == report.shop.id,
            TabLine.ready_at.is_not(None),
            report.period.contains(TabLine.ready_at),
        )
    ).one()
    report.lines_ready = count
    report.average_ready_seconds = float(average) if average is not None else None


def staff_names(shop_id: int) -> dict[int, str]:
    return {
        member.id: member.display_name
        for member in db.session.execute(
            select(StaffMember).where(StaffMember.shop_id == shop_id)
        ).scalars()
    }


def _voids(shop_id: int, period: Period, names: dict[int, str]) -> list[Adjustment]:
    lines = db.session.execute(
        select(TabLine)
        .join(TabLine.tab)
        .where(
            TabLine.shop_id == shop_id,
            TabLine.status == LINE_VOID,
            period.contains(TabLine.voided_at),
        )
        .options(contains_eager(TabLine.tab).selectinload(Tab.card))
        .order_by(TabLine.voided_at, TabLine.id)
    ).scalars()
    return [
        Adjustment(
            kind="void",
            at=line.voided_at,
            tab=line.tab,
            name=line.name,
            quantity=line.quantity,
            amount=line.line_total,
            reason=line.void_reason,
            by=names.get(line.voided_by_id, ""),
        )
        for line in lines
    ]


def _comps(shop_id: int, period: Period, names: dict[int, str]) -> list[Adjustment]:
    """Comps and discounts placed by when they were given; a line voided afterwards
    left the bill altogether and counts among the voids instead."""
    lines = db.session.execute(
        select(TabLine)
        .join(TabLine.tab)
        .where(
            TabLine.shop_id == shop_id,
            TabLine.discount > 0,
            TabLine.status != LINE_VOID,
            period.contains(TabLine.adjusted_at),
        )
        .options(contains_eager(TabLine.tab).selectinload(Tab.card))
        .order_by(TabLine.adjusted_at, TabLine.id)
    ).scalars()
    return [
        Adjustment(
            kind=line.adjustment,
            at=line.adjusted_at,
            tab=line.tab,
            name=line.name,
            quantity=line.quantity,
            amount=line.discount,
            reason=line.adjustment_reason,
            by=names.get(line.adjusted_by_id, ""),
        )
        for line in lines
    ]


def _rating_summary(shop_id: int, period: Period) -> tuple[int, float | None]:
    count, average = db.session.execute(
        select(func.count(TabRating.id), func.avg(TabRating.rating)).where(
            TabRating.shop_id == shop_id, period.contains(TabRating.created_at)
        )
    ).one()
    return count, float(average) if average is not None else None


def _add_ratings(report: DayReport) -> None:
    where = (TabRating.shop_id == report.shop.id, report.period.contains(TabRating.created_at))
    report.ratings, report.average_rating = _rating_summary(report.shop.id, report.period)
    report.comments = list(
        db.session.execute(
            select(TabRating)
            .where(*where, TabRating.comment != "")
            .order_by(TabRating.created_at, TabRating.id)
        ).scalars()
    )


def _flagged(shop_id: int, period: Period) -> list[TabLine]:
    return list(
        db.session.execute(
            select(TabLine)
            .join(TabLine.tab)
            .where(TabLine.shop_id == shop_id, period.contains(TabLine.flagged_at))
            .options(contains_eager(TabLine.tab).selectinload(Tab.card))
            .order_by(TabLine.flagged_at, TabLine.id)
        ).scalars()
    )


def live_tabs(shop_id: int) -> list[Tab]:
    """Every tab still open or waiting to pay, oldest first: what is owed right now."""
    return list(
        db.session.execute(
            select(Tab)
            .where(Tab.shop_id == shop_id, Tab.status.in_(LIVE_TAB_STATUSES))
            .options(selectinload(Tab.lines), selectinload(Tab.payments), selectinload(Tab.card))
            .order_by(Tab.opened_at, Tab.id)
        ).scalars()
    )


def _walk_outs(shop_id: int, period: Period) -> list[Tab]:
    return list(
        db.session.execute(
            select(Tab)
            .where(
                Tab.shop_id == shop_id,
                Tab.status == WALKED_OUT,
                period.contains(Tab.closed_at),
            )
            .options(selectinload(Tab.lines), selectinload(Tab.payments), selectinload(Tab.card))
            .order_by(Tab.closed_at, Tab.id)
        ).scalars()
    )


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return gettext("%(seconds)s s", seconds=seconds)
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return gettext("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=f"{seconds:02d}")
    hours, minutes = divmod(minutes, 60)
    return gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=f"{minutes:02d}")


def age_text(since: datetime, now: datetime | None = None) -> str:
    """How long a tab has been open; days once it is past a day, as an old debt is."""
    minutes = max(0, int(((now or utcnow()) - since).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return gettext("%(days)s d %(hours)s h", days=days, hours=hours)
    if hours:
        return gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=f"{minutes:02d}")
    return gettext("%(minutes)s min", minutes=minutes)


# -- CSV -----------------------------------------------------------------------------

EXPORTS = ("money", "payments", "tabs", "lines", "tax")

# A cell a spreadsheet would run as a formula. Names and notes are typed by
# customers, so such a cell is written with a leading apostrophe (shown as text).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# A plain number, negative or not, is never a formula: money going out stays a number.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def safe_cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def read_cell(text: str) -> str:
    """A cell as `safe_cell` wrote it, read back: the apostrophe it put before a
    formula-looking value goes, so "=Special" survives a round trip as itself."""
    if text[:1] == "'" and text[1:2] and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text


def csv_text(header: list[str], rows) -> str:
    """UTF-8 text with a byte-order mark, so spreadsheets read accents right."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def export(shop: Shop, period: Period, what: str) -> tuple[list[str], list[list]]:
    """(header, rows) of one export; every moment in the shop's timezone with its
    offset, every amount a plain decimal in the tab's currency."""
    if what not in EXPORTS:
        raise Refused(gettext("Choose what to export: money, payments, tabs, lines or tax."))
    names = staff_names(shop.id)
    zone = period.zone

    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).isoformat(timespec="seconds") if moment else ""

    if what == "payments":
        return _payment_rows(shop, period, names, when)
    if what == "money":
        return _money_rows(shop, period, names, when)
    if what == "tax":
        return _tax_rows(shop, period)
    tabs = export_tabs(shop.id, period)
    if what == "tabs":
        return _tab_rows(tabs, names, when)
    return _line_rows(tabs, names, when)


def export_tabs(shop_id: int, period: Period) -> list[Tab]:
    """The range's tabs: those closed in it (paid, closed empty, walked out), and
    those opened by its end that are still open or waiting to pay."""
    return list(
        db.session.execute(
            select(Tab)
            .where(
                Tab.shop_id == shop_id,
                or_(
                    and_(Tab.closed_at.is_not(None), period.contains(Tab.closed_at)),
                    and_(Tab.status.in_(LIVE_TAB_STATUSES), Tab.opened_at < period.ends),
                ),
            )
            .options(selectinload(Tab.lines), selectinload(Tab.payments), selectinload(Tab.card))
            .order_by(Tab.opened_at, Tab.id)
        ).scalars()
    )


TAB_HEADER = [
    "tab",
    "status",
    "customer",
    "card",
    "opened_at",
    "pay_requested_at",
    "closed_at",
    "close_reason",
    "currency",
    "items",
    "total",
    "voided",
    "paid",
    "tip",
    "payment_method",
    "opened_by",
    "deposit",
    "deposit_status",
    "deposit_method",
    "deposit_taken_at",
    "deposit_used",
    "deposit_refunded",
    "deposit_kept",
    "owes",
    "net",
    "tax",
]


def _tab_rows(tabs: list[Tab], names, when):
    rows = []
    for tab in tabs:
        voided = sum(line.line_total for line in tab.lines if line.status == LINE_VOID)
        used = sum(p.deposit_applied for p in tab.payments)
        left = left_over(tab, used)
        taken = tab.deposit_status in TAKEN
        refunded = left if tab.deposit_status in (DEPOSIT_APPLIED, DEPOSIT_REFUNDED) else 0
        kept = left if tab.deposit_status == DEPOSIT_KEPT else 0
        # A live tab owes what is left after its deposit; a walk-out what it left unpaid.
        owes = tab.due if tab.is_live else (tab.owed if tab.status == WALKED_OUT else 0)

        def plain(amount: int, tab=tab) -> str:
            return format_plain(amount, tab.currency)

        rows.append(
            [
                tab.reference,
                TAB_LABELS.get(tab.status, tab.status),
                tab.customer_name,
                tab.card.label if tab.card else "",
                when(tab.opened_at),
                when(tab.pay_requested_at),
                when(tab.closed_at),
                tab.close_reason,
                tab.currency,
                tab.item_count,
                plain(tab.total),
                plain(voided),
                plain(sum(p.amount for p in tab.payments)),
                plain(sum(p.tip for p in tab.payments)),
                " ".join(sorted({p.method for p in tab.payments})),
                names.get(tab.opened_by_id, ""),
                plain(tab.deposit_amount),
                tab.deposit_status,
                deposit_method(tab) if taken else "",
                when(tab.deposit_taken_at) if taken else "",
                plain(used),
                plain(refunded),
                plain(kept),
                plain(owes),
                plain(tab.tax.net),
                plain(tab.tax.tax),
            ]
        )
    return TAB_HEADER, rows


LINE_HEADER = [
    "tab",
    "tab_status",
    "item",
    "note",
    "quantity",
    "unit_price",
    "line_total",
    "currency",
    "status",
    "ordered_at",
    "preparing_at",
    "ready_at",
    "served_at",
    "voided_at",
    "void_reason",
    "voided_by",
    "added_by",
    "discount",
    "adjustment",
    "adjustment_reason",
    "adjusted_by",
    "flag_note",
    "resolution",
    "tax_rate",
    "tax_included",
    "tax",
]


def _line_rows(tabs: list[Tab], names, when):
    rows = []
    for tab in tabs:
        taxes = line_taxes(tab.lines)
        for line in tab.lines:
            rows.append(
                [
                    tab.reference,
                    TAB_LABELS.get(tab.status, tab.status),
                    line.name,
                    line.note,
                    line.quantity,
                    format_plain(line.unit_price, tab.currency),
                    format_plain(line.line_total, tab.currency),
                    tab.currency,
                    line.status,
                    when(line.ordered_at),
                    when(line.preparing_at),
                    when(line.ready_at),
                    when(line.served_at),
                    when(line.voided_at),
                    line.void_reason,
                    names.get(line.voided_by_id, ""),
                    names.get(line.added_by_id, ""),
                    format_plain(line.discount, tab.currency),
                    line.adjustment if line.discount else "",
                    line.adjustment_reason,
                    names.get(line.adjusted_by_id, ""),
                    line.flag_note,
                    line.resolution or "",
                    tax_service.format_rate(line.tax_rate),
                    "yes" if line.tax_included else "no",
                    format_plain(taxes[line.id], tab.currency),
                ]
            )
    return LINE_HEADER, rows


PAYMENT_HEADER = [
    "paid_at",
    "receipt",
    "tab",
    "customer",
    "method",
    "amount",
    "deposit_used",
    "sale",
    "tip",
    "received",
    "currency",
    "taken_by",
]


def _payment_rows(shop: Shop, period: Period, names, when):
    """One row per payment. `amount` is what was handed over for the bill; the sale
    adds the deposit it used; `received` is what came in (amount and tip)."""
    payments = db.session.execute(
        select(Payment)
        .join(Payment.tab)
        .where(Payment.shop_id == shop.id, period.contains(Payment.created_at))
        .options(contains_eager(Payment.tab).selectinload(Tab.shop))
        .order_by(Payment.created_at, Payment.id)
    ).scalars()
    rows = [
        [
            when(payment.created_at),
            payment.receipt_label,
            payment.tab.reference,
            payment.tab.customer_name,
            payment.method,
            format_plain(payment.amount, payment.currency),
            format_plain(payment.deposit_applied, payment.currency),
            format_plain(payment.amount + payment.deposit_applied, payment.currency),
            format_plain(payment.tip, payment.currency),
            format_plain(payment.received, payment.currency),
            payment.currency,
            names.get(payment.staff_id, payment.provider if not payment.staff_id else ""),
        ]
        for payment in payments
    ]
    return PAYMENT_HEADER, rows


MONEY_HEADER = [
    "at",
    "what",
    "tab",
    "customer",
    "method",
    "sales",
    "tips",
    "deposit_taken",
    "deposit_used",
    "deposit_refunded",
    "deposit_kept",
    "received",
    "currency",
    "by",
    "receipt",
]


def _money_rows(shop: Shop, period: Period, names, when):
    """Every movement of money, one row each: payments, deposits taken, refunded,
    handed back and kept. Each amount column adds up to its figure on the day page,
    and `received` per method to what each method brought in."""
    rows = []
    for moved in movements(shop.id, period.starts, period.ends):

        def plain(amount: int, currency=moved.currency) -> str:
            return format_plain(amount, currency)

        rows.append(
            [
                when(moved.at),
                moved.kind,
                moved.tab.reference,
                moved.tab.customer_name,
                moved.method,
                plain(moved.sales),
                plain(moved.tip),
                plain(moved.deposit_in),
                plain(moved.deposit_used),
                plain(moved.deposit_out),
                plain(moved.deposit_kept),
                plain(moved.received),
                moved.currency,
                names.get(moved.by_id, "") if moved.by_id else moved.provider,
                moved.payment.receipt_label if moved.payment else "",
            ]
        )
    return MONEY_HEADER, rows


TAX_HEADER = ["rate", "net", "tax", "gross", "currency", "prices"]


def _tax_rows(shop: Shop, period: Period):
    """The range's sales per rate: the same figures as the day page's tax block."""
    summary = sales_tax(shop, period)
    prices = "include tax" if summary.included else "exclude tax"
    rows = [
        [
            tax_service.format_rate(r.rate),
            format_plain(r.net, shop.currency),
            format_plain(r.tax, shop.currency),
            format_plain(r.gross, shop.currency),
            shop.currency,
            prices,
        ]
        for r in summary.rates
    ]
    return TAX_HEADER, rows
