"""The tab's rules, through the service layer: totals, status moves, one tab per card
and per phone, snapshots, idempotent ordering, payment and closing.

Every action runs in `unit_of_work()`, as the views run it, so a refusal is rolled
back; "changes nothing" is then checked against what the database holds.
"""

import itertools

import pytest
from sqlalchemy import func, select, update

from extensions import db
from models import MenuItem, Payment, Shop, StaffMember, Tab, TabLine, TokenCard
from models.base import utcnow
from models.tab import (
    LINE_STATUSES,
    LINE_VOID,
    OPEN,
    ORDERED,
    PAID,
    PREPARING,
    READY,
    SERVED,
    SETTLING,
    TAB_STATUSES,
    VOID,
    WALKED_OUT,
    can_move_line,
    can_move_tab,
)
from services import Conflict, NotFound, Refused, payments, tabs, unit_of_work

PHONE_A = "phone-a-0000000000000000000000"
PHONE_B = "phone-b-0000000000000000000000"

# The rules as the product states them, written out here rather than read from the
# code, so a changed table in models/tab.py fails these tests.
ALLOWED_TAB_MOVES = {
    (OPEN, SETTLING),
    (OPEN, PAID),
    (OPEN, VOID),
    (OPEN, WALKED_OUT),
    (SETTLING, OPEN),
    (SETTLING, PAID),
    (SETTLING, VOID),
    (SETTLING, WALKED_OUT),
}
ALLOWED_LINE_MOVES = {
    (ORDERED, PREPARING),
    (ORDERED, READY),
    (ORDERED, SERVED),
    (ORDERED, LINE_VOID),
    (PREPARING, READY),
    (PREPARING, SERVED),
    (PREPARING, LINE_VOID),
    (READY, SERVED),
    (READY, LINE_VOID),
    (SERVED, LINE_VOID),
}


# -- helpers ---------------------------------------------------------------------------


def do(fn, *args, **kwargs):
    """Run one service call as a view does: one unit of work, committed or rolled back."""
    with unit_of_work():
        return fn(*args, **kwargs)


def card(row) -> TokenCard:
    return db.session.get(TokenCard, row.id)


def member(row) -> StaffMember:
    return db.session.get(StaffMember, row.id)


def tab_by_id(tab_id) -> Tab:
    return db.session.get(Tab, tab_id)


def line_by_id(line_id) -> TabLine:
    return db.session.get(TabLine, line_id)


def open_on(card_row, phone=PHONE_A, name="") -> Tab:
    return do(tabs.open_tab, card(card_row), phone, name)


def add(tab_id, item, quantity=1, **kwargs) -> TabLine:
    return do(tabs.add_line, tab_by_id(tab_id), getattr(item, "id", item), quantity, **kwargs)


def move(line_id, status, staff_row, reason=""):
    return do(tabs.move_line, line_by_id(line_id), status, member(staff_row), reason)


def pay(tab_id, staff_row, amount=None, tip=0, method="card") -> Payment:
    tab = tab_by_id(tab_id)
    amount = tab.total if amount is None else amount
    return do(payments.record_payment, tab, amount, tip, method, staff=member(staff_row))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def shop_version(shop_id) -> int:
    return db.session.scalar(select(Shop.live_version).where(Shop.id == shop_id))


def state(tab_id) -> dict:
    """Everything a refused action must leave as it was, read from the database."""
    row = db.session.execute(
        select(
            Tab.status,
            Tab.version,
            Tab.phone_id,
            Tab.open_card_id,
            Tab.open_phone_id,
            Tab.closed_at,
            Tab.shop_id,
        ).where(Tab.id == tab_id)
    ).one()
    lines = db.session.execute(
        select(TabLine.id, TabLine.status, TabLine.quantity, TabLine.unit_price)
        .where(TabLine.tab_id == tab_id)
        .order_by(TabLine.id)
    ).all()
    return {
        **row._asdict(),
        "lines": [tuple(line) for line in lines],
        "payments": count(Payment, Payment.tab_id == tab_id),
        "shop_version": shop_version(row.shop_id),
    }


