"""Changing a tab's row: the rules every operation on a tab shares.

Every change to a tab first takes the tab's row with a conditional UPDATE
(`touch_tab`). That one statement both checks the tab is still in a state that
allows the change and, on PostgreSQL, locks the row until commit, so a payment and
a late order on the same tab are serialised and the amount paid is always the
amount owed.

Closing lives here too, with the deposit rules closing applies (`close_as_paid`,
`settle_deposit_on_void`), because ordering, paying and adjusting lines all close
tabs: `services.tabs`, `services.payments` and `services.adjustments` use this
module and none of them imports another for it.
"""

from flask_babel import gettext
from sqlalchemy import update

from extensions import db
from models import Tab, TabMember
from models.base import utcnow
from models.tab import (
    DEPOSIT_APPLIED,
    DEPOSIT_HELD,
    DEPOSIT_KEPT,
    DEPOSIT_PENDING,
    DEPOSIT_REFUNDED,
    DEPOSIT_WAIVED,
    LIVE_TAB_STATUSES,
    OPEN,
    PAID,
    SETTLING,
)
from services import Conflict, Refused, stamps
from services import push as push_service
from services.text import one_line_within

MAX_REASON = 200

# What staff choose for a deposit taken on a tab they void.
REFUND = "refund"
KEEP = "keep"


def touch_tab(tab: Tab, allowed=LIVE_TAB_STATUSES, **values) -> None:
    """Take the tab's row (and set `values`) if its status is one of `allowed`;
    otherwise say why it can't change."""
    taken = db.session.execute(
        update(Tab)
        .where(Tab.id == tab.id, Tab.status.in_(allowed))
        # SET version = version when there is nothing else to set: any UPDATE of a
        # tab moves its version (the database's triggers, live/__init__.py).
        .values(version=Tab.version, **values)
        # The row as it now stands comes back with the UPDATE, onto `tab` itself.
        .returning(Tab)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).all()
    if len(taken) != 1:
        db.session.refresh(tab)
        raise Conflict(closed_message(tab))
    # The row is ours until commit, so its collections, read again on first use, are
    # as they now stand (an order that never looks at the lines does not load them).
    # SQLite moves the version after the statement (an AFTER trigger), so RETURNING
    # does not have it.
    db.session.expire(tab, ["version", "lines", "payments", "members"])


def close_tab(tab: Tab, status: str, **values) -> None:
    """Move a live tab to a final status, its lines reloaded as they now stand.

    Clearing the holder columns frees the personal card and the phones (the owner's
    and its friends') for their next tab (they back the one-live-tab unique
    constraints on Tab and TabMember)."""
    values.setdefault("closed_at", utcnow())
    touch_tab(
        tab,
        status=status,
        open_card_id=None,
        open_phone_id=None,
        invite_token=None,
        invite_expires_at=None,
        **values,
    )
    db.session.execute(
        update(TabMember)
        .where(TabMember.tab_id == tab.id)
        .values(live_phone_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(tab, ["lines"])


def close_as_paid(tab: Tab, now) -> None:
    """Nothing is left to pay (the last payment covered it, or a comp took off the
    rest): the tab is paid, a deposit held is counted as used and one never taken is
    waived, and the customer's phone is told."""
    deposit = {DEPOSIT_HELD: DEPOSIT_APPLIED, DEPOSIT_PENDING: DEPOSIT_WAIVED}
    close_tab(
        tab,
        PAID,
        closed_at=now,
        deposit_status=deposit.get(tab.deposit_status, tab.deposit_status),
    )
    stamps.tab_paid(tab)
    push_service.payment_recorded(tab)


def settle_deposit_on_void(tab: Tab, action: str | None, reason: str) -> dict:
    """Columns for a tab being voided: a deposit taken is refunded, or kept for a
    no-show with a reason; one never taken is waived."""
    if tab.deposit_status == DEPOSIT_PENDING:
        return {"deposit_status": DEPOSIT_WAIVED}
    if tab.deposit_status != DEPOSIT_HELD:
        return {}
    reason = one_line_within(reason, MAX_REASON, "The reason")
    if action == REFUND:
        return {"deposit_status": DEPOSIT_REFUNDED, "deposit_reason": reason}
    if action == KEEP:
        if not reason:
            raise Refused("Say why the deposit is kept (for example: did not show up).")
        return {"deposit_status": DEPOSIT_KEPT, "deposit_reason": reason}
    raise Refused("This tab holds a deposit: refund it or keep it (with a reason).")


def closed_message(tab: Tab) -> str:
    """Why a tab refuses a change: what its status means to the person asking."""
    return {
        PAID: gettext("This tab is already paid."),
        SETTLING: gettext(
            "You've asked to pay, so this tab is waiting for payment. "
            "Tap “I want to order more” on your tab to add to it."
        ),
        OPEN: gettext("This tab is still open."),
    }.get(tab.status, gettext("This tab is closed."))
