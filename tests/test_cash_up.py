"""Cashing up: the drawer counted against the cash the till recorded (float + cash
bills + cash tips + cash deposits − cash given back), the difference kept with who
and when, on the day page and in the audit trail; several a day, recounts replace."""

import re

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, CashUp
from tests.helpers import visible_text


def cash_ups(in_app, shop_id) -> list[tuple]:
    return in_app(
        lambda: [
            (c.number, c.opening_float, c.expected, c.counted, c.difference, c.replaces_id)
            for c in db.session.execute(
                select(CashUp).where(CashUp.shop_id == shop_id).order_by(CashUp.number)
            ).scalars()
        ]
    )


def form_fields(page: str) -> dict:
    return dict(re.findall(r'name="(after|recount|opening_float)"[^>]*value="([^"]*)"', page))


def count(owner, counted: str, opening_float: str | None = None, recount=False, **extra):
    """Open the cash-up page, as the owner does, and record a count."""
    page = owner.get("/admin/cash-up" + ("?recount=1" if recount else "")).get_data(as_text=True)
    fields = form_fields(page)
    data = {**fields, "counted": counted, **extra}
    if opening_float is not None:
        data["opening_float"] = opening_float
    return owner.post_form("/admin/cash-up", data)


@pytest.fixture
def owner(money_day, login):
    return login(money_day.cafe.owner)


def test_the_drawer_is_counted_against_the_cash_recorded(money_day, owner, in_app):
    page = owner.get("/admin/cash-up").get_data(as_text=True)
    drawer = {key: value for key, value in re.findall(r'id="drawer-([a-z-]+)">([^<]*)<', page)}
    # Cash only: Ana's bill and tip, five cash deposits, Cleo's refund.
    assert drawer == {
        "bills": "€2.60",
        "tips": "€0.76",
        "deposits": "€25.00",
        "given-back": "−€5.00",
        "cash-in": "€23.36",
    }
    response = count(owner, "123.00", "100.00", note="Counted twice")

    assert response.status_code == 303
    flashed = visible_text(owner.get(response.location).get_data(as_text=True))
    assert "expected €123.36, counted €123.00: €0.36 short" in flashed
    assert cash_ups(in_app, money_day.cafe.shop.id) == [(1, 10000, 12336, 12300, -36, None)]
    day = owner.get("/admin/day").get_data(as_text=True)
    row = re.search(r'<tr class="cash-up-row"[^>]*>(.*?)</tr>', day, re.S).group(1)
    assert re.findall(r'class="num">([^<]*)<', row) == [
        "€100.00", "€23.36", "€123.36", "€123.00", "€0.36 short"
    ]  # fmt: skip
    assert money_day.cafe.owner.name in row and "Counted twice" in row
    assert re.search(r'id="figure-cash-difference">€0.36 short<', day)

    audit = owner.get("/admin/audit?action=cash_up").get_data(as_text=True)
    (entry,) = re.findall(r'<tr class="audit-row" data-action="cash_up">(.*?)</tr>', audit, re.S)
    assert "Cash-up" in entry and money_day.cafe.owner.name in entry
    assert "float: €100.00" in entry and "expected: €123.36" in entry
    assert "counted: €123.00" in entry and "-€0.36" in entry


def test_the_next_cash_up_covers_only_the_cash_since(money_day, owner, in_app):
    assert count(owner, "123.36", "100.00").status_code == 303
    day = money_day.day
    # Hal pays his 2.60 in cash; Gus pays 3.80 by card (never in the drawer).
    day.pay("Hal", "cash")
    day.pay("Gus", "card")

    page = owner.get("/admin/cash-up").get_data(as_text=True)
    assert re.search(r'id="drawer-cash-in">€2.60<', page)
    assert form_fields(page)["opening_float"] == "100.00"  # last time's float, offered again
    assert count(owner, "102.60").status_code == 303
    assert cash_ups(in_app, money_day.cafe.shop.id) == [
        (1, 10000, 12336, 12336, 0, None),
        (2, 10000, 10260, 10260, 0, None),
    ]
    html = owner.get("/admin/day").get_data(as_text=True)
    assert re.search(r'id="figure-cash-difference">exact<', html)


