"""Back office: token cards, and printing them."""

from flask import make_response, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from blueprints.admin import bp, done, owned
from blueprints.forms import CardBatchForm, EmptyForm, submitted
from models import TokenCard
from models.card import CARD_KINDS
from services import Refused, printing, unit_of_work
from services import cards as card_service
from services import shops as shop_service

TEMPLATE = "admin/cards.html"
PAPERS = ("a4", "letter")


def cards_page(status: int = 200, *, error: str | None = None, batch_form=None):
    shop = current_user.shop
    rows, retired = card_service.card_rows(shop.id)
    return (
        render_template(
            TEMPLATE,
            shop=shop,
            rows=rows,
            retired=retired,
            batch_form=batch_form or CardBatchForm(formdata=None),
            form=EmptyForm(),
            max_batch=shop_service.MAX_CARDS_PER_BATCH,
            reference=printing.short_reference,
            error=error,
        ),
        status,
    )


def parse_count(raw: str | None) -> int:
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise Refused(
            gettext(
                "Enter how many cards to make as a whole number from 1 to %(most)s.",
                most=shop_service.MAX_CARDS_PER_BATCH,
            )
        )
    return int(text)


@bp.get("/cards")
def cards():
    return cards_page()


@bp.post("/cards")
def add_cards():
    form = CardBatchForm()
    try:
        submitted(form)
        count = parse_count(form.count.data)
        with unit_of_work():
            made = shop_service.add_cards(current_user.shop, form.kind.data, count)
    except Refused as problem:
        return cards_page(problem.status_code, error=problem.message, batch_form=form)
    if len(made) == 1:
        labels = made[0].label
    else:
        labels = gettext("%(first)s to %(last)s", first=made[0].label, last=made[-1].label)
    message = ngettext(
        "Made %(num)d card: %(labels)s.",
        "Made %(num)d cards: %(labels)s.",
        len(made),
        labels=labels,
    )
    return done(message, url_for(".cards"))


@bp.post("/cards/<id:card_id>/revoke")
def revoke_card(card_id: int):
    card = owned(TokenCard, card_id)
    submitted(EmptyForm())
    with unit_of_work():
        card_service.revoke(card)
    return done(f"{card.label} is out of use; its code now says so.", url_for(".cards"))


@bp.post("/cards/<id:card_id>/reissue")
def reissue_card(card_id: int):
    card = owned(TokenCard, card_id)
    submitted(EmptyForm())
    with unit_of_work():
        new = card_service.reissue(card)
    return done(
        f"{new.label} has a new code: print it and hand it over. The old code no longer works.",
        url_for(".cards") + f"#card-{new.id}",
    )


# -- printing ----------------------------------------------------------------------------


def download(body, mimetype: str, what: str, ext: str):
    shop = current_user.shop
    response = make_response(body)
    response.mimetype = mimetype
    name = printing.download_name(shop, what, ext, shop.local_today())
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def printable(card_id: int) -> TokenCard:
    card = owned(TokenCard, card_id)
    if not card.active:
        raise Refused(
            gettext("%(card)s is no longer in use, so it is not printed.", card=card.label)
        )
    return card


@bp.get("/cards/print.pdf")
def print_cards():
    paper = request.args.get("paper", "a4").lower()
    if paper not in PAPERS:
        raise Refused(gettext("Choose A4 or US Letter paper."))
    kind = request.args.get("kind", "")
    if kind and kind not in CARD_KINDS:
        raise Refused(gettext("Choose table cards, personal cards, or all cards."))
    ids = request.args.getlist("card")
    cards = card_service.cards_to_print(current_user.shop, kind or None, ids)
    what = "cards" if ids or not kind else f"{kind}-cards"
    body = printing.cards_pdf(current_user.shop, cards, paper)
    return download(body, "application/pdf", what, "pdf")


@bp.get("/cards/<id:card_id>/card.svg")
def card_svg(card_id: int):
    card = printable(card_id)
    return download(printing.card_svg(current_user.shop, card), "image/svg+xml", card.label, "svg")


@bp.get("/cards/<id:card_id>/card.png")
def card_png(card_id: int):
    card = printable(card_id)
    return download(printing.card_png(current_user.shop, card), "image/png", card.label, "png")


@bp.get("/cards/<id:card_id>/tent.pdf")
def table_tent(card_id: int):
    card = printable(card_id)
    return download(
        printing.table_tent_pdf(current_user.shop, card),
        "application/pdf",
        f"tent {card.label}",
        "pdf",
    )
