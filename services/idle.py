"""Idle tabs: an open tab with nothing being made and no order for the shop's
`idle_minutes` gets one automatic "still here?" (a push to phones that take them, a
banner on the tab page) and is marked idle on the counter, so staff can check
before it becomes a walk-out.

The sweep runs with the push dispatcher's rounds (services/push_dispatch.py), so
whatever sends push notifications (the web process's thread or `flask push worker`)
also finds idle tabs; the clock is the dispatcher's, which tests step forward.
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update

from extensions import db
from models import Shop, Tab, TabLine
from models.base import as_utc, utcnow
from models.tab import OPEN, ORDERED, PREPARING
from services import push as push_service

# How often a dispatcher looks for idle tabs: the reminder is counted in minutes.
SWEEP_EVERY = timedelta(seconds=30)
BEING_MADE = (ORDERED, PREPARING)


def is_idle(tab: Tab) -> bool:
    """Reminded for sitting idle, and nothing ordered or being made since: the
    counter's marker and the phone's banner."""
    if tab.idle_reminded_at is None or not tab.is_live:
        return False
    since = as_utc(tab.idle_reminded_at)
    return not any(
        line.status in BEING_MADE or as_utc(line.ordered_at) > since for line in tab.lines
    )


def idle_tabs(shop: Shop, now: datetime) -> list[Tab]:
    """The shop's open tabs idle for its `idle_minutes`, not yet reminded."""
    cutoff = now - timedelta(minutes=shop.idle_minutes)
    last_order = (
        select(func.max(TabLine.ordered_at)).where(TabLine.tab_id == Tab.id).scalar_subquery()
    )
    being_made = exists().where(TabLine.tab_id == Tab.id, TabLine.status.in_(BEING_MADE))
    return list(
        db.session.execute(
            select(Tab).where(
                Tab.shop_id == shop.id,
                Tab.status == OPEN,
                Tab.idle_reminded_at.is_(None),
                ~being_made,
                or_(
                    last_order <= cutoff,
                    and_(last_order.is_(None), Tab.opened_at <= cutoff),
                ),
            )
        ).scalars()
    )


def remind(tab: Tab, now: datetime) -> bool:
    """The one "still here?" for this tab; False if another sweep sent it first."""
    result = db.session.execute(
        update(Tab)
        .where(Tab.id == tab.id, Tab.status == OPEN, Tab.idle_reminded_at.is_(None))
        .values(idle_reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(tab)
    push_service.still_here(tab)
    return True


def remind_idle_tabs(now: datetime | None = None) -> int:
    """Remind every idle tab of every shop that asks for it; commits. Returns how
    many tabs were reminded."""
    now = now or utcnow()
    reminded = 0
    shops = db.session.execute(select(Shop).where(Shop.idle_minutes.is_not(None))).scalars()
    for shop in list(shops):
        reminded += sum(remind(tab, now) for tab in idle_tabs(shop, now))
    db.session.commit()
    return reminded


class Sweeper:
    """Runs `remind_idle_tabs` at most every SWEEP_EVERY on a dispatcher's clock."""

    def __init__(self, clock=utcnow):
        self.clock = clock
        self.last: datetime | None = None

    def __call__(self) -> int:
        now = self.clock()
        if self.last is not None and now - self.last < SWEEP_EVERY:
            return 0
        self.last = now
        try:
            return remind_idle_tabs(now)
        except Exception:
            db.session.rollback()
            raise
