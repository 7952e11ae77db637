"""The day, for the owner: figures checked against a hand-built day of tabs in New
York (UTC-4 in July), including tabs that cross midnight, and the CSV exports."""

import csv
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from extensions import db
from models import Payment, Tab, TabLine

NEW_YORK = ZoneInfo("America/New_York")
DAY = "2024-07-10"
BEFORE = "2024-07-09"
AFTER = "2024-07-11"


def local(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=NEW_YORK)


@pytest.fixture
def ny(make_shop):
    return make_shop(currency="USD", locale="en_US", timezone="America/New_York")


@pytest.fixture
def owner(ny, login):
    return login(ny.owner)


def put_tab(
    in_app,
    cafe,
    opened,
    status,
    lines=(),
    *,
    closed=None,
    paid=None,
    reason="",
    name="",
    card=None,
    pay_requested=None,
):
    """One tab exactly as given. `lines` are dicts of TabLine fields (prices from the
    menu), `paid` is (method, tip): a payment for the whole bill at `closed`."""

    def build():
        tab = Tab(
            shop_id=cafe.shop.id,
            currency=cafe.shop.currency,
            status=status,
            opened_at=opened,
            closed_at=closed,
            pay_requested_at=pay_requested,
            close_reason=reason,
            customer_name=name,
            card_id=card.id if card else None,
        )
        db.session.add(tab)
        for spec in lines:
            item = spec.pop("item", cafe.flat_white)
            spec.setdefault("ordered_at", opened)
            db.session.add(
                TabLine(
                    shop_id=cafe.shop.id,
                    tab=tab,
                    menu_item_id=item.id,
                    name=item.name,
                    unit_price=item.price,
                    **spec,
                )
            )
        db.session.flush()
        if paid:
            method, tip = paid
            db.session.add(
                Payment(
                    shop_id=cafe.shop.id,
                    tab_id=tab.id,
                    method=method,
                    amount=tab.total,
                    tip=tip,
                    currency=tab.currency,
                    staff_id=cafe.staff.id,
                    created_at=closed,
                )
            )
        return tab.id

    return in_app(build)


@pytest.fixture
def day_of_tabs(ny, in_app):
    """The hand-built day. Flat white 3.80, croissant 2.80.

    On the day (2024-07-10, New York):
      A  paid cash 09:30, 2 flat whites (ready in 4 min) + croissant (2 min), tip 1.00
      B  paid card 12:30, flat white (10 min); a croissant voided 12:05
      C  opened 23:30 the day before (its line ready then, 15 min), paid card 00:30
         on the day, tip 0.50: the day's sale
      D  opened 23:30 on the day (line ready in 6 min), paid cash 00:30 the day after
      E  walked out 16:00, croissant served (ready in 8 min)
      F  closed with nothing owed 15:00
    Still owed now: G open since two days before (flat white), H waiting to pay
    (2 flat whites).
    """
    s = ny
    ids = {}
    ids["A"] = put_tab(
        in_app, s, local(DAY, "09:00"), "paid",
        [
            dict(quantity=2, status="served", ordered_at=local(DAY, "09:01"),
                 ready_at=local(DAY, "09:05"), served_at=local(DAY, "09:06")),
            dict(item=s.croissant, status="served", ordered_at=local(DAY, "09:01"),
                 ready_at=local(DAY, "09:03"), served_at=local(DAY, "09:04")),
        ],
        closed=local(DAY, "09:30"), paid=("cash", 100), name="Ana",
    )  # fmt: skip
    ids["B"] = put_tab(
        in_app, s, local(DAY, "12:00"), "paid",
        [
            dict(status="ready", ordered_at=local(DAY, "12:00"), ready_at=local(DAY, "12:10")),
            dict(item=s.croissant, status="void", voided_at=local(DAY, "12:05"),
                 void_reason="Dropped on the floor", voided_by_id=s.staff.id),
        ],
        closed=local(DAY, "12:30"), paid=("card", 0), name="Ben",
    )  # fmt: skip
    ids["C"] = put_tab(
        in_app, s, local(BEFORE, "23:30"), "paid",
        [dict(status="ready", ordered_at=local(BEFORE, "23:35"), ready_at=local(BEFORE, "23:50"))],
        closed=local(DAY, "00:30"), paid=("card", 50), name="Cleo",
    )  # fmt: skip
    ids["D"] = put_tab(
        in_app, s, local(DAY, "23:30"), "paid",
        [dict(status="ready", ordered_at=local(DAY, "23:40"), ready_at=local(DAY, "23:46"))],
        closed=local(AFTER, "00:30"), paid=("cash", 0), name="Dov",
    )  # fmt: skip
    ids["E"] = put_tab(
        in_app, s, local(DAY, "14:00"), "walked_out",
        [dict(item=s.croissant, status="served", ready_at=local(DAY, "14:08"),
              served_at=local(DAY, "14:09"))],
        closed=local(DAY, "16:00"), reason="Left without paying", name="Eve",
    )  # fmt: skip
    ids["F"] = put_tab(
        in_app, s, local(DAY, "14:30"), "void",
        closed=local(DAY, "15:00"), reason="Closed with nothing owed by Staff 1",
    )  # fmt: skip
    ids["G"] = put_tab(
        in_app, s, local("2024-07-08", "10:00"), "open", [dict(status="ordered")],
        name="Gus", card=s.personal,
    )  # fmt: skip
    ids["H"] = put_tab(
        in_app, s, local(DAY, "17:00"), "settling", [dict(quantity=2, status="served")],
        pay_requested=local(DAY, "17:30"), name="Hal",
    )  # fmt: skip
    return ids


