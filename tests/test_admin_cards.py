"""Token cards from the back office: batches with continuing labels, revoking,
reissuing a lost card, each card's current tab, and the print downloads."""

import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from sqlalchemy import select

from extensions import db
from models import Tab, TokenCard
from tests.helpers import load_tab, open_tab, order

NO_LONGER = "This card is no longer in use"


def cards(in_app, shop, **where):
    def read():
        query = select(TokenCard).where(TokenCard.shop_id == shop.id).order_by(TokenCard.id)
        for name, value in where.items():
            query = query.where(getattr(TokenCard, name) == value)
        return list(db.session.execute(query).scalars())

    return in_app(read)


def card_rows(in_app):
    return in_app(
        lambda: sorted(map(tuple, db.session.execute(select(TokenCard.__table__)).all()), key=repr)
    )


@pytest.fixture
def owner(cafe, login):
    client = login(cafe.owner)
    client.get("/admin/cards")
    return client


def make(owner, kind, count):
    return owner.post_form("/admin/cards", {"kind": kind, "count": str(count)})


# -- batches -------------------------------------------------------------------------------


def test_a_batch_continues_after_the_highest_label(cafe, owner, in_app):
    assert make(owner, "table", 3).status_code == 303  # the café has "Table 1" already
    response = make(owner, "personal", 2)
    assert response.status_code == 303
    assert "Card 2 to Card 3" in owner.get(response.location).get_data(as_text=True)

    labels = [card.label for card in cards(in_app, cafe.shop)]
    assert labels == ["Table 1", "Card 1", "Table 2", "Table 3", "Table 4", "Card 2", "Card 3"]


def test_revoked_cards_keep_their_number(cafe, owner, in_app):
    make(owner, "table", 2)  # Table 2, Table 3
    table_3 = cards(in_app, cafe.shop, label="Table 3")[0]
    owner.post_form(f"/admin/cards/{table_3.id}/revoke")

    make(owner, "table", 1)

    assert cards(in_app, cafe.shop)[-1].label == "Table 4"


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("0", "between 1 and 500"),
        ("501", "between 1 and 500"),
        ("10001", "between 1 and 500"),
        ("-3", "whole number from 1 to 500"),
        ("ten", "whole number from 1 to 500"),
        ("", "whole number from 1 to 500"),
    ],
)
def test_bad_batches_are_refused_and_nothing_is_made(owner, in_app, count, message):
    before = card_rows(in_app)

    response = owner.post_form("/admin/cards", {"kind": "table", "count": count})

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert card_rows(in_app) == before


def test_an_unknown_kind_of_card_is_refused(owner, in_app):
    before = card_rows(in_app)

    response = owner.post_form("/admin/cards", {"kind": "vip", "count": "2"})

    assert response.status_code == 400
    assert "Choose table or personal cards" in response.get_data(as_text=True)
    assert card_rows(in_app) == before


# -- revoke and reissue ------------------------------------------------------------------


def test_a_revoked_card_shows_the_friendly_page(cafe, owner, phone, in_app):
    assert phone.get(f"/t/{cafe.table.code}").status_code == 200

    assert owner.post_form(f"/admin/cards/{cafe.table.id}/revoke").status_code == 303

    page = phone.get(f"/t/{cafe.table.code}")
    assert page.status_code == 404
    assert NO_LONGER in page.get_data(as_text=True)
    refused = phone.post_form(f"/t/{cafe.table.code}", {"customer_name": ""})
    assert refused.status_code == 404
    assert in_app(lambda: db.session.execute(select(Tab.id)).first()) is None
    assert "Out of use" in owner.get("/admin/cards").get_data(as_text=True)


def test_a_reissued_card_has_a_new_code_and_the_old_one_stops_working(cafe, owner, phone, in_app):
    response = owner.post_form(f"/admin/cards/{cafe.personal.id}/reissue")
    assert response.status_code == 303

    active = cards(in_app, cafe.shop, label="Card 1", active=True)
    assert len(active) == 1
    new = active[0]
    assert new.id != cafe.personal.id and new.code != cafe.personal.code
    assert new.kind == "personal"

    old_page = phone.get(f"/t/{cafe.personal.code}")
    assert old_page.status_code == 404
    assert NO_LONGER in old_page.get_data(as_text=True)
    assert phone.get(f"/t/{new.code}").status_code == 200
    open_tab(phone, new)


