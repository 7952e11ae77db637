"""The audit trail: every money-affecting action writes exactly one entry with who,
when and why, in the same unit of work (a refused action writes none); the owner
reads the shop's own entries, filtered by days and action, a page at a time."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry
from models.base import utcnow
from tests.helpers import load_tab, open_tab, order
from tests.pay_helpers import ask_to_pay, asked_on_staff_page, set_shop, tab_id_of, take_asked


def entries(in_app):
    return in_app(
        lambda: [
            (e.action, e.staff_id, e.tab_id, e.line_id, e.amount, e.currency, e.reason)
            for e in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        ]
    )


def count(in_app) -> int:
    return in_app(lambda: db.session.scalar(select(func.count(AuditEntry.id))))


@pytest.fixture
def ana(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    order(phone, public_id, cafe.croissant)
    tab = load_tab(in_app, public_id)
    return public_id, tab.id, [line.id for line in tab.lines]


def test_a_payment_writes_one_entry(ana, cafe, phone, staff_client, in_app):
    public_id, tab_id, _ = ana
    ask_to_pay(phone, public_id, tip="10")
    [asked] = asked_on_staff_page(staff_client, tab_id).values()
    assert take_asked(staff_client, tab_id, asked).status_code == 303
    [entry] = entries(in_app)
    assert entry == ("payment", cafe.staff.id, tab_id, None, 660, "EUR", "")
    detail = in_app(lambda: json.loads(db.session.scalar(select(AuditEntry.detail))))
    assert detail["method"] == "card" and detail["tip"] == 66


def test_a_refused_payment_writes_nothing(ana, staff_client, in_app):
    _, tab_id, _ = ana
    answer = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "1.00", "tip": ""}
    )
    assert answer.status_code == 409
    assert count(in_app) == 0


def test_void_comp_discount_and_remake_each_write_one_entry(ana, cafe, staff_client, in_app):
    _, tab_id, (flat_white, croissant) = ana
    staff_client.post_form(f"/staff/lines/{flat_white}/remake", {"reason": "Wrong milk"})
    staff_client.post_form(
        f"/staff/lines/{flat_white}/discount",
        {"kind": "percent", "value": "50", "reason": "Long wait"},
    )
    staff_client.post_form(f"/staff/lines/{flat_white}/comp", {"reason": "Still wrong"})
    staff_client.post_form(f"/staff/lines/{croissant}/void", {"reason": "Out of stock"})
    staff = cafe.staff.id
    assert entries(in_app) == [
        ("remake", staff, tab_id, flat_white, 0, "EUR", "Wrong milk"),
        ("discount", staff, tab_id, flat_white, 190, "EUR", "Long wait"),
        ("comp", staff, tab_id, flat_white, 380, "EUR", "Still wrong"),
        ("void", staff, tab_id, croissant, 280, "EUR", "Out of stock"),
    ]


def test_refused_line_actions_write_nothing(ana, staff_client, in_app):
    _, _, (flat_white, _) = ana
    staff_client.post_form(f"/staff/lines/{flat_white}/void", {"reason": ""})
    staff_client.post_form(f"/staff/lines/{flat_white}/comp", {"reason": ""})
    staff_client.post_form(
        f"/staff/lines/{flat_white}/discount", {"kind": "amount", "value": "9", "reason": "x"}
    )
    assert count(in_app) == 0


def test_deposit_taken_and_kept_or_refunded_write_one_entry_each(
    cafe, new_client, staff_client, in_app
):
    set_shop(in_app, cafe.shop, deposit_amount=500)
    kept_tab = tab_id_of(in_app, open_tab(new_client(), cafe.table, "No-show"))
    refunded_tab = tab_id_of(in_app, open_tab(new_client(), cafe.table, "Changed mind"))
    for tab_id in (kept_tab, refunded_tab):
        staff_client.post_form(f"/staff/tabs/{tab_id}/deposit", {"method": "cash"})
    # Keeping a deposit without a reason is refused and writes nothing.
    refused = staff_client.post_form(
        f"/staff/tabs/{kept_tab}/close", {"deposit": "keep", "reason": ""}
    )
    assert refused.status_code == 400
    assert count(in_app) == 2
    staff_client.post_form(
        f"/staff/tabs/{kept_tab}/close", {"deposit": "keep", "reason": "Did not show up"}
    )
    staff_client.post_form(
        f"/staff/tabs/{refunded_tab}/close", {"deposit": "refund", "reason": "Left early"}
    )
    staff = cafe.staff.id
    assert entries(in_app) == [
        ("deposit_confirmed", staff, kept_tab, None, 500, "EUR", ""),
        ("deposit_confirmed", staff, refunded_tab, None, 500, "EUR", ""),
        ("deposit_kept", staff, kept_tab, None, 500, "EUR", "Did not show up"),
        ("deposit_refunded", staff, refunded_tab, None, 500, "EUR", "Left early"),
    ]


def test_a_provider_payment_is_recorded_with_no_staff(ana, in_app):
    from models import Tab
    from services import payments, unit_of_work

    _, tab_id, _ = ana

    def pay():
        tab = db.session.get(Tab, tab_id)
        with unit_of_work():
            payments.record_payment(tab, 660, 0, "card", provider="stripe")

    in_app(pay)
    [entry] = entries(in_app)
    assert entry[:2] == ("payment", None)
    detail = in_app(lambda: json.loads(db.session.scalar(select(AuditEntry.detail))))
    assert detail["provider"] == "stripe"


# -- the owner's page -------------------------------------------------------------------


def test_the_owner_reads_the_trail_newest_first(ana, cafe, staff_client, login, in_app):
    _, _, (flat_white, croissant) = ana
    staff_client.post_form(f"/staff/lines/{croissant}/void", {"reason": "Out of stock"})
    staff_client.post_form(f"/staff/lines/{flat_white}/comp", {"reason": "Cold"})
    page = login(cafe.owner).get("/admin/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    actions = re.findall(r'class="audit-row" data-action="(\w+)"', html)
    assert actions == ["comp", "void"]
    assert "Out of stock" in html and "Cold" in html and "€3.80" in html
    assert cafe.staff.display_name in html
    only = login(cafe.owner).get("/admin/audit?action=void").get_data(as_text=True)
    assert re.findall(r'data-action="(\w+)"', only) == ["void"]


def test_the_trail_is_filtered_by_days(ana, cafe, staff_client, login, in_app):
    _, _, (flat_white, _) = ana
    staff_client.post_form(f"/staff/lines/{flat_white}/comp", {"reason": "Cold"})

    def move_back():
        entry = db.session.execute(select(AuditEntry)).scalar_one()
        entry.created_at = utcnow() - timedelta(days=3)
        db.session.commit()

    in_app(move_back)
    owner = login(cafe.owner)
    assert "data-action" not in owner.get("/admin/audit").get_data(as_text=True)
    day = (utcnow() - timedelta(days=3)).date()
    wide = owner.get(
        f"/admin/audit?from={day - timedelta(days=1)}&to={day + timedelta(days=1)}"
    ).get_data(as_text=True)
    assert re.findall(r'data-action="(\w+)"', wide) == ["comp"]


def test_the_trail_is_paginated(cafe, in_app, login):
    from services import audit

    def many():
        for n in range(audit.PAGE_SIZE + 5):
            audit.record("payment", shop_id=cafe.shop.id, amount=n, currency="EUR")
        db.session.commit()

    in_app(many)
    owner = login(cafe.owner)
    first = owner.get("/admin/audit").get_data(as_text=True)
    assert first.count('class="audit-row"') == audit.PAGE_SIZE
    assert "Page 1 of 2" in first
    second = owner.get("/admin/audit?page=2").get_data(as_text=True)
    assert second.count('class="audit-row"') == 5
    assert owner.get("/admin/audit?page=x").status_code == 400
    assert owner.get("/admin/audit?action=nonsense").status_code == 400
    assert owner.get("/admin/audit?from=2024-02-30").status_code == 400


def test_other_shops_entries_are_never_shown(ana, cafe, other_cafe, staff_client, login):
    _, _, (flat_white, _) = ana
    staff_client.post_form(f"/staff/lines/{flat_white}/comp", {"reason": "Cold"})
    other = login(other_cafe.owner).get("/admin/audit").get_data(as_text=True)
    assert "data-action" not in other and "Cold" not in other


def test_staff_cannot_read_the_trail(cafe, staff_client, client):
    assert staff_client.get("/admin/audit").status_code == 403
    anonymous = client.get("/admin/audit")
    assert anonymous.status_code in (302, 401)