def figure(html: str, name: str) -> str:
    match = re.search(rf'id="figure-{name}">([^<]*)<', html)
    assert match, f"no figure {name} on the page"
    return match.group(1).strip()


def page(client, first=DAY, last=None) -> str:
    response = client.get(f"/admin/day?from={first}&to={last or first}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def export(client, what, first=DAY, last=None):
    response = client.get(f"/admin/day.csv?what={what}&from={first}&to={last or first}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    return response, rows


def money(text: str) -> Decimal:
    """'$18.00' -> Decimal('18.00')."""
    return Decimal(re.sub(r"[^\d.]", "", text))


# -- the page -------------------------------------------------------------------------


def test_the_days_figures(owner, day_of_tabs):
    html = page(owner)
    assert figure(html, "sales") == "$18.00"  # A 10.40 + B 3.80 + C 3.80
    assert figure(html, "tips") == "$1.50"
    assert figure(html, "received") == "$19.50"
    assert figure(html, "payments") == "3"
    assert figure(html, "paid-tabs") == "3"
    assert figure(html, "closed-tabs") == "1"
    assert figure(html, "walked-out-tabs") == "1"
    assert figure(html, "open-tabs") == "1"
    assert figure(html, "waiting-tabs") == "1"
    # Lines ready on the day: 4, 2, 10, 6 and 8 minutes.
    assert figure(html, "ready-time") == "6 min 00 s on average, 5 lines"


def test_payments_by_method(owner, day_of_tabs):
    html = page(owner)
    cash = re.search(r'id="method-cash">(.*?)</tr>', html, re.S).group(1)
    card = re.search(r'id="method-card">(.*?)</tr>', html, re.S).group(1)
    # Payments, bills paid, tips, deposits taken, deposits refunded, received.
    assert re.findall(r'class="num">([^<]*)<', cash) == [
        "1", "$10.40", "$1.00", "$0.00", "$0.00", "$11.40"
    ]  # fmt: skip
    assert re.findall(r'class="num">([^<]*)<', card) == [
        "2", "$7.60", "$0.50", "$0.00", "$0.00", "$8.10"
    ]  # fmt: skip


def test_a_tab_paid_after_midnight_is_the_next_days_sale(owner, day_of_tabs):
    before = page(owner, BEFORE)
    assert figure(before, "sales") == "$0.00"
    assert figure(before, "paid-tabs") == "0"
    # C's line was made before midnight, so it counts for that day's time to ready.
    assert figure(before, "ready-time") == "15 min 00 s on average, 1 line"

    after = page(owner, AFTER)
    assert figure(after, "sales") == "$3.80"  # D, opened on the day, paid after midnight
    assert figure(after, "paid-tabs") == "1"
    assert figure(after, "ready-time") == "– on average"

    three_days = page(owner, BEFORE, AFTER)
    assert figure(three_days, "sales") == "$21.80"
    assert figure(three_days, "tips") == "$1.50"
    assert figure(three_days, "paid-tabs") == "4"
    assert figure(three_days, "ready-time") == "7 min 30 s on average, 6 lines"  # (30 + 15) min / 6


def test_voids_show_the_reason_and_who(owner, day_of_tabs, ny):
    html = page(owner)
    rows = re.findall(r'<tr class="voids-row">(.*?)</tr>', html, re.S)
    assert len(rows) == 1
    assert "1 × Butter croissant" in rows[0]
    assert "Dropped on the floor" in rows[0]
    assert ny.staff.name in rows[0]
    assert "$2.80" in rows[0]
    assert not re.findall(r'<tr class="voids-row">', page(owner, AFTER))


def test_what_is_owed_now_whatever_the_range(owner, day_of_tabs):
    for day in (DAY, "2023-01-01"):
        html = page(owner, day)
        assert figure(html, "owed") == "$11.40"  # G 3.80 + H 7.60
        rows = re.findall(r'<tr class="owing-row"[^>]*>(.*?)</tr>', html, re.S)
        assert [re.search(r">([^<]+)</a>", row).group(1) for row in rows] == ["Gus", "Hal"]
        assert "Card 1" in rows[0] and "$3.80" in rows[0] and "Open" in rows[0]
        assert "Waiting to pay" in rows[1] and "$7.60" in rows[1]


def test_walk_outs_in_the_range(owner, day_of_tabs):
    html = page(owner)
    rows = re.findall(r'<tr class="walk-out-row">(.*?)</tr>', html, re.S)
    assert len(rows) == 1
    assert "Eve" in rows[0] and "Left without paying" in rows[0] and "$2.80" in rows[0]
    assert "16:00" in rows[0]  # shown in the shop's time, not UTC (20:00)
    assert figure(html, "walked-out") == "$2.80"
    assert "No walk-outs." in page(owner, AFTER)


def test_today_is_the_default(owner):
    today = datetime.now(NEW_YORK).date()
    response = owner.get("/admin/day")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'name="from" value="{today.isoformat()}"' in html
    assert f'name="to" value="{today.isoformat()}"' in html
    assert figure(html, "sales") == "$0.00"
    assert "Nobody owes anything right now." in html


def test_one_date_means_that_day(owner, day_of_tabs):
    response = owner.get(f"/admin/day?from={DAY}")
    html = response.get_data(as_text=True)
    assert figure(html, "sales") == "$18.00"
    assert f'name="to" value="{DAY}"' in html


# -- CSV ------------------------------------------------------------------------------


def test_payments_csv_totals_equal_the_page(owner, ny, day_of_tabs):
    html = page(owner)
    response, rows = export(owner, "payments")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{ny.shop.slug}-payments-{DAY}.csv"'
    )
    assert [row["tab"] for row in rows] and len(rows) == 3
    assert sum(Decimal(row["amount"]) for row in rows) == money(figure(html, "sales"))
    assert sum(Decimal(row["tip"]) for row in rows) == money(figure(html, "tips"))
    assert sum(Decimal(row["received"]) for row in rows) == money(figure(html, "received"))
    # ISO 8601 in the shop's time with its offset; C's payment is 00:30 on the day.
    assert [row["paid_at"] for row in rows] == [
        "2024-07-10T00:30:00-04:00",
        "2024-07-10T09:30:00-04:00",
        "2024-07-10T12:30:00-04:00",
    ]
    assert [row["customer"] for row in rows] == ["Cleo", "Ana", "Ben"]
    assert [row["amount"] for row in rows] == ["3.80", "10.40", "3.80"]
    assert {row["currency"] for row in rows} == {"USD"}


def test_tabs_csv_matches_the_counts(owner, day_of_tabs):
    html = page(owner)
    _, rows = export(owner, "tabs")
    by_status = {}
    for row in rows:
        by_status.setdefault(row["status"], []).append(row["customer"])
    assert by_status == {
        "Paid": ["Cleo", "Ana", "Ben"],
        "Walked out": ["Eve"],
        "Closed": [""],
        "Open": ["Gus"],
        "Waiting to pay": ["Hal"],
    }
    assert len(by_status["Paid"]) == int(figure(html, "paid-tabs"))
    paid = [row for row in rows if row["status"] == "Paid"]
    assert sum(Decimal(row["paid"]) for row in paid) == money(figure(html, "sales"))
    assert sum(Decimal(row["tip"]) for row in rows) == money(figure(html, "tips"))
    live = [row for row in rows if row["status"] in ("Open", "Waiting to pay")]
    assert sum(Decimal(row["total"]) for row in live) == money(figure(html, "owed"))
    cleo = paid[0]
    assert cleo["opened_at"] == "2024-07-09T23:30:00-04:00"
    assert cleo["closed_at"] == "2024-07-10T00:30:00-04:00"
    assert cleo["payment_method"] == "card"
    ben = paid[2]
    assert (ben["total"], ben["voided"], ben["items"]) == ("3.80", "2.80", "1")
    eve = next(row for row in rows if row["customer"] == "Eve")
    assert (eve["close_reason"], eve["total"], eve["paid"]) == (
        "Left without paying",
        "2.80",
        "0.00",
    )


def test_lines_csv_adds_up_to_the_sales(owner, day_of_tabs):
    html = page(owner)
    _, rows = export(owner, "lines")
    sold = [row for row in rows if row["tab_status"] == "Paid" and row["status"] != "void"]
    assert sum(Decimal(row["line_total"]) for row in sold) == money(figure(html, "sales"))
    voids = [row for row in rows if row["status"] == "void"]
    assert sum(Decimal(row["line_total"]) for row in voids) == Decimal("2.80")
    assert voids[0]["void_reason"] == "Dropped on the floor"
    assert voids[0]["voided_at"] == "2024-07-10T12:05:00-04:00"
    two = [row for row in rows if row["quantity"] == "2" and row["tab_status"] == "Paid"]
    assert (two[0]["unit_price"], two[0]["line_total"]) == ("3.80", "7.60")


def test_a_range_export_is_named_after_both_dates(owner, day_of_tabs, ny):
    response, rows = export(owner, "payments", BEFORE, AFTER)
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{ny.shop.slug}-payments-{BEFORE}-to-{AFTER}.csv"'
    )
    assert sum(Decimal(row["amount"]) for row in rows) == Decimal("21.80")