def test_a_recount_replaces_the_latest_count_and_both_stay_on_record(money_day, owner, in_app):
    assert count(owner, "120.00", "100.00").status_code == 303
    page = owner.get("/admin/cash-up?recount=1").get_data(as_text=True)
    assert "replaces it" in page
    assert count(owner, "123.36", recount=True).status_code == 303

    (first, second) = cash_ups(in_app, money_day.cafe.shop.id)
    assert first[:5] == (1, 10000, 12336, 12000, -336)
    first_id = in_app(lambda: db.session.scalar(select(CashUp.id).where(CashUp.number == 1)))
    assert second == (2, 10000, 12336, 12336, 0, first_id)
    day = owner.get("/admin/day").get_data(as_text=True)
    assert len(re.findall(r'<tr class="cash-up-row replaced"', day)) == 1
    # The replaced count's 3.36 short is no longer the day's difference.
    assert re.search(r'id="figure-cash-difference">exact<', day)


def test_a_double_tap_or_a_stale_page_records_nothing_more(money_day, owner, in_app):
    page = owner.get("/admin/cash-up").get_data(as_text=True)
    data = {**form_fields(page), "opening_float": "100.00", "counted": "123.36"}
    assert owner.post_form("/admin/cash-up", data).status_code == 303
    again = owner.post_form("/admin/cash-up", data)
    assert again.status_code == 409
    assert "Someone cashed up since you opened this page" in again.get_data(as_text=True)
    assert len(cash_ups(in_app, money_day.cafe.shop.id)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"counted": ""}, "Cash counted: Enter an amount."),
        ({"counted": "-5.00"}, "cannot be negative"),
        ({"counted": "12.345"}, "at most 2 decimal places"),
        ({"opening_float": "lots"}, "Float: Enter an amount like 3.50"),
        ({"opening_float": "99999999999"}, "too large"),
        ({"note": "x" * 201}, "under 200 characters"),
        ({"note": "oops \ud800"}, "one JSON object of plain text"),
        ({"after": "seven"}, "out of date"),
        ({"after": "5"}, "Someone cashed up"),
        ({"csrf_token": "forged"}, "Please reload"),
        ({"counted": 12.345}, "at most 2 decimal places"),
        ({"after": {"n": 1}}, "must be text or a number"),
    ],
)
def test_bad_cash_ups_are_refused_and_change_nothing(money_day, owner, in_app, changes, message):
    page = owner.get("/admin/cash-up").get_data(as_text=True)
    data = {**form_fields(page), "opening_float": "100.00", "counted": "123.36", **changes}
    if "\ud800" in str(data.get("note")) or any(not isinstance(v, str) for v in data.values()):
        # Only a JSON body can carry a lone surrogate or a number, list or object.
        headers = {"X-CSRFToken": owner.csrf_token()}
        response = owner.post("/admin/cash-up", json=data, headers=headers)
    else:
        response = owner.post_form("/admin/cash-up", data)
    assert response.status_code in (400, 409)
    assert message in response.get_data(as_text=True)
    assert cash_ups(in_app, money_day.cafe.shop.id) == []
    assert (
        in_app(
            lambda: db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "cash_up")
            )
        )
        == 0
    )


def test_a_note_is_kept_on_one_line(money_day, owner, in_app):
    assert count(owner, "123.36", "100.00", note="two\x00 notes\r\nin one").status_code == 303
    note = in_app(lambda: db.session.scalar(select(CashUp.note)))
    assert note == "two notes in one"


def test_only_owners_cash_up_and_only_their_own_shop(money_day, login, other_cafe):
    staff = login(money_day.cafe.staff)
    assert staff.get("/admin/cash-up").status_code == 403
    assert staff.post_form("/admin/cash-up", {"counted": "1.00"}).status_code == 403
    other = login(other_cafe.owner)
    page = other.get("/admin/cash-up").get_data(as_text=True)
    assert re.search(r'id="drawer-cash-in">£0.00<', page)


def test_there_is_nothing_to_count_again_before_a_first_count(money_day, owner, in_app):
    response = owner.get("/admin/cash-up?recount=1")
    assert response.status_code == 400
    assert "no cash-up to count again" in response.get_data(as_text=True)
    assert cash_ups(in_app, money_day.cafe.shop.id) == []