def stale_copy(model, row_id, *load):
    """The row as a request loaded it, kept out of the session while others change it."""
    row = db.session.get(model, row_id)
    for name in load:
        getattr(row, name)
    db.session.expunge(row)
    db.session.rollback()
    return row


def walk_out(tab_id):
    # No service marks a walk-out yet; set the state as one would leave it.
    with unit_of_work():
        db.session.execute(
            update(Tab)
            .where(Tab.id == tab_id)
            .values(status=WALKED_OUT, closed_at=utcnow(), open_card_id=None, open_phone_id=None)
        )


# -- totals ----------------------------------------------------------------------------


def test_the_total_is_the_sum_of_live_lines_times_their_quantity(cafe, ctx):
    tab_id = open_on(cafe.table).id
    add(tab_id, cafe.flat_white, 2)
    croissant = add(tab_id, cafe.croissant, 1).id

    tab = tab_by_id(tab_id)
    assert tab.total == 2 * 380 + 280
    assert tab.item_count == 3

    move(croissant, LINE_VOID, cafe.staff, "Dropped on the floor")
    tab = tab_by_id(tab_id)
    assert tab.total == 2 * 380
    assert tab.item_count == 2
    assert [line.name for line in tab.billable_lines] == ["Flat white"]


def test_a_tab_with_every_line_voided_owes_nothing(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white, 3).id
    move(line_id, LINE_VOID, cafe.staff, "Wrong order")
    assert tab_by_id(tab_id).total == 0


# -- tab status moves --------------------------------------------------------------------


@pytest.mark.parametrize(("current", "new"), list(itertools.product(TAB_STATUSES, repeat=2)))
def test_can_move_tab_allows_exactly_the_product_table(current, new):
    assert can_move_tab(current, new) is ((current, new) in ALLOWED_TAB_MOVES)


def test_can_move_tab_refuses_unknown_statuses():
    assert not can_move_tab("bogus", OPEN)
    assert not can_move_tab(OPEN, "bogus")


def test_a_tab_goes_open_settling_open_settling(cafe, ctx):
    tab_id = open_on(cafe.table).id
    add(tab_id, cafe.flat_white)

    do(tabs.request_payment, tab_by_id(tab_id))
    tab = tab_by_id(tab_id)
    assert tab.status == SETTLING
    assert tab.pay_requested_at is not None

    do(tabs.cancel_payment_request, tab_by_id(tab_id))
    tab = tab_by_id(tab_id)
    assert tab.status == OPEN
    assert tab.pay_requested_at is None

    do(tabs.request_payment, tab_by_id(tab_id))
    assert tab_by_id(tab_id).status == SETTLING


def test_asking_to_pay_for_an_empty_tab_is_refused(cafe, ctx):
    tab_id = open_on(cafe.table).id
    before = state(tab_id)
    with pytest.raises(Refused, match="nothing on this tab"):
        do(tabs.request_payment, tab_by_id(tab_id))
    assert state(tab_id) == before


def test_a_settling_tab_with_nothing_owed_can_be_closed(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white).id
    do(tabs.request_payment, tab_by_id(tab_id))
    move(line_id, LINE_VOID, cafe.staff, "Machine broke")

    do(tabs.close_empty_tab, tab_by_id(tab_id), member(cafe.staff))
    assert tab_by_id(tab_id).status == VOID


def _closed_tab(cafe, status) -> int:
    """A personal-card tab with one flat white on it, closed as `status`."""
    tab_id = open_on(cafe.personal).id
    line_id = add(tab_id, cafe.flat_white).id
    if status == PAID:
        pay(tab_id, cafe.staff)
    elif status == VOID:
        move(line_id, LINE_VOID, cafe.staff, "Never made")
        do(tabs.close_empty_tab, tab_by_id(tab_id), member(cafe.staff))
    else:
        walk_out(tab_id)
    assert tab_by_id(tab_id).status == status
    return tab_id