def test_amounts_in_a_currency_without_decimals(make_shop, login, in_app):
    seoul = make_shop(currency="KRW", locale="ko_KR", timezone="Asia/Seoul")
    in_app(_price, seoul.flat_white.id, 4500)
    seoul.flat_white.price = 4500
    put_tab(
        in_app, seoul, datetime(2024, 7, 10, 14, 50, tzinfo=ZoneInfo("UTC")), "paid",
        [dict(status="served")], closed=datetime(2024, 7, 10, 15, 30, tzinfo=ZoneInfo("UTC")),
        paid=("cash", 500),
    )  # fmt: skip
    owner = login(seoul.owner)
    # 15:30 UTC is 00:30 the next day in Seoul.
    assert figure(page(owner, "2024-07-10"), "sales") == "₩0"
    html = page(owner, "2024-07-11")
    assert figure(html, "sales") == "₩4,500"
    _, rows = export(owner, "payments", "2024-07-11")
    assert (rows[0]["amount"], rows[0]["tip"], rows[0]["received"]) == ("4500", "500", "5000")
    assert rows[0]["paid_at"] == "2024-07-11T00:30:00+09:00"


def _price(item_id, price):
    from models import MenuItem

    db.session.get(MenuItem, item_id).price = price


def test_customer_typed_cells_cannot_run_as_formulas(owner, ny, in_app):
    put_tab(
        in_app, ny, local(DAY, "10:00"), "paid",
        [dict(status="served", note="+1 extra shot")],
        closed=local(DAY, "10:30"), paid=("cash", 0), name='=HYPERLINK("http://x","y")',
    )  # fmt: skip
    put_tab(in_app, ny, local(DAY, "11:00"), "open", name="@SUM(A1)")
    put_tab(in_app, ny, local(DAY, "11:05"), "open", name="-2+3")
    _, tabs = export(owner, "tabs")
    assert sorted(row["customer"] for row in tabs) == sorted(
        ['\'=HYPERLINK("http://x","y")', "'@SUM(A1)", "'-2+3"]
    )
    _, lines = export(owner, "lines")
    assert lines[0]["note"] == "'+1 extra shot"
    _, payments = export(owner, "payments")
    assert payments[0]["customer"].startswith("'=")
    assert payments[0]["amount"] == "3.80"


