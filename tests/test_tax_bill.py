"""Tax on the bill, the receipt, the payment, the split and the owner's day: per rate,
added to what is owed when prices exclude it, and adding up to the cent."""

import csv
import io
import re

import pytest

from tests.helpers import load_tab, open_tab, order
from tests.pay_helpers import (
    ask_to_pay,
    asked_on_staff_page,
    invite,
    join,
    set_shop,
    tab_id_of,
    take_asked,
)


@pytest.fixture
def dutch(make_shop, create_item, in_app):
    """Amsterdam: prices include tax, drinks at 21 %, the croissant at 9 %."""
    cafe = make_shop(currency="EUR", locale="nl_NL", timezone="Europe/Amsterdam")
    set_shop(in_app, cafe.shop, prices_include_tax=True, tax_rate=21000)
    cafe.croissant = create_item(cafe.shop, "Croissant", 280, tax_rate=9000)
    return cafe


@pytest.fixture
def staff_client(request, login):
    """Staff of the shop the test uses (the Dutch café or the New York one)."""
    shop = request.getfixturevalue("dutch" if "dutch" in request.fixturenames else "new_york")
    return login(shop.staff)


@pytest.fixture
def new_york(make_shop, create_item, in_app):
    """New York City: prices exclude tax, 8.875 % added on the bill."""
    cafe = make_shop(currency="USD", locale="en_US", timezone="America/New_York")
    set_shop(in_app, cafe.shop, prices_include_tax=False, tax_rate=8875)
    cafe.chai = create_item(cafe.shop, "Chai latte", 400)
    return cafe


def rate_rows(html: str) -> dict[str, list[str]]:
    """The tax table's rows: {'9': [net, tax, gross], ...}, as shown."""
    table = re.search(r"<table[^>]*data-tax-table.*?</table>", html, re.S).group(0)
    rows = re.findall(r'<tr data-rate="([^"]+)">(.*?)</tr>', table, re.S)
    return {rate: re.findall(r'<td class="num">([^<]*)</td>', cells) for rate, cells in rows}


