"""A tab and its lines: the aggregate every customer and staff action works on.

Status rules live here as plain data so the services, the pages and the tests
read the same truth.
"""

import base64
import hashlib
from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import (
    JSON,
    CheckConstraint,
    FetchedValue,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import as_utc, db, new_code, utcnow
from models.card import TokenCard
from models.shop import Shop
from models.tax import TaxSummary, lines_tax


# What a tab is called on the counter's tickets and boards, from its columns alone:
# the board reads them as small rows (services.counter.queue), not as Tab objects.
def display_name(customer_name: str, card_label: str | None, public_id: str) -> str:
    if customer_name:
        return customer_name
    if card_label is not None:
        return card_label
    return f"Tab {public_id[:4].upper()}"


def where(card_label: str | None) -> str:
    """Where to find the customer: the card's label, or the counter for walk-ins."""
    return card_label if card_label is not None else "Counter"


def reference(public_id: str) -> str:
    """A short code people can read out at the counter: letters and digits 2-7 only,
    so no 0/O or 1/I mix-ups and no punctuation from the URL-safe id."""
    digest = hashlib.sha256(public_id.encode()).digest()
    return base64.b32encode(digest)[:6].decode()


OPEN = "open"
SETTLING = "settling"
PAID = "paid"
VOID = "void"
WALKED_OUT = "walked_out"
TAB_STATUSES = (OPEN, SETTLING, PAID, VOID, WALKED_OUT)
LIVE_TAB_STATUSES = (OPEN, SETTLING)

TAB_TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({SETTLING, PAID, VOID, WALKED_OUT}),
    SETTLING: frozenset({OPEN, PAID, VOID, WALKED_OUT}),
    PAID: frozenset(),
    VOID: frozenset(),
    WALKED_OUT: frozenset(),
}

ORDERED = "ordered"
PREPARING = "preparing"
READY = "ready"
SERVED = "served"
LINE_VOID = "void"
LINE_FLOW = (ORDERED, PREPARING, READY, SERVED)
LINE_STATUSES = (*LINE_FLOW, LINE_VOID)
# The queue: what the counter still has to make or hand over.
QUEUE_LINE_STATUSES = (ORDERED, PREPARING, READY)

MAX_QUANTITY = 99

# What staff did to a line's price, and how they resolved a flagged line.
ADJUST_NONE = "none"
COMP = "comp"
DISCOUNT = "discount"
REMAKE = "remake"
ADJUSTMENTS = (ADJUST_NONE, COMP, DISCOUNT)
RESOLUTIONS = (REMAKE, COMP, DISCOUNT)

# A deposit's life: none (the shop takes none) → pending (asked for, not yet taken)
# → held (staff or the card provider took it) → applied (deducted from the bill),
# refunded or kept (a no-show, with a reason) when the tab closes. A deposit never
# taken is waived when the tab closes.
DEPOSIT_NONE = "none"
DEPOSIT_PENDING = "pending"
DEPOSIT_HELD = "held"
DEPOSIT_APPLIED = "applied"
DEPOSIT_REFUNDED = "refunded"
DEPOSIT_KEPT = "kept"
DEPOSIT_WAIVED = "waived"
DEPOSIT_STATUSES = (
    DEPOSIT_NONE,
    DEPOSIT_PENDING,
    DEPOSIT_HELD,
    DEPOSIT_APPLIED,
    DEPOSIT_REFUNDED,
    DEPOSIT_KEPT,
    DEPOSIT_WAIVED,
)


def can_move_tab(current: str, new: str) -> bool:
    return new in TAB_TRANSITIONS.get(current, frozenset())


