"""The day page's charts and returning customers: numbers bucketed in the shop's own
timezone (a half-hour one here), drawn as SVG with no script and no inline style,
and printed as tables beside each chart."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from blueprints.admin.charts import bar_chart, nice_top
from extensions import db
from models import Payment, Shop, Tab, TabLine, TabMember, TabRating
from models.base import utcnow
from services import report, trends
from tests.fixtures.money import ZONES

KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30
DAY = datetime(2024, 7, 10).date()


def at(day, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=KOLKATA)


@pytest.fixture
def kolkata(make_shop):
    return make_shop(currency="INR", locale="en_IN", timezone="Asia/Kolkata")


def paid_tab(cafe, opened, amount, *, phone=None, tip=0, quantity=1, deposit_used=0):
    tab = Tab(shop_id=cafe.shop.id, currency="INR", status="paid", opened_at=opened,
              closed_at=opened + timedelta(minutes=30), phone_id=phone)  # fmt: skip
    db.session.add(tab)
    db.session.flush()
    db.session.add(
        TabLine(
            shop_id=cafe.shop.id,
            tab_id=tab.id,
            name="Chai",
            unit_price=amount // quantity,
            quantity=quantity,
            status="served",
            ordered_at=opened,
        )  # fmt: skip
    )
    db.session.add(
        Payment(
            shop_id=cafe.shop.id,
            tab_id=tab.id,
            method="cash",
            currency="INR",
            amount=amount - deposit_used,
            deposit_applied=deposit_used,
            tip=tip,
            created_at=opened + timedelta(minutes=30),
        )  # fmt: skip
    )
    return tab


def found(cafe, first=DAY, last=DAY) -> trends.Trends:
    shop = db.session.get(Shop, cafe.shop.id)
    period = report.Period(first, last, KOLKATA)
    return trends.trends(shop, period, report.live_tabs(shop.id))


def test_sales_and_orders_by_the_shops_own_hour(kolkata, ctx):
    paid_tab(kolkata, at(DAY, "09:10"), 2000, quantity=2)  # paid 09:40
    paid_tab(kolkata, at(DAY, "09:35"), 1500, deposit_used=500)  # paid 10:05: a sale of 15.00
    paid_tab(kolkata, at(DAY, "13:00"), 1000)  # paid 13:30
    paid_tab(kolkata, at(DAY - timedelta(days=1), "23:50"), 999)  # paid 00:20 on the day
    db.session.flush()

    hours = found(kolkata).by_hour

    by_hour = {group.label: group.values for group in hours}
    assert by_hour["00"] == (999, 0)  # ordered the day before, paid on the day
    assert by_hour["09"] == (2000, 3)  # 2 chais at 09:10 and 1 at 09:35
    assert by_hour["10"] == (1500, 0)  # the deposit it used is part of the sale
    assert by_hour["13"] == (1000, 1)
    assert [g.label for g in hours] == [f"{h:02d}" for h in range(0, 14)]
    assert hours[9].title == "09:00–10:00"


def test_a_quiet_day_still_reads_as_a_chart_and_an_empty_one_has_none(kolkata, ctx):
    assert found(kolkata).by_hour == []
    paid_tab(kolkata, at(DAY, "21:00"), 500)
    db.session.flush()
    assert [g.label for g in found(kolkata).by_hour] == ["18", "19", "20", "21", "22", "23"]


def test_the_last_7_and_28_days_against_the_period_before(kolkata, ctx):
    paid_tab(kolkata, at(DAY, "10:00"), 1000)
    paid_tab(kolkata, at(DAY - timedelta(days=6), "10:00"), 300)  # first of the 7
    paid_tab(kolkata, at(DAY - timedelta(days=7), "10:00"), 400)  # the 7 before
    paid_tab(kolkata, at(DAY - timedelta(days=30), "10:00"), 2000)  # the 28 before
    db.session.flush()

    result = found(kolkata)

    week, month = result.week, result.month
    # Each day beside the same weekday a week earlier.
    assert [g.values for g in week.groups] == [(300, 0)] + [(0, 0)] * 5 + [(1000, 400)]
    assert (week.now, week.before, round(week.change, 3)) == (1300, 400, 2.25)
    assert [g.label for g in week.groups][-1] == "Wed"  # 10 July 2024
    # Each week beside the same week four weeks earlier.
    assert [g.values for g in month.groups] == [(0, 0), (0, 0), (400, 0), (1300, 2000)]
    assert (month.now, month.before) == (1700, 2000)
    assert month.groups[-1].title == "4 Jul to 10 Jul"


def test_money_owed_by_how_long_the_tab_has_been_open(make_shop, ctx):
    now = utcnow()
    # A timezone where it is now at least 04:00, so every tab but the oldest opened
    # today, and the shop closes at 23:59.
    zone = next(z for z in ZONES if 4 <= now.astimezone(ZoneInfo(z)).hour < 23)
    cafe = make_shop(currency="INR", locale="en_IN", timezone=zone, closing_time=time(23, 59))

    def live(opened, price, deposit=0):
        tab = Tab(shop_id=cafe.shop.id, currency="INR", status="open", opened_at=opened,
                  deposit_amount=deposit, deposit_status="held" if deposit else "none")  # fmt: skip
        db.session.add(tab)
        db.session.flush()
        db.session.add(TabLine(shop_id=cafe.shop.id, tab_id=tab.id, name="Chai", unit_price=price))

    live(now - timedelta(minutes=20), 1000, deposit=400)  # owes 6.00 after its deposit
    live(now - timedelta(minutes=50), 500)
    live(now - timedelta(hours=2), 700)
    live(now - timedelta(hours=3, minutes=30), 900)
    live(now - timedelta(days=2), 1100)  # open since before last night's closing
    db.session.flush()

    ages = trends.owed_by_age(report.live_tabs(cafe.shop.id), "INR", now)

    assert [(g.values, g.label) for g in ages] == [
        ((1100, 2), "< 1 h"),
        ((700, 1), "1–3 h"),
        ((900, 1), "> 3 h"),
        ((1100, 1), "Past closing"),
    ]


def test_ratings_over_the_last_28_days(kolkata, ctx):
    for day_back, stars in ((0, 5), (0, 4), (3, 2), (27, 3), (28, 1)):
        tab = paid_tab(kolkata, at(DAY - timedelta(days=day_back), "10:00"), 100)
        db.session.flush()
        db.session.add(TabRating(shop_id=kolkata.shop.id, tab_id=tab.id, phone_id=f"p{stars}",
                                 rating=stars, created_at=at(DAY - timedelta(days=day_back), "11:00")))  # fmt: skip  # noqa: E501
    db.session.flush()

    ratings = found(kolkata).ratings

    assert len(ratings) == 28
    assert ratings[-1].values == (4.5, 2)
    assert ratings[-4].values == (2.0, 1)
    assert ratings[0].values == (3.0, 1)  # 27 days back; 28 days back is outside
    assert sum(g.values[1] for g in ratings) == 4


def test_returning_customers(kolkata, other_cafe, ctx):
    paid_tab(kolkata, at(DAY - timedelta(days=40), "10:00"), 100, phone="old")  # before 28 days
    regular = paid_tab(kolkata, at(DAY - timedelta(days=5), "10:00"), 100, phone="regular")
    paid_tab(kolkata, at(DAY - timedelta(days=5), "16:00"), 100, phone="twice-a-day")
    paid_tab(kolkata, at(DAY - timedelta(days=5), "18:00"), 100, phone="twice-a-day")
    db.session.flush()
    # A friend joined the regular's tab five days ago; today they open their own.
    db.session.add(TabMember(shop_id=kolkata.shop.id, tab_id=regular.id, phone_id="friend",
                             joined_at=at(DAY - timedelta(days=5), "10:05")))  # fmt: skip
    paid_tab(kolkata, at(DAY, "09:00"), 100, phone="regular")  # seen before
    paid_tab(kolkata, at(DAY, "09:30"), 100, phone="old")  # seen before, 40 days ago
    paid_tab(kolkata, at(DAY, "10:00"), 100, phone="new")
    paid_tab(kolkata, at(DAY, "11:00"), 100, phone="new")  # seen earlier today
    paid_tab(kolkata, at(DAY, "12:00"), 100)  # opened by staff: no phone
    paid_tab(kolkata, at(DAY, "13:00"), 100, phone="friend")  # seen before, as a friend
    paid_tab(kolkata, at(DAY, "14:00"), 100, phone="elsewhere")
    # Another shop's history does not make a phone seen before here.
    paid_tab(other_cafe, at(DAY - timedelta(days=3), "10:00"), 100, phone="elsewhere")
    db.session.flush()

    back = found(kolkata).returning

    assert (back.tabs, back.tabs_seen_before) == (6, 4)
    # The 28 days' visits: regular 2 (two days), twice-a-day 2 (one day), friend 2 (two
    # days), old 1, new 2 (one day), elsewhere 1.
    assert (back.phones, back.visits) == (6, 10)
    assert back.phones_returning == 2
    assert back.return_rate == pytest.approx(2 / 6)
    assert back.visits_per_phone == pytest.approx(10 / 6)
    assert back.share_seen_before == pytest.approx(4 / 6)


def test_nice_round_tops_and_bars_in_proportion():
    assert [nice_top(v) for v in (0, 1, 7, 12, 180, 260, 999)] == [1, 1, 10, 20, 200, 500, 1000]
    groups = [trends.Group("a", "A", (50,)), trends.Group("b", "B", (100,))]
    chart = bar_chart(groups, (0,), str)
    assert chart.ticks[-1].text == "100" and not chart.empty
    short, tall = chart.bars
    assert tall.height == pytest.approx(2 * short.height, abs=0.2)
    assert tall.y + tall.height == chart.baseline
    assert bar_chart([trends.Group("a", "A", (0,))], (0,), str).empty


def test_the_charts_are_svg_with_their_numbers_and_no_inline_style(money_day, login):
    owner = login(money_day.cafe.owner)
    response = owner.get("/admin/day")
    html = response.get_data(as_text=True)
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert " style=" not in html and "<script>" not in html
    assert len(re.findall(r'<svg class="chart-svg"', html)) == 6
    week = html.split('id="chart-week"')[1].split("</figure>")[0]
    assert len(re.findall(r"<tr><th scope=\"row\">", week)) == 7
    owed = html.split('id="chart-owed"')[1].split("</figure>")[0]
    assert "€6.40 owed by 2 tabs." in owed
    assert re.findall(r'<td class="num">([^<]*)</td>', owed)[:2] == ["€6.40", "2"]
