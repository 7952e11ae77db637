"""Staff of one café never see or touch another café's tabs, lines, cards or menu.

Each request below is one that would succeed for the café's own rows, so a missing
shop check shows up as a change, not as a refusal for some other reason.
"""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Payment, Tab, TabLine
from tests.helpers import open_tab, order


def database_state(in_app):
    def read():
        tabs = db.session.execute(
            select(
                Tab.id, Tab.shop_id, Tab.status, Tab.version, Tab.phone_id, Tab.card_id
            ).order_by(Tab.id)
        ).all()
        lines = db.session.execute(
            select(
                TabLine.id,
                TabLine.tab_id,
                TabLine.status,
                TabLine.void_reason,
                TabLine.menu_item_id,
            ).order_by(TabLine.id)
        ).all()
        payments = db.session.execute(select(func.count()).select_from(Payment)).scalar_one()
        return [tuple(r) for r in tabs], [tuple(r) for r in lines], payments

    return in_app(read)


def tab_by_public_id(in_app, public_id):
    return in_app(
        lambda: db.session.execute(select(Tab).where(Tab.public_id == public_id)).scalar_one()
    )


@pytest.fixture
def cafe_b(other_cafe, new_client, in_app):
    """Café B has a tab owing £3.80 (Bertha), an empty tab (Boris) and one waiting to
    pay (Bianca)."""
    bertha = new_client()
    bertha_id = open_tab(bertha, other_cafe.table, "Bertha")
    assert order(bertha, bertha_id, other_cafe.flat_white).status_code == 303
    boris_id = open_tab(new_client(), other_cafe.table, "Boris")
    bianca = new_client()
    bianca_id = open_tab(bianca, other_cafe.table, "Bianca")
    assert order(bianca, bianca_id, other_cafe.croissant, 3).status_code == 303
    assert bianca.post_form(f"/tab/{bianca_id}/pay").status_code == 303

    owing = tab_by_public_id(in_app, bertha_id)
    waiting = tab_by_public_id(in_app, bianca_id)
    lines = in_app(lambda: list(db.session.execute(select(TabLine).order_by(TabLine.id)).scalars()))
    return SimpleNamespace(
        **vars(other_cafe),
        owing=owing,
        empty=tab_by_public_id(in_app, boris_id),
        waiting=waiting,
        line=next(line for line in lines if line.tab_id == owing.id),
        lines=lines,
    )


@pytest.fixture
def staff_a(cafe, staff_client):
    staff_client.get("/staff")  # a page of A's own, for the CSRF token
    return staff_client


def test_b_s_tab_page_is_not_found(cafe_b, staff_a):
    response = staff_a.get(f"/staff/tabs/{cafe_b.owing.id}")

    assert response.status_code == 404
    assert "Bertha" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "action",
    [
        "line status",
        "line void",
        "counter order",
        "payment",
        "close",
        "open on card",
    ],
)
def test_a_s_staff_cannot_change_b_s_rows(cafe_b, staff_a, in_app, action):
    owing, line = cafe_b.owing, cafe_b.line
    url, data = {
        "line status": (f"/staff/lines/{line.id}/status", {"status": "ready"}),
        "line void": (f"/staff/lines/{line.id}/void", {"reason": "Not ours"}),
        "counter order": (
            f"/staff/tabs/{owing.id}/order",
            {"item_id": cafe_b.croissant.id, "quantity": "1"},
        ),
        "payment": (
            f"/staff/tabs/{owing.id}/payment",
            {"method": "cash", "amount": "3.80", "tip": "0"},
        ),
        "close": (f"/staff/tabs/{cafe_b.empty.id}/close", {}),
        "open on card": ("/staff/tabs/new", {"card_id": cafe_b.personal.id}),
    }[action]
    before = database_state(in_app)

    response = staff_a.post_form(url, data)

    assert response.status_code == 404
    assert database_state(in_app) == before