def can_move_line(current: str, new: str) -> bool:
    """Lines only move forward (a tap may skip a step); any live line may be voided."""
    if current == LINE_VOID:
        return False
    if new == LINE_VOID:
        return True
    if current not in LINE_FLOW or new not in LINE_FLOW:
        return False
    return LINE_FLOW.index(new) > LINE_FLOW.index(current)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Tab(db.Model):
    __tablename__ = "tabs"
    __table_args__ = (
        CheckConstraint(_in("status", TAB_STATUSES), name="status"),
        # One open tab per personal card and per phone in a shop, enforced by the
        # database so two simultaneous taps cannot both open one. The columns hold
        # the card / phone only while the tab is live and are cleared when it closes
        # (NULLs never collide, on SQLite and PostgreSQL alike).
        UniqueConstraint("open_card_id"),
        UniqueConstraint("shop_id", "open_phone_id"),
        Index("ix_tabs_shop_id_status", "shop_id", "status"),
        # The owner's regulars (services.trust.regulars): the phones of a window of
        # closed tabs, read from the index alone (each phone's history then comes
        # through ix_tabs_phone_id).
        Index(
            "ix_tabs_shop_id_closed_at_phone_id_status",
            "shop_id",
            "closed_at",
            "phone_id",
            "status",
        ),
        CheckConstraint(_in("deposit_status", DEPOSIT_STATUSES), name="deposit_status"),
        CheckConstraint("deposit_amount >= 0", name="deposit_not_negative"),
        CheckConstraint("split_ways IS NULL OR split_ways >= 2", name="split_ways"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    public_id: Mapped[str] = mapped_column(String(43), unique=True, default=new_code)
    card_id: Mapped[int | None] = mapped_column(
        ForeignKey("token_cards.id", ondelete="SET NULL"), index=True
    )
    phone_id: Mapped[str | None] = mapped_column(String(43), index=True)
    customer_name: Mapped[str] = mapped_column(String(40), default="")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default=OPEN)
    # Moved by the database on every change to the tab or a row that belongs to it
    # (migration e3a7c2b9d150; live/__init__.py): what the tab's ETags are built from.
    version: Mapped[int] = mapped_column(default=1, server_onupdate=FetchedValue())
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    pay_requested_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str] = mapped_column(Text, default="")
    opened_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    open_card_id: Mapped[int | None] = mapped_column(
        ForeignKey("token_cards.id", ondelete="SET NULL")
    )
    open_phone_id: Mapped[str | None] = mapped_column(String(43))
    # The deposit asked for when the tab opened (a snapshot of the shop's setting).
    deposit_amount: Mapped[int] = mapped_column(default=0)
    deposit_status: Mapped[str] = mapped_column(String(10), default=DEPOSIT_NONE)
    deposit_method: Mapped[str | None] = mapped_column(String(20))
    deposit_taken_at: Mapped[datetime | None]
    deposit_taken_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    deposit_reason: Mapped[str] = mapped_column(Text, default="")
    # Set by the first equal share paid: from then on the tab is split this many ways.
    split_ways: Mapped[int | None]
    # "Join my tab": one live invitation at a time; a bearer secret with an expiry.
    invite_token: Mapped[str | None] = mapped_column(String(43), unique=True)
    invite_expires_at: Mapped[datetime | None]
    # The last "please come and pay" from staff: shown on the phone's tab page as a
    # banner, whether or not the phone takes push notifications.
    remind_requested_at: Mapped[datetime | None]
    # How much this tab may run up unpaid (minor units), set from the phone's or
    # card's standing when it opened (services/trust.py); None: no limit. Staff may
    # raise it: by how much in all, and when last.
    tab_limit: Mapped[int | None]
    limit_raised_by: Mapped[int] = mapped_column(default=0, server_default="0")
    limit_raised_at: Mapped[datetime | None]
    # The one automatic "still here?" sent when the tab sat idle (services/idle.py).
    idle_reminded_at: Mapped[datetime | None]

    shop: Mapped[Shop] = relationship()
    card: Mapped[TokenCard | None] = relationship(foreign_keys=[card_id])
    lines: Mapped[list["TabLine"]] = relationship(
        back_populates="tab", order_by="TabLine.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list["Payment"]] = relationship(  # noqa: F821
        back_populates="tab", order_by="Payment.id", cascade="all, delete-orphan"
    )
    members: Mapped[list["TabMember"]] = relationship(
        back_populates="tab", order_by="TabMember.id", cascade="all, delete-orphan"
    )

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_TAB_STATUSES

    @property
    def billable_lines(self) -> list["TabLine"]:
        return [line for line in self.lines if line.status != LINE_VOID]

    @property
    def tax(self) -> TaxSummary:
        """Net, tax and gross per rate of the live lines (services.tax)."""
        return lines_tax(self.lines)

    @property
    def total(self) -> int:
        """What the tab costs, in minor units, tax included: its live lines' snapshots,
        plus the tax when the shop's prices exclude it. Every amount due, split share,
        card checkout and "still owed" is worked out from this one figure."""
        return self.tax.gross

    @property
    def deposit_credit(self) -> int:
        """The deposit taken and not yet used: it comes off the owner's part of the bill."""
        return self.deposit_amount if self.deposit_status == DEPOSIT_HELD else 0

    @property
    def deposit_pending(self) -> bool:
        return self.deposit_status == DEPOSIT_PENDING

    @property
    def deposit_left(self) -> int:
        """The deposit taken and not yet deducted from a payment."""
        if self.deposit_status != DEPOSIT_HELD:
            return 0
        return max(0, self.deposit_amount - sum(p.deposit_applied for p in self.payments))

    @property
    def deposit_returned(self) -> int:
        """Deposit beyond what the bill used: handed back when the tab was paid."""
        if self.deposit_status != DEPOSIT_APPLIED:
            return 0
        return max(0, self.deposit_amount - sum(p.deposit_applied for p in self.payments))

    @property
    def owed(self) -> int:
        """What the bill still wants covered: its total less what payments covered."""
        return max(0, self.total - sum(p.amount + p.deposit_applied for p in self.payments))

    @property
    def due(self) -> int:
        """What is left to hand over for the whole tab, once the deposit comes off."""
        return max(0, self.owed - self.deposit_left)

    @property
    def part_paid(self) -> bool:
        return bool(self.payments) and self.is_live

    @property
    def phone_ids(self) -> list[str]:
        """Every phone on the tab: the owner first, then friends in the order they joined."""
        phones = [self.phone_id] if self.phone_id else []
        return phones + [m.phone_id for m in self.members if m.phone_id not in phones]

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.billable_lines)

    @property
    def display_name(self) -> str:
        return display_name(
            self.customer_name, self.card.label if self.card else None, self.public_id
        )

    @property
    def where(self) -> str:
        """Where to find the customer: the card's label, or the counter for walk-ins."""
        return where(self.card.label if self.card is not None else None)

    def past_closing(self, now: datetime | None = None) -> bool:
        """Still live after the shop closed on the day the tab opened (shop's time)."""
        return self.is_live and self.shop.closed_since(as_utc(self.opened_at), now)

    @property
    def reference(self) -> str:
        return reference(self.public_id)


