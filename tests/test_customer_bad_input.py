"""What a phone sends that the tab refuses: a clear 4xx message, and nothing changed."""

import html

import pytest

from tests.helpers import load_tab, open_tab, order, tab_snapshot


@pytest.fixture
def tab_with_a_line(cafe, phone):
    """An open tab holding one flat white, its menu page just loaded."""
    public_id = open_tab(phone, cafe.table, "Ana")
    assert order(phone, public_id, cafe.flat_white).status_code == 303
    phone.get(f"/tab/{public_id}/menu")
    return public_id


def item_ids(cafe, other_cafe):
    return {
        "unknown": 987654321,
        "other shop": other_cafe.flat_white.id,
        "sold out": cafe.sold_out.id,
        "flat white": cafe.flat_white.id,
        "not a number": "latte",
        "negative": -5,
        "past a 32-bit id": 2**31,
        "past a 64-bit id": 10**30,
    }


BAD_ORDERS = [
    pytest.param("unknown", 1, "", "That item is not on this menu.", id="unknown-item"),
    pytest.param("other shop", 1, "", "That item is not on this menu.", id="other-shops-item"),
    pytest.param("sold out", 1, "", "Banana bread is not available right now", id="unavailable"),
    pytest.param("not a number", 1, "", "Pick an item from the menu.", id="item-not-a-number"),
    pytest.param("negative", 1, "", "That item is not on this menu.", id="item-negative"),
    pytest.param("past a 32-bit id", 1, "", "That item is not on this menu.", id="item-id-2**31"),
    pytest.param("past a 64-bit id", 1, "", "That item is not on this menu.", id="item-id-10**30"),
    pytest.param("flat white", 0, "", "Quantity must be between 1 and 99.", id="quantity-0"),
    pytest.param("flat white", -1, "", "Quantity must be between 1 and 99.", id="quantity--1"),
    pytest.param("flat white", 100, "", "Quantity must be between 1 and 99.", id="quantity-100"),
    pytest.param("flat white", "abc", "", "Quantity must be a whole number.", id="quantity-abc"),
    pytest.param("flat white", "", "", "Quantity must be a whole number.", id="quantity-blank"),
    pytest.param("flat white", 1, "x" * 141, "at most 140 characters", id="note-141"),
]


@pytest.mark.parametrize(("item", "quantity", "note", "message"), BAD_ORDERS)
def test_a_bad_order_is_refused_on_the_menu_page_and_adds_nothing(
    cafe, other_cafe, tab_with_a_line, phone, in_app, item, quantity, note, message
):
    before = tab_snapshot(in_app, tab_with_a_line)

    response = order(phone, tab_with_a_line, item_ids(cafe, other_cafe)[item], quantity, note)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'role="alert"' in page  # shown as an error on the menu, not a success
    assert tab_snapshot(in_app, tab_with_a_line) == before


@pytest.mark.parametrize(
    ("item", "quantity", "note", "status", "message"),
    [
        ("unknown", 1, "", 404, "That item is not on this menu."),
        ("other shop", 1, "", 404, "That item is not on this menu."),
        ("past a 32-bit id", 1, "", 404, "That item is not on this menu."),
        ("sold out", 1, "", 400, "Banana bread is not available right now"),
        ("flat white", 100, "", 400, "Quantity must be between 1 and 99."),
        ("flat white", 1, "x" * 141, 400, "at most 140 characters"),
    ],
)
def test_a_bad_order_sent_by_fetch_gets_a_json_error_and_adds_nothing(
    cafe, other_cafe, tab_with_a_line, phone, in_app, item, quantity, note, status, message
):
    before = tab_snapshot(in_app, tab_with_a_line)

    response = phone.post_json(
        f"/tab/{tab_with_a_line}/order",
        {"item_id": item_ids(cafe, other_cafe)[item], "quantity": quantity, "note": note},
    )

    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert tab_snapshot(in_app, tab_with_a_line) == before


def test_an_order_without_an_item_is_refused(tab_with_a_line, phone, in_app):
    before = tab_snapshot(in_app, tab_with_a_line)

    response = phone.post_form(f"/tab/{tab_with_a_line}/order", {"quantity": 1})

    assert response.status_code == 400
    assert "Pick an item from the menu." in response.get_data(as_text=True)
    assert tab_snapshot(in_app, tab_with_a_line) == before


