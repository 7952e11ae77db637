"""The day page's charts and its returning customers, as plain numbers.

Each chart is a list of `Group`s (what one bar, or one pair of bars, stands for);
drawing them is the page's business (blueprints/admin/charts.py). Everything is read
in one statement per chart, so a busy day costs no more statements than a quiet one,
and bucketed in the shop's own timezone (half-hour ones as exactly as whole-hour
ones): by day in the database (`day_of`, a CASE over the days' UTC midnights), so the
28- and 56-day windows every page shows never read their rows; by hour of the day in
Python, from the chosen range's own rows.

- Sales and orders by hour: sales by the hour they were paid (the day's definition
  of a sale), items ordered by the hour they were ordered (removed lines left out);
  for a range of days, each hour of the day added up over the days.
- Last 7 and 28 days against the period before: the sales of the 7 (28) days ending
  on the range's last day, day by day (week by week) beside the 7 (28) before.
- Money owed by age: what live tabs still owe now, by how long they have been open;
  a tab still open after closing on the day it opened is "past closing", whatever
  its age.
- Ratings: the average rating given each day, over the 28 days ending on the
  range's last day.
- Returning customers: a phone's visit is a tab it opened or joined. A tab is from a
  phone seen before when that phone had an earlier visit at this shop. Over the 28
  days: visits per phone, and the return rate: the share of phones that came on at
  least two different days.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import format_date, gettext, lazy_gettext
from sqlalchemy import case, distinct, func, select

from extensions import db
from models import Payment, Tab, TabLine, TabRating
from models.base import as_utc, utcnow
from models.tab import LINE_VOID
from services.report import Period, phone_visits

WINDOW_DAYS = 28
AGES = ("under_1h", "1_3h", "over_3h", "past_closing")


@dataclass(frozen=True)
class Group:
    """One place on a chart's x-axis: a short label under it, a full one for the
    table, and one value per series (None: nothing to show, e.g. no ratings)."""

    label: str
    title: str
    values: tuple


@dataclass
class Comparison:
    """The last N days' sales against the N days before."""

    days: int
    groups: list[Group]
    now: int
    before: int

    @property
    def change(self) -> float | None:
        """Up (positive) or down, as a fraction of the period before; None from nothing."""
        return (self.now - self.before) / self.before if self.before else None


@dataclass
class Returning:
    tabs: int = 0  # tabs in the range opened from a phone
    tabs_seen_before: int = 0
    phones: int = 0  # phones with a visit in the 28 days
    visits: int = 0
    phones_returning: int = 0  # ...of which came on two or more days

    @property
    def share_seen_before(self) -> float | None:
        return self.tabs_seen_before / self.tabs if self.tabs else None

    @property
    def visits_per_phone(self) -> float | None:
        return self.visits / self.phones if self.phones else None

    @property
    def return_rate(self) -> float | None:
        return self.phones_returning / self.phones if self.phones else None


@dataclass
class Trends:
    by_hour: list[Group]  # (sales, items ordered)
    week: Comparison
    month: Comparison
    owed_by_age: list[Group]  # (amount owed, tabs)
    ratings: list[Group]  # (average rating or None, ratings)
    returning: Returning


def trends(shop, period: Period, owing: list[Tab], now: datetime | None = None) -> Trends:
    now = now or utcnow()
    daily = _daily_sales(shop, last_days(period, 2 * WINDOW_DAYS))
    return Trends(
        by_hour=_by_hour(shop, period),
        week=_compare(daily, period.last, 7, 1),
        month=_compare(daily, period.last, WINDOW_DAYS, 7),
        owed_by_age=owed_by_age(owing, shop.currency, now),
        ratings=_ratings(shop, last_days(period, WINDOW_DAYS)),
        returning=_returning(shop, period),
    )


def last_days(period: Period, days: int) -> Period:
    """The `days` days ending on the range's last day."""
    return Period(period.last - timedelta(days=days - 1), period.last, period.zone)


def _local(moment: datetime, period: Period) -> datetime:
    return as_utc(moment).astimezone(period.zone)


def _sales_rows(shop, period: Period):
    """(paid at, sale) of each payment in the range, in the shop's currency."""
    return db.session.execute(
        select(Payment.created_at, Payment.amount + Payment.deposit_applied).where(
            Payment.shop_id == shop.id,
            Payment.currency == shop.currency,
            period.contains(Payment.created_at),
        )
    ).all()


def _by_hour(shop, period: Period) -> list[Group]:
    sales, items = Counter(), Counter()
    for at, sale in _sales_rows(shop, period):
        sales[_local(at, period).hour] += sale
    ordered = db.session.execute(
        select(TabLine.ordered_at, TabLine.quantity).where(
            TabLine.shop_id == shop.id,
            TabLine.status != LINE_VOID,
            period.contains(TabLine.ordered_at),
        )
    ).all()
    for at, quantity in ordered:
        items[_local(at, period).hour] += quantity
    busy = sorted(set(sales) | set(items))
    if not busy:
        return []
    # At least six hours wide, so a quiet morning still reads as a chart.
    first, last = busy[0], busy[-1]
    while last - first < 5:
        last, first = (last + 1, first) if last < 23 else (last, first - 1)
    return [
        Group(f"{hour:02d}", f"{hour:02d}:00–{hour + 1:02d}:00", (sales[hour], items[hour]))
        for hour in range(first, last + 1)
    ]


