"""Receipts: a number per shop given when the payment is recorded, the bill as it was
paid, printable, and only for the phones on the tab."""

import re
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import select

from extensions import db
from models import Payment
from models.base import as_utc
from tests.helpers import load_tab, open_tab, order
from tests.pay_helpers import ask_to_pay, asked_on_staff_page, invite, join, tab_id_of, take_asked

TOKYO = ZoneInfo("Asia/Tokyo")
NUMBER = re.compile(r'<dd id="receipt-number">(R-\d{4}-\d{6})</dd>')


def staff_takes(staff, tab_id: int, amount: str, tip: str = "0", method: str = "cash"):
    staff.get(f"/staff/tabs/{tab_id}")
    response = staff.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": method, "amount": amount, "tip": tip}
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def paid_tab(cafe, phone, staff, in_app, name="Ana", tip="0.60"):
    public_id = open_tab(phone, cafe.table, name)
    order(phone, public_id, cafe.flat_white, 2)
    order(phone, public_id, cafe.croissant)
    staff_takes(staff, tab_id_of(in_app, public_id), "10.40", tip=tip)
    return public_id


def receipt_numbers(in_app, shop_id: int) -> list[int]:
    return in_app(
        lambda: list(
            db.session.scalars(
                select(Payment.receipt_number)
                .where(Payment.shop_id == shop_id)
                .order_by(Payment.id)
            )
        )
    )


def test_the_receipt_shows_number_shop_lines_tip_total_method_and_local_time(
    make_shop, new_client, login, in_app
):
    cafe = make_shop(timezone="Asia/Tokyo")
    phone = new_client()
    public_id = paid_tab(cafe, phone, login(cafe.staff), in_app)

    response = phone.get(f"/tab/{public_id}/receipt")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    paid_at = as_utc(load_tab(in_app, public_id).payments[0].created_at).astimezone(TOKYO)
    assert NUMBER.search(page).group(1) == f"R-{paid_at.year}-000001"
    assert cafe.shop.name in page
    assert "2 × Flat white" in page and "€7.60" in page
    assert "1 × Butter croissant" in page and "€2.80" in page
    assert '<th scope="row">Total</th><td class="num">€10.40</td>' in page
    assert '<th scope="row">Tip</th><td class="num">€0.60</td>' in page
    assert "Paid by cash" in page and "<strong>€11.00</strong>" in page
    assert "Asia/Tokyo" in page
    assert paid_at.strftime("%Y-%m-%d %H:%M") in page


def test_receipt_numbers_go_up_one_by_one_per_shop(cafe, other_cafe, new_client, login, in_app):
    staff, other_staff = login(cafe.staff), login(other_cafe.staff)
    first = paid_tab(cafe, new_client(), staff, in_app)
    paid_tab(other_cafe, new_client(), other_staff, in_app)
    paid_tab(cafe, new_client(), staff, in_app)
    phone = new_client()
    third = paid_tab(cafe, phone, staff, in_app)

    assert receipt_numbers(in_app, cafe.shop.id) == [1, 2, 3]
    assert receipt_numbers(in_app, other_cafe.shop.id) == [1]
    assert re.search(r"R-\d{4}-000003", phone.get(f"/tab/{third}/receipt").get_data(as_text=True))
    assert first != third


def test_payments_on_two_tabs_at_once_get_distinct_numbers(app, cafe, new_client, login, in_app):
    """Through the HTTP layer, each request with its own connection (PostgreSQL's
    row lock is what is tested there; SQLite serialises writers anyway)."""
    staff = login(cafe.staff)
    tabs = []
    for name in ("Ana", "Ben", "Cleo", "Dan"):
        phone = new_client()
        public_id = open_tab(phone, cafe.table, name)
        order(phone, public_id, cafe.flat_white)
        tabs.append(tab_id_of(in_app, public_id))
    session = staff.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    token = staff.csrf_token()
    barrier = threading.Barrier(len(tabs))
    statuses, errors = [], []

    def pay(tab_id):
        client = app.test_client()
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], session)
        try:
            barrier.wait(timeout=60)
            response = client.post(
                f"/staff/tabs/{tab_id}/payment",
                data={"method": "card", "amount": "3.80", "tip": "0", "csrf_token": token},
            )
            statuses.append(response.status_code)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=pay, args=(t,), daemon=True) for t in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert statuses == [303] * len(tabs)
    assert sorted(receipt_numbers(in_app, cafe.shop.id)) == [1, 2, 3, 4]


def test_the_receipt_has_a_print_button_and_a_print_stylesheet(cafe, phone, staff_client, in_app):
    public_id = paid_tab(cafe, phone, staff_client, in_app)
    page = phone.get(f"/tab/{public_id}/receipt").get_data(as_text=True)

    assert re.search(r"<button[^>]*data-print[^>]*>Print</button>", page)
    assert "/static/js/receipt.js" in page
    assert "onclick" not in page and "<script>" not in page
    assert 'href="/me"' in page
    script = phone.get("/static/js/receipt.js").get_data(as_text=True)
    assert "window.print()" in script
    css = phone.get("/static/css/app.css").get_data(as_text=True)
    assert "@media print" in css


def test_another_phone_cannot_see_the_receipt(cafe, phone, new_client, staff_client, in_app):
    public_id = paid_tab(cafe, phone, staff_client, in_app)
    stranger = new_client()
    open_tab(stranger, cafe.table, "Zed")

    response = stranger.get(f"/tab/{public_id}/receipt")

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Flat white" not in page and "R-" not in page


def test_on_a_split_tab_each_phone_sees_its_own_payment_and_all_lines(
    cafe, new_client, staff_client, in_app
):
    ana, ben = new_client(), new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    join(ben, invite(ana, public_id), "Ben")
    order(ana, public_id, cafe.flat_white, 2)
    order(ben, public_id, cafe.croissant)
    ask_to_pay(ana, public_id, share="phone", tip="none")
    ask_to_pay(ben, public_id, share="phone", tip="none")
    tab_id = tab_id_of(in_app, public_id)
    asked = asked_on_staff_page(staff_client, tab_id)
    assert take_asked(staff_client, tab_id, asked["Ben"], "card").status_code == 303

    # Ben paid his part while the tab is still open: his receipt is there already.
    ben_page = ben.get(f"/tab/{public_id}/receipt").get_data(as_text=True)
    assert "Paid by card (own items)" in ben_page and "€2.80</strong>" in ben_page
    assert "Paid by cash" not in ben_page
    assert ana.get(f"/tab/{public_id}/receipt").status_code == 302

    asked = asked_on_staff_page(staff_client, tab_id)
    assert take_asked(staff_client, tab_id, asked["Ana"], "cash").status_code == 303

    ana_page = ana.get(f"/tab/{public_id}/receipt").get_data(as_text=True)
    ben_page = ben.get(f"/tab/{public_id}/receipt").get_data(as_text=True)
    for page in (ana_page, ben_page):
        assert "2 × Flat white" in page and "1 × Butter croissant" in page
        assert '<th scope="row">Total</th><td class="num">€10.40</td>' in page
    assert "Paid by cash (own items)" in ana_page and "Paid by card" not in ana_page
    assert 'Paid by others on this tab</th><td class="num">−€2.80' in ana_page
    assert "Paid by card (own items)" in ben_page and "Paid by cash" not in ben_page
    ana_number = NUMBER.search(ana_page).group(1)
    ben_number = NUMBER.search(ben_page).group(1)
    assert ana_number != ben_number
