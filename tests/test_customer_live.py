"""The open tab page polls /tab/<id>/live: JSON when something changed, 304 when not."""

import re

import pytest

from tests.helpers import load_tab, open_tab, order

JSON = {"Accept": "application/json"}


def poll(phone, public_id: str, etag: str | None = None):
    headers = dict(JSON)
    if etag:
        headers["If-None-Match"] = etag
    return phone.get(f"/tab/{public_id}/live", headers=headers)


@pytest.fixture
def live_tab(cafe, phone):
    public_id = open_tab(phone, cafe.table, "Ana")
    assert order(phone, public_id, cafe.flat_white, 2).status_code == 303
    return public_id


def test_live_answers_json_with_status_total_lines_and_html_and_a_weak_etag(
    live_tab, phone, in_app
):
    response = poll(phone, live_tab)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    etag = response.headers["ETag"]
    assert etag.startswith('W/"') and etag.endswith('"')
    assert "no-cache" in response.headers["Cache-Control"]
    assert "private" in response.headers["Cache-Control"]
    data = response.get_json()
    line = load_tab(in_app, live_tab).lines[0]
    assert data["status"] == "open"
    assert data["total"] == 760
    assert data["lines"] == [{"id": line.id, "name": "Flat white", "status": "ordered"}]
    assert "2 × Flat white" in data["html"]
    assert "€7.60" in data["html"]
    assert "redirect" not in data


def test_the_same_poll_again_gets_304_with_an_empty_body(live_tab, phone):
    etag = poll(phone, live_tab).headers["ETag"]

    again = poll(phone, live_tab, etag)

    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag


def test_the_tab_page_carries_the_etag_its_first_poll_sends(live_tab, phone):
    page = phone.get(f"/tab/{live_tab}").get_data(as_text=True)
    etag = re.search(r"data-etag='([^']+)'", page).group(1)

    assert poll(phone, live_tab, etag).status_code == 304
    assert poll(phone, live_tab).headers["ETag"] == etag


def test_an_order_changes_the_etag(cafe, live_tab, phone):
    old = poll(phone, live_tab).headers["ETag"]

    order(phone, live_tab, cafe.croissant)
    response = poll(phone, live_tab, old)

    assert response.status_code == 200
    assert response.headers["ETag"] != old
    data = response.get_json()
    assert data["total"] == 1040
    assert [line["name"] for line in data["lines"]] == ["Flat white", "Butter croissant"]
    assert "1 × Butter croissant" in data["html"]
    assert poll(phone, live_tab, response.headers["ETag"]).status_code == 304


def test_staff_marking_a_line_ready_changes_the_etag(live_tab, phone, staff_client, in_app):
    old = poll(phone, live_tab).headers["ETag"]
    line_id = load_tab(in_app, live_tab).lines[0].id

    staff_client.get("/staff")
    moved = staff_client.post_form(f"/staff/lines/{line_id}/status", {"status": "ready"})
    assert moved.status_code == 303
    response = poll(phone, live_tab, old)

    assert response.status_code == 200
    data = response.get_json()
    assert data["lines"] == [{"id": line_id, "name": "Flat white", "status": "ready"}]
    assert ">Ready<" in data["html"]


def test_asking_to_pay_changes_the_status_in_the_poll(live_tab, phone):
    old = poll(phone, live_tab).headers["ETag"]
    phone.get(f"/tab/{live_tab}/bill")
    phone.post_form(f"/tab/{live_tab}/pay")

    response = poll(phone, live_tab, old)

    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "settling"
    assert "Pay at the counter" in data["html"]


def test_after_payment_the_poll_sends_the_phone_to_the_receipt(
    live_tab, phone, staff_client, in_app
):
    old = poll(phone, live_tab).headers["ETag"]
    tab_id = load_tab(in_app, live_tab).id
    staff_client.get(f"/staff/tabs/{tab_id}")
    paid = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "card", "amount": "7.60", "tip": "0"}
    )
    assert paid.status_code == 303

    response = poll(phone, live_tab, old)

    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "paid"
    assert data["redirect"] == f"/tab/{live_tab}/receipt"
