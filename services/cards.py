"""Token cards from the owner's side: the shop's cards with their live tabs, revoking
a card and reissuing a lost one.

A card's code is printed on paper, so a code is never reused or changed: reissuing
makes a new card (new code, same label) and retires the old one, whose QR then shows
"this card is no longer in use".
"""

import re
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import select, update

from extensions import db
from models import Shop, Tab, TokenCard
from models.tab import LIVE_TAB_STATUSES
from services import Conflict, NotFound, Refused, parse_id

_NUMBER = re.compile(r"(\d+)")


@dataclass
class CardRow:
    card: TokenCard
    live_tabs: list[Tab] = field(default_factory=list)


def label_key(label: str) -> list:
    """ "Table 2" before "Table 10"."""
    return [int(part) if part.isdigit() else part.lower() for part in _NUMBER.split(label)]


def card_key(card: TokenCard):
    return (card.kind != "table", label_key(card.label), card.id)


def card_rows(shop_id: int) -> tuple[list[CardRow], list[TokenCard]]:
    """The shop's cards in use, each with its live tabs, and the cards out of use."""
    cards = db.session.execute(select(TokenCard).where(TokenCard.shop_id == shop_id)).scalars()
    active, retired = [], []
    for card in sorted(cards, key=card_key):
        (active if card.active else retired).append(card)
    rows = {card.id: CardRow(card) for card in active}
    live = db.session.execute(
        select(Tab)
        .where(
            Tab.shop_id == shop_id,
            Tab.status.in_(LIVE_TAB_STATUSES),
            Tab.card_id.is_not(None),
        )
        .order_by(Tab.opened_at, Tab.id)
    ).scalars()
    for tab in live:
        if tab.card_id in rows:
            rows[tab.card_id].live_tabs.append(tab)
    return list(rows.values()), retired


def cards_to_print(shop: Shop, kind: str | None, ids: list[str]) -> list[TokenCard]:
    """The cards chosen on the print form, or every card in use of `kind` (all kinds
    when empty). Ids of another shop's cards are not found; retired cards refused."""
    query = select(TokenCard).where(TokenCard.shop_id == shop.id)
    if ids:
        wanted = {parse_id(raw) for raw in ids}
        if None in wanted:
            raise NotFound(gettext("No such card."))
        cards = list(db.session.execute(query.where(TokenCard.id.in_(wanted))).scalars())
        if len(cards) != len(wanted):
            raise NotFound(gettext("No such card."))
        retired = [card.label for card in cards if not card.active]
        if retired:
            raise Refused(
                gettext(
                    "%(cards)s: no longer in use, so not printed.", cards=", ".join(sorted(retired))
                )
            )
    else:
        query = query.where(TokenCard.active.is_(True))
        if kind:
            query = query.where(TokenCard.kind == kind)
        cards = list(db.session.execute(query).scalars())
    if not cards:
        raise Refused(gettext("There are no cards to print; make some first."))
    return sorted(cards, key=card_key)


def revoke(card: TokenCard) -> TokenCard:
    """Take a card out of use. A tab already open on it stays with its phone and
    is paid as usual; the card can no longer open new tabs."""
    if not card.active:
        raise Conflict(gettext("%(card)s is already out of use.", card=card.label))
    card.active = False
    db.session.flush()
    return card


def reissue(card: TokenCard) -> TokenCard:
    """A new card with the same label and kind replaces `card`, whose code stops
    working. The card's live tabs move to the new card, so staff still find them under
    the label and a personal card's one-open-tab rule carries over."""
    in_use = db.session.execute(
        select(TokenCard).where(
            TokenCard.shop_id == card.shop_id,
            TokenCard.kind == card.kind,
            TokenCard.label == card.label,
            TokenCard.active.is_(True),
            TokenCard.id != card.id,
        )
    ).scalar_one_or_none()
    if in_use is not None:
        raise Conflict(
            gettext(
                "%(card)s already has a card in use; reissue that one instead.", card=card.label
            )
        )
    new = TokenCard(shop_id=card.shop_id, kind=card.kind, label=card.label)
    db.session.add(new)
    card.active = False
    db.session.flush()
    db.session.execute(
        update(Tab)
        .where(Tab.card_id == card.id, Tab.status.in_(LIVE_TAB_STATUSES))
        .values(card_id=new.id)
        .execution_options(synchronize_session=False)
    )
    # Only a live tab holds its card (closing clears the column).
    db.session.execute(
        update(Tab)
        .where(Tab.open_card_id == card.id)
        .values(open_card_id=new.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    db.session.flush()
    return new
