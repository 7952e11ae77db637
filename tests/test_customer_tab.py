"""The customer's tab on their phone: the tab, the menu, ordering, the bill, paying,
and the receipt."""

import re
from zoneinfo import ZoneInfo

import pytest

from extensions import db
from models import Tab
from tests.helpers import load_tab, open_tab, order


def staff_moves(staff, line_id: int, status: str):
    response = staff.post_form(f"/staff/lines/{line_id}/status", {"status": status})
    assert response.status_code == 303, response.get_data(as_text=True)


def staff_voids(staff, line_id: int, reason: str):
    response = staff.post_form(f"/staff/lines/{line_id}/void", {"reason": reason})
    assert response.status_code == 303, response.get_data(as_text=True)


def staff_takes_payment(staff, tab_id: int, amount: str, tip: str = "0", method: str = "cash"):
    staff.get(f"/staff/tabs/{tab_id}")
    response = staff.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": method, "amount": amount, "tip": tip}
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def menu_sections(page: str) -> list[tuple[str, list[str]]]:
    """[(category heading, [item names in order])] as the menu page shows them."""
    sections = re.findall(r'<section class="menu-category">(.*?)</section>', page, re.S)
    result = []
    for section in sections:
        heading = re.search(r"<h2>(.*?)</h2>", section)
        result.append((heading.group(1) if heading else "", re.findall(r"<h3>(.*?)</h3>", section)))
    return result


def menu_article(page: str, item_id: int) -> str:
    match = re.search(rf'<article [^>]*id="item-{item_id}">(.*?)</article>', page, re.S)
    assert match, f"item {item_id} is not on the menu page"
    return match.group(1)


@pytest.fixture
def tab_with_lines(cafe, phone, staff_client, in_app):
    """Ana's tab: 2 flat whites (oat milk), being prepared; 1 croissant, ordered."""
    public_id = open_tab(phone, cafe.table, "Ana")
    assert order(phone, public_id, cafe.flat_white, 2, "oat milk").status_code == 303
    assert order(phone, public_id, cafe.croissant, 1).status_code == 303
    flat_white_line = load_tab(in_app, public_id).lines[0]
    staff_moves(staff_client, flat_white_line.id, "preparing")
    return public_id


# -- the tab page -------------------------------------------------------------------------


def test_the_tab_page_shows_each_line_with_status_note_prices_and_the_total(tab_with_lines, phone):
    response = phone.get(f"/tab/{tab_with_lines}")

    assert response.status_code == 200
    page = text_of(response)
    lines = re.findall(r'<li class="line [^"]*"(.*?)</li>', page, re.S)
    assert len(lines) == 2
    flat_white, croissant = lines
    assert "2 × Flat white" in flat_white
    assert "oat milk" in flat_white
    assert "€3.80 each" in flat_white
    assert "€7.60" in flat_white
    assert ">Preparing<" in flat_white
    assert "1 × Butter croissant" in croissant
    assert "€2.80 each" in croissant
    assert ">Ordered<" in croissant
    assert "data-total>€10.40<" in page
    assert "Ana" in page


@pytest.mark.parametrize(
    ("currency", "locale", "each", "total"),
    [
        ("GBP", "en_GB", "£3.80 each", "£7.60"),
        ("JPY", "ja_JP", "￥380 each", "￥760"),
    ],
)
def test_money_on_the_tab_is_in_the_shop_currency(make_shop, phone, currency, locale, each, total):
    shop = make_shop(currency=currency, locale=locale)
    public_id = open_tab(phone, shop.table)
    order(phone, public_id, shop.flat_white, 2)

    page = text_of(phone.get(f"/tab/{public_id}"))

    assert each in page
    assert f"data-total>{total}<" in page
    assert "€" not in page


def test_the_tab_page_offers_the_menu_and_paying_once_something_is_ordered(cafe, phone):
    public_id = open_tab(phone, cafe.table)

    empty = text_of(phone.get(f"/tab/{public_id}"))
    assert "Add from menu" in empty
    assert f'href="/tab/{public_id}/menu"' in empty
    assert "I'm done — pay" not in empty
    assert "Nothing ordered yet" in empty

    order(phone, public_id, cafe.flat_white)
    page = text_of(phone.get(f"/tab/{public_id}"))
    assert "Add from menu" in page
    assert "I'm done — pay" in page
    assert f'href="/tab/{public_id}/bill"' in page


