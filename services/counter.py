"""What the counter screen shows, read in a fixed number of queries however busy
the shop is.

A busy counter lists every live tab, and is redrawn whenever anything in the shop
changes. So the live tabs are first read as small rows (id, version, times): the
page keeps each tab's drawn row per version (blueprints/counter_rows.py) and loads
only the tabs whose row it must draw again."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from extensions import db
from models import Tab, TabLine, TokenCard
from models.tab import DEPOSIT_PENDING, LIVE_TAB_STATUSES, QUEUE_LINE_STATUSES, SETTLING
from services.tickets import Board, QueueLine, board, queue_lines


@dataclass(frozen=True)
class LiveTab:
    """A live tab as the counter first reads it: enough to know whether its row
    changed since it was last drawn."""

    id: int
    version: int
    status: str
    deposit_status: str
    opened_at: datetime
    pay_requested_at: datetime | None

    @property
    def waiting_to_pay(self) -> bool:
        return self.status == SETTLING

    @property
    def deposit_pending(self) -> bool:
        return self.deposit_status == DEPOSIT_PENDING


@dataclass
class CounterView:
    # The queue as tickets (services/tickets.py), every station's lines.
    board: Board
    # Oldest pay request first, then every other live tab, oldest first.
    waiting_to_pay: list[LiveTab]
    open_tabs: list[LiveTab]
    # Tabs whose deposit staff have not taken yet: their orders wait off the queue.
    deposits_to_take: list[Tab]
    # Lines a customer said weren't right, oldest first: remake, comp or discount them.
    needs_attention: list[TabLine]


def counter_view(shop_id: int) -> CounterView:
    live = live_tabs(shop_id)
    waiting = sorted(
        (tab for tab in live if tab.waiting_to_pay), key=lambda t: (t.pay_requested_at, t.id)
    )
    pending = [tab.id for tab in live if tab.deposit_pending]
    return CounterView(
        board=board(shop_id, queue(shop_id)),
        waiting_to_pay=waiting,
        open_tabs=[tab for tab in live if not tab.waiting_to_pay],
        deposits_to_take=list(tabs_with_lines(shop_id, pending).values()),
        needs_attention=needs_attention(shop_id),
    )


def live_tabs(shop_id: int) -> list[LiveTab]:
    rows = db.session.execute(
        select(
            Tab.id,
            Tab.version,
            Tab.status,
            Tab.deposit_status,
            Tab.opened_at,
            Tab.pay_requested_at,
        )
        .where(Tab.shop_id == shop_id, Tab.status.in_(LIVE_TAB_STATUSES))
        .order_by(Tab.opened_at, Tab.id)
    )
    return [LiveTab(*row) for row in rows]


def tabs_with_lines(shop_id: int, tab_ids: list[int]) -> dict[int, Tab]:
    """The shop's tabs by id, with what their rows show (lines, card), in one go."""
    if not tab_ids:
        return {}
    tabs = db.session.execute(
        select(Tab)
        .where(Tab.shop_id == shop_id, Tab.id.in_(tab_ids))
        .options(selectinload(Tab.lines), selectinload(Tab.card))
        .order_by(Tab.opened_at, Tab.id)
    ).scalars()
    return {tab.id: tab for tab in tabs}


def queue(shop_id: int, statuses=QUEUE_LINE_STATUSES) -> list[QueueLine]:
    """The lines to make and to hand over, as small rows; a tab whose deposit staff
    have not taken yet keeps its orders off the queue."""
    return queue_lines(shop_id, statuses, Tab.deposit_status != DEPOSIT_PENDING)


def needs_attention(shop_id: int) -> list[TabLine]:
    # Scoped by the tab's shop, not the line's: from the shop's live tabs to their
    # lines, both steps are on an index, however many lines the shop's history holds.
    return _lines_of_live_tabs(
        Tab.shop_id == shop_id,
        TabLine.flagged_at.is_not(None),
        TabLine.resolved_at.is_(None),
        order_by=(TabLine.flagged_at, TabLine.id),
    )


def _lines_of_live_tabs(*criteria, order_by) -> list[TabLine]:
    """Lines of live tabs, each with its tab and the tab's card, as the counter shows them."""
    return list(
        db.session.execute(
            select(TabLine)
            .join(TabLine.tab)
            .where(Tab.status.in_(LIVE_TAB_STATUSES), *criteria)
            .options(contains_eager(TabLine.tab).selectinload(Tab.card))
            .order_by(*order_by)
        ).scalars()
    )


def personal_cards(shop_id: int) -> list[tuple[TokenCard, Tab | None]]:
    cards = db.session.execute(
        select(TokenCard)
        .where(TokenCard.shop_id == shop_id, TokenCard.active.is_(True))
        .order_by(TokenCard.kind, TokenCard.id)
    ).scalars()
    live = {
        tab.open_card_id: tab
        for tab in db.session.execute(
            # open_card_id is only ever set on a live tab; saying so lets the
            # (shop_id, status) index find them instead of every shop's card tabs.
            select(Tab).where(
                Tab.shop_id == shop_id,
                Tab.status.in_(LIVE_TAB_STATUSES),
                Tab.open_card_id.is_not(None),
            )
        ).scalars()
    }
    return [(card, live.get(card.id)) for card in cards]