CLOSED_TAB_ACTIONS = {
    "request_payment": lambda tab, cafe: tabs.request_payment(tab),
    "cancel_payment_request": lambda tab, cafe: tabs.cancel_payment_request(tab),
    "add_line": lambda tab, cafe: tabs.add_line(tab, cafe.croissant.id, 1),
    "record_payment": lambda tab, cafe: payments.record_payment(
        tab, 380, 0, "cash", staff=member(cafe.staff)
    ),
    "close_empty_tab": lambda tab, cafe: tabs.close_empty_tab(tab, member(cafe.staff)),
    "move_line": lambda tab, cafe: tabs.move_line(tab.lines[0], SERVED, member(cafe.staff)),
}


@pytest.mark.parametrize("action", CLOSED_TAB_ACTIONS)
@pytest.mark.parametrize("status", [PAID, VOID, WALKED_OUT])
def test_a_closed_tab_cannot_move_or_change(cafe, ctx, status, action):
    tab_id = _closed_tab(cafe, status)
    before = state(tab_id)

    with pytest.raises(Conflict):
        do(CLOSED_TAB_ACTIONS[action], tab_by_id(tab_id), cafe)

    assert state(tab_id) == before


def test_a_stale_copy_of_a_paid_tab_cannot_ask_to_pay(cafe, ctx):
    """The check is made by the database, not by the copy the request loaded."""
    tab_id = open_on(cafe.table).id
    add(tab_id, cafe.flat_white)
    stale = stale_copy(Tab, tab_id, "lines")
    assert stale.status == OPEN
    pay(tab_id, cafe.staff)  # someone else pays, behind this copy's back
    before = state(tab_id)

    db.session.add(stale)
    assert stale.status == OPEN
    with pytest.raises(Conflict, match="already paid"):
        do(tabs.request_payment, stale)
    assert state(tab_id) == before


# -- line status moves -------------------------------------------------------------------


@pytest.mark.parametrize(("current", "new"), list(itertools.product(LINE_STATUSES, repeat=2)))
def test_can_move_line_allows_exactly_forward_moves_and_voids(current, new):
    assert can_move_line(current, new) is ((current, new) in ALLOWED_LINE_MOVES)


def test_a_line_moves_forward_one_step_at_a_time(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white).id

    for status, stamp in [(PREPARING, "preparing_at"), (READY, "ready_at"), (SERVED, "served_at")]:
        move(line_id, status, cafe.staff)
        line = line_by_id(line_id)
        assert line.status == status
        assert getattr(line, stamp) is not None


def test_a_line_may_skip_steps(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white).id
    move(line_id, SERVED, cafe.staff)
    line = line_by_id(line_id)
    assert line.status == SERVED
    assert line.served_at is not None
    assert line.preparing_at is None


@pytest.mark.parametrize(
    ("reached", "back"),
    [(READY, PREPARING), (READY, ORDERED), (SERVED, READY), (PREPARING, PREPARING)],
)
def test_a_line_never_moves_backwards(cafe, ctx, reached, back):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white).id
    move(line_id, reached, cafe.staff)
    before = state(tab_id)

    with pytest.raises(Conflict, match=f"cannot go to {back}"):
        move(line_id, back, cafe.staff)

    assert state(tab_id) == before
    assert line_by_id(line_id).status == reached


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_voiding_a_line_needs_a_reason(cafe, ctx, reason):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white).id
    before = state(tab_id)

    with pytest.raises(Refused, match="Say why"):
        move(line_id, LINE_VOID, cafe.staff, reason)

    assert state(tab_id) == before
    assert line_by_id(line_id).void_reason == ""


def test_a_void_reason_has_a_length_limit(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white).id
    before = state(tab_id)
    with pytest.raises(Refused, match="at most 200"):
        move(line_id, LINE_VOID, cafe.staff, "x" * 201)
    assert state(tab_id) == before