# -- the menu and ordering ----------------------------------------------------------------


def test_the_menu_lists_items_by_category_with_prices(cafe, phone):
    public_id = open_tab(phone, cafe.table)

    response = phone.get(f"/tab/{public_id}/menu")

    assert response.status_code == 200
    page = text_of(response)
    assert menu_sections(page) == [
        ("Coffee", ["Flat white"]),
        ("Food", ["Banana bread", "Butter croissant"]),
    ]
    assert "€3.80" in menu_article(page, cafe.flat_white.id)
    assert "€2.80" in menu_article(page, cafe.croissant.id)
    assert "€3.20" in menu_article(page, cafe.sold_out.id)
    assert "Table service until 17:00." in page


def test_the_menu_does_not_show_another_shops_items(cafe, other_cafe, create_item, phone):
    create_item(other_cafe.shop, "Secret scone", 999, category="Food")
    public_id = open_tab(phone, cafe.table)

    page = text_of(phone.get(f"/tab/{public_id}/menu"))

    assert "Secret scone" not in page
    assert f'id="item-{other_cafe.flat_white.id}"' not in page


def test_an_unavailable_item_is_marked_and_cannot_be_added(cafe, phone):
    public_id = open_tab(phone, cafe.table)

    page = text_of(phone.get(f"/tab/{public_id}/menu"))

    sold_out = menu_article(page, cafe.sold_out.id)
    assert "Not available right now" in sold_out
    assert "<form" not in sold_out
    assert f'name="item_id" value="{cafe.sold_out.id}"' not in page
    available = menu_article(page, cafe.flat_white.id)
    assert "Not available right now" not in available
    assert "<form" in available
    assert f'name="item_id" value="{cafe.flat_white.id}"' in available


def test_ordering_adds_a_line_with_quantity_and_note(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table)
    phone.get(f"/tab/{public_id}/menu")

    response = order(phone, public_id, cafe.flat_white, 2, "  oat   milk ")

    assert response.status_code == 303
    # Back to the item on the menu, not the top of the page.
    assert response.location == f"/tab/{public_id}/menu#item-{cafe.flat_white.id}"
    assert "Added 2 × Flat white" in text_of(phone.get(response.location))
    (line,) = load_tab(in_app, public_id).lines
    assert (line.name, line.quantity, line.note) == ("Flat white", 2, "oat milk")
    assert line.unit_price == 380
    assert line.status == "ordered"
    assert line.menu_item_id == cafe.flat_white.id

    page = text_of(phone.get(f"/tab/{public_id}"))
    assert "2 × Flat white" in page
    assert "data-total>€7.60<" in page


def test_a_price_sent_by_the_phone_is_ignored(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table)

    response = order(
        phone, public_id, cafe.flat_white, 2, price=1, unit_price=1, total=1, name="Free"
    )

    assert response.status_code == 303
    tab = load_tab(in_app, public_id)
    (line,) = tab.lines
    assert line.unit_price == 380
    assert line.name == "Flat white"
    assert tab.total == 760
    assert "data-total>€7.60<" in text_of(phone.get(f"/tab/{public_id}"))


def test_a_later_menu_price_change_does_not_rewrite_the_line(cafe, phone, in_app):
    from models import MenuItem

    public_id = open_tab(phone, cafe.table)
    order(phone, public_id, cafe.flat_white)

    def raise_price():
        db.session.get(MenuItem, cafe.flat_white.id).price = 450

    in_app(raise_price)

    assert load_tab(in_app, public_id).lines[0].unit_price == 380
    assert "data-total>€3.80<" in text_of(phone.get(f"/tab/{public_id}"))


# -- the bill and paying --------------------------------------------------------------------