def test_a_note_of_exactly_140_characters_is_fine(cafe, tab_with_a_line, phone, in_app):
    response = order(phone, tab_with_a_line, cafe.croissant, 1, "n" * 140)

    assert response.status_code == 303
    assert load_tab(in_app, tab_with_a_line).lines[-1].note == "n" * 140


def test_control_characters_in_a_note_or_request_key_are_dropped(
    cafe, tab_with_a_line, phone, in_app
):
    data = {"item_id": cafe.croissant.id, "quantity": 1, "note": "oat\x00milk\x07"}
    for _ in range(2):
        response = phone.post_form(
            f"/tab/{tab_with_a_line}/order", {**data, "request_key": "k\x00-1"}
        )
        assert response.status_code == 303

    lines = load_tab(in_app, tab_with_a_line).lines
    assert [(line.name, line.note) for line in lines] == [
        ("Flat white", ""),
        ("Butter croissant", "oat milk"),
    ]
    assert lines[1].request_key == "k-1"


def test_ordering_on_a_paid_tab_leads_to_its_receipt_and_changes_nothing(
    cafe, tab_with_a_line, phone, staff_client, in_app
):
    tab_id = load_tab(in_app, tab_with_a_line).id
    staff_client.get(f"/staff/tabs/{tab_id}")
    paid = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "3.80", "tip": "0"}
    )
    assert paid.status_code == 303
    before = tab_snapshot(in_app, tab_with_a_line)
    assert before[0] == "paid"

    response = order(phone, tab_with_a_line, cafe.croissant)

    assert response.status_code == 303
    assert response.location == f"/tab/{tab_with_a_line}/receipt"
    assert "This tab is already paid." in phone.get(response.location).get_data(as_text=True)
    assert tab_snapshot(in_app, tab_with_a_line) == before


def test_paying_a_tab_with_nothing_on_it_is_refused(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table)
    phone.get(f"/tab/{public_id}")
    before = tab_snapshot(in_app, public_id)

    response = phone.post_form(f"/tab/{public_id}/pay")

    assert response.status_code == 400
    assert "There is nothing on this tab to pay for yet." in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before
    assert before[0] == "open"


def test_paying_a_tab_whose_only_line_was_voided_is_refused(
    tab_with_a_line, phone, staff_client, in_app
):
    line_id = load_tab(in_app, tab_with_a_line).lines[0].id
    staff_client.get("/staff")
    voided = staff_client.post_form(f"/staff/lines/{line_id}/void", {"reason": "Spilt"})
    assert voided.status_code == 303
    before = tab_snapshot(in_app, tab_with_a_line)

    response = phone.post_form(f"/tab/{tab_with_a_line}/pay")

    assert response.status_code == 400
    assert "nothing on this tab to pay for" in response.get_data(as_text=True)
    assert tab_snapshot(in_app, tab_with_a_line) == before


def test_the_same_request_key_twice_adds_one_line(cafe, tab_with_a_line, phone, in_app):
    data = {"item_id": cafe.croissant.id, "quantity": 2, "note": "", "request_key": "k-123"}

    first = phone.post_form(f"/tab/{tab_with_a_line}/order", data)
    second = phone.post_form(f"/tab/{tab_with_a_line}/order", data)

    assert first.status_code == 303
    assert second.status_code == 303
    lines = load_tab(in_app, tab_with_a_line).lines
    assert [(line.name, line.quantity) for line in lines] == [
        ("Flat white", 1),
        ("Butter croissant", 2),
    ]


def test_different_request_keys_add_separate_lines(cafe, tab_with_a_line, phone, in_app):
    for key in ("k-1", "k-2"):
        data = {"item_id": cafe.croissant.id, "quantity": 1, "request_key": key}
        assert phone.post_form(f"/tab/{tab_with_a_line}/order", data).status_code == 303

    assert len(load_tab(in_app, tab_with_a_line).lines) == 3


@pytest.mark.parametrize("path", ["order", "pay", "keep-ordering"])
def test_a_get_to_an_action_is_405(tab_with_a_line, phone, in_app, path):
    before = tab_snapshot(in_app, tab_with_a_line)

    response = phone.get(f"/tab/{tab_with_a_line}/{path}")

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "That action isn't possible here." in html.unescape(response.get_data(as_text=True))
    assert tab_snapshot(in_app, tab_with_a_line) == before
