"""What the counter screen shows, read in a fixed number of queries however busy
the shop is."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from extensions import db
from models import Tab, TabLine, TokenCard
from models.tab import DEPOSIT_PENDING, LIVE_TAB_STATUSES, QUEUE_LINE_STATUSES, SETTLING


@dataclass
class CounterView:
    queue: list[TabLine]
    waiting_to_pay: list[Tab]
    open_tabs: list[Tab]
    # Tabs whose deposit staff have not taken yet: their orders wait off the queue.
    deposits_to_take: list[Tab]
    # Lines a customer said weren't right, oldest first: remake, comp or discount them.
    needs_attention: list[TabLine] = field(default_factory=list)

    @property
    def waiting_owed(self) -> int:
        return sum(tab.total for tab in self.waiting_to_pay)

    @property
    def open_owed(self) -> int:
        return sum(tab.total for tab in self.open_tabs)


def counter_view(shop_id: int) -> CounterView:
    queue = (
        db.session.execute(
            select(TabLine)
            .join(TabLine.tab)
            .where(
                TabLine.shop_id == shop_id,
                TabLine.status.in_(QUEUE_LINE_STATUSES),
                Tab.status.in_(LIVE_TAB_STATUSES),
                Tab.deposit_status != DEPOSIT_PENDING,
            )
            .options(contains_eager(TabLine.tab).selectinload(Tab.card))
            .order_by(TabLine.ordered_at, TabLine.id)
        )
        .scalars()
        .all()
    )
    live = (
        db.session.execute(
            select(Tab)
            .where(Tab.shop_id == shop_id, Tab.status.in_(LIVE_TAB_STATUSES))
            .options(selectinload(Tab.lines), selectinload(Tab.card))
            .order_by(Tab.opened_at, Tab.id)
        )
        .scalars()
        .all()
    )
    waiting = sorted(
        (t for t in live if t.status == SETTLING), key=lambda t: (t.pay_requested_at, t.id)
    )
    flagged = sorted(
        (line for tab in live for line in tab.lines if line.needs_attention),
        key=lambda line: (line.flagged_at, line.id),
    )
    return CounterView(
        needs_attention=flagged,
        queue=list(queue),
        waiting_to_pay=waiting,
        open_tabs=[t for t in live if t.status != SETTLING],
        deposits_to_take=[t for t in live if t.deposit_status == DEPOSIT_PENDING],
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