def test_voiding_records_who_why_and_when(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white).id
    move(line_id, SERVED, cafe.staff)

    move(line_id, LINE_VOID, cafe.staff, "  Too   cold ")
    line = line_by_id(line_id)
    assert line.status == LINE_VOID
    assert line.void_reason == "Too cold"
    assert line.voided_by_id == cafe.staff.id
    assert line.voided_at is not None


@pytest.mark.parametrize("new", [ORDERED, PREPARING, READY, SERVED, LINE_VOID])
def test_a_voided_line_cannot_move(cafe, ctx, new):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white).id
    move(line_id, LINE_VOID, cafe.staff, "Wrong order")
    before = state(tab_id)

    with pytest.raises(Conflict):
        move(line_id, new, cafe.staff, "Changed my mind")

    assert state(tab_id) == before
    assert line_by_id(line_id).void_reason == "Wrong order"


def test_two_staff_moving_the_same_line_move_it_once(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white).id
    stale = stale_copy(TabLine, line_id)  # what this tablet still shows
    move(line_id, READY, cafe.staff)  # the other tablet was quicker
    before = state(tab_id)

    db.session.add(stale)
    assert stale.status == ORDERED
    with pytest.raises(Conflict, match="just changed by someone else"):
        do(tabs.move_line, stale, PREPARING, member(cafe.staff))

    assert state(tab_id) == before
    assert line_by_id(line_id).status == READY


# -- price snapshot ----------------------------------------------------------------------


def test_a_line_keeps_the_name_and_price_it_was_ordered_at(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.flat_white, 2).id
    assert tab_by_id(tab_id).total == 760

    with unit_of_work():
        item = db.session.get(MenuItem, cafe.flat_white.id)
        item.price = 450
        item.name = "Flat white (oat)"

    line = line_by_id(line_id)
    assert (line.name, line.unit_price, line.line_total) == ("Flat white", 380, 760)
    assert tab_by_id(tab_id).total == 760

    # A new order takes today's price.
    new_line = add(tab_id, cafe.flat_white, 1)
    assert (new_line.name, new_line.unit_price) == ("Flat white (oat)", 450)
    assert tab_by_id(tab_id).total == 760 + 450