class TabLine(db.Model):
    __tablename__ = "tab_lines"
    __table_args__ = (
        CheckConstraint(_in("status", LINE_STATUSES), name="status"),
        CheckConstraint(f"quantity >= 1 AND quantity <= {MAX_QUANTITY}", name="quantity"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        # A comp or discount takes money off the line, never more than the line.
        CheckConstraint(
            "discount >= 0 AND discount <= unit_price * quantity", name="discount_within_line"
        ),
        CheckConstraint(_in("adjustment", ADJUSTMENTS), name="adjustment"),
        CheckConstraint(
            f"resolution IS NULL OR {_in('resolution', RESOLUTIONS)}", name="resolution"
        ),
        # A double-tapped "Add" carries the same key twice; only one line results.
        UniqueConstraint("tab_id", "request_key"),
        Index("ix_tab_lines_shop_id_status", "shop_id", "status"),
        # An item's recent lines: the popular combinations of its options.
        Index("ix_tab_lines_menu_item_id_ordered_at", "menu_item_id", "ordered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    tab_id: Mapped[int] = mapped_column(ForeignKey("tabs.id", ondelete="CASCADE"), index=True)
    menu_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("menu_items.id", ondelete="SET NULL")
    )
    # Snapshots taken when ordered: a later menu change never rewrites a bill.
    # The item's name with its options ("Latte (Large, Oat milk)"), so every page and
    # message that names a line names what was chosen.
    name: Mapped[str] = mapped_column(String(120))
    # The item's price plus its options' prices.
    unit_price: Mapped[int]
    quantity: Mapped[int] = mapped_column(default=1)
    # The options chosen, as ordered: [{"group", "choice", "choice_id", "price"}, ...].
    options: Mapped[list | None] = mapped_column(JSON)
    # The tax rate (thousandths of a percent) and whether the price included it, as
    # they stood when ordered (services.tax).
    tax_rate: Mapped[int] = mapped_column(default=0, server_default="0")
    tax_included: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    note: Mapped[str] = mapped_column(String(140), default="")
    status: Mapped[str] = mapped_column(String(12), default=ORDERED)
    void_reason: Mapped[str] = mapped_column(String(200), default="")
    request_key: Mapped[str | None] = mapped_column(String(64))
    ordered_at: Mapped[datetime] = mapped_column(default=utcnow)
    preparing_at: Mapped[datetime | None]
    ready_at: Mapped[datetime | None]
    served_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    # The phone that ordered it (None: added at the counter, which counts as the owner's).
    phone_id: Mapped[str | None] = mapped_column(String(43))
    # The payment that covered this line when phones pay for their own lines.
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id", ondelete="SET NULL"), index=True
    )
    voided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    # Money staff took off the line (a comp is the whole line), with who and why.
    discount: Mapped[int] = mapped_column(default=0)
    adjustment: Mapped[str] = mapped_column(String(10), default=ADJUST_NONE)
    adjustment_reason: Mapped[str] = mapped_column(String(200), default="")
    adjusted_at: Mapped[datetime | None]
    adjusted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )
    # "Something wasn't right": a phone on the tab flagged the line; staff resolve it
    # by remaking, comping or discounting it.
    flagged_at: Mapped[datetime | None]
    flag_note: Mapped[str] = mapped_column(String(200), default="")
    flag_phone_id: Mapped[str | None] = mapped_column(String(43))
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(10))
    resolution_reason: Mapped[str] = mapped_column(String(200), default="")
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL")
    )

    tab: Mapped[Tab] = relationship(back_populates="lines")

    @property
    def gross(self) -> int:
        """The line at its snapshotted price, before any comp or discount."""
        return self.unit_price * self.quantity

    @property
    def line_total(self) -> int:
        # `or 0`: a line not yet flushed has no column default applied.
        return self.gross - (self.discount or 0)

    @property
    def needs_attention(self) -> bool:
        return self.flagged_at is not None and self.resolved_at is None

    @property
    def next_statuses(self) -> list[str]:
        return [s for s in LINE_FLOW if can_move_line(self.status, s)]


