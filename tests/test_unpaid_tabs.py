"""Unpaid tabs: staff mark a walk-out (with a reason), tabs open past closing are
flagged, and a reminder to pay reaches the phone with or without notifications."""

import json
import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, PushMessage, Shop, Tab
from tests.helpers import load_tab, open_tab, order, subscribe_push, tab_snapshot
from tests.pay_helpers import set_shop, tab_id_of


def open_with_order(cafe, phone, in_app, name="Ana"):
    public_id = open_tab(phone, cafe.table, name)
    order(phone, public_id, cafe.flat_white)
    return public_id, tab_id_of(in_app, public_id)


# -- walked out ----------------------------------------------------------------------


def test_a_walk_out_needs_a_reason_and_changes_nothing_without_one(
    cafe, phone, staff_client, in_app
):
    public_id, tab_id = open_with_order(cafe, phone, in_app)
    before = tab_snapshot(in_app, public_id)
    staff_client.get(f"/staff/tabs/{tab_id}")

    for reason in ("", "   "):
        response = staff_client.post_form(f"/staff/tabs/{tab_id}/walked-out", {"reason": reason})
        assert response.status_code == 400
        assert "Say why" in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before


def test_a_walk_out_closes_the_tab_keeps_the_deposit_and_shows_in_the_report(
    cafe, phone, staff_client, login, in_app
):
    set_shop(in_app, cafe.shop, deposit_amount=200)
    public_id, tab_id = open_with_order(cafe, phone, in_app)
    assert (
        staff_client.post_form(f"/staff/tabs/{tab_id}/deposit", {"method": "cash"}).status_code
        == 303
    )
    staff_page = staff_client.get(f"/staff/tabs/{tab_id}").get_data(as_text=True)
    assert "Mark walked out" in staff_page

    response = staff_client.post_form(
        f"/staff/tabs/{tab_id}/walked-out", {"reason": "Left by the side door"}
    )

    assert response.status_code == 303
    tab = load_tab(in_app, public_id)
    assert tab.status == "walked_out"
    assert tab.close_reason == "Left by the side door"
    assert tab.deposit_status == "kept"
    assert tab.closed_at is not None and tab.open_phone_id is None
    assert "This tab is closed." in phone.get(f"/tab/{public_id}").get_data(as_text=True)
    # The phone is free for its next tab.
    open_tab(phone, cafe.personal)

    day = login(cafe.owner).get("/admin/day").get_data(as_text=True)
    assert re.search(r'id="figure-walked-out-tabs">1<', day)
    row = re.search(r'<tr class="walk-out-row">(.*?)</tr>', day, re.S).group(1)
    assert "Left by the side door" in row and "€3.80" in row

    again = staff_client.post_form(f"/staff/tabs/{tab_id}/walked-out", {"reason": "again"})
    assert again.status_code == 409

    # The audit trail says who marked it, why, what was left unpaid and the deposit kept.
    entries = in_app(
        lambda: [
            (e.action, e.staff_id, e.tab_id, e.amount, e.reason, json.loads(e.detail))
            for e in db.session.execute(
                select(AuditEntry).where(AuditEntry.action == "walk_out")
            ).scalars()
        ]
    )
    assert entries == [
        ("walk_out", cafe.staff.id, tab_id, 380, "Left by the side door", {"deposit_kept": 200})
    ]


def test_another_shops_staff_cannot_mark_a_walk_out(cafe, other_cafe, phone, login, in_app):
    public_id, tab_id = open_with_order(cafe, phone, in_app)
    other = login(other_cafe.staff)
    response = other.post_form(f"/staff/tabs/{tab_id}/walked-out", {"reason": "gone"})
    assert response.status_code == 404
    assert load_tab(in_app, public_id).status == "open"


# -- open past closing ---------------------------------------------------------------


def test_past_closing_is_judged_by_the_shops_closing_time_on_the_day_opened():
    shop = Shop(timezone="Europe/Paris", closing_time=time(18, 0))
    # 10:00 in Paris in July is 08:00 UTC; the shop closes at 18:00 Paris = 16:00 UTC.
    tab = Tab(status="open", opened_at=datetime(2024, 7, 10, 8, 0, tzinfo=UTC))
    tab.shop = shop

    assert not tab.past_closing(datetime(2024, 7, 10, 15, 59, tzinfo=UTC))
    assert tab.past_closing(datetime(2024, 7, 10, 16, 0, tzinfo=UTC))
    tab.status = "paid"
    assert not tab.past_closing(datetime(2024, 7, 10, 17, 0, tzinfo=UTC))
    tab.status = "open"
    shop.closing_time = None
    assert not tab.past_closing(datetime(2024, 7, 11, 8, 0, tzinfo=UTC))


