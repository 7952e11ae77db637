"""The satisfaction check before paying: a one-tap rating on the bill, and "something
wasn't right" on a line, which staff see at once and resolve by remaking, comping or
discounting it (always with a reason); the customer's bill follows before they pay."""

import re

import pytest
from sqlalchemy import select

from extensions import db
from models import AuditEntry, TabLine, TabRating
from services import Refused
from services.adjustments import parse_discount, percent_off
from tests.helpers import load_tab, open_tab, order, tab_snapshot
from tests.pay_helpers import ask_to_pay, asked_on_staff_page, invite, join, tab_id_of, take_asked


@pytest.fixture
def ana(cafe, phone, in_app):
    """Ana's tab with a flat white (3.80) and a croissant (2.80): (public id, line ids)."""
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    order(phone, public_id, cafe.croissant)
    lines = [line.id for line in load_tab(in_app, public_id).lines]
    return public_id, lines


def ratings(in_app):
    return in_app(
        lambda: [
            (r.rating, r.comment)
            for r in db.session.execute(select(TabRating).order_by(TabRating.id)).scalars()
        ]
    )


def line_row(in_app, line_id):
    return in_app(lambda: db.session.get(TabLine, line_id))


def bill_total(phone, public_id) -> str:
    page = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    return re.search(r"data-bill-total>([^<]+)<", page).group(1)


def due(phone, public_id) -> str:
    page = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    return re.search(r"data-due>([^<]+)<", page).group(1)


# -- rating ---------------------------------------------------------------------------


def test_a_rating_is_stored_and_rating_again_replaces_it(ana, phone, in_app):
    public_id, _ = ana
    assert "How was it?" in phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    answer = phone.post_json(f"/tab/{public_id}/rating", {"rating": "4"})
    assert answer.status_code == 200 and answer.get_json()["rating"] == 4
    answer = phone.post_form(
        f"/tab/{public_id}/rating", {"rating": "2", "comment": "Coffee was cold"}
    )
    assert answer.status_code == 303
    assert ratings(in_app) == [(2, "Coffee was cold")]
    assert "Thanks! You rated us 2 of 5." in phone.get(f"/tab/{public_id}/bill").get_data(
        as_text=True
    )


@pytest.mark.parametrize("bad", ["0", "6", "abc", "", "4.5", "-1", "99999999999999999999"])
def test_a_rating_outside_one_to_five_is_refused_and_nothing_stored(ana, phone, in_app, bad):
    public_id, _ = ana
    answer = phone.post_form(f"/tab/{public_id}/rating", {"rating": bad})
    assert answer.status_code == 400
    assert "Choose a rating from 1 to 5." in answer.get_data(as_text=True)
    answer = phone.post_json(f"/tab/{public_id}/rating", {"rating": bad})
    assert answer.status_code == 400
    assert ratings(in_app) == []


def test_a_comment_over_500_characters_is_refused(ana, phone, in_app):
    public_id, _ = ana
    answer = phone.post_form(f"/tab/{public_id}/rating", {"rating": "5", "comment": "x" * 501})
    assert answer.status_code == 400
    assert "at most 500 characters" in answer.get_data(as_text=True)
    assert ratings(in_app) == []
    ok = phone.post_form(f"/tab/{public_id}/rating", {"rating": "5", "comment": "y" * 500})
    assert ok.status_code == 303
    assert ratings(in_app) == [(5, "y" * 500)]


def test_another_phone_cannot_rate_or_flag_a_tab(ana, cafe, new_client, in_app):
    public_id, lines = ana
    stranger = new_client()
    open_tab(stranger, cafe.personal, "Ben")
    before = tab_snapshot(in_app, public_id)
    assert stranger.post_form(f"/tab/{public_id}/rating", {"rating": "5"}).status_code == 403
    flagged = stranger.post_form(f"/tab/{public_id}/lines/{lines[0]}/flag", {"note": "bad"})
    assert flagged.status_code == 403
    assert ratings(in_app) == []
    assert line_row(in_app, lines[0]).flagged_at is None
    assert tab_snapshot(in_app, public_id) == before


# -- flagging ---------------------------------------------------------------------------