def test_a_live_tab_moves_to_the_reissued_card(cafe, owner, phone, new_client, in_app):
    public_id = open_tab(phone, cafe.personal, "Ada")
    assert order(phone, public_id, cafe.flat_white).status_code == 303

    owner.post_form(f"/admin/cards/{cafe.personal.id}/reissue")

    new = cards(in_app, cafe.shop, label="Card 1", active=True)[0]
    tab = load_tab(in_app, public_id)
    assert (tab.card_id, tab.open_card_id, tab.status) == (new.id, new.id, "open")
    # Still one open tab per personal card: another phone scanning the new card is
    # told it is in use; Ada's phone still finds her tab.
    assert new_client().get(f"/t/{new.code}").status_code == 409
    assert f"/tab/{public_id}" in phone.get(f"/t/{new.code}").get_data(as_text=True)
    page = owner.get("/admin/cards").get_data(as_text=True)
    assert f'href="/staff/tabs/{tab.id}"' in page


def test_reissuing_a_card_twice_is_refused(cafe, owner, in_app):
    owner.post_form(f"/admin/cards/{cafe.table.id}/reissue")
    before = card_rows(in_app)

    response = owner.post_form(f"/admin/cards/{cafe.table.id}/reissue")

    assert response.status_code == 409
    assert card_rows(in_app) == before


def test_the_cards_page_shows_each_cards_live_tabs(cafe, owner, new_client, in_app):
    first = open_tab(new_client(), cafe.table, "Ann")
    second = open_tab(new_client(), cafe.table, "Bob")

    page = owner.get("/admin/cards").get_data(as_text=True)

    for public_id in (first, second):
        assert f'href="/staff/tabs/{load_tab(in_app, public_id).id}"' in page
    assert "Ann" in page and "Bob" in page


# -- print downloads ---------------------------------------------------------------------


def scanned_urls(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    urls = []
    for page in document:
        image = page.render(scale=200 / 72).to_pil().convert("L")
        urls += [code.text for code in zxingcpp.read_barcodes(image)]
    document.close()
    return urls


def attachment_name(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    return re.search(r'filename="?([^";]+)', disposition).group(1)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_print_pdf_holds_every_card_in_use_of_a_kind(app, cafe, owner, in_app, paper):
    make(owner, "table", 2)
    owner.post_form(f"/admin/cards/{cafe.table.id}/revoke")

    response = owner.get(f"/admin/cards/print.pdf?paper={paper}&kind=table")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    name = attachment_name(response)
    assert name.startswith(cafe.shop.slug) and name.endswith(".pdf") and "table" in name
    with app.app_context():
        wanted = {card.url for card in cards(in_app, cafe.shop, kind="table", active=True)}
    assert len(wanted) == 2
    assert sorted(scanned_urls(response.data)) == sorted(wanted)


def test_printing_chosen_cards(app, cafe, owner, in_app):
    make(owner, "personal", 3)
    chosen = cards(in_app, cafe.shop, kind="personal")[1:3]

    response = owner.get(
        "/admin/cards/print.pdf", query_string=[("paper", "a4")] + [("card", c.id) for c in chosen]
    )

    assert response.status_code == 200
    with app.app_context():
        assert sorted(scanned_urls(response.data)) == sorted(c.url for c in chosen)


def test_print_refusals(cafe, other_cafe, owner):
    other = owner.get(f"/admin/cards/print.pdf?card={other_cafe.table.id}")
    assert other.status_code == 404
    mixed = owner.get(f"/admin/cards/print.pdf?card={cafe.table.id}&card={other_cafe.table.id}")
    assert mixed.status_code == 404
    assert owner.get("/admin/cards/print.pdf?paper=a3").status_code == 400
    assert owner.get("/admin/cards/print.pdf?kind=vip").status_code == 400
    assert owner.get("/admin/cards/print.pdf?card=nonsense").status_code == 404

    owner.post_form(f"/admin/cards/{cafe.table.id}/revoke")
    revoked = owner.get(f"/admin/cards/print.pdf?card={cafe.table.id}")
    assert revoked.status_code == 400
    assert "no longer in use" in revoked.get_data(as_text=True)
    assert owner.get(f"/admin/cards/{cafe.table.id}/card.svg").status_code == 400


def test_nothing_to_print_is_a_clear_message(cafe, owner):
    owner.post_form(f"/admin/cards/{cafe.table.id}/revoke")

    response = owner.get("/admin/cards/print.pdf?kind=table")

    assert response.status_code == 400
    assert "no cards to print" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "mimetype", "ext"),
    [
        ("card.svg", "image/svg+xml", ".svg"),
        ("card.png", "image/png", ".png"),
        ("tent.pdf", "application/pdf", ".pdf"),
    ],
)
def test_single_card_downloads(cafe, owner, path, mimetype, ext):
    response = owner.get(f"/admin/cards/{cafe.table.id}/{path}")

    assert response.status_code == 200
    assert response.mimetype == mimetype
    name = attachment_name(response)
    assert name.startswith(cafe.shop.slug) and name.endswith(ext) and "table-1" in name