# -- bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (f"from={DAY}&to={BEFORE}", "ends (2024-07-09) before it starts (2024-07-10)"),
        ("from=10/07/2024", "must look like 2024-05-31"),
        ("from=2024-02-30", "does not exist on the calendar"),
        ("from=2024-7-1", "must look like 2024-05-31"),
        ("from=0001-01-01", "between 2000 and 9998"),
        ("from=2023-01-01&to=2024-12-31", "at most 366 days"),
        ("to=yesterday", "must look like 2024-05-31"),
    ],
)
def test_bad_ranges_are_refused(owner, query, message):
    for path in ("/admin/day", "/admin/day.csv"):
        response = owner.get(f"{path}?{query}")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


def test_a_full_year_is_allowed(owner):
    assert owner.get("/admin/day?from=2024-01-01&to=2024-12-31").status_code == 200


def test_an_unknown_export_is_refused(owner):
    response = owner.get(f"/admin/day.csv?what=staff&from={DAY}")
    assert response.status_code == 400
    assert "money, payments, tabs, lines or tax" in response.get_data(as_text=True)


# -- who may look ---------------------------------------------------------------------

ROUTES = [f"/admin/day?from={DAY}", f"/admin/day.csv?what=payments&from={DAY}"]


@pytest.mark.parametrize("url", ROUTES)
def test_anonymous_is_sent_to_log_in(new_client, url):
    response = new_client().get(url)
    assert response.status_code == 302
    assert "/staff/login" in response.location