@pytest.mark.parametrize("action", ["line status", "payment"])
def test_the_json_answer_is_404_too(cafe_b, staff_a, in_app, action):
    url, data = {
        "line status": (f"/staff/lines/{cafe_b.line.id}/status", {"status": "ready"}),
        "payment": (
            f"/staff/tabs/{cafe_b.owing.id}/payment",
            {"method": "card", "amount": "3.80", "tip": "0"},
        ),
    }[action]
    before = database_state(in_app)

    response = staff_a.post_json(url, data)

    assert response.status_code == 404
    assert "error" in response.json
    assert database_state(in_app) == before


def test_b_s_card_qr_code_is_not_found(cafe_b, staff_a):
    for card in (cafe_b.table, cafe_b.personal):
        assert staff_a.get(f"/staff/cards/{card.id}/qr.svg").status_code == 404


def test_a_s_counter_never_shows_b_s_tabs_or_lines(cafe, cafe_b, staff_a, phone, in_app):
    # A has its own customer, so the page is not simply empty.
    public_id = open_tab(phone, cafe.table, "Alma")
    order(phone, public_id, cafe.croissant)

    page = staff_a.get("/staff").get_data(as_text=True)

    assert "Alma" in page
    for name in ("Bertha", "Boris", "Bianca"):
        assert name not in page
    for tab in (cafe_b.owing, cafe_b.empty, cafe_b.waiting):
        assert f'data-tab-id="{tab.id}"' not in page
        assert tab.reference not in page
    for line in cafe_b.lines:
        assert f'data-line-id="{line.id}"' not in page
    assert "£" not in page


def test_a_s_live_poll_never_shows_b_s_tabs_or_lines(cafe, cafe_b, staff_a, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Alma")
    order(phone, public_id, cafe.croissant)
    phone.post_form(f"/tab/{public_id}/pay")
    a_tab = tab_by_public_id(in_app, public_id)

    response = staff_a.get("/staff/live", headers={"Accept": "application/json"})

    body = response.json
    assert body["waiting_ids"] == [a_tab.id]
    assert body["queue_ids"] == [
        line.id
        for line in in_app(lambda: list(db.session.execute(select(TabLine)).scalars()))
        if line.tab_id == a_tab.id
    ]
    for name in ("Bertha", "Boris", "Bianca"):
        assert name not in body["html"]


def test_a_s_live_etag_ignores_b_s_activity(cafe, cafe_b, staff_a, new_client):
    etag = staff_a.get("/staff/live").headers["ETag"]
    bruno = new_client()
    public_id = open_tab(bruno, cafe_b.table, "Bruno")
    order(bruno, public_id, cafe_b.flat_white)

    assert staff_a.get("/staff/live", headers={"If-None-Match": etag}).status_code == 304


def test_a_s_cards_and_new_tab_pages_never_list_b_s_cards(cafe, cafe_b, staff_a):
    cards = staff_a.get("/staff/cards").get_data(as_text=True)
    new_tab = staff_a.get("/staff/tabs/new").get_data(as_text=True)

    assert cafe.personal.code in cards
    for card in (cafe_b.table, cafe_b.personal):
        assert card.code not in cards
        assert f"/staff/cards/{card.id}/qr.svg" not in cards
    assert f'name="card_id" value="{cafe.personal.id}"' in new_tab
    assert f'name="card_id" value="{cafe_b.personal.id}"' not in new_tab


def test_a_s_staff_cannot_add_b_s_menu_item_to_an_a_tab(cafe, cafe_b, staff_a, in_app):
    staff_a.get("/staff/tabs/new")
    opened = staff_a.post_form("/staff/tabs/new", {"customer_name": "Alma"})
    assert opened.status_code == 303
    tab_id = int(opened.location.rsplit("/", 1)[1])
    staff_a.get(f"/staff/tabs/{tab_id}")
    before = database_state(in_app)

    response = staff_a.post_form(
        f"/staff/tabs/{tab_id}/order", {"item_id": cafe_b.flat_white.id, "quantity": "1"}
    )

    assert response.status_code in (400, 404)
    assert database_state(in_app) == before
    page = staff_a.get(f"/staff/tabs/{tab_id}").get_data(as_text=True)
    assert f'<option value="{cafe_b.flat_white.id}"' not in page
