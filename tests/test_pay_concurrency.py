"""Paying one tab from many requests at once, through the HTTP layer.

Each thread has its own test client (the same staff login's cookie), so every
request runs as a real one does: its own app context, session and connection. A
barrier lines them up. Whatever the interleaving, a tab is never paid twice and
its payments add up to exactly its total.
"""

import threading

import pytest

from tests.helpers import load_tab, open_tab, order
from tests.pay_helpers import ask_to_pay, asked_on_staff_page, invite, join, tab_id_of

TIMEOUT = 120


def clients_like(app, logged_in, n):
    """n fresh clients carrying `logged_in`'s session (and so its CSRF token)."""
    name = app.config["SESSION_COOKIE_NAME"]
    session = logged_in.get_cookie(name).value
    token = logged_in.csrf_token()
    made = []
    for _ in range(n):
        client = app.test_client()
        client.set_cookie(name, session)
        client.csrf = token
        made.append(client)
    return made


def post_together(requests):
    """Send (client, url, form) requests at the same moment; returns status codes."""
    barrier = threading.Barrier(len(requests))
    statuses = [None] * len(requests)
    errors = []

    def send(i, client, url, form):
        try:
            barrier.wait(timeout=TIMEOUT)
            statuses[i] = client.post_form(url, form).status_code
        except Exception as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=send, args=(i, *request), daemon=True)
        for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    assert not errors, errors
    return statuses


@pytest.fixture
def shared_tab(cafe, new_client, in_app):
    """Ana (€7.60) and Ben (€2.80) on one tab, each asking to pay their own items."""
    ana, ben = new_client(), new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    join(ben, invite(ana, public_id), "Ben")
    order(ana, public_id, cafe.flat_white, 2)
    order(ben, public_id, cafe.croissant)
    ask_to_pay(ana, public_id, share="phone", tip="10")
    ask_to_pay(ben, public_id, share="phone", tip="20")
    return public_id, tab_id_of(in_app, public_id)


def test_fifty_payments_of_one_tab_at_once_record_exactly_one(
    app, cafe, phone, staff_client, in_app
):
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white, 2)
    order(phone, public_id, cafe.croissant)
    tab_id = tab_id_of(in_app, public_id)
    url = f"/staff/tabs/{tab_id}/payment"
    clients = clients_like(app, staff_client, 50)

    statuses = post_together(
        [
            (c, url, {"method": "cash", "amount": "10.40", "tip": f"0.{i:02d}"})
            for i, c in enumerate(clients)
        ]
    )

    assert statuses.count(303) == 1, statuses
    assert statuses.count(409) == 49, statuses
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert len(tab.payments) == 1
    assert tab.payments[0].amount == tab.total == 1040


def test_two_phones_shares_taken_at_once_are_both_recorded(app, shared_tab, staff_client, in_app):
    public_id, tab_id = shared_tab
    asked = asked_on_staff_page(staff_client, tab_id)
    url = f"/staff/tabs/{tab_id}/payment"
    first, second = clients_like(app, staff_client, 2)

    statuses = post_together(
        [
            (first, url, {**asked["Ana"], "method": "cash"}),
            (second, url, {**asked["Ben"], "method": "card"}),
        ]
    )

    assert statuses == [303, 303]
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert sorted((p.amount, p.tip, p.method) for p in tab.payments) == [
        (280, 56, "card"),
        (760, 76, "cash"),
    ]
    assert sum(p.amount for p in tab.payments) == tab.total == 1040
    assert all(line.payment_id for line in tab.lines)


def test_fifty_takes_of_two_shares_never_overpay(app, shared_tab, staff_client, in_app):
    public_id, tab_id = shared_tab
    asked = asked_on_staff_page(staff_client, tab_id)
    url = f"/staff/tabs/{tab_id}/payment"
    clients = clients_like(app, staff_client, 50)

    statuses = post_together(
        [
            (c, url, {**asked["Ana" if i % 2 else "Ben"], "method": "card"})
            for i, c in enumerate(clients)
        ]
    )

    assert statuses.count(303) == 2, statuses
    assert statuses.count(409) == 48, statuses
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert sorted(p.amount for p in tab.payments) == [280, 760]
    assert sum(p.amount for p in tab.payments) == tab.total


def test_fifty_equal_shares_at_once_pay_each_share_once(
    app, cafe, create_item, new_client, staff_client, in_app
):
    platter = create_item(cafe.shop, "Sharing platter", 1000)
    phones = [new_client() for _ in range(3)]
    public_id = open_tab(phones[0], cafe.table, "Ana")
    token = invite(phones[0], public_id)
    for n, friend in enumerate(phones[1:]):
        join(friend, token, f"Friend {n}")
    order(phones[0], public_id, platter)
    for phone in phones:
        ask_to_pay(phone, public_id, share="equal")
    tab_id = tab_id_of(in_app, public_id)
    asked = list(asked_on_staff_page(staff_client, tab_id).values())
    url = f"/staff/tabs/{tab_id}/payment"
    clients = clients_like(app, staff_client, 50)

    statuses = post_together(
        [(c, url, {**asked[i % 3], "method": "cash"}) for i, c in enumerate(clients)]
    )

    assert statuses.count(303) == 3, statuses
    tab = load_tab(in_app, public_id)
    assert tab.status == "paid"
    assert sorted(p.amount for p in tab.payments) == [333, 333, 334]
    assert sum(p.amount for p in tab.payments) == 1000