def day_of(moment, window: Period):
    """Which day of `window` a moment falls on (0 for the first), worked out by the
    database from the days' UTC midnights, so counting a day's rows never reads them."""
    days = [window.first + timedelta(days=n) for n in range(1, window.days + 1)]
    ends = [datetime.combine(day, time(0), tzinfo=window.zone).astimezone(UTC) for day in days]
    return case(*[(moment < end, n) for n, end in enumerate(ends)], else_=None)


def _daily_sales(shop, window: Period) -> dict[date, int]:
    paid = (
        select(
            day_of(Payment.created_at, window).label("day"),
            (Payment.amount + Payment.deposit_applied).label("sale"),
        )
        .where(
            Payment.shop_id == shop.id,
            Payment.currency == shop.currency,
            window.contains(Payment.created_at),
        )
        .subquery()
    )
    # Grouped outside the CASE: PostgreSQL would not match the CASE's parameters in
    # the SELECT to those of a GROUP BY written out again.
    totals = dict(
        db.session.execute(select(paid.c.day, func.sum(paid.c.sale)).group_by(paid.c.day)).all()
    )
    return {window.first + timedelta(days=n): int(totals.get(n) or 0) for n in range(window.days)}


def _compare(daily: dict[date, int], last: date, days: int, step: int) -> Comparison:
    """The `days` up to `last` against the `days` before, in groups of `step` days."""
    groups, now_total, before_total = [], 0, 0
    for start in range(days - step, -1, -step):
        end_day = last - timedelta(days=start)
        span = [end_day - timedelta(days=n) for n in range(step)]
        now = sum(daily.get(day, 0) for day in span)
        before = sum(daily.get(day - timedelta(days=days), 0) for day in span)
        now_total, before_total = now_total + now, before_total + before
        if step == 1:
            label = format_date(end_day, "EEE")
            title = format_date(end_day, "EEE d MMM")
        else:
            label = format_date(end_day, "d MMM")
            title = gettext(
                "%(first)s to %(last)s",
                first=format_date(span[-1], "d MMM"),
                last=format_date(end_day, "d MMM"),
            )
        groups.append(Group(label, title, (now, before)))
    return Comparison(days, groups, now_total, before_total)


def age_of(tab: Tab, now: datetime) -> str:
    """Which age a live tab's debt is in (see AGES)."""
    if tab.past_closing(now):
        return "past_closing"
    hours = (now - as_utc(tab.opened_at)).total_seconds() / 3600
    if hours < 1:
        return "under_1h"
    return "1_3h" if hours <= 3 else "over_3h"


# Each age's short label (under its bar) and its full one (in the table).
AGE_LABELS = {
    "under_1h": (lazy_gettext("< 1 h"), lazy_gettext("Open less than an hour")),
    "1_3h": (lazy_gettext("1–3 h"), lazy_gettext("Open one to three hours")),
    "over_3h": (lazy_gettext("> 3 h"), lazy_gettext("Open more than three hours")),
    "past_closing": (lazy_gettext("Past closing"), lazy_gettext("Still open after closing")),
}


def owed_by_age(owing: list[Tab], currency: str, now: datetime) -> list[Group]:
    amounts, counts = Counter(), Counter()
    for tab in owing:
        if tab.currency != currency:
            continue
        age = age_of(tab, now)
        amounts[age] += tab.due
        counts[age] += 1
    return [
        Group(str(AGE_LABELS[age][0]), str(AGE_LABELS[age][1]), (amounts[age], counts[age]))
        for age in AGES
    ]


def _ratings(shop, window: Period) -> list[Group]:
    given = (
        select(day_of(TabRating.created_at, window).label("day"), TabRating.rating)
        .where(TabRating.shop_id == shop.id, window.contains(TabRating.created_at))
        .subquery()
    )
    per_day = {
        n: (int(count), int(total))
        for n, count, total in db.session.execute(
            select(given.c.day, func.count(), func.sum(given.c.rating)).group_by(given.c.day)
        ).all()
    }
    groups = []
    for n in range(window.days):
        day = window.first + timedelta(days=n)
        count, total = per_day.get(n, (0, 0))
        average = total / count if count else None
        groups.append(Group(format_date(day, "d"), format_date(day, "EEE d MMM"), (average, count)))
    return groups


def _returning(shop, period: Period) -> Returning:
    result = Returning()
    # The range's tabs from a phone, and of those the ones whose phone had opened or
    # joined a tab here before: each phone's first visit, compared in the database.
    in_range = (Tab.shop_id == shop.id, Tab.phone_id.is_not(None), period.contains(Tab.opened_at))
    visits = phone_visits(shop.id)
    first = (
        select(visits.c.phone, func.min(visits.c.at).label("at"))
        .where(visits.c.phone.in_(select(Tab.phone_id).where(*in_range)))
        .group_by(visits.c.phone)
        .subquery()
    )
    seen_before = case((first.c.at < Tab.opened_at, 1), else_=0)
    tabs, seen = db.session.execute(
        select(func.count(), func.coalesce(func.sum(seen_before), 0))
        .select_from(Tab)
        .join(first, first.c.phone == Tab.phone_id)
        .where(*in_range)
    ).one()
    result.tabs, result.tabs_seen_before = int(tabs), int(seen)
    # The 28 days: each phone's visits, and on how many different days.
    window = last_days(period, WINDOW_DAYS)
    visits = phone_visits(shop.id)
    recent = (
        select(visits.c.phone, day_of(visits.c.at, window).label("day"))
        .where(window.contains(visits.c.at))
        .subquery()
    )
    for count, days in db.session.execute(
        select(func.count(), func.count(distinct(recent.c.day))).group_by(recent.c.phone)
    ).all():
        result.phones += 1
        result.visits += count
        result.phones_returning += days >= 2
    return result
