"""The money that moved: what came into the till and what went back out, per method.

What each figure means (the day page and the README say the same):

- **sales**: the value of what was sold and paid for: each payment's part of the
  bill plus the deposit it used, after comps and discounts, before tips;
- **tips**: given on top of the bill; never a sale;
- **deposits taken**: handed over when a tab opened, held until the tab closes;
- **deposits used**: the part of a deposit that paid a bill (it is then in sales);
- **deposits refunded**: given back: the whole deposit of a tab closed with nothing
  to pay, or the part of a deposit the bill did not need;
- **deposits kept**: the deposit of a no-show or a walk-out, kept against the loss:
  the shop's money, but not a sale;
- **received**, per method: what physically came in, net of what was given back:
  bills paid + tips + deposits taken − deposits refunded.

So, for any stretch of time: received = sales + tips + deposits taken − deposits
used − deposits refunded. A deposit kept moves no money: it was in the till since it
was taken.

Every movement is placed at the moment it happened: a payment when it was recorded,
a deposit when it was taken, its refund, hand-back or keeping when its tab closed.
Payments are summed in SQL; deposits are read per tab (at most one per tab) and
turned into movements by `deposit_movements`, the one place their rule is written.
"""

from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from extensions import db
from models import Payment, Tab
from models.base import as_utc
from models.payment import PAYMENT_METHODS
from models.tab import DEPOSIT_APPLIED, DEPOSIT_HELD, DEPOSIT_KEPT, DEPOSIT_REFUNDED

# A deposit in one of these states was taken (money changed hands).
TAKEN = (DEPOSIT_HELD, DEPOSIT_APPLIED, DEPOSIT_REFUNDED, DEPOSIT_KEPT)
# ...and in one of these its tab's closing moved it on.
SETTLED = (DEPOSIT_APPLIED, DEPOSIT_REFUNDED, DEPOSIT_KEPT)

# The kinds of movement, as the money CSV names them.
PAYMENT = "payment"
DEPOSIT_TAKEN = "deposit_taken"
DEPOSIT_REFUND = "deposit_refunded"
DEPOSIT_HANDED_BACK = "deposit_handed_back"
DEPOSIT_KEEP = "deposit_kept"
KINDS = (PAYMENT, DEPOSIT_TAKEN, DEPOSIT_REFUND, DEPOSIT_HANDED_BACK, DEPOSIT_KEEP)
CASH = "cash"


def deposit_method(tab: Tab) -> str:
    """Cash or card: a deposit confirmed by an online provider was paid by card."""
    return tab.deposit_method if tab.deposit_method in PAYMENT_METHODS else "card"


@dataclass
class Amounts:
    """Sums of money in one currency's minor units; see the module's definitions."""

    payments: int = 0
    bill: int = 0  # handed over for the bill (the deposit used is on top)
    tip: int = 0
    deposit_in: int = 0
    deposit_used: int = 0
    deposit_out: int = 0
    deposit_kept: int = 0

    @property
    def sales(self) -> int:
        return self.bill + self.deposit_used

    @property
    def received(self) -> int:
        return self.bill + self.tip + self.deposit_in - self.deposit_out

    def add(self, other: "Amounts") -> None:
        for name in _AMOUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_AMOUNT_FIELDS = [f.name for f in fields(Amounts)]


@dataclass
class Movement(Amounts):
    """One thing that moved money (or a deposit): a row of the money CSV."""

    at: datetime | None = None
    kind: str = PAYMENT
    method: str = CASH
    currency: str = ""
    tab: Tab | None = None
    payment: Payment | None = None
    by_id: int | None = None
    provider: str = ""


@dataclass
class Takings:
    """A stretch of time's money in the shop's currency, in total and per method.

    Tax per rate (the menu's rates, snapshotted on each line) belongs beside `total`
    as its own rows, computed from the same payments: sales stay tax-inclusive."""

    currency: str
    total: Amounts = field(default_factory=Amounts)
    by_method: dict[str, Amounts] = field(default_factory=dict)
    # Money recorded in a currency the shop no longer uses: shown apart, never added.
    other_currencies: dict[str, Amounts] = field(default_factory=dict)

    def __post_init__(self):
        for method in PAYMENT_METHODS:
            self.by_method.setdefault(method, Amounts())

    def add(self, currency: str, method: str, amounts: Amounts) -> None:
        if currency != self.currency:
            self.other_currencies.setdefault(currency, Amounts()).add(amounts)
            return
        self.by_method.setdefault(method, Amounts()).add(amounts)
        self.total.add(amounts)


def _between(moment, starts: datetime, ends: datetime):
    return and_(moment >= starts, moment < ends)