class TabMember(db.Model):
    """A friend's phone that joined the tab through the owner's invitation."""

    __tablename__ = "tab_members"
    __table_args__ = (
        UniqueConstraint("tab_id", "phone_id"),
        # With Tab.open_phone_id: one live tab per phone in a shop, as owner or friend.
        UniqueConstraint("shop_id", "live_phone_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    tab_id: Mapped[int] = mapped_column(ForeignKey("tabs.id", ondelete="CASCADE"), index=True)
    phone_id: Mapped[str] = mapped_column(String(43))
    # Set while the tab is live, cleared when it closes (like Tab.open_phone_id).
    live_phone_id: Mapped[str | None] = mapped_column(String(43))
    name: Mapped[str] = mapped_column(String(40), default="")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    tab: Mapped[Tab] = relationship(back_populates="members")


# What staff read for each tab status.
TAB_LABELS = {
    OPEN: lazy_gettext("Open"),
    SETTLING: lazy_gettext("Waiting to pay"),
    PAID: lazy_gettext("Paid"),
    VOID: lazy_gettext("Closed"),
    WALKED_OUT: lazy_gettext("Walked out"),
}

# What a customer reads for each line status.
DEPOSIT_LABELS = {
    DEPOSIT_NONE: lazy_gettext("No deposit"),
    DEPOSIT_PENDING: lazy_gettext("Deposit to take"),
    DEPOSIT_HELD: lazy_gettext("Deposit taken"),
    DEPOSIT_APPLIED: lazy_gettext("Deposit deducted"),
    DEPOSIT_REFUNDED: lazy_gettext("Deposit refunded"),
    DEPOSIT_KEPT: lazy_gettext("Deposit kept"),
    DEPOSIT_WAIVED: lazy_gettext("Deposit not taken"),
}

LINE_LABELS = {
    ORDERED: lazy_gettext("Ordered"),
    PREPARING: lazy_gettext("Preparing"),
    READY: lazy_gettext("Ready"),
    SERVED: lazy_gettext("Served"),
    LINE_VOID: lazy_gettext("Removed"),
}
