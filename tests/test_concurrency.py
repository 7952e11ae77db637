"""Simultaneous requests on one tab or one card, raced with real threads.

Each thread works as a request does: its own app context (so its own session and
connection) and one `unit_of_work()`. A barrier lines them up so they hit the
database together. On SQLite the engine serialises writers (BEGIN IMMEDIATE plus
busy_timeout); on PostgreSQL the conditional UPDATEs and unique constraints must.
"""

import threading

from sqlalchemy import func, select

from extensions import db
from models import Payment, Shop, StaffMember, Tab, TabLine, TokenCard
from models.tab import LIVE_TAB_STATUSES, OPEN, PAID
from services import Conflict, Refused, unit_of_work
from services import payments as pay_service
from services import tabs as tab_service

THREADS = 10
TIMEOUT = 60


def race(app, work, n=THREADS):
    """Run `work(i)` in n threads started together; returns one outcome per thread:
    ("ok", value), ("refused", exception) or ("error", exception)."""
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def run(i):
        with app.app_context():
            try:
                barrier.wait(timeout=TIMEOUT)
                with unit_of_work():
                    outcomes[i] = ("ok", work(i))
            except Refused as refusal:
                outcomes[i] = ("refused", refusal)
            except Exception as error:  # reported by the test
                outcomes[i] = ("error", error)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    errors = [value for kind, value in outcomes if kind == "error"]
    assert not errors, errors
    return outcomes


def ok(outcomes):
    return [value for kind, value in outcomes if kind == "ok"]


def refused(outcomes):
    return [value for kind, value in outcomes if kind == "refused"]


def count(in_app, model, *where) -> int:
    return in_app(lambda: db.session.scalar(select(func.count()).select_from(model).where(*where)))


def tab_with_lines(in_app, cafe) -> tuple[int, int]:
    """A table tab with two flat whites and a croissant: (tab id, total)."""

    def arrange():
        card = db.session.get(TokenCard, cafe.table.id)
        tab = tab_service.open_tab(card, "phone-at-table")
        tab_service.add_line(tab, cafe.flat_white.id, 2)
        tab_service.add_line(tab, cafe.croissant.id, 1)
        return tab.id, tab.total

    return in_app(arrange)


def test_ten_payments_at_once_record_one(app, cafe, in_app):
    tab_id, total = tab_with_lines(in_app, cafe)
    assert total == 1040

    def pay(i):
        tab = db.session.get(Tab, tab_id)
        staff = db.session.get(StaffMember, cafe.staff.id)
        return pay_service.record_payment(tab, total, i, "cash", staff=staff).id

    outcomes = race(app, pay)

    assert len(ok(outcomes)) == 1
    assert len(refused(outcomes)) == THREADS - 1
    assert all(isinstance(r, Conflict) for r in refused(outcomes))
    assert count(in_app, Payment) == 1
    paid = in_app(lambda: db.session.execute(select(Payment)).scalar_one())
    assert (paid.id, paid.amount, paid.tab_id) == (ok(outcomes)[0], total, tab_id)
    status, open_phone = in_app(
        lambda: db.session.execute(
            select(Tab.status, Tab.open_phone_id).where(Tab.id == tab_id)
        ).one()
    )
    assert (status, open_phone) == (PAID, None)


def test_ten_phones_on_one_personal_card_open_one_tab(app, cafe, in_app):
    def open_(i):
        card = db.session.get(TokenCard, cafe.personal.id)
        return tab_service.open_tab(card, f"phone-{i:02d}-racing-for-one-card").id

    outcomes = race(app, open_)

    assert len(ok(outcomes)) == 1
    assert len(refused(outcomes)) == THREADS - 1
    assert all(isinstance(r, Conflict) for r in refused(outcomes))
    live = in_app(
        lambda: db.session.execute(
            select(Tab.id, Tab.phone_id).where(
                Tab.card_id == cafe.personal.id, Tab.status.in_(LIVE_TAB_STATUSES)
            )
        ).all()
    )
    assert len(live) == 1
    assert live[0].id == ok(outcomes)[0]
    assert count(in_app, Tab) == 1


