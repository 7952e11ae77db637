"""The `flask demo` owner can use the whole back office, and the demo menu's
categories come out in the order they were written."""

import json

from sqlalchemy import select

from extensions import db
from models import TokenCard
from tests.helpers import open_tab


def test_the_demo_owner_uses_every_back_office_page(app, new_client):
    summary = json.loads(app.test_cli_runner().invoke(args=["demo", "--json"]).output)
    owner = new_client()
    login = owner.post_form("/staff/login", summary["owner"])
    assert login.status_code == 303

    for page in (
        "/admin",
        "/admin/day",
        "/admin/settings",
        "/admin/menu",
        "/admin/staff",
        "/admin/cards",
    ):
        response = owner.get(page)
        assert response.status_code == 200, page
    assert "Avocado toast" in owner.get("/admin/menu").get_data(as_text=True)
    cards = owner.get("/admin/cards").get_data(as_text=True)
    assert "Table 6" in cards and "Card 10" in cards
    sheet = owner.get("/admin/cards/print.pdf?paper=a4&kind=personal")
    assert sheet.status_code == 200 and sheet.data.startswith(b"%PDF")

    staff = new_client()
    staff.post_form("/staff/login", summary["staff"])
    assert staff.get("/admin").status_code == 403


def test_the_demo_menu_keeps_its_category_order(app, new_client, in_app):
    app.test_cli_runner().invoke(args=["demo"])
    card = in_app(
        lambda: (
            db.session.execute(select(TokenCard).where(TokenCard.kind == "table")).scalars().first()
        )
    )
    phone = new_client()
    page = phone.get(f"/tab/{open_tab(phone, card)}/menu").get_data(as_text=True)

    headings = [page.index(f"<h2>{name}</h2>") for name in ("Coffee", "Tea &amp; more", "Food")]
    assert headings == sorted(headings)
