"""The counter screen's poll: JSON with the queue and the tabs waiting to pay, and a weak
ETag so an unchanged shop costs a 304."""

from sqlalchemy import select

from extensions import db
from models import Tab, TabLine
from tests.helpers import open_tab, order


def live(client, etag: str | None = None):
    headers = {"Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    return client.get("/staff/live", headers=headers)


def only(in_app, model):
    return in_app(lambda: db.session.execute(select(model)).scalar_one())


def test_live_answers_json_with_a_weak_etag(cafe, staff_client):
    response = live(staff_client)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.json
    assert body["queue_ids"] == []
    assert body["waiting_ids"] == []
    assert "Nothing to prepare." in body["html"]
    etag = response.headers["ETag"]
    assert etag.startswith('W/"') and etag.endswith('"')
    assert "no-cache" in response.headers["Cache-Control"]


def test_live_answers_304_while_nothing_changed(cafe, staff_client):
    etag = live(staff_client).headers["ETag"]

    again = live(staff_client, etag)

    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert live(staff_client, etag).status_code == 304


def test_the_counter_page_starts_from_the_current_etag(cafe, staff_client):
    etag = live(staff_client).headers["ETag"]

    page = staff_client.get("/staff").get_data(as_text=True)

    assert f"data-etag='{etag}'" in page


def test_a_customer_order_changes_the_answer(cafe, staff_client, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    old = live(staff_client).headers["ETag"]

    assert order(phone, public_id, cafe.flat_white, 2, "oat milk").status_code == 303

    response = live(staff_client, old)
    assert response.status_code == 200
    assert response.headers["ETag"] != old
    line = only(in_app, TabLine)
    assert response.json["queue_ids"] == [line.id]
    assert f'data-line-id="{line.id}"' in response.json["html"]
    assert "2 × Flat white" in response.json["html"]
    assert "oat milk" in response.json["html"]
    assert live(staff_client, response.headers["ETag"]).status_code == 304


def test_a_pay_request_puts_the_tab_in_waiting_ids(cafe, staff_client, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    before = live(staff_client)
    tab = only(in_app, Tab)
    assert before.json["waiting_ids"] == []

    assert phone.post_form(f"/tab/{public_id}/pay").status_code == 303

    response = live(staff_client, before.headers["ETag"])
    assert response.status_code == 200
    assert response.json["waiting_ids"] == [tab.id]
    assert "Take payment" in response.json["html"]


def test_staff_moving_a_line_changes_the_answer(cafe, staff_client, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    line = only(in_app, TabLine)
    old = live(staff_client).headers["ETag"]

    moved = staff_client.post_json(f"/staff/lines/{line.id}/status", {"status": "served"})
    assert moved.status_code == 200

    response = live(staff_client, old)
    assert response.status_code == 200
    assert response.json["queue_ids"] == []