@pytest.mark.parametrize("url", ROUTES)
def test_staff_are_refused(ny, login, day_of_tabs, url):
    response = login(ny.staff).get(url)
    assert response.status_code == 403
    assert "Ana" not in response.get_data(as_text=True)


def test_another_shops_owner_sees_only_their_own(other_cafe, login, day_of_tabs):
    other = login(other_cafe.owner)
    html = page(other)
    assert figure(html, "sales") == "£0.00"
    assert figure(html, "owed") == "£0.00"
    assert "Gus" not in html and "Eve" not in html and "Dropped" not in html
    for what in ("money", "tabs", "lines", "payments"):
        response, rows = export(other, what, BEFORE, AFTER)
        assert rows == []
        assert other_cafe.shop.slug in response.headers["Content-Disposition"]


# -- a busy day costs no more queries than a quiet one --------------------------------


# What each kind of tab did with its deposit.
BUSY_DEPOSITS = {
    "paid": "applied",
    "walked_out": "kept",
    "open": "held",
    "settling": "held",
    "void": "refunded",
}


def busy_day(in_app, cafe, tabs: int) -> None:
    """Tabs of every kind, each with a deposit taken in cash and a rating, and a
    cash-up for every ten tabs."""
    for n in range(tabs):
        opened = local(DAY, "08:00") + timedelta(minutes=n)
        status = ("paid", "walked_out", "open", "settling", "void")[n % 5]
        lines = [
            dict(status="served", ready_at=opened + timedelta(minutes=3)),
            dict(item=cafe.croissant, status="void", voided_at=opened + timedelta(minutes=1),
                 void_reason="Wrong order", voided_by_id=cafe.staff.id),
        ]  # fmt: skip
        tab_id = put_tab(
            in_app, cafe, opened, status, lines,
            closed=None if status in ("open", "settling") else opened + timedelta(minutes=30),
            paid=("card", 20) if status == "paid" else None,
            name=f"Guest {n}", card=cafe.table,
        )  # fmt: skip
        in_app(_with_deposit_and_rating, cafe, tab_id, n, BUSY_DEPOSITS[status])