def test_deleting_a_menu_item_keeps_the_line_on_the_bill(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line_id = add(tab_id, cafe.croissant).id
    with unit_of_work():
        db.session.delete(db.session.get(MenuItem, cafe.croissant.id))
    line = line_by_id(line_id)
    assert (line.name, line.unit_price, line.menu_item_id) == ("Butter croissant", 280, None)
    assert tab_by_id(tab_id).total == 280


# -- one tab per personal card -------------------------------------------------------------


def test_a_personal_card_holds_one_tab_and_refuses_a_second_phone(cafe, ctx):
    first = open_on(cafe.personal, PHONE_A, "Ana")
    tab_id = first.id
    assert (first.phone_id, first.open_card_id) == (PHONE_A, cafe.personal.id)
    before = state(tab_id)

    with pytest.raises(Conflict, match="This card is in use"):
        open_on(cafe.personal, PHONE_B, "Bo")

    assert count(Tab) == 1
    assert state(tab_id) == before


def test_the_same_phone_gets_its_own_tab_back_from_its_card(cafe, ctx):
    tab_id = open_on(cafe.personal, PHONE_A, "Ana").id
    again = open_on(cafe.personal, PHONE_A, "Someone else")
    assert again.id == tab_id
    assert again.customer_name == "Ana"
    assert count(Tab) == 1


@pytest.mark.parametrize("closing", ["paid", "closed empty"])
def test_once_its_tab_is_closed_a_card_opens_a_new_tab(cafe, ctx, closing):
    old_id = open_on(cafe.personal, PHONE_A).id
    if closing == "paid":
        add(old_id, cafe.flat_white)
        pay(old_id, cafe.staff)
    else:
        do(tabs.close_empty_tab, tab_by_id(old_id), member(cafe.staff))

    new = open_on(cafe.personal, PHONE_B, "Bo")
    assert new.id != old_id
    assert (new.phone_id, new.open_card_id, new.status) == (PHONE_B, cafe.personal.id, OPEN)
    assert tab_by_id(old_id).open_card_id is None


def test_staff_cannot_open_a_second_tab_on_a_card_in_use(cafe, ctx):
    tab_id = open_on(cafe.personal, PHONE_A).id
    before = state(tab_id)
    with pytest.raises(Conflict, match="already has an open tab"):
        do(
            tabs.staff_open_tab,
            db.session.get(Shop, cafe.shop.id),
            member(cafe.staff),
            card(cafe.personal),
        )
    assert count(Tab) == 1
    assert state(tab_id) == before


def test_staff_cannot_open_two_tabs_on_one_card(cafe, ctx):
    shop = db.session.get(Shop, cafe.shop.id)
    do(tabs.staff_open_tab, shop, member(cafe.staff), card(cafe.personal), "Walk-in")
    with pytest.raises(Conflict, match="already has an open tab"):
        do(
            tabs.staff_open_tab,
            db.session.get(Shop, cafe.shop.id),
            member(cafe.staff),
            card(cafe.personal),
        )
    assert count(Tab) == 1


def test_a_staff_opened_card_tab_is_claimed_by_the_first_phone_only(cafe, ctx):
    shop = db.session.get(Shop, cafe.shop.id)
    staff_tab = do(tabs.staff_open_tab, shop, member(cafe.staff), card(cafe.personal))
    tab_id = staff_tab.id
    assert staff_tab.phone_id is None

    claimed = open_on(cafe.personal, PHONE_A, "Ana")
    assert claimed.id == tab_id
    assert (claimed.phone_id, claimed.open_phone_id, claimed.customer_name) == (
        PHONE_A,
        PHONE_A,
        "Ana",
    )
    before = state(tab_id)

    with pytest.raises(Conflict, match="This card is in use"):
        open_on(cafe.personal, PHONE_B)

    assert state(tab_id) == before
    assert count(Tab) == 1
    assert open_on(cafe.personal, PHONE_A).id == tab_id


def test_staff_open_only_personal_cards_of_their_own_shop(cafe, other_cafe, ctx):
    shop = db.session.get(Shop, cafe.shop.id)
    with pytest.raises(Refused, match="pick a personal card"):
        do(tabs.staff_open_tab, shop, member(cafe.staff), card(cafe.table))
    with pytest.raises(NotFound):
        do(
            tabs.staff_open_tab,
            db.session.get(Shop, cafe.shop.id),
            member(cafe.staff),
            card(other_cafe.personal),
        )
    assert count(Tab) == 0


def test_a_retired_card_opens_nothing(cafe, ctx):
    with unit_of_work():
        card(cafe.personal).active = False
    with pytest.raises(NotFound, match="no longer in use"):
        open_on(cafe.personal, PHONE_A)
    assert count(Tab) == 0


# -- one live tab per phone per shop, on table cards -------------------------------------------


def test_the_same_phone_scanning_a_table_again_gets_the_same_tab(cafe, ctx):
    tab_id = open_on(cafe.table, PHONE_A, "Ana").id
    assert open_on(cafe.table, PHONE_A).id == tab_id
    assert count(Tab) == 1


def test_another_phone_at_the_same_table_gets_its_own_tab(cafe, ctx):
    first = open_on(cafe.table, PHONE_A)
    first_id = first.id
    assert first.open_card_id is None  # a table card is never held by one tab
    second = open_on(cafe.table, PHONE_B)
    assert second.id != first_id
    assert (second.card_id, second.phone_id) == (cafe.table.id, PHONE_B)
    assert tab_by_id(first_id).card_id == cafe.table.id
    assert count(Tab) == 2


def test_one_phone_has_one_live_tab_per_shop(cafe, other_cafe, ctx):
    tab_id = open_on(cafe.table, PHONE_A).id
    # Another table, or a free personal card, of the same shop: still the same tab.
    assert open_on(cafe.personal, PHONE_A).id == tab_id
    assert count(Tab) == 1
    assert tab_by_id(tab_id).open_card_id is None  # the personal card was not taken

    # Another shop is another tab.
    elsewhere = open_on(other_cafe.table, PHONE_A)
    assert elsewhere.id != tab_id
    assert elsewhere.shop_id == other_cafe.shop.id
    assert elsewhere.currency == "GBP"


def test_after_paying_the_same_phone_opens_a_fresh_tab(cafe, ctx):
    old_id = open_on(cafe.table, PHONE_A).id
    add(old_id, cafe.flat_white)
    pay(old_id, cafe.staff)
    assert tab_by_id(old_id).open_phone_id is None

    new = open_on(cafe.table, PHONE_A)
    assert new.id != old_id
    assert new.status == OPEN


# -- ordering ----------------------------------------------------------------------------------


def test_the_same_request_key_twice_adds_one_line(cafe, ctx):
    tab_id = open_on(cafe.table).id
    first = add(tab_id, cafe.flat_white, 2, request_key="tap-1")
    first_id = first.id
    after_first = state(tab_id)

    again = add(tab_id, cafe.flat_white, 2, request_key="tap-1")

    assert again.id == first_id
    assert count(TabLine, TabLine.tab_id == tab_id) == 1
    assert state(tab_id) == after_first  # nothing changed, so nothing to redraw
    assert tab_by_id(tab_id).total == 760


def test_different_request_keys_add_separate_lines(cafe, ctx):
    tab_id = open_on(cafe.table).id
    add(tab_id, cafe.flat_white, request_key="tap-1")
    add(tab_id, cafe.flat_white, request_key="tap-2")
    assert count(TabLine, TabLine.tab_id == tab_id) == 2


def test_a_line_snapshots_the_menu_and_belongs_to_the_tab_shop(cafe, ctx):
    tab_id = open_on(cafe.table).id
    line = add(tab_id, cafe.croissant, 3, note="  warm   please ")
    assert (line.name, line.unit_price, line.quantity, line.note, line.status) == (
        "Butter croissant",
        280,
        3,
        "warm please",
        ORDERED,
    )
    assert line.shop_id == cafe.shop.id
    assert line.line_total == 840


@pytest.mark.parametrize("quantity", [1, 99, "7", " 2 "])
def test_quantities_from_1_to_99_are_accepted(cafe, ctx, quantity):
    tab_id = open_on(cafe.table).id
    line = add(tab_id, cafe.flat_white, quantity)
    assert line.quantity == int(str(quantity).strip())


@pytest.mark.parametrize(
    ("item", "quantity", "refusal", "message"),
    [
        ("sold_out", 1, Refused, "Banana bread is not available"),
        ("other_shop", 1, NotFound, "not on this menu"),
        ("missing", 1, NotFound, "not on this menu"),
        ("not a number", 1, Refused, "Pick an item"),
        ("flat_white", 0, Refused, "between 1 and 99"),
        ("flat_white", 100, Refused, "between 1 and 99"),
        ("flat_white", -1, Refused, "between 1 and 99"),
        ("flat_white", "abc", Refused, "whole number"),
        ("flat_white", "1.5", Refused, "whole number"),
        ("flat_white", "", Refused, "whole number"),
    ],
)
def test_add_line_refuses_bad_orders_and_changes_nothing(
    cafe, other_cafe, ctx, item, quantity, refusal, message
):
    item_id = {
        "sold_out": cafe.sold_out.id,
        "other_shop": other_cafe.flat_white.id,
        "missing": 987654,
        "not a number": "abc",
        "flat_white": cafe.flat_white.id,
    }[item]
    tab_id = open_on(cafe.table).id
    add(tab_id, cafe.croissant)
    before = state(tab_id)

    with pytest.raises(refusal, match=message):
        add(tab_id, item_id, quantity)

    assert state(tab_id) == before


def test_a_note_has_a_length_limit(cafe, ctx):
    tab_id = open_on(cafe.table).id
    before = state(tab_id)
    with pytest.raises(Refused, match="at most 140"):
        add(tab_id, cafe.flat_white, 1, note="x" * 141)
    assert state(tab_id) == before


# -- paying ------------------------------------------------------------------------------------


@pytest.mark.parametrize("asked_to_pay", [False, True])
def test_paying_exactly_the_total_closes_the_tab(cafe, ctx, asked_to_pay):
    tab_id = open_on(cafe.personal, PHONE_A).id
    add(tab_id, cafe.flat_white, 2)
    add(tab_id, cafe.croissant)
    if asked_to_pay:
        do(tabs.request_payment, tab_by_id(tab_id))
    before = state(tab_id)
    assert (before["open_card_id"], before["open_phone_id"]) == (cafe.personal.id, PHONE_A)

    payment = pay(tab_id, cafe.staff, 1040, tip=150, method="card")

    tab = tab_by_id(tab_id)
    assert tab.status == PAID
    assert tab.closed_at is not None
    assert (tab.open_card_id, tab.open_phone_id) == (None, None)
    assert (tab.card_id, tab.phone_id) == (cafe.personal.id, PHONE_A)  # history kept
    payments = db.session.execute(select(Payment).where(Payment.tab_id == tab_id)).scalars().all()
    assert len(payments) == 1
    assert payments[0].id == payment.id
    assert (payments[0].amount, payments[0].tip, payments[0].received) == (1040, 150, 1190)
    assert (payments[0].method, payments[0].currency) == ("card", "EUR")
    assert (payments[0].staff_id, payments[0].shop_id) == (cafe.staff.id, cafe.shop.id)


@pytest.mark.parametrize("amount", [1039, 1041, 0, 104000])
def test_a_wrong_amount_is_refused_and_the_tab_stays_open(cafe, ctx, amount):
    tab_id = open_on(cafe.personal, PHONE_A).id
    add(tab_id, cafe.flat_white, 2)
    add(tab_id, cafe.croissant)
    before = state(tab_id)

    with pytest.raises(Conflict, match="The bill is €10.40"):
        pay(tab_id, cafe.staff, amount)

    assert state(tab_id) == before
    assert before["status"] == OPEN
    assert before["open_card_id"] == cafe.personal.id
    assert count(Payment) == 0


def test_a_tab_changed_since_the_bill_was_shown_is_not_paid(cafe, ctx):
    tab_id = open_on(cafe.table).id
    add(tab_id, cafe.flat_white)
    shown = tab_by_id(tab_id).total
    add(tab_id, cafe.croissant)  # a late order arrives while staff type
    with pytest.raises(Conflict, match="The bill is €6.60"):
        pay(tab_id, cafe.staff, shown)
    assert count(Payment) == 0
    assert tab_by_id(tab_id).status == OPEN


def test_a_tab_cannot_be_paid_twice(cafe, ctx):
    tab_id = open_on(cafe.table).id
    add(tab_id, cafe.flat_white)
    pay(tab_id, cafe.staff, 380)
    before = state(tab_id)

    with pytest.raises(Conflict, match="already paid"):
        pay(tab_id, cafe.staff, 380)

    assert state(tab_id) == before
    assert count(Payment) == 1


@pytest.mark.parametrize("voided", [False, True])
def test_an_empty_tab_cannot_be_paid(cafe, ctx, voided):
    tab_id = open_on(cafe.table).id
    if voided:
        line_id = add(tab_id, cafe.flat_white).id
        move(line_id, LINE_VOID, cafe.staff, "Out of milk")
    before = state(tab_id)

    with pytest.raises(Refused, match="nothing to pay"):
        pay(tab_id, cafe.staff, 0)

    assert state(tab_id) == before
    assert before["status"] == OPEN
    assert count(Payment) == 0


@pytest.mark.parametrize(
    ("method", "amount", "tip", "message"),
    [
        ("bitcoin", 380, 0, "cash or card"),
        ("", 380, 0, "cash or card"),
        ("cash", -380, 0, "cannot be negative"),
        ("cash", 380, -1, "cannot be negative"),
    ],
)
def test_a_bad_payment_is_refused_and_changes_nothing(cafe, ctx, method, amount, tip, message):
    tab_id = open_on(cafe.table).id
    add(tab_id, cafe.flat_white)
    before = state(tab_id)
    with pytest.raises(Refused, match=message):
        pay(tab_id, cafe.staff, amount, tip=tip, method=method)
    assert state(tab_id) == before
    assert count(Payment) == 0


# -- closing with nothing owed -------------------------------------------------------------------


def test_a_tab_that_owes_money_cannot_be_closed_empty(cafe, ctx):
    tab_id = open_on(cafe.personal, PHONE_A).id
    add(tab_id, cafe.flat_white)
    before = state(tab_id)

    with pytest.raises(Refused, match="still owes money"):
        do(tabs.close_empty_tab, tab_by_id(tab_id), member(cafe.staff))

    assert state(tab_id) == before


@pytest.mark.parametrize("voided", [False, True])
def test_a_tab_with_nothing_owed_closes(cafe, ctx, voided):
    tab_id = open_on(cafe.personal, PHONE_A).id
    if voided:
        line_id = add(tab_id, cafe.flat_white).id
        move(line_id, LINE_VOID, cafe.staff, "Customer left before it was made")

    do(tabs.close_empty_tab, tab_by_id(tab_id), member(cafe.staff))

    tab = tab_by_id(tab_id)
    assert tab.status == VOID
    assert tab.closed_at is not None
    assert (tab.open_card_id, tab.open_phone_id) == (None, None)
    assert "Staff" in tab.close_reason
    assert count(Payment) == 0


# -- versions ----------------------------------------------------------------------------------


def test_every_change_bumps_the_shop_and_tab_versions(cafe, ctx):
    shop_id = cafe.shop.id
    shop_before = shop_version(shop_id)

    tab_id = do(
        tabs.staff_open_tab, db.session.get(Shop, shop_id), member(cafe.staff), card(cafe.personal)
    ).id
    assert shop_version(shop_id) > shop_before

    steps = [
        ("claim", lambda: open_on(cafe.personal, PHONE_A)),
        ("add_line", lambda: add(tab_id, cafe.flat_white, 2)),
        ("add another", lambda: add(tab_id, cafe.croissant)),
        ("preparing", lambda: move(_line(tab_id, 0), PREPARING, cafe.staff)),
        ("served", lambda: move(_line(tab_id, 0), SERVED, cafe.staff)),
        ("void", lambda: move(_line(tab_id, 1), LINE_VOID, cafe.staff, "Burnt")),
        ("request_payment", lambda: do(tabs.request_payment, tab_by_id(tab_id))),
        ("cancel_payment_request", lambda: do(tabs.cancel_payment_request, tab_by_id(tab_id))),
        ("request again", lambda: do(tabs.request_payment, tab_by_id(tab_id))),
        ("record_payment", lambda: pay(tab_id, cafe.staff, 760)),
    ]
    for name, step in steps:
        before = state(tab_id)
        step()
        after = state(tab_id)
        assert after["version"] > before["version"], name
        assert after["shop_version"] > before["shop_version"], name


def test_opening_and_closing_an_empty_tab_bump_the_versions(cafe, ctx):
    shop_id = cafe.shop.id
    shop_before = shop_version(shop_id)
    tab_id = open_on(cafe.table).id
    assert shop_version(shop_id) > shop_before
    before = state(tab_id)

    do(tabs.close_empty_tab, tab_by_id(tab_id), member(cafe.staff))

    after = state(tab_id)
    assert after["version"] > before["version"]
    assert after["shop_version"] > before["shop_version"]


def _line(tab_id, index) -> int:
    return db.session.scalars(
        select(TabLine.id).where(TabLine.tab_id == tab_id).order_by(TabLine.id)
    ).all()[index]