def test_a_flagged_line_shows_on_the_counter_at_once(ana, phone, staff_client, in_app):
    public_id, lines = ana
    etag = staff_client.get("/staff/live").headers["ETag"]
    answer = phone.post_form(f"/tab/{public_id}/lines/{lines[0]}/flag", {"note": "Too milky"})
    assert answer.status_code == 303
    assert line_row(in_app, lines[0]).flag_note == "Too milky"
    # The counter's poll sees a change (the shop's version moved) and lists the line.
    live = staff_client.get("/staff/live", headers={"If-None-Match": etag})
    assert live.status_code == 200
    data = live.get_json()
    assert data["attention_ids"] == [lines[0]]
    assert "Needs attention" in data["html"] and "Too milky" in data["html"]
    counter = staff_client.get("/staff").get_data(as_text=True)
    panel = counter.split('id="attention-title"')[1].split("</section>")[0]
    assert "1 × Flat white" in panel and "Butter croissant" not in panel
    tab_page = staff_client.get(f"/staff/tabs/{tab_id_of(in_app, public_id)}")
    assert "Not right: “Too milky”" in tab_page.get_data(as_text=True)
    bill = phone.get(f"/tab/{public_id}/bill").get_data(as_text=True)
    assert "they're on it" in bill


def test_flagging_a_line_of_another_tab_is_not_found(ana, cafe, new_client, in_app):
    public_id, lines = ana
    ben = new_client()
    ben_tab = open_tab(ben, cafe.personal, "Ben")
    answer = ben.post_form(f"/tab/{ben_tab}/lines/{lines[0]}/flag", {"note": "x"})
    assert answer.status_code == 404
    assert line_row(in_app, lines[0]).flagged_at is None


def test_a_flag_note_over_200_characters_is_refused(ana, phone, in_app):
    public_id, lines = ana
    answer = phone.post_form(f"/tab/{public_id}/lines/{lines[0]}/flag", {"note": "n" * 201})
    assert answer.status_code == 400
    assert line_row(in_app, lines[0]).flagged_at is None


# -- comp, discount, remake --------------------------------------------------------------


def test_comp_takes_the_line_off_the_bill_and_the_due(ana, phone, staff_client, in_app):
    public_id, lines = ana
    phone.post_form(f"/tab/{public_id}/lines/{lines[0]}/flag", {"note": "Cold"})
    assert bill_total(phone, public_id) == "€6.60"
    live = phone.get(f"/tab/{public_id}/bill/live")
    etag = live.headers["ETag"]
    assert (
        phone.get(f"/tab/{public_id}/bill/live", headers={"If-None-Match": etag}).status_code == 304
    )

    answer = staff_client.post_form(f"/staff/lines/{lines[0]}/comp", {"reason": "Served cold"})
    assert answer.status_code == 303
    line = line_row(in_app, lines[0])
    assert (line.discount, line.line_total, line.unit_price) == (380, 0, 380)
    assert (line.resolution, line.resolution_reason) == ("comp", "Served cold")
    tab = load_tab(in_app, public_id)
    assert (tab.total, tab.due) == (280, 280)
    assert bill_total(phone, public_id) == "€2.80"
    assert due(phone, public_id) == "€2.80"
    # The open bill's poll sees the change and carries the new figures.
    live = phone.get(f"/tab/{public_id}/bill/live", headers={"If-None-Match": etag})
    assert live.status_code == 200
    data = live.get_json()
    assert data["total"] == 280 and data["dues"]["all"] == "€2.80"
    assert "On the house: Served cold" in data["table"]
    # The counter no longer needs to look at it.
    assert 'id="attention-title"' not in staff_client.get("/staff").get_data(as_text=True)
    # Staff take exactly what is now owed.
    ask_to_pay(phone, public_id)
    [asked] = asked_on_staff_page(staff_client, tab_id_of(in_app, public_id)).values()
    assert asked["amount"] == "2.80"


def test_a_reason_is_required_for_every_resolution(ana, staff_client, in_app, phone):
    public_id, lines = ana
    before = tab_snapshot(in_app, public_id)
    for action, data in [
        ("comp", {}),
        ("discount", {"kind": "percent", "value": "10"}),
        ("remake", {"reason": "   "}),
    ]:
        answer = staff_client.post_form(f"/staff/lines/{lines[0]}/{action}", data)
        assert answer.status_code == 400, action
        assert "Say why" in answer.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before
    assert line_row(in_app, lines[0]).discount == 0
    assert in_app(lambda: db.session.scalar(select(db.func.count(AuditEntry.id)))) == 0