def _with_deposit_and_rating(cafe, tab_id, n, deposit_status):
    from models import CashUp, TabRating

    tab = db.session.get(Tab, tab_id)
    tab.phone_id = f"phone-{n}"
    tab.deposit_amount, tab.deposit_status = 100, deposit_status
    tab.deposit_method, tab.deposit_taken_at = "cash", tab.opened_at
    for payment in tab.payments:
        payment.amount, payment.deposit_applied = payment.amount - 100, 100
    db.session.add(
        TabRating(
            shop_id=cafe.shop.id,
            tab_id=tab_id,
            phone_id=f"phone-{n}",
            rating=1 + n % 5,
            created_at=tab.opened_at,
        )  # fmt: skip
    )
    if n % 10 == 9:
        db.session.add(
            CashUp(
                shop_id=cafe.shop.id,
                number=n,
                starts_at=tab.opened_at,
                counted_at=tab.opened_at,
                currency="USD",
                opening_float=0,
                cash_bills=0,
                cash_tips=0,
                cash_deposits_taken=1000,
                cash_given_back=0,
                expected=1000,
                counted=990,
            )  # fmt: skip
        )


def statements(app, client, url) -> int:
    seen = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(seen)


URLS = [
    f"/admin/day?from={DAY}",
    f"/admin/day.csv?what=money&from={DAY}",
    f"/admin/day.csv?what=tabs&from={DAY}",
    f"/admin/day.csv?what=lines&from={DAY}",
    f"/admin/day.csv?what=payments&from={DAY}",
]


def test_the_number_of_queries_does_not_grow_with_the_day(app, make_shop, login, in_app):
    quiet, busy = make_shop(timezone="America/New_York"), make_shop(timezone="America/New_York")
    busy_day(in_app, quiet, 5)
    busy_day(in_app, busy, 50)
    quiet_owner, busy_owner = login(quiet.owner), login(busy.owner)
    for url in URLS:
        quiet_owner.get(url)  # the first request of a session loads what every one does
        busy_owner.get(url)
        assert statements(app, quiet_owner, url) == statements(app, busy_owner, url), url
    html = page(busy_owner)
    assert 'id="sum-deposits-taken">€50.00<' in html
    assert len(re.findall(r'<tr class="cash-up-row"', html)) == 5
    assert figure(html, "paid-tabs") == "10"
    assert figure(html, "walked-out-tabs") == "10"
    assert len(re.findall(r'<tr class="owing-row"', html)) == 20
    assert len(re.findall(r'<tr class="voids-row"', html)) == 50


def test_ages_read_in_days_once_past_a_day():
    from services.report import age_text

    now = datetime(2024, 7, 10, 12, 0, tzinfo=NEW_YORK)
    assert age_text(now - timedelta(seconds=30), now) == "0 min"
    assert age_text(now - timedelta(minutes=75), now) == "1 h 15 min"
    assert age_text(now - timedelta(days=2, hours=3, minutes=5), now) == "2 d 3 h"