def test_the_counter_and_the_day_report_flag_tabs_open_past_closing(
    cafe, new_client, staff_client, login, in_app
):
    set_shop(in_app, cafe.shop, closing_time=time(18, 0))
    _, late_tab = open_with_order(cafe, new_client(), in_app, "Late")

    def yesterday():
        tab = db.session.get(Tab, late_tab)
        tab.opened_at = tab.opened_at - timedelta(days=1)

    in_app(yesterday)  # opened the day before: its closing time has passed

    counter = staff_client.get("/staff").get_data(as_text=True)
    rows = dict(re.findall(r'<li class="tab-row" data-tab-id="(\d+)">(.*?)</li>', counter, re.S))
    assert "Open past closing" in rows[str(late_tab)]
    day = login(cafe.owner).get("/admin/day").get_data(as_text=True)
    owing = dict(re.findall(r'<tr class="owing-row" data-tab-id="(\d+)">(.*?)</tr>', day, re.S))
    assert "open past closing" in owing[str(late_tab)]

    # Without a closing time nothing is flagged.
    set_shop(in_app, cafe.shop, closing_time=None)
    assert "Open past closing" not in staff_client.get("/staff").get_data(as_text=True)


# -- reminders -----------------------------------------------------------------------


BANNER = "asks you to settle your tab"


def test_a_reminder_without_notifications_shows_a_banner_on_the_tab(
    cafe, phone, staff_client, in_app
):
    public_id, tab_id = open_with_order(cafe, phone, in_app)
    assert BANNER not in phone.get(f"/tab/{public_id}").get_data(as_text=True)
    version = load_tab(in_app, public_id).version
    seen = phone.get(f"/tab/{public_id}/live").headers["ETag"]

    response = staff_client.post_form(f"/staff/tabs/{tab_id}/remind")

    assert response.status_code == 303
    tab = load_tab(in_app, public_id)
    assert tab.remind_requested_at is not None and tab.version == version + 1
    page = phone.get(f"/tab/{public_id}").get_data(as_text=True)
    assert f"{cafe.shop.name} {BANNER}" in page
    assert re.search(rf'<a class="button primary" href="/tab/{public_id}/bill">Pay</a>', page)
    # The open page's poll carries it too (the version moved, so no 304).
    live = phone.get(f"/tab/{public_id}/live", headers={"If-None-Match": seen})
    assert live.status_code == 200 and BANNER in live.json["html"]


def test_a_reminder_with_notifications_pushes_and_shows_the_banner(
    cafe, phone, staff_client, in_app, push_service
):
    public_id, tab_id = open_with_order(cafe, phone, in_app)
    assert subscribe_push(phone, public_id, push_service.subscription()).status_code == 200

    response = staff_client.post_json(f"/staff/tabs/{tab_id}/remind")

    assert response.status_code == 200
    assert response.json["message"] == "Reminder sent to Ana's phone."
    assert in_app(lambda: db.session.scalar(select(func.count(PushMessage.id)))) == 1
    assert BANNER in phone.get(f"/tab/{public_id}").get_data(as_text=True)


def test_the_banner_goes_once_the_phone_asks_to_pay(cafe, phone, staff_client, in_app):
    public_id, tab_id = open_with_order(cafe, phone, in_app)
    staff_client.post_form(f"/staff/tabs/{tab_id}/remind")
    phone.get(f"/tab/{public_id}/bill")
    phone.post_form(f"/tab/{public_id}/pay", {"share": "all", "tip": "none"})

    assert BANNER not in phone.get(f"/tab/{public_id}").get_data(as_text=True)


def test_another_phone_never_sees_the_reminder(cafe, phone, new_client, staff_client, in_app):
    public_id, tab_id = open_with_order(cafe, phone, in_app)
    staff_client.post_form(f"/staff/tabs/{tab_id}/remind")
    assert new_client().get(f"/tab/{public_id}").status_code == 403