def takings(shop_id: int, currency: str, starts: datetime, ends: datetime) -> Takings:
    """The money of [starts, ends): payments summed in SQL, deposits per tab."""
    result = Takings(currency)
    rows = db.session.execute(
        select(
            Payment.currency,
            Payment.method,
            func.count(Payment.id),
            func.coalesce(func.sum(Payment.amount), 0),
            func.coalesce(func.sum(Payment.tip), 0),
            func.coalesce(func.sum(Payment.deposit_applied), 0),
        )
        .where(Payment.shop_id == shop_id, _between(Payment.created_at, starts, ends))
        .group_by(Payment.currency, Payment.method)
    ).all()
    for row_currency, method, count, bill, tip, used in rows:
        amounts = Amounts(payments=count, bill=bill, tip=tip, deposit_used=used)
        result.add(row_currency, method, amounts)
    for tab, used in deposit_tabs(shop_id, starts, ends):
        for movement in deposit_movements(tab, used, starts, ends):
            result.add(movement.currency, movement.method, movement)
    return result


def _deposit_used(tab_id):
    return (
        select(func.coalesce(func.sum(Payment.deposit_applied), 0))
        .where(Payment.tab_id == tab_id)
        .scalar_subquery()
    )


def deposit_tabs(shop_id: int, starts: datetime, ends: datetime) -> list[tuple[Tab, int]]:
    """(tab, deposit its payments used) for each tab whose deposit was taken, or
    settled by the tab's closing, in the window."""
    rows = db.session.execute(
        select(Tab, _deposit_used(Tab.id))
        .where(
            Tab.shop_id == shop_id,
            or_(
                and_(
                    Tab.deposit_status.in_(TAKEN),
                    _between(Tab.deposit_taken_at, starts, ends),
                ),
                and_(Tab.deposit_status.in_(SETTLED), _between(Tab.closed_at, starts, ends)),
            ),
        )
        .options(selectinload(Tab.card))
    ).all()
    return [(tab, int(used or 0)) for tab, used in rows]


def left_over(tab: Tab, used: int) -> int:
    """The part of a taken deposit its bills did not use (`used`): what a refund,
    a hand-back or a keeping moves when the tab closes."""
    return max(0, tab.deposit_amount - used)


def deposit_kept(tab: Tab) -> int:
    """What a closed tab's kept deposit came to (its payments loaded)."""
    if tab.deposit_status != DEPOSIT_KEPT:
        return 0
    return left_over(tab, sum(p.deposit_applied for p in tab.payments))


def deposit_movements(tab: Tab, used: int, starts: datetime, ends: datetime) -> list[Movement]:
    """What the tab's deposit did in [starts, ends): taken when staff (or the card
    provider) confirmed it, and refunded, handed back or kept when the tab closed.
    The part used by a bill moves with its payment, not here."""
    moved = []
    common = {"method": deposit_method(tab), "currency": tab.currency, "tab": tab}
    if tab.deposit_status in TAKEN and tab.deposit_taken_at is not None:
        taken_at = as_utc(tab.deposit_taken_at)
        if starts <= taken_at < ends:
            moved.append(
                Movement(
                    at=taken_at,
                    kind=DEPOSIT_TAKEN,
                    deposit_in=tab.deposit_amount,
                    by_id=tab.deposit_taken_by_id,
                    provider="" if tab.deposit_method in PAYMENT_METHODS else tab.deposit_method,
                    **common,
                )
            )
    if tab.deposit_status in SETTLED and tab.closed_at is not None:
        closed_at = as_utc(tab.closed_at)
        left = left_over(tab, used)
        if starts <= closed_at < ends and left:
            if tab.deposit_status == DEPOSIT_KEPT:
                moved.append(Movement(at=closed_at, kind=DEPOSIT_KEEP, deposit_kept=left, **common))
            else:
                # Refunded with the tab closed empty, or, once applied, the part
                # the bill did not need handed back.
                refunded = tab.deposit_status == DEPOSIT_REFUNDED
                kind = DEPOSIT_REFUND if refunded else DEPOSIT_HANDED_BACK
                moved.append(Movement(at=closed_at, kind=kind, deposit_out=left, **common))
    return moved


def movements(shop_id: int, starts: datetime, ends: datetime) -> list[Movement]:
    """Every movement of [starts, ends), in the order it happened: the money CSV."""
    payments = db.session.execute(
        select(Payment)
        .join(Payment.tab)
        .where(Payment.shop_id == shop_id, _between(Payment.created_at, starts, ends))
        .options(contains_eager(Payment.tab).selectinload(Tab.card))
        .order_by(Payment.created_at, Payment.id)
    ).scalars()
    moved = [
        Movement(
            at=as_utc(payment.created_at),
            kind=PAYMENT,
            method=payment.method,
            currency=payment.currency,
            tab=payment.tab,
            payment=payment,
            by_id=payment.staff_id,
            provider="" if payment.staff_id else payment.provider,
            payments=1,
            bill=payment.amount,
            tip=payment.tip,
            deposit_used=payment.deposit_applied,
        )
        for payment in payments
    ]
    for tab, used in deposit_tabs(shop_id, starts, ends):
        moved.extend(deposit_movements(tab, used, starts, ends))
    order = {kind: n for n, kind in enumerate(KINDS)}
    moved.sort(key=lambda m: (m.at, order[m.kind], m.tab.id if m.tab else 0))
    return moved