def test_the_bill_lists_every_live_line_with_time_and_price(
    cafe, tab_with_lines, phone, staff_client, in_app
):
    public_id = tab_with_lines
    order(phone, public_id, cafe.flat_white, 1, "decaf")
    voided = load_tab(in_app, public_id).lines[1]
    staff_voids(staff_client, voided.id, "Out of croissants")

    response = phone.get(f"/tab/{public_id}/bill")

    assert response.status_code == 200
    page = text_of(response)
    table = re.search(r'<table class="bill-table">(.*?)</table>', page, re.S).group(1)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    live = [line for line in load_tab(in_app, public_id).lines if line.status != "void"]
    assert len(rows) == len(live) == 2
    for row, line in zip(rows, live, strict=True):
        local = line.ordered_at.astimezone(ZoneInfo("Europe/Dublin")).strftime("%H:%M")
        assert f"{line.quantity} × {line.name}" in row
        assert f'<time datetime="{line.ordered_at.isoformat()}">{local}</time>' in row
    assert "€7.60" in rows[0] and "oat milk" in rows[0]
    assert "€3.80" in rows[1] and "decaf" in rows[1]
    assert "Butter croissant" not in table
    assert re.search(r"<strong[^>]*>€11\.40</strong>", table)
    assert "Pay at the counter" in page


def test_pay_puts_the_tab_in_settling_and_the_tab_page_says_pay_at_the_counter(
    tab_with_lines, phone, in_app
):
    public_id = tab_with_lines
    phone.get(f"/tab/{public_id}/bill")

    response = phone.post_form(f"/tab/{public_id}/pay")

    assert response.status_code == 303
    assert response.location == f"/tab/{public_id}"
    tab = load_tab(in_app, public_id)
    assert tab.status == "settling"
    assert tab.pay_requested_at is not None
    page = text_of(phone.get(f"/tab/{public_id}"))
    assert "Pay at the counter" in page
    assert "Your bill is <strong>€10.40</strong>" in page
    assert "I want to order more" in page
    assert "I'm done — pay" not in page


def test_i_want_to_order_more_returns_the_tab_to_open(tab_with_lines, phone, in_app):
    public_id = tab_with_lines
    phone.get(f"/tab/{public_id}/bill")
    phone.post_form(f"/tab/{public_id}/pay")
    phone.get(f"/tab/{public_id}")

    response = phone.post_form(f"/tab/{public_id}/keep-ordering")

    assert response.status_code == 303
    assert response.location == f"/tab/{public_id}/menu"
    tab = load_tab(in_app, public_id)
    assert tab.status == "open"
    assert tab.pay_requested_at is None
    page = text_of(phone.get(f"/tab/{public_id}"))
    assert "Pay at the counter" not in page
    assert "I'm done — pay" in page


def test_after_staff_take_payment_the_tab_goes_to_the_receipt(
    tab_with_lines, phone, staff_client, in_app
):
    public_id = tab_with_lines
    phone.get(f"/tab/{public_id}/bill")
    phone.post_form(f"/tab/{public_id}/pay")
    tab_id = load_tab(in_app, public_id).id

    staff_takes_payment(staff_client, tab_id, "10.40", tip="0.60")

    response = phone.get(f"/tab/{public_id}")
    assert response.status_code == 302
    assert response.location == f"/tab/{public_id}/receipt"
    bill = phone.get(f"/tab/{public_id}/bill")
    assert bill.status_code == 302
    assert bill.location == f"/tab/{public_id}/receipt"

    receipt = phone.get(response.location)
    assert receipt.status_code == 200
    page = text_of(receipt)
    assert "2 × Flat white" in page
    assert "1 × Butter croissant" in page
    assert '<th scope="row">Total</th><td class="num">€10.40</td>' in page
    assert '<th scope="row">Tip</th><td class="num">€0.60</td>' in page
    assert "Paid by cash" in page
    assert "<strong>€11.00</strong>" in page
    reference = Tab(public_id=public_id).reference
    assert f"<dd>{reference}" in page


def test_the_receipt_of_an_unpaid_tab_redirects_to_the_tab(tab_with_lines, phone):
    response = phone.get(f"/tab/{tab_with_lines}/receipt")

    assert response.status_code == 302
    assert response.location == f"/tab/{tab_with_lines}"
