"""The stamp card: every `loyalty_every` paid items of the shop's chosen categories
earn one free item of those categories (9 coffees → the 10th free).

Stamps are earned when a tab is paid in full (never on a walk-out, never for a comped
item) and belong to the tab's phone and, when the tab was on a personal card, to the
card: no sign-up. The customer spends a card's worth by tapping "Use my free …" on an
eligible line of their bill; the line is comped with the reason "loyalty", through the
same columns, audit entry and day's figures as a comp staff give.

A free item taken back gives its stamps back: when the line it was used on is voided,
or staff replace its loyalty comp with a comp or discount of their own, the ledger
gets a "returned" row worth exactly what was spent (even if the shop has since changed
how many stamps a card takes), once (`reverses_id` is unique), with an audit entry.
A free item that was handed over stays spent however the tab ends: paid, closed with
nothing owed, or walked out (a walk-out does not hand back what was given on it).

Stamps earned are final: they are earned only when a tab is paid, and a paid tab
never changes again (no void, no refund of a paid tab exists). A refund of a paid
tab, if one is ever built, must reverse its "earned" rows the same way.
"""

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from extensions import db
from models import LoyaltyStamp, MenuItem, Shop, StaffMember, Tab, TabLine
from models.audit import STAMPS_RETURNED
from models.tab import ADJUST_NONE, COMP, LINE_VOID
from models.trust import EARNED, REDEEMED, RETURNED
from services import audit

LOYALTY = "loyalty"


def categories(shop: Shop) -> set[str]:
    if not shop.loyalty_every:
        return set()
    return {name for name in shop.loyalty_categories.split("\n") if name}


def holder(tab: Tab) -> tuple[str | None, int | None]:
    card_id = tab.card_id if tab.card is not None and tab.card.is_personal else None
    return tab.phone_id, card_id


def balance(shop_id: int, phone_id: str | None, card_id: int | None) -> int:
    """Stamps held by the phone or the card (a row naming both counts once)."""
    holders = []
    if phone_id:
        holders.append(LoyaltyStamp.phone_id == phone_id)
    if card_id:
        holders.append(LoyaltyStamp.card_id == card_id)
    if not holders:
        return 0
    total = db.session.execute(
        select(func.coalesce(func.sum(LoyaltyStamp.stamps), 0)).where(
            LoyaltyStamp.shop_id == shop_id, or_(*holders)
        )
    ).scalar_one()
    return int(total)


def eligible_lines(tab: Tab) -> list[TabLine]:
    """The tab's lines of the stamp card's categories, in one query."""
    names = categories(tab.shop)
    if not names:
        return []
    ids = {line.menu_item_id for line in tab.billable_lines if line.menu_item_id}
    if not ids:
        return []
    counted = set(
        db.session.execute(
            select(MenuItem.id).where(
                MenuItem.shop_id == tab.shop_id, MenuItem.id.in_(ids), MenuItem.category.in_(names)
            )
        ).scalars()
    )
    return [line for line in tab.billable_lines if line.menu_item_id in counted]


def paid_units(line: TabLine) -> int:
    """How many of the line were paid for: a comp takes off whole items."""
    if line.adjustment != COMP:
        return line.quantity
    return (line.gross - line.discount) // line.unit_price if line.unit_price else 0


def tab_paid(tab: Tab) -> int:
    """The tab was paid in full: its phone and card earn a stamp per paid item of the
    card's categories. Returns the stamps earned."""
    phone_id, card_id = holder(tab)
    if not (phone_id or card_id) or not tab.shop.loyalty_every:
        return 0
    earned = sum(paid_units(line) for line in eligible_lines(tab))
    if earned:
        db.session.add(
            LoyaltyStamp(
                shop_id=tab.shop_id,
                phone_id=phone_id,
                card_id=card_id,
                tab_id=tab.id,
                kind=EARNED,
                stamps=earned,
            )
        )
        db.session.flush()
    return earned


@dataclass(frozen=True)
class StampCard:
    every: int
    stamps: int  # held now
    earned_here: int  # on this tab (shown on its receipt)
    free_lines: list[TabLine]  # lines the customer may have free now

    @property
    def free_items(self) -> int:
        return self.stamps // self.every

    @property
    def toward_next(self) -> int:
        return self.stamps % self.every


def stamp_card(tab: Tab, phone_id: str | None) -> StampCard | None:
    """What the bill and receipt show the tab's own phone; None when the shop has no
    stamp card or the phone is not the tab's."""
    every = tab.shop.loyalty_every
    holder_phone, card_id = holder(tab)
    if not every or phone_id is None or phone_id != holder_phone:
        return None
    stamps = balance(tab.shop_id, holder_phone, card_id)
    earned_here = db.session.execute(
        select(func.coalesce(func.sum(LoyaltyStamp.stamps), 0)).where(
            LoyaltyStamp.tab_id == tab.id, LoyaltyStamp.kind == EARNED
        )
    ).scalar_one()
    free = []
    if tab.is_live and stamps >= every:
        free = [line for line in eligible_lines(tab) if can_be_free(line)]
    return StampCard(every, stamps, int(earned_here), free)


def can_be_free(line: TabLine) -> bool:
    return (
        line.status != LINE_VOID
        and line.payment_id is None
        and line.adjustment == ADJUST_NONE
        and line.unit_price > 0
    )


def give_back(line: TabLine, staff: StaffMember | None, why: str) -> int:
    """The free item on `line` was taken back (`why`): the stamps its redemption spent
    return to the same phone and card, once. Returns the stamps given back."""
    returned = aliased(LoyaltyStamp)
    spent = list(
        db.session.execute(
            select(LoyaltyStamp)
            .outerjoin(returned, returned.reverses_id == LoyaltyStamp.id)
            .where(
                LoyaltyStamp.shop_id == line.shop_id,
                LoyaltyStamp.tab_id == line.tab_id,
                LoyaltyStamp.line_id == line.id,
                LoyaltyStamp.kind == REDEEMED,
                returned.id.is_(None),
            )
            .order_by(LoyaltyStamp.id)
        ).scalars()
    )
    given = 0
    for row in spent:
        db.session.add(
            LoyaltyStamp(
                shop_id=row.shop_id,
                phone_id=row.phone_id,
                card_id=row.card_id,
                tab_id=row.tab_id,
                line_id=row.line_id,
                kind=RETURNED,
                stamps=-row.stamps,
                reverses_id=row.id,
            )
        )
        given += -row.stamps
    if given:
        db.session.flush()
        audit.record(
            STAMPS_RETURNED,
            shop_id=line.shop_id,
            staff=staff,
            line=line,
            amount=0,
            reason=why,
            item=f"{line.quantity} × {line.name}",
            stamps=given,
        )
    return given
