"""The day's money reconciles: deposits taken, used, refunded and kept, tips, comps,
discounts and walk-outs are each in the day's figures, per method, in every CSV and
in what is owed, and every figure adds up to what was recorded."""

import csv
import io
import re
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from models import AuditEntry, Payment
from tests.helpers import visible_text


def figure(html: str, name: str) -> str:
    match = re.search(rf'id="(?:figure|sum)-{name}">([^<]*)<', html)
    assert match, f"no figure {name} on the page"
    return match.group(1).strip()


def amount(text: str) -> Decimal:
    """'€10.02' -> 10.02, '−€2.00' -> -2.00."""
    sign = -1 if text.startswith(("−", "-")) else 1
    return sign * Decimal(re.sub(r"[^\d.]", "", text))


def day_page(owner) -> str:
    response = owner.get("/admin/day")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def method_row(html: str, method: str) -> list[Decimal]:
    """Payments, bills paid, tips, deposits taken, deposits refunded, received."""
    row = re.search(rf'id="method-{method}">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'class="num">([^<]*)<', row)
    return [Decimal(cells[0]), *(amount(cell) for cell in cells[1:])]


def export(owner, what: str) -> list[dict]:
    response = owner.get(f"/admin/day.csv?what={what}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def total(rows, column, **where) -> Decimal:
    return sum(
        (Decimal(row[column]) for row in rows if all(row[k] == v for k, v in where.items())),
        Decimal(0),
    )


# -- the example ---------------------------------------------------------------


def test_a_deposit_taken_in_cash_is_in_the_days_money(day_maker, daytime_cafe, login):
    """Deposit 2.00 taken in cash; the order is 8.95; the rest is paid with a 12 % tip.
    The till took 10.02: sales 8.95, tips 1.07, deposits 2.00 taken and used."""
    day = day_maker(deposit=200)
    owner = login(daytime_cafe.owner)
    day.open("Ana", "cash").order("Ana", daytime_cafe.brunch)

    before = day_page(owner)
    assert figure(before, "owed") == "€6.95"  # the bill less the deposit already taken
    assert figure(before, "received") == "€2.00"
    assert figure(before, "deposits-held") == "€2.00"
    assert 'class="num owes">€6.95<' in before

    asked = day.pay("Ana", "cash", tip="12")
    assert (asked["amount"], asked["tip"]) == ("6.95", "1.07")

    html = day_page(owner)
    assert figure(html, "sales") == "€8.95"
    assert figure(html, "tips") == "€1.07"
    assert figure(html, "received") == "€10.02"
    assert figure(html, "deposits-taken") == "€2.00"
    assert figure(html, "deposits-used") == "−€2.00"
    assert figure(html, "deposits-refunded") == "€0.00"
    assert figure(html, "owed") == "€0.00"
    assert figure(html, "deposits-held") == "€0.00"
    assert method_row(html, "cash") == [1, Decimal("6.95"), Decimal("1.07"), 2, 0, Decimal("10.02")]
    assert method_row(html, "card") == [0, 0, 0, 0, 0, 0]

    money = export(owner, "money")
    assert [(row["what"], row["method"], row["received"]) for row in money] == [
        ("deposit_taken", "cash", "2.00"),
        ("payment", "cash", "8.02"),
    ]
    assert (money[1]["sales"], money[1]["tips"], money[1]["deposit_used"]) == (
        "8.95",
        "1.07",
        "2.00",
    )
    (payment,) = export(owner, "payments")
    assert (payment["amount"], payment["deposit_used"], payment["sale"], payment["tip"]) == (
        "6.95",
        "2.00",
        "8.95",
        "1.07",
    )
    (tab,) = export(owner, "tabs")
    assert (tab["deposit"], tab["deposit_status"], tab["deposit_method"]) == (
        "2.00",
        "applied",
        "cash",
    )
    assert (tab["deposit_used"], tab["deposit_refunded"], tab["owes"]) == ("2.00", "0.00", "0.00")


# -- a whole day -------------------------------------------------------------------------

# Hand-computed from the money_day fixture's story (tests/fixtures/money.py).
EXPECTED = {
    "sales": "€15.60",  # Ana 2.60 + 5.00 deposit, Ben 2.80 from the deposit, Fay 0.20 + 5.00
    "tips": "€1.76",  # Ana 10 % of 7.60, Fay 1.00
    "deposits-taken": "€35.00",  # seven of eight tabs (Gus's was never taken)
    "deposits-used": "−€12.80",  # Ana 5.00, Ben 2.80, Fay 5.00
    "deposits-refunded": "−€7.20",  # Ben's 2.20 handed back, Cleo's 5.00 refunded
    "received": "€32.36",
    "deposits-kept": "€10.00",  # Dan (no-show) and Eve (walk-out)
    "deposits-held": "€5.00",  # Hal's, still open
    "owed": "€6.40",  # Gus 3.80 + Hal 7.60 less his 5.00 deposit
    "comps": "€2.80",
    "discounts": "€1.40",
    "voids": "€2.80",
    "walked-out": "€11.40",
    "payments": "3",
}


def test_every_figure_of_a_busy_day(money_day, login):
    html = day_page(login(money_day.cafe.owner))
    for name, value in EXPECTED.items():
        assert figure(html, name) == value, name
    assert method_row(html, "cash") == [
        1, Decimal("2.60"), Decimal("0.76"), Decimal("25.00"), Decimal("-5.00"), Decimal("23.36")
    ]  # fmt: skip
    assert method_row(html, "card") == [
        2, Decimal("0.20"), Decimal("1.00"), Decimal("10.00"), Decimal("-2.20"), Decimal("9.00")
    ]  # fmt: skip
    walk_out = re.search(r'<tr class="walk-out-row">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'class="num">([^<]*)<', walk_out) == ["€11.40", "€5.00"]
    text = visible_text(html)
    assert "What each figure means" in text


def test_the_figures_add_up_to_what_was_recorded(money_day, login, in_app):
    """Each figure, recomputed from the payments and the audit trail's deposits."""
    shop_id = money_day.cafe.shop.id
    html = day_page(login(money_day.cafe.owner))
    payments = in_app(
        lambda: list(
            db.session.execute(select(Payment).where(Payment.shop_id == shop_id)).scalars()
        )
    )
    entries = in_app(
        lambda: list(
            db.session.execute(select(AuditEntry).where(AuditEntry.shop_id == shop_id)).scalars()
        )
    )
    cents = Decimal("0.01")
    sales = sum(p.amount + p.deposit_applied for p in payments) * cents
    tips = sum(p.tip for p in payments) * cents
    taken = sum(e.amount for e in entries if e.action == "deposit_confirmed") * cents
    refunded = sum(e.amount for e in entries if e.action == "deposit_refunded") * cents
    kept = sum(e.amount for e in entries if e.action == "deposit_kept") * cents
    kept += (
        sum(
            int(re.search(r'"deposit_kept": (\d+)', e.detail).group(1))
            for e in entries
            if e.action == "walk_out"
        )
        * cents
    )  # noqa: E501
    used = sum(p.deposit_applied for p in payments) * cents
    handed_back = Decimal("2.20")  # Ben's: the only deposit bigger than its bill
    assert amount(figure(html, "sales")) == sales
    assert amount(figure(html, "tips")) == tips
    assert amount(figure(html, "deposits-taken")) == taken
    assert -amount(figure(html, "deposits-used")) == used
    assert -amount(figure(html, "deposits-refunded")) == refunded + handed_back
    assert amount(figure(html, "deposits-kept")) == kept
    bills = sum(p.amount for p in payments) * cents
    received = bills + tips + taken - refunded - handed_back
    assert (
        amount(figure(html, "received"))
        == received
        == sales + tips + taken - used - (refunded + handed_back)
    )


def test_each_csv_adds_up_to_the_page(money_day, login):
    owner = login(money_day.cafe.owner)
    html = day_page(owner)
    money = export(owner, "money")
    for column, name in (
        ("sales", "sales"),
        ("tips", "tips"),
        ("deposit_taken", "deposits-taken"),
        ("received", "received"),
        ("deposit_kept", "deposits-kept"),
    ):
        assert total(money, column) == amount(figure(html, name)), column
    assert -total(money, "deposit_used") == amount(figure(html, "deposits-used"))
    assert -total(money, "deposit_refunded") == amount(figure(html, "deposits-refunded"))
    for method in ("cash", "card"):
        row = method_row(html, method)
        assert total(money, "received", method=method) == row[5], method
        assert total(money, "deposit_taken", method=method) == row[3], method
        assert -total(money, "deposit_refunded", method=method) == row[4], method
    kinds = defaultdict(list)
    for row in money:
        kinds[row["what"]].append(row["customer"])
    assert kinds == {
        "deposit_taken": ["Ana", "Ben", "Cleo", "Dan", "Eve", "Fay", "Hal"],
        "payment": ["Ana", "Ben", "Fay"],
        "deposit_handed_back": ["Ben"],
        "deposit_refunded": ["Cleo"],
        "deposit_kept": ["Dan", "Eve"],
    }

    payments = export(owner, "payments")
    assert total(payments, "sale") == amount(figure(html, "sales"))
    assert total(payments, "tip") == amount(figure(html, "tips"))
    assert total(payments, "deposit_used") == -amount(figure(html, "deposits-used"))
    assert [row["receipt"][:2] for row in payments] == ["R-"] * 3

    tabs = {row["customer"]: row for row in export(owner, "tabs")}
    assert total(tabs.values(), "deposit_used") == -amount(figure(html, "deposits-used"))
    assert total(tabs.values(), "deposit_refunded") == -amount(figure(html, "deposits-refunded"))
    assert total(tabs.values(), "deposit_kept") == amount(figure(html, "deposits-kept"))
    live = [row for row in tabs.values() if row["status"] in ("Open", "Waiting to pay")]
    assert total(live, "owes") == amount(figure(html, "owed"))
    assert (tabs["Eve"]["owes"], tabs["Eve"]["deposit_kept"]) == ("11.40", "5.00")
    assert (tabs["Gus"]["deposit_status"], tabs["Gus"]["deposit_taken_at"]) == ("pending", "")
    assert tabs["Ben"]["deposit_method"] == "card"


def test_the_overview_shows_the_day_pages_own_figures(money_day, login):
    owner = login(money_day.cafe.owner)
    day = day_page(owner)
    overview = owner.get("/admin").get_data(as_text=True)
    for name in ("sales", "tips", "received", "owed", "tabs-open", "rating"):
        assert figure(overview, name) == figure(day, name), name
    assert figure(overview, "tabs-open") == "2"
    assert figure(overview, "rating") == "4.5 of 5"
    assert figure(overview, "owed") == EXPECTED["owed"]


def test_one_function_gives_both_pages_their_figures(money_day, app):
    from models import Shop
    from services import report

    with app.app_context():
        shop = db.session.get(Shop, money_day.cafe.shop.id)
        today = report.parse_period(None, None, shop)
        glance = report.headline(shop, today)
        assert glance == report.day_report(shop, today).headline
        assert (glance.sales, glance.tips, glance.received, glance.owed) == (1560, 176, 3236, 640)
        assert (glance.open_tabs, glance.ratings, glance.average_rating) == (2, 2, 4.5)