def words(html: str) -> str:
    """The page's text with every tag a space and runs of spaces one: "Subtotal $10.40"."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def cents(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def take(staff, tab_id: int, amount: str, method: str = "cash"):
    staff.get(f"/staff/tabs/{tab_id}")
    response = staff.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": method, "amount": amount, "tip": "0"}
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def test_a_dutch_bill_and_receipt_show_net_tax_and_gross_per_rate(
    dutch, new_client, staff_client, in_app
):
    phone = new_client()
    public_id = open_tab(phone, dutch.table, "Ana")
    order(phone, public_id, dutch.flat_white, 2)
    order(phone, public_id, dutch.croissant)
    bill = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    # 21 % inside €7.60 is €1.32; 9 % inside €2.80 is €0.23. The total is unchanged.
    expected = {
        "9": ["€\xa02,57", "€\xa00,23", "€\xa02,80"],
        "21": ["€\xa06,28", "€\xa01,32", "€\xa07,60"],
    }
    assert rate_rows(bill) == expected
    assert "Tax included in the prices" in words(bill)
    assert load_tab(in_app, public_id).total == 1040

    assert "Includes tax of € 1,55." in words(phone.get(f"/tab/{public_id}").get_data(as_text=True))
    take(staff_client, tab_id_of(in_app, public_id), "10,40")
    receipt = phone.get(f"/tab/{public_id}/receipt").get_data(as_text=True)
    assert rate_rows(receipt) == expected


def test_a_comped_line_carries_no_tax_and_a_discount_lowers_it(
    dutch, new_client, staff_client, in_app
):
    phone = new_client()
    public_id = open_tab(phone, dutch.table)
    order(phone, public_id, dutch.flat_white, 2)
    order(phone, public_id, dutch.croissant)
    lines = {line.name: line.id for line in load_tab(in_app, public_id).lines}
    staff_client.get(f"/staff/tabs/{tab_id_of(in_app, public_id)}")
    comp = staff_client.post_form(f"/staff/lines/{lines['Croissant']}/comp", {"reason": "Stale"})
    assert comp.status_code == 303
    discount = staff_client.post_form(
        f"/staff/lines/{lines['Flat white']}/discount",
        {"kind": "amount", "value": "1,55", "reason": "Cold"},
    )
    assert discount.status_code == 303
    bill = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    # No 9 % row: the croissant is free. 21 % is worked on €6.05, not €7.60.
    assert rate_rows(bill) == {"21": ["€\xa05,00", "€\xa01,05", "€\xa06,05"]}
    assert load_tab(in_app, public_id).total == 605


def test_tax_is_added_to_what_a_new_york_tab_asks_and_staff_take(
    new_york, new_client, staff_client, login, in_app
):
    phone = new_client()
    public_id = open_tab(phone, new_york.table, "Ana")
    order(phone, public_id, new_york.flat_white, 2)
    order(phone, public_id, new_york.croissant)
    # $10.40 of prices, 8.875 % of it is $0.923 → $0.92, so $11.32 to pay.
    bill = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    text = words(bill)
    assert "Subtotal $10.40" in text and "Tax 8.875 % $0.92" in text
    assert "To pay $11.32" in text
    assert rate_rows(bill) == {"8.875": ["$10.40", "$0.92", "$11.32"]}
    tab_id = tab_id_of(in_app, public_id)
    staff_page = words(staff_client.get(f"/staff/tabs/{tab_id}").get_data(as_text=True))
    assert "Tax added $0.92" in staff_page and "Owed $11.32" in staff_page

    day = login(new_york.owner).get("/admin/day").get_data(as_text=True)
    assert re.search(r'id="figure-owed">\$11\.32<', day)  # "still owed" counts the tax

    refused = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "10.40", "tip": "0"}
    )
    assert refused.status_code == 409
    take(staff_client, tab_id, "11.32")
    tab = load_tab(in_app, public_id)
    assert (tab.status, tab.payments[0].amount, tab.owed) == ("paid", 1132, 0)
    receipt = words(phone.get(f"/tab/{public_id}/receipt").get_data(as_text=True))
    assert "Subtotal $10.40" in receipt and "Tax 8.875 % $0.92" in receipt
    assert "Total $11.32" in receipt


def test_a_deposit_comes_off_the_taxed_total(new_york, new_client, staff_client, in_app):
    set_shop(in_app, new_york.shop, deposit_amount=500)
    phone = new_client()
    public_id = open_tab(phone, new_york.table, "Ana")
    tab_id = tab_id_of(in_app, public_id)
    staff_client.get(f"/staff/tabs/{tab_id}")
    taken = staff_client.post_form(f"/staff/tabs/{tab_id}/deposit", {"method": "cash"})
    assert taken.status_code == 303, taken.get_data(as_text=True)
    order(phone, public_id, new_york.chai, 2)
    # $8.00 + $0.71 tax = $8.71; the $5.00 deposit leaves $3.71.
    assert load_tab(in_app, public_id).due == 371
    take(staff_client, tab_id, "3.71")
    tab = load_tab(in_app, public_id)
    assert (tab.status, tab.payments[0].deposit_applied) == ("paid", 500)


def test_a_tab_limit_counts_the_tax_added(new_york, new_client, in_app):
    set_shop(in_app, new_york.shop, tab_limit_first=850)
    phone = new_client()
    public_id = open_tab(phone, new_york.table, "Ana")
    # Two chais are $8.00 of prices, under the $8.50 limit, but $8.71 with their tax.
    order(phone, public_id, new_york.chai, 2)
    assert load_tab(in_app, public_id).lines == []
    order(phone, public_id, new_york.chai)
    assert load_tab(in_app, public_id).total == 436


@pytest.fixture
def two_chais(new_york, new_client, in_app):
    """Ana and Ben each have a $4.00 chai: $0.355 of tax each, $0.71 on the bill."""
    ana, ben = new_client(), new_client()
    public_id = open_tab(ana, new_york.table, "Ana")
    join(ben, invite(ana, public_id), "Ben")
    order(ana, public_id, new_york.chai)
    order(ben, public_id, new_york.chai)
    assert load_tab(in_app, public_id).total == 871
    return ana, ben, public_id, tab_id_of(in_app, public_id)


def test_own_lines_shares_add_up_to_the_taxed_bill_exactly(two_chais, staff_client, in_app):
    ana, ben, public_id, tab_id = two_chais
    # Alone, each chai's tax rounds up to 36 cents; the bill's is 71: the first to pay
    # pays $4.36, the second what the bill has left, $4.35.
    assert "My items · $4.36" in words(ben.get(f"/tab/{public_id}/bill").get_data(True))
    ask_to_pay(ben, public_id, share="phone")
    take_asked(staff_client, tab_id, asked_on_staff_page(staff_client, tab_id)["Ben"])
    assert "My items · $4.35" in words(ana.get(f"/tab/{public_id}/bill").get_data(True))
    ask_to_pay(ana, public_id, share="phone")
    take_asked(staff_client, tab_id, asked_on_staff_page(staff_client, tab_id)["Ana"])
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert [p.amount for p in tab.payments] == [436, 435]
    # Each receipt says the tax its part carried; together they are the bill's.
    parts = [
        cents(
            re.search(
                r"data-payment-tax>([^<]*)<",
                phone.get(f"/tab/{public_id}/receipt").get_data(as_text=True),
            ).group(1)
        )
        for phone in (ben, ana)
    ]
    assert sum(parts) == tab.tax.tax == 71


def test_equal_shares_add_up_to_the_taxed_bill_exactly(two_chais, staff_client, in_app):
    ana, ben, public_id, tab_id = two_chais
    ask_to_pay(ana, public_id, share="equal")
    ask_to_pay(ben, public_id, share="equal")
    asked = asked_on_staff_page(staff_client, tab_id)
    assert {name: a["amount"] for name, a in asked.items()} == {"Ana": "4.36", "Ben": "4.35"}
    take_asked(staff_client, tab_id, asked["Ana"])
    take_asked(staff_client, tab_id, asked_on_staff_page(staff_client, tab_id)["Ben"])
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert sum(p.amount for p in tab.payments) == tab.total == 871


def test_the_day_and_the_tax_csv_are_the_sum_of_the_receipts(
    dutch, new_client, staff_client, login, in_app
):
    receipts = []
    for name, drinks, food in (("Ana", 2, 1), ("Ben", 1, 3), ("Cy", 3, 0)):
        phone = new_client()
        public_id = open_tab(phone, dutch.table, name)
        order(phone, public_id, dutch.flat_white, drinks)
        if food:
            order(phone, public_id, dutch.croissant, food)
        tab = load_tab(in_app, public_id)
        take(staff_client, tab_id_of(in_app, public_id), f"{tab.total / 100:.2f}".replace(".", ","))
        receipts.append(rate_rows(phone.get(f"/tab/{public_id}/receipt").get_data(as_text=True)))
    summed = {}
    for rows in receipts:
        for rate, cells in rows.items():
            summed[rate] = [
                a + cents(b) for a, b in zip(summed.get(rate, [0, 0, 0]), cells, strict=True)
            ]
    assert summed == {"9": [1028, 92, 1120], "21": [1884, 396, 2280]}

    owner = login(dutch.owner)
    day = owner.get("/admin/day").get_data(as_text=True)
    table = re.search(r'<table class="bill-table" id="tax-rates">.*?</table>', day, re.S).group(0)
    shown = {
        rate: [cents(c) for c in re.findall(r'<td class="num">([^<]*)</td>', cells)]
        for rate, cells in re.findall(r'<tr data-rate="([^"]+)">(.*?)</tr>', table, re.S)
    }
    assert shown == summed
    assert "Tips (€ 0,00) and deposits are not taxed sales" in words(day)

    response = owner.get("/admin/day.csv?what=tax")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert {r["rate"]: [cents(r["net"]), cents(r["tax"]), cents(r["gross"])] for r in rows} == (
        summed
    )
    tabs = list(
        csv.DictReader(
            io.StringIO(owner.get("/admin/day.csv?what=tabs").get_data().decode("utf-8-sig"))
        )
    )
    assert sum(cents(t["tax"]) for t in tabs) == 92 + 396
    lines = list(
        csv.DictReader(
            io.StringIO(owner.get("/admin/day.csv?what=lines").get_data().decode("utf-8-sig"))
        )
    )
    assert {(line["item"], line["tax_rate"]) for line in lines} == {
        ("Flat white", "21"),
        ("Croissant", "9"),
    }
    by_rate = {}
    for line in lines:
        by_rate[line["tax_rate"]] = by_rate.get(line["tax_rate"], 0) + cents(line["tax"])
    assert by_rate == {"9": 92, "21": 396}