def test_percent_discount_rounds_half_up_in_minor_units(ana, staff_client, in_app):
    public_id, lines = ana
    # 15% of 2.80 is 0.42 exactly; 15% of 3.80 is 0.57; 12% of 2.80 = 0.336 -> 0.34.
    answer = staff_client.post_form(
        f"/staff/lines/{lines[1]}/discount", {"kind": "percent", "value": "12", "reason": "Late"}
    )
    assert answer.status_code == 303
    assert line_row(in_app, lines[1]).discount == 34
    assert load_tab(in_app, public_id).total == 380 + 246


def test_discount_arithmetic():
    assert percent_off(280, 12) == 34  # 33.6 -> 34
    assert percent_off(250, 1) == 3  # 2.5 -> 3 (half up)
    assert percent_off(249, 1) == 2  # 2.49 -> 2
    assert percent_off(380, 100) == 380
    assert parse_discount("amount", "1.20", 380, "EUR") == 120
    assert parse_discount("amount", "1500", 4500, "KRW") == 1500
    assert parse_discount("percent", "10%", 4500, "KRW") == 450
    assert parse_discount("percent", "15", 4550, "KRW") == 683  # 682.5 -> 683
    for kind, value, gross, currency in [
        ("amount", "3.81", 380, "EUR"),  # above the line
        ("amount", "0", 380, "EUR"),  # nothing off
        ("amount", "-1", 380, "EUR"),
        ("amount", "1.5", 4500, "KRW"),  # KRW has no minor unit
        ("percent", "0", 380, "EUR"),
        ("percent", "101", 380, "EUR"),
        ("percent", "12.5", 380, "EUR"),
        ("percent", "1", 20, "EUR"),  # rounds to nothing
        ("bogus", "1", 380, "EUR"),
    ]:
        with pytest.raises(Refused):
            parse_discount(kind, value, gross, currency)


def test_discount_in_krw(make_shop, login, new_client, in_app):
    seoul = make_shop(currency="KRW", locale="ko_KR", timezone="Asia/Seoul")
    phone = new_client()
    public_id = open_tab(phone, seoul.table, "Min")
    order(phone, public_id, seoul.flat_white, 2)  # 2 x 380 KRW in the fixture's prices
    [line_id] = [line.id for line in load_tab(in_app, public_id).lines]
    staff = login(seoul.staff)
    answer = staff.post_form(
        f"/staff/lines/{line_id}/discount", {"kind": "amount", "value": "100", "reason": "Spill"}
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert load_tab(in_app, public_id).total == 760 - 100
    refused = staff.post_form(
        f"/staff/lines/{line_id}/discount", {"kind": "amount", "value": "761", "reason": "x"}
    )
    assert refused.status_code == 400
    assert load_tab(in_app, public_id).total == 660


def test_a_discount_above_the_line_is_refused_and_nothing_changes(ana, staff_client, in_app):
    public_id, lines = ana
    before = tab_snapshot(in_app, public_id)
    answer = staff_client.post_form(
        f"/staff/lines/{lines[0]}/discount", {"kind": "amount", "value": "3.81", "reason": "x"}
    )
    assert answer.status_code == 400
    assert "at most the line itself" in answer.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before
    assert load_tab(in_app, public_id).total == 660


def test_a_paid_line_cannot_be_comped(cafe, new_client, staff_client, in_app):
    ana, ben = new_client(), new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    join(ben, invite(ana, public_id), "Ben")
    order(ana, public_id, cafe.flat_white)
    order(ben, public_id, cafe.croissant)
    tab_id = tab_id_of(in_app, public_id)
    ask_to_pay(ben, public_id, share="phone")
    take_asked(staff_client, tab_id, asked_on_staff_page(staff_client, tab_id)["Ben"])
    tab = load_tab(in_app, public_id)
    paid = next(line for line in tab.lines if line.payment_id)
    unpaid = next(line for line in tab.lines if not line.payment_id)
    for action in ("comp", "discount"):
        answer = staff_client.post_form(
            f"/staff/lines/{paid.id}/{action}",
            {"reason": "Sorry", "kind": "percent", "value": "50"},
        )
        assert answer.status_code == 409
        assert "already paid" in answer.get_data(as_text=True)
    assert line_row(in_app, paid.id).discount == 0
    # Ana's own, unpaid line can still be comped; nothing is then left to pay.
    answer = staff_client.post_form(f"/staff/lines/{unpaid.id}/comp", {"reason": "Sorry"})
    assert answer.status_code == 303
    tab = load_tab(in_app, public_id)
    assert (tab.total, tab.owed, tab.status) == (280, 0, "paid")


def test_after_an_equal_split_is_fixed_comps_are_refused(cafe, new_client, staff_client, in_app):
    ana, ben = new_client(), new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    join(ben, invite(ana, public_id), "Ben")
    order(ana, public_id, cafe.flat_white)
    order(ben, public_id, cafe.croissant)
    tab_id = tab_id_of(in_app, public_id)
    ask_to_pay(ben, public_id, share="equal")
    take_asked(staff_client, tab_id, asked_on_staff_page(staff_client, tab_id)["Ben"])
    tab = load_tab(in_app, public_id)
    assert tab.split_ways == 2
    before = tab_snapshot(in_app, public_id)
    line = tab.lines[0]
    answer = staff_client.post_form(f"/staff/lines/{line.id}/comp", {"reason": "Sorry"})
    assert answer.status_code == 409
    assert "split equally" in answer.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id)[5:] == before[5:]
    assert line_row(in_app, line.id).discount == 0


