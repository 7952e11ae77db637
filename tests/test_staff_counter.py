"""Behind the counter: the queue, moving lines, voiding, counter orders, opening tabs,
taking payment, closing tabs and the cards page."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models import Payment, Tab, TabLine
from models.base import utcnow
from tests.helpers import open_tab

# -- helpers -------------------------------------------------------------------------


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def section(html: str, name: str) -> str:
    """One panel of the counter: "queue", "waiting" or "open-tabs"."""
    start = html.index(f'class="panel {name}"')
    end = html.find("<section", start)
    return html[start:] if end == -1 else html[start:end]


def queue_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="queue-row[^"]*" data-line-id="(\d+)"', html)]


def queue_row(html: str, line_id: int) -> str:
    match = re.search(
        rf'<li class="queue-row[^"]*" data-line-id="{line_id}">(.*?)</li>', html, re.DOTALL
    )
    assert match, f"line {line_id} is not in the queue"
    return match.group(1)


def tab_row(html: str, tab_id: int) -> str | None:
    match = re.search(rf'<li class="tab-row[^"]*" data-tab-id="{tab_id}">(.*?)</li>', html, re.S)
    return match.group(1) if match else None


def button_statuses(row: str) -> list[str]:
    return re.findall(r'name="status" value="([a-z]+)"', row)


def ordered(phone, public_id: str, item, quantity=1, note="") -> int:
    """The phone orders `item`; returns the new line's id."""
    response = phone.post_json(
        f"/tab/{public_id}/order",
        {"item_id": item.id, "quantity": quantity, "note": note},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["line_id"]


def tab_id_of(in_app, public_id: str) -> int:
    return in_app(
        lambda: db.session.execute(select(Tab.id).where(Tab.public_id == public_id)).scalar_one()
    )


def get_tab(in_app, tab_id: int) -> Tab:
    return in_app(lambda: db.session.get(Tab, tab_id))


def get_line(in_app, line_id: int) -> TabLine:
    return in_app(lambda: db.session.get(TabLine, line_id))


def count(in_app, model, *where) -> int:
    return in_app(
        lambda: db.session.execute(
            select(func.count()).select_from(model).where(*where)
        ).scalar_one()
    )


def payments(in_app, tab_id: int) -> list[Payment]:
    return in_app(
        lambda: list(db.session.execute(select(Payment).where(Payment.tab_id == tab_id)).scalars())
    )


def move(client, line_id: int, status: str, **kwargs):
    return client.post_json(f"/staff/lines/{line_id}/status", {"status": status}, **kwargs)


@pytest.fixture
def ana(cafe, phone, in_app):
    """Ana's phone has a tab open at table 1 (nothing ordered yet)."""
    public_id = open_tab(phone, cafe.table, "Ana")
    return phone, public_id, tab_id_of(in_app, public_id)


# -- the queue -----------------------------------------------------------------------


def test_the_queue_shows_lines_oldest_first_with_their_next_steps(cafe, ana, staff_client):
    phone, public_id, _ = ana
    first = ordered(phone, public_id, cafe.flat_white)
    second = ordered(phone, public_id, cafe.croissant)
    third = ordered(phone, public_id, cafe.flat_white, 2, "extra hot")
    # The oldest is furthest along, so neither id nor status order would give this order.
    assert move(staff_client, first, "ready").status_code == 200
    assert move(staff_client, second, "preparing").status_code == 200

    response = staff_client.get("/staff")

    assert response.status_code == 200
    queue = section(text(response), "queue")
    assert queue_ids(queue) == [first, second, third]
    row = queue_row(queue, third)
    assert "2 × Flat white" in row
    assert "extra hot" in row
    assert "Ana" in row
    # One tap makes a line ready, and a ready line's tap hands it over.
    assert button_statuses(row) == ["ready"]
    assert button_statuses(queue_row(queue, second)) == ["ready"]
    assert button_statuses(queue_row(queue, first)) == ["served"]


def test_the_queue_is_ordered_by_time_not_by_id(cafe, ana, staff_client, in_app):
    phone, public_id, _ = ana
    first = ordered(phone, public_id, cafe.flat_white)
    second = ordered(phone, public_id, cafe.croissant)
    third = ordered(phone, public_id, cafe.flat_white)
    now = utcnow()
    for line_id, minutes_ago in ((first, 5), (second, 1), (third, 9)):
        in_app(
            lambda line_id=line_id, minutes_ago=minutes_ago: db.session.execute(
                update(TabLine)
                .where(TabLine.id == line_id)
                .values(ordered_at=now - timedelta(minutes=minutes_ago))
            )
        )

    queue = section(text(staff_client.get("/staff")), "queue")

    assert queue_ids(queue) == [third, first, second]


def test_open_tabs_show_what_each_owes(cafe, ana, new_client, staff_client):
    phone, public_id, tab_id = ana
    ordered(phone, public_id, cafe.flat_white, 2)
    ben = new_client()
    ben_public = open_tab(ben, cafe.table, "Ben")
    ordered(ben, ben_public, cafe.croissant)

    html = text(staff_client.get("/staff"))

    open_tabs = section(html, "open-tabs")
    row = tab_row(open_tabs, tab_id)
    assert row is not None
    assert "Ana" in row
    assert "€7.60" in row
    assert "€2.80" in open_tabs
    assert "owed €10.40" in open_tabs
    assert tab_row(section(html, "waiting"), tab_id) is None


def test_tabs_waiting_to_pay_are_shown_apart(cafe, ana, new_client, staff_client, in_app):
    phone, public_id, tab_id = ana
    ordered(phone, public_id, cafe.flat_white)
    ben = new_client()
    ben_public = open_tab(ben, cafe.table, "Ben")
    ordered(ben, ben_public, cafe.croissant)
    ben_tab = tab_id_of(in_app, ben_public)

    assert phone.post_form(f"/tab/{public_id}/pay").status_code == 303

    html = text(staff_client.get("/staff"))
    waiting = section(html, "waiting")
    row = tab_row(waiting, tab_id)
    assert row is not None
    assert "Ana" in row
    assert "€3.80" in row
    assert "Take payment" in row
    assert tab_row(waiting, ben_tab) is None
    open_tabs = section(html, "open-tabs")
    assert tab_row(open_tabs, tab_id) is None
    assert tab_row(open_tabs, ben_tab) is not None


# -- moving lines --------------------------------------------------------------------


def test_moving_a_line_answers_json_to_the_pages_fetch(cafe, ana, staff_client, in_app):
    phone, public_id, _ = ana
    line_id = ordered(phone, public_id, cafe.flat_white)
    staff_client.get("/staff")

    response = move(staff_client, line_id, "preparing")

    assert response.status_code == 200
    assert response.json["ok"] is True
    assert "Flat white" in response.json["message"]
    line = get_line(in_app, line_id)
    assert line.status == "preparing"
    assert line.preparing_at is not None


def test_moving_a_line_from_a_form_redirects_back(cafe, ana, staff_client, in_app):
    phone, public_id, tab_id = ana
    line_id = ordered(phone, public_id, cafe.flat_white)
    staff_client.get("/staff")

    response = staff_client.post_form(f"/staff/lines/{line_id}/status", {"status": "ready"})

    assert response.status_code == 303
    assert urlsplit(response.location).path == "/staff"
    assert get_line(in_app, line_id).status == "ready"

    back = staff_client.post_form(
        f"/staff/lines/{line_id}/status", {"status": "served", "next": f"/staff/tabs/{tab_id}"}
    )
    assert back.status_code == 303
    assert urlsplit(back.location).path == f"/staff/tabs/{tab_id}"


def test_a_served_line_leaves_the_queue(cafe, ana, staff_client, in_app):
    phone, public_id, tab_id = ana
    served = ordered(phone, public_id, cafe.flat_white)
    waiting = ordered(phone, public_id, cafe.croissant)
    assert queue_ids(section(text(staff_client.get("/staff")), "queue")) == [served, waiting]

    assert move(staff_client, served, "served").status_code == 200

    assert queue_ids(section(text(staff_client.get("/staff")), "queue")) == [waiting]
    assert get_line(in_app, served).served_at is not None
    tab_page = text(staff_client.get(f"/staff/tabs/{tab_id}"))
    assert f'data-line-id="{served}"' in tab_page  # still on the bill
    assert "Served" in tab_page


@pytest.mark.parametrize(
    "start, attempt, status_code, message",
    [
        ("ready", "preparing", 409, "cannot go to preparing"),
        ("served", "ready", 409, "cannot go to ready"),
        ("ordered", "ordered", 409, "cannot go to ordered"),
        ("ordered", "eaten", 409, "cannot go to eaten"),
        ("ordered", "void", 400, "Use Void"),
        ("ordered", "", 400, "Say what the line becomes"),
    ],
)
def test_an_illegal_move_is_refused_and_changes_nothing(
    cafe, ana, staff_client, in_app, start, attempt, status_code, message
):
    phone, public_id, tab_id = ana
    line_id = ordered(phone, public_id, cafe.flat_white)
    if start != "ordered":
        assert move(staff_client, line_id, start).status_code == 200
    before = get_line(in_app, line_id)
    tab_before = get_tab(in_app, tab_id)

    response = move(staff_client, line_id, attempt)

    assert response.status_code == status_code
    assert message in response.json["error"]
    after = get_line(in_app, line_id)
    assert after.status == start
    assert after.void_reason == ""
    assert after.voided_at is None
    assert (after.preparing_at, after.ready_at, after.served_at) == (
        before.preparing_at,
        before.ready_at,
        before.served_at,
    )
    assert get_tab(in_app, tab_id).version == tab_before.version


def test_an_illegal_move_from_a_form_shows_an_error_page(cafe, ana, staff_client, in_app):
    phone, public_id, _ = ana
    line_id = ordered(phone, public_id, cafe.flat_white)
    move(staff_client, line_id, "ready")
    staff_client.get("/staff")

    response = staff_client.post_form(f"/staff/lines/{line_id}/status", {"status": "preparing"})

    assert response.status_code == 409
    assert "Flat white is ready; it cannot go to preparing." in text(response)
    assert get_line(in_app, line_id).status == "ready"


def test_two_staff_tapping_the_same_move_the_second_gets_409(
    cafe, ana, staff_client, login, in_app
):
    phone, public_id, _ = ana
    line_id = ordered(phone, public_id, cafe.flat_white)
    colleague = login(cafe.owner)
    staff_client.get("/staff")
    colleague.get("/staff")  # both screens show the line as ordered

    first = move(staff_client, line_id, "preparing")
    second = move(colleague, line_id, "preparing")

    assert first.status_code == 200
    assert second.status_code == 409
    assert "error" in second.json
    line = get_line(in_app, line_id)
    assert line.status == "preparing"


# -- voiding -------------------------------------------------------------------------


def test_void_with_a_reason_records_it(cafe, ana, staff_client, in_app):
    phone, public_id, tab_id = ana
    kept = ordered(phone, public_id, cafe.croissant)
    line_id = ordered(phone, public_id, cafe.flat_white)
    staff_client.get(f"/staff/tabs/{tab_id}")

    response = staff_client.post_form(
        f"/staff/lines/{line_id}/void", {"reason": "  Spilt   on the tray "}
    )

    assert response.status_code == 303
    assert urlsplit(response.location).path == f"/staff/tabs/{tab_id}"
    line = get_line(in_app, line_id)
    assert line.status == "void"
    assert line.void_reason == "Spilt on the tray"
    assert line.voided_by_id == cafe.staff.id
    assert line.voided_at is not None
    assert get_line(in_app, kept).status == "ordered"
    page = text(staff_client.get(f"/staff/tabs/{tab_id}"))
    assert "Void: Spilt on the tray" in page
    assert "€2.80" in re.search(r'<p class="total">.*?</p>', page, re.S).group(0)
    assert line_id not in queue_ids(section(text(staff_client.get("/staff")), "queue"))


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_void_without_a_reason_is_refused(cafe, ana, staff_client, in_app, reason):
    phone, public_id, tab_id = ana
    line_id = ordered(phone, public_id, cafe.flat_white)
    staff_client.get(f"/staff/tabs/{tab_id}")

    response = staff_client.post_form(f"/staff/lines/{line_id}/void", {"reason": reason})

    assert response.status_code == 400
    assert "Say why the line is voided." in text(response)
    line = get_line(in_app, line_id)
    assert line.status == "ordered"
    assert line.voided_at is None
    assert line.voided_by_id is None


def test_a_void_line_cannot_be_voided_again(cafe, ana, staff_client, in_app):
    phone, public_id, _ = ana
    line_id = ordered(phone, public_id, cafe.flat_white)
    staff_client.get("/staff")
    assert (
        staff_client.post_json(f"/staff/lines/{line_id}/void", {"reason": "Wrong"}).status_code
        == 200
    )

    again = staff_client.post_json(f"/staff/lines/{line_id}/void", {"reason": "Again"})

    assert again.status_code == 409
    assert get_line(in_app, line_id).void_reason == "Wrong"


# -- counter orders ------------------------------------------------------------------


def test_staff_add_an_item_to_a_tab_and_the_line_records_who(cafe, ana, staff_client, in_app):
    phone, public_id, tab_id = ana
    phone_line = ordered(phone, public_id, cafe.flat_white)
    staff_client.get(f"/staff/tabs/{tab_id}")

    response = staff_client.post_form(
        f"/staff/tabs/{tab_id}/order",
        {"item_id": cafe.croissant.id, "quantity": "2", "note": "warmed"},
    )

    assert response.status_code == 303
    assert urlsplit(response.location).path == f"/staff/tabs/{tab_id}"
    lines = in_app(
        lambda: list(
            db.session.execute(
                select(TabLine).where(TabLine.tab_id == tab_id).order_by(TabLine.id)
            ).scalars()
        )
    )
    assert [line.id for line in lines][0] == phone_line
    assert lines[0].added_by_id is None
    added = lines[1]
    assert (added.name, added.unit_price, added.quantity, added.note) == (
        "Butter croissant",
        280,
        2,
        "warmed",
    )
    assert added.added_by_id == cafe.staff.id
    assert added.id in queue_ids(section(text(staff_client.get("/staff")), "queue"))
    assert "2 × Butter croissant" in text(phone.get(f"/tab/{public_id}"))


@pytest.mark.parametrize(
    "data, status_code, message",
    [
        ({"item_id": "{sold_out}", "quantity": "1"}, 400, "not available"),
        ({"item_id": "{flat_white}", "quantity": "0"}, 400, "between 1 and 99"),
        ({"item_id": "{flat_white}", "quantity": "two"}, 400, "whole number"),
        ({"item_id": "999999", "quantity": "1"}, 404, "not on this menu"),
        ({"item_id": "", "quantity": "1"}, 400, "Pick an item"),
    ],
    ids=["sold-out", "zero", "not-a-number", "unknown-item", "no-item"],
)
def test_a_bad_counter_order_is_refused_and_adds_nothing(
    cafe, ana, staff_client, in_app, data, status_code, message
):
    _, _, tab_id = ana
    items = {"sold_out": cafe.sold_out.id, "flat_white": cafe.flat_white.id}
    data = {key: value.format(**items) for key, value in data.items()}
    staff_client.get(f"/staff/tabs/{tab_id}")

    response = staff_client.post_form(f"/staff/tabs/{tab_id}/order", data)

    assert response.status_code == status_code
    assert message in text(response)
    assert count(in_app, TabLine) == 0


# -- opening tabs at the counter -----------------------------------------------------


def test_staff_open_a_walk_in_tab(cafe, staff_client, in_app):
    assert staff_client.get("/staff/tabs/new").status_code == 200

    response = staff_client.post_form("/staff/tabs/new", {"customer_name": "Wendy"})

    assert response.status_code == 303
    tab_id = int(re.fullmatch(r"/staff/tabs/(\d+)", urlsplit(response.location).path).group(1))
    tab = get_tab(in_app, tab_id)
    assert tab.shop_id == cafe.shop.id
    assert tab.status == "open"
    assert tab.customer_name == "Wendy"
    assert tab.opened_by_id == cafe.staff.id
    assert tab.card_id is None
    assert tab.phone_id is None
    assert tab.currency == "EUR"
    page = text(staff_client.get(response.location))
    assert "Wendy" in page
    assert "no phone yet" in page
    assert tab_row(section(text(staff_client.get("/staff")), "open-tabs"), tab_id) is not None


def test_a_tab_opened_on_a_personal_card_is_claimed_by_the_first_phone(
    cafe, staff_client, new_client, in_app
):
    staff_client.get("/staff/tabs/new")
    response = staff_client.post_form("/staff/tabs/new", {"card_id": cafe.personal.id})
    assert response.status_code == 303
    tab_id = int(urlsplit(response.location).path.rsplit("/", 1)[1])
    staff_client.get(response.location)
    added = staff_client.post_form(
        f"/staff/tabs/{tab_id}/order", {"item_id": cafe.flat_white.id, "quantity": "1"}
    )
    assert added.status_code == 303
    tab = get_tab(in_app, tab_id)
    assert (tab.card_id, tab.open_card_id, tab.phone_id) == (
        cafe.personal.id,
        cafe.personal.id,
        None,
    )

    customer = new_client()
    public_id = open_tab(customer, cafe.personal, "Cleo")

    assert public_id == tab.public_id
    claimed = get_tab(in_app, tab_id)
    assert claimed.phone_id is not None
    assert claimed.customer_name == "Cleo"
    page = customer.get(f"/tab/{public_id}")
    assert page.status_code == 200
    assert "Flat white" in text(page)
    assert "€3.80" in text(page)

    stranger = new_client()
    stranger.get(f"/t/{cafe.personal.code}")
    refused = stranger.post_form(f"/t/{cafe.personal.code}", {"customer_name": "Dan"})
    assert refused.status_code == 409
    assert "in use" in text(refused)
    assert get_tab(in_app, tab_id).phone_id == claimed.phone_id
    assert count(in_app, Tab) == 1
    assert stranger.get(f"/tab/{public_id}").status_code == 403


def test_opening_a_second_tab_on_a_card_in_use_is_refused(cafe, staff_client, in_app):
    staff_client.get("/staff/tabs/new")
    first = staff_client.post_form("/staff/tabs/new", {"card_id": cafe.personal.id})
    assert first.status_code == 303

    staff_client.get("/staff/tabs/new")
    second = staff_client.post_form(
        "/staff/tabs/new", {"card_id": cafe.personal.id, "customer_name": "Eve"}
    )

    assert second.status_code == 409
    assert "Card 1 already has an open tab." in text(second)
    assert count(in_app, Tab) == 1


def test_opening_a_tab_on_a_card_a_phone_already_uses_is_refused(cafe, phone, staff_client, in_app):
    open_tab(phone, cafe.personal, "Fay")
    staff_client.get("/staff/tabs/new")

    response = staff_client.post_form("/staff/tabs/new", {"card_id": cafe.personal.id})

    assert response.status_code == 409
    assert count(in_app, Tab) == 1


def test_staff_cannot_open_a_tab_on_a_table_card(cafe, staff_client, in_app):
    staff_client.get("/staff/tabs/new")

    response = staff_client.post_form("/staff/tabs/new", {"card_id": cafe.table.id})

    assert response.status_code == 400
    assert "personal card" in text(response)
    assert count(in_app, Tab) == 0


# -- payment -------------------------------------------------------------------------


@pytest.fixture
def owing(cafe, ana, staff_client):
    """Ana's tab owes €6.60 (a flat white and a croissant); staff have it open."""
    phone, public_id, tab_id = ana
    ordered(phone, public_id, cafe.flat_white)
    ordered(phone, public_id, cafe.croissant)
    staff_client.get(f"/staff/tabs/{tab_id}")
    return tab_id


def test_the_tab_page_offers_the_bill_amount(cafe, owing, staff_client):
    page = text(staff_client.get(f"/staff/tabs/{owing}"))

    assert 'name="amount" value="6.60"' in page


def test_the_right_amount_with_a_tip_pays_and_closes_the_tab(
    cafe, ana, owing, staff_client, in_app
):
    phone, public_id, _ = ana

    response = staff_client.post_form(
        f"/staff/tabs/{owing}/payment", {"method": "card", "amount": "6.60", "tip": "1.00"}
    )

    assert response.status_code == 303
    assert urlsplit(response.location).path == "/staff"
    (payment,) = payments(in_app, owing)
    assert (payment.method, payment.amount, payment.tip, payment.currency) == (
        "card",
        660,
        100,
        "EUR",
    )
    assert payment.staff_id == cafe.staff.id
    assert payment.shop_id == cafe.shop.id
    tab = get_tab(in_app, owing)
    assert tab.status == "paid"
    assert tab.closed_at is not None
    assert tab.open_phone_id is None
    counter = text(staff_client.get("/staff"))
    assert tab_row(counter, owing) is None
    receipt = phone.get(f"/tab/{public_id}")
    assert receipt.status_code == 302
    assert urlsplit(receipt.location).path == f"/tab/{public_id}/receipt"


def test_a_payment_without_a_tip_records_a_zero_tip(cafe, owing, staff_client, in_app):
    response = staff_client.post_json(
        f"/staff/tabs/{owing}/payment", {"method": "cash", "amount": "6,60", "tip": ""}
    )

    assert response.status_code == 200
    assert response.json["ok"] is True
    (payment,) = payments(in_app, owing)
    assert (payment.method, payment.amount, payment.tip) == ("cash", 660, 0)


def test_a_wrong_amount_is_refused_with_the_bill_amount(cafe, owing, staff_client, in_app):
    response = staff_client.post_form(
        f"/staff/tabs/{owing}/payment", {"method": "cash", "amount": "6.00", "tip": "0"}
    )

    assert response.status_code == 409
    page = text(response)
    assert "The bill is €6.60" in page
    assert "€6.00" in page
    assert payments(in_app, owing) == []
    tab = get_tab(in_app, owing)
    assert tab.status == "open"
    assert tab.closed_at is None


@pytest.mark.parametrize(
    "amount, tip, message",
    [
        ("abc", "0", "Enter an amount like 3.50"),
        ("-1", "0", "Enter an amount like 3.50|cannot be negative"),
        ("1.234", "0", "at most 2 decimal places"),
        ("", "0", "Enter the amount of the bill"),
        ("   ", "0", "Enter the amount of the bill"),
        ("€6.60", "0", "Enter an amount like 3.50"),
        ("6.60", "-1", "Enter an amount like 3.50|cannot be negative"),
        ("6.60", "lots", "Enter an amount like 3.50"),
    ],
    ids=["letters", "negative", "too-precise", "empty", "blank", "symbol", "neg-tip", "bad-tip"],
)
def test_a_bad_amount_is_refused_and_records_nothing(
    cafe, owing, staff_client, in_app, amount, tip, message
):
    response = staff_client.post_form(
        f"/staff/tabs/{owing}/payment", {"method": "cash", "amount": amount, "tip": tip}
    )

    assert response.status_code == 400
    assert re.search(message, text(response))
    assert payments(in_app, owing) == []
    assert get_tab(in_app, owing).status == "open"


@pytest.mark.parametrize("method", ["", "cheque"])
def test_a_payment_needs_cash_or_card(cafe, owing, staff_client, in_app, method):
    response = staff_client.post_form(
        f"/staff/tabs/{owing}/payment", {"method": method, "amount": "6.60", "tip": "0"}
    )

    assert response.status_code == 400
    assert payments(in_app, owing) == []
    assert get_tab(in_app, owing).status == "open"


def test_paying_an_already_paid_tab_is_refused(cafe, owing, staff_client, in_app):
    paid = {"method": "cash", "amount": "6.60", "tip": "0"}
    assert staff_client.post_form(f"/staff/tabs/{owing}/payment", paid).status_code == 303
    staff_client.get(f"/staff/tabs/{owing}")

    again = staff_client.post_form(f"/staff/tabs/{owing}/payment", paid)

    assert again.status_code == 409
    assert "already paid" in text(again)
    assert len(payments(in_app, owing)) == 1
    assert get_tab(in_app, owing).status == "paid"


def test_a_tab_waiting_to_pay_can_be_paid(cafe, ana, owing, staff_client, in_app):
    phone, public_id, _ = ana
    assert phone.post_form(f"/tab/{public_id}/pay").status_code == 303

    response = staff_client.post_form(
        f"/staff/tabs/{owing}/payment", {"method": "cash", "amount": "6.60", "tip": "0.40"}
    )

    assert response.status_code == 303
    assert get_tab(in_app, owing).status == "paid"
    assert [p.tip for p in payments(in_app, owing)] == [40]


# -- closing -------------------------------------------------------------------------


def test_an_empty_tab_can_be_closed(cafe, ana, staff_client, in_app):
    _, _, tab_id = ana
    page = text(staff_client.get(f"/staff/tabs/{tab_id}"))
    assert "Close this tab" in page

    response = staff_client.post_form(f"/staff/tabs/{tab_id}/close")

    assert response.status_code == 303
    tab = get_tab(in_app, tab_id)
    assert tab.status == "void"
    assert tab.closed_at is not None
    assert tab.open_phone_id is None
    assert tab_row(text(staff_client.get("/staff")), tab_id) is None
    assert payments(in_app, tab_id) == []


def test_a_tab_whose_lines_were_all_voided_can_be_closed(cafe, ana, staff_client, in_app):
    phone, public_id, tab_id = ana
    line_id = ordered(phone, public_id, cafe.flat_white)
    staff_client.get(f"/staff/tabs/{tab_id}")
    staff_client.post_form(f"/staff/lines/{line_id}/void", {"reason": "Never came"})

    response = staff_client.post_form(f"/staff/tabs/{tab_id}/close")

    assert response.status_code == 303
    assert get_tab(in_app, tab_id).status == "void"


def test_closing_a_tab_that_owes_money_is_refused(cafe, owing, staff_client, in_app):
    response = staff_client.post_form(f"/staff/tabs/{owing}/close")

    assert response.status_code == 400
    assert "still owes money" in text(response)
    tab = get_tab(in_app, owing)
    assert tab.status == "open"
    assert tab.closed_at is None


# -- cards ---------------------------------------------------------------------------


def test_the_cards_page_lists_the_shops_cards_with_their_qr_codes(cafe, staff_client):
    response = staff_client.get("/staff/cards")

    assert response.status_code == 200
    page = text(response)
    for card in (cafe.table, cafe.personal):
        assert card.label in page
        assert f"/staff/cards/{card.id}/qr.svg" in page
        assert f"http://localhost/t/{card.code}" in page


def test_a_card_qr_code_is_an_svg(cafe, staff_client):
    table = staff_client.get(f"/staff/cards/{cafe.table.id}/qr.svg")
    personal = staff_client.get(f"/staff/cards/{cafe.personal.id}/qr.svg")

    for response in (table, personal):
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        root = ET.fromstring(response.data)
        assert root.tag.endswith("svg")
    assert table.data != personal.data  # each encodes its own card's URL


def test_an_unknown_card_has_no_qr_code(staff_client):
    assert staff_client.get("/staff/cards/999999/qr.svg").status_code == 404