def test_one_phone_tapping_open_five_times_at_a_table_gets_one_tab(app, cafe, in_app):
    def open_(i):
        card = db.session.get(TokenCard, cafe.table.id)
        return tab_service.open_tab(card, "one-phone-tapping-again-and-again").id

    outcomes = race(app, open_, n=5)

    assert len(ok(outcomes)) == 5, refused(outcomes)
    assert len(set(ok(outcomes))) == 1
    assert count(in_app, Tab) == 1


def test_phones_claiming_a_staff_opened_card_tab_at_once_one_wins(app, cafe, in_app):
    def arrange():
        shop = db.session.get(Shop, cafe.shop.id)
        staff = db.session.get(StaffMember, cafe.staff.id)
        card = db.session.get(TokenCard, cafe.personal.id)
        return tab_service.staff_open_tab(shop, staff, card).id

    tab_id = in_app(arrange)

    def claim(i):
        card = db.session.get(TokenCard, cafe.personal.id)
        tab = tab_service.open_tab(card, f"phone-{i:02d}-claiming-the-card")
        return tab.id, tab.phone_id

    outcomes = race(app, claim)

    assert len(ok(outcomes)) == 1
    assert all(isinstance(r, Conflict) for r in refused(outcomes))
    winner_tab, winner_phone = ok(outcomes)[0]
    assert winner_tab == tab_id
    assert in_app(lambda: db.session.get(Tab, tab_id).phone_id) == winner_phone
    assert count(in_app, Tab) == 1


def test_staff_opening_one_card_from_several_tablets_open_one_tab(app, cafe, in_app):
    def open_(i):
        shop = db.session.get(Shop, cafe.shop.id)
        staff = db.session.get(StaffMember, cafe.staff.id)
        card = db.session.get(TokenCard, cafe.personal.id)
        return tab_service.staff_open_tab(shop, staff, card).id

    outcomes = race(app, open_, n=5)

    assert len(ok(outcomes)) == 1
    assert len(refused(outcomes)) == 4
    assert all(isinstance(r, Conflict) for r in refused(outcomes))
    assert count(in_app, Tab) == 1


def test_a_double_tapped_order_adds_one_line(app, cafe, in_app):
    tab_id, _ = tab_with_lines(in_app, cafe)
    lines_before = count(in_app, TabLine, TabLine.tab_id == tab_id)

    def order(i):
        tab = db.session.get(Tab, tab_id)
        return tab_service.add_line(tab, cafe.croissant.id, 1, request_key="one-tap").id

    outcomes = race(app, order, n=5)

    assert len(ok(outcomes)) == 5, refused(outcomes)
    assert len(set(ok(outcomes))) == 1
    assert count(in_app, TabLine, TabLine.tab_id == tab_id) == lines_before + 1


def test_orders_racing_a_payment_never_leave_an_unpaid_line(app, cafe, in_app):
    """Whoever wins, a paid tab's payment is exactly what its lines add up to."""
    tab_id, total = tab_with_lines(in_app, cafe)

    def act(i):
        tab = db.session.get(Tab, tab_id)
        if i == 0:
            staff = db.session.get(StaffMember, cafe.staff.id)
            return ("paid", pay_service.record_payment(tab, total, 0, "card", staff=staff).id)
        return ("ordered", tab_service.add_line(tab, cafe.flat_white.id, 1).id)

    outcomes = race(app, act, n=6)

    def read():
        tab = db.session.get(Tab, tab_id)
        payments = db.session.execute(select(Payment).where(Payment.tab_id == tab_id))
        return tab.status, tab.total, [p.amount for p in payments.scalars()]

    status, owed, payments = in_app(read)
    paid = [value for kind, value in ok(outcomes) if kind == "paid"]
    ordered = [value for kind, value in ok(outcomes) if kind == "ordered"]
    if paid:
        # The payment won before any order: every order after it was refused.
        assert (status, payments, owed, ordered) == (PAID, [total], total, [])
        assert len(refused(outcomes)) == 5
    else:
        # At least one order got in first, so the shown amount was refused.
        assert (status, payments) == (OPEN, [])
        assert ordered
        assert owed == total + 380 * len(ordered)