def test_remake_sends_the_line_back_to_the_queue_at_the_same_price(
    ana, phone, staff_client, in_app
):
    public_id, lines = ana
    staff_client.post_form(f"/staff/lines/{lines[0]}/status", {"status": "served"})
    phone.post_form(f"/tab/{public_id}/lines/{lines[0]}/flag", {"note": "Wrong milk"})
    answer = staff_client.post_form(f"/staff/lines/{lines[0]}/remake", {"reason": "Wrong milk"})
    assert answer.status_code == 303
    line = line_row(in_app, lines[0])
    assert (line.status, line.served_at, line.line_total) == ("ordered", None, 380)
    assert (line.resolution, line.discount) == ("remake", 0)
    queue = staff_client.get("/staff").get_data(as_text=True).split('id="queue-title"')[1]
    assert f'data-line-id="{lines[0]}"' in queue.split("</section>")[0]


def test_other_shops_staff_cannot_touch_the_line(ana, other_cafe, login, in_app):
    _, lines = ana
    other = login(other_cafe.staff)
    for action in ("comp", "remake", "discount"):
        answer = other.post_form(
            f"/staff/lines/{lines[0]}/{action}", {"reason": "x", "kind": "amount", "value": "1"}
        )
        assert answer.status_code == 404
    assert line_row(in_app, lines[0]).discount == 0


# -- the owner's report ------------------------------------------------------------------


def test_ratings_comments_and_comps_reach_the_owners_day(
    ana, cafe, phone, new_client, staff_client, login, in_app
):
    public_id, lines = ana
    phone.post_form(f"/tab/{public_id}/rating", {"rating": "2", "comment": "Coffee was cold"})
    ben = new_client()
    ben_tab = open_tab(ben, cafe.personal, "Ben")
    ben.post_form(f"/tab/{ben_tab}/rating", {"rating": "5"})
    phone.post_form(f"/tab/{public_id}/lines/{lines[0]}/flag", {"note": "Cold"})
    staff_client.post_form(f"/staff/lines/{lines[0]}/comp", {"reason": "Served cold"})
    staff_client.post_form(
        f"/staff/lines/{lines[1]}/discount",
        {"kind": "amount", "value": "0.80", "reason": "Stale"},
    )
    owner = login(cafe.owner)
    page = owner.get("/admin/day").get_data(as_text=True)
    assert re.search(r'id="figure-rating">3\.5 of 5<', page)
    assert re.search(r'id="figure-ratings">2<', page)
    assert "Coffee was cold" in page
    comps = page.split('id="comps-title"')[1].split("</section>")[0]
    assert "Served cold" in comps and "€3.80" in comps
    assert "Stale" in comps and "€0.80" in comps and "€4.60" in comps
    flagged = page.split('id="ratings-title"')[1].split("</section>")[0]
    assert "Comp: Served cold" in flagged

    csv = owner.get("/admin/day.csv?what=lines").get_data(as_text=True)
    header, *rows = [row.split(",") for row in csv.lstrip("\ufeff").strip().split("\r\n")]
    col = {name: i for i, name in enumerate(header)}
    by_item = {row[col["item"]]: row for row in rows}
    assert by_item["Flat white"][col["discount"]] == "3.80"
    assert by_item["Flat white"][col["line_total"]] == "0.00"
    assert by_item["Flat white"][col["adjustment"]] == "comp"
    assert by_item["Butter croissant"][col["discount"]] == "0.80"
    assert by_item["Butter croissant"][col["adjustment_reason"]] == "Stale"
