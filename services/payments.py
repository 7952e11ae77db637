"""Paying afterwards: tips, the deposit, sharing a tab and splitting its bill.

The arithmetic at the top is plain functions on integers of minor units, so it is
tested on its own. The operations below follow `services.tabs`: each takes the tab's
row first (`touch_tab`, a conditional UPDATE that locks it on PostgreSQL), then
reads what is already paid, so two phones paying parts at once are serialised and
together never cover more than the bill.

What one payment covers (its `share`):
- `all`: everything still owed on the tab; the tab closes.
- `phone`: the lines one phone ordered and nobody has paid yet (lines added at the
  counter count as the owner's).
- `equal`: one of N equal parts of the bill, N being the phones on the tab when the
  first equal part is paid; the split is then fixed (`Tab.split_ways`) and the tab
  takes no more orders. Remainder minor units go to the first parts.
The tab closes (paid) as soon as its payments cover the bill.

The deposit, once taken, comes off the owner's part (the owner paid it): the whole
bill, the owner's lines or the first equal part. If it is more than that part, the
rest is handed back when the tab closes.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Payment, PayRequest, Shop, StaffMember, Tab, TabLine, TabMember
from models.base import new_code, utcnow
from models.payment import COUNTER, PAYMENT_METHODS, SHARE_ALL, SHARE_EQUAL, SHARE_PHONE
from models.tab import (
    DEPOSIT_HELD,
    DEPOSIT_PENDING,
    LIVE_TAB_STATUSES,
    OPEN,
    SETTLING,
)
from models.tax import lines_tax
from money import MAX_AMOUNT, format_money
from services import Conflict, NotFound, Refused, audit
from services.tab_state import close_as_paid, closed_message, touch_tab
from services.tabs import MAX_NAME, live_tab_for_phone
from services.text import one_line_within

MAX_TIP_PERCENT = 100
MAX_TIP_PRESETS = 4
INVITE_LIFETIME = timedelta(hours=2)

# -- arithmetic (pure) -------------------------------------------------------------


def tip_for_percent(amount: int, percent: int) -> int:
    """`percent` of `amount`, rounded half up to the minor unit (integers only)."""
    if amount < 0 or not 0 <= percent <= MAX_TIP_PERCENT:
        raise ValueError("amount must be >= 0 and percent 0-100")
    return (amount * percent + 50) // 100


def equal_shares(total: int, ways: int) -> list[int]:
    """`total` in `ways` parts that add up to it exactly; the first parts carry the
    remainder, one minor unit each."""
    if ways < 1 or total < 0:
        raise ValueError("ways must be >= 1 and total >= 0")
    base, rest = divmod(total, ways)
    return [base + 1 if i < rest else base for i in range(ways)]


def apply_deposit(part: int, credit: int) -> tuple[int, int]:
    """(what is still to pay, deposit used) when `credit` comes off `part`."""
    used = max(0, min(part, credit))
    return part - used, used


def check_tip(tip: int, bill: int, currency: str, locale: str = "en") -> int:
    """A tip is refused if negative, over the whole part being paid, or absurd."""
    if tip < 0:
        raise Refused(gettext("A tip cannot be negative."))
    if tip > MAX_AMOUNT:
        raise Refused(gettext("That tip is too large."))
    if tip > bill:
        raise Refused(
            gettext(
                "A tip can be at most the bill itself (%(bill)s); check the amount.",
                bill=format_money(bill, currency, locale),
            )
        )
    return tip


def parse_tip_presets(text: str | None) -> str:
    """'10, 15,20' -> '10,15,20'. At most four whole percents from 0 to 100."""
    parts = [p.strip() for p in (text or "").replace(";", ",").split(",") if p.strip()]
    if len(parts) > MAX_TIP_PRESETS:
        raise Refused(f"Offer at most {MAX_TIP_PRESETS} tip choices.")
    percents = []
    for part in parts:
        if not part.rstrip("%").isdigit():
            raise Refused(f"{part!r} is not a whole percent; use numbers like 10,15,20.")
        percent = int(part.rstrip("%"))
        if not 0 <= percent <= MAX_TIP_PERCENT:
            raise Refused("Tip percents go from 0 to 100.")
        if percent not in percents:
            percents.append(percent)
    return ",".join(str(p) for p in percents)


# -- what a payment would cover ----------------------------------------------------


@dataclass
class Part:
    share: str
    gross: int  # the bill's worth of this part
    deposit: int  # the deposit that comes off it
    phone_id: str | None = None
    index: int | None = None
    ways: int | None = None
    lines: list[TabLine] = field(default_factory=list)

    @property
    def due(self) -> int:
        return self.gross - self.deposit

    @property
    def share_key(self) -> str | None:
        return f"equal:{self.index + 1}/{self.ways}" if self.share == SHARE_EQUAL else None

    @property
    def label(self) -> str:
        if self.share == SHARE_PHONE:
            return "Own lines"
        if self.share == SHARE_EQUAL:
            return f"Share {self.index + 1} of {self.ways}"
        return "Whole tab"


def line_owner(tab: Tab, line: TabLine) -> str | None:
    """The phone a line is billed to: who ordered it, else the tab's owner."""
    if line.phone_id and line.phone_id in tab.phone_ids:
        return line.phone_id
    return tab.phone_id


def part_for(
    tab: Tab, share: str = SHARE_ALL, phone_id: str | None = None, *, strict: bool = True
) -> Part:
    """What `share` covers on the tab as it stands. `strict` refuses what cannot be
    paid (the views ask with strict=False to show the choices)."""
    unpaid = [line for line in tab.billable_lines if line.payment_id is None]
    is_owner = phone_id is not None and phone_id == tab.phone_id
    if share == SHARE_ALL:
        gross = tab.owed
        _, used = apply_deposit(gross, tab.deposit_left)
        return Part(SHARE_ALL, gross, used, phone_id=phone_id, lines=unpaid)
    if share == SHARE_PHONE:
        if strict and tab.split_ways:
            raise Conflict(gettext("This tab is being split equally; pay your equal share."))
        if phone_id is None:
            raise Refused("Say whose lines are being paid.")
        mine = [line for line in unpaid if line_owner(tab, line) == phone_id]
        # What the bill's gross grows by with these lines, so tax rounded per rate
        # never leaves a cent over when every phone pays its own (services.tax).
        paid = [line for line in tab.billable_lines if line.payment_id is not None]
        gross = lines_tax(paid + mine).gross - lines_tax(paid).gross if mine else 0
        _, used = apply_deposit(gross, tab.deposit_left if is_owner else 0)
        return Part(SHARE_PHONE, gross, used, phone_id=phone_id, lines=mine)
    if share == SHARE_EQUAL:
        phones = tab.phone_ids
        ways = tab.split_ways or len(phones)
        if strict and any(p.share == SHARE_PHONE for p in tab.payments):
            raise Conflict(gettext("Someone already paid for their own lines; pay for yours too."))
        if ways < 2:
            raise Refused(gettext("Only one phone is on this tab; pay the whole tab."))
        if phone_id not in phones or phones.index(phone_id) >= ways:
            raise Refused(
                gettext(
                    "The tab was split %(ways)d ways before you joined; "
                    "pay the rest or your lines.",
                    ways=ways,
                )
            )
        index = phones.index(phone_id)
        # Shares are of the whole bill, fixed once the first is paid (no more orders).
        gross = equal_shares(tab.total, ways)[index]
        _, used = apply_deposit(gross, tab.deposit_left if index == 0 else 0)
        part = Part(SHARE_EQUAL, gross, used, phone_id=phone_id, index=index, ways=ways)
        if strict and any(p.share_key == part.share_key for p in tab.payments):
            raise Conflict(gettext("Your share of this tab is already paid."))
        return part
    raise Refused(gettext("Choose what to pay: the whole tab, your own lines or an equal share."))


def _lock(tab: Tab, allowed=LIVE_TAB_STATUSES, **values) -> None:
    """Take the tab's row, then reload what others may have committed meanwhile."""
    touch_tab(tab, allowed=allowed, **values)
    db.session.refresh(tab, ["lines", "payments", "members"])


# -- paying ------------------------------------------------------------------------


def record_payment(
    tab: Tab,
    amount: int,
    tip: int | None,
    method: str,
    *,
    staff: StaffMember | None = None,
    provider: str = COUNTER,
    payer_phone_id: str | None = None,
    share: str = SHARE_ALL,
) -> Payment:
    """Money was taken for a part of the tab: at the counter by `staff`, or online by
    `provider` (which calls this once the payment is confirmed).

    `amount` is what the payer was shown. If the tab changed since, the amounts
    differ and the payment is refused rather than guessed at.

    `tip` None is the tip the customers chose for this part (`tip_asked`), so a tip
    is never dropped by leaving it out; a tip staff set otherwise is kept as given,
    and the audit entry says what the customers had chosen.
    """
    if method not in PAYMENT_METHODS:
        raise Refused("Choose cash or card.")
    if not isinstance(amount, int) or not isinstance(tip, int | None):
        raise Refused("Amounts are whole numbers of minor units.")
    if amount < 0:
        raise Refused("Amounts cannot be negative.")
    if tip is not None and tip < 0:
        raise Refused("A tip cannot be negative.")
    if staff is None and provider == COUNTER:
        raise Refused("A counter payment is recorded by staff.")
    _lock(tab)
    part = part_for(tab, share, payer_phone_id)
    shop = tab.shop
    if part.gross == 0:
        if share == SHARE_PHONE:
            raise Conflict(gettext("Nothing of this phone's is left to pay on this tab."))
        raise Refused("There is nothing to pay on this tab; close it instead.")
    if amount != part.due:
        raise Conflict(
            f"The bill is {format_money(part.due, tab.currency, shop.locale)}; "
            f"the amount entered was {format_money(amount, tab.currency, shop.locale)}. "
            "Check the bill and try again."
        )
    asked = tip_asked(tab, share, payer_phone_id)
    if tip is None:
        tip = asked or 0
    check_tip(tip, part.gross, tab.currency, shop.locale)
    # Staff may change the tip the customer chose (they said so at the counter);
    # the audit keeps what was chosen, so a dropped tip is never silent.
    changed = {"tip_asked": asked} if staff and asked is not None and asked != tip else {}
    now = utcnow()
    payment = Payment(
        receipt_number=next_receipt_number(tab.shop_id),
        shop_id=tab.shop_id,
        tab_id=tab.id,
        method=method,
        amount=amount,
        tip=tip,
        currency=tab.currency,
        staff_id=staff.id if staff else None,
        provider=provider,
        share=share,
        share_key=part.share_key,
        payer_phone_id=payer_phone_id,
        deposit_applied=part.deposit,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payment)
            db.session.flush()
    except IntegrityError:
        raise Conflict("That share was just paid; look again.") from None
    if part.lines:
        db.session.execute(
            update(TabLine)
            .where(TabLine.id.in_([line.id for line in part.lines]), TabLine.payment_id.is_(None))
            .values(payment_id=payment.id)
            .execution_options(synchronize_session=False)
        )
    if share == SHARE_EQUAL and not tab.split_ways:
        tab.split_ways = part.ways
    db.session.flush()
    db.session.refresh(tab, ["payments", "lines"])
    _settle_requests(tab, payer_phone_id if share != SHARE_ALL else None, now)
    audit.record(
        "payment",
        shop_id=tab.shop_id,
        staff=staff,
        tab=tab,
        amount=amount,
        method=method,
        provider=provider,
        share=part.label,
        tip=tip,
        deposit_applied=part.deposit,
        payment_id=payment.id,
        **changed,
    )
    if tab.owed == 0:
        close_as_paid(tab, now)
    return payment


def next_receipt_number(shop_id: int) -> int:
    """The shop's next receipt number. The UPDATE takes the shop's row until the
    payment commits, so two payments never get the same number (and a rolled-back
    payment gives its number back)."""
    return db.session.execute(
        update(Shop)
        .where(Shop.id == shop_id)
        .values(last_receipt_number=Shop.last_receipt_number + 1)
        .returning(Shop.last_receipt_number)
        .execution_options(synchronize_session=False)
    ).scalar_one()


def _settle_requests(tab: Tab, phone_id: str | None, now) -> None:
    query = update(PayRequest).where(PayRequest.tab_id == tab.id, PayRequest.paid_at.is_(None))
    if phone_id is not None:
        query = query.where(PayRequest.phone_id == phone_id)
    db.session.execute(query.values(paid_at=now).execution_options(synchronize_session=False))


def parse_tip_choice(choice: str | None, custom: int | None) -> tuple[int | None, int | None]:
    """The bill's tip buttons: 'none', a percent like '15', or 'custom' with an amount.
    Returns (percent, amount); both None is no tip."""
    choice = (choice or "none").strip().lower()
    if choice in ("none", "0", ""):
        return None, None
    if choice == "custom":
        if custom is None:
            raise Refused("Enter the tip you'd like to leave, or choose No tip.")
        return None, custom
    if not choice.isdigit() or not 0 <= int(choice) <= MAX_TIP_PERCENT:
        raise Refused("Choose one of the tips shown, or enter an amount.")
    return int(choice), None


def request_tip(request: PayRequest, part: Part) -> int:
    if request.tip_percent is not None:
        return tip_for_percent(part.gross, request.tip_percent)
    return request.tip_amount or 0


def tip_asked(tab: Tab, share: str, phone_id: str | None) -> int | None:
    """The tip the customers chose for what a payment covers: the paying phone's
    request for that share, or for the whole tab every open request's (a whole-tab
    payment settles them all). None when nobody asked to pay for it."""
    tips = []
    for asked in open_requests(tab):
        if share == SHARE_ALL or (asked.phone_id == phone_id and asked.share == share):
            try:
                tips.append(request_tip(asked, part_for(tab, asked.share, asked.phone_id)))
            except (Refused, Conflict):
                continue  # that part is paid already or no longer exists
    return sum(tips) if tips else None


@dataclass
class PayChoice:
    """One thing staff can take payment for on a tab: what a phone asked to pay, or
    the whole tab, each with the tip the customers chose."""

    key: str  # the request's id, or "all"
    name: str
    share: str
    due: int
    tip: int
    request: PayRequest | None = None

    @property
    def to_take(self) -> int:
        return self.due + self.tip


WHOLE_TAB = "all"


def pay_choices(tab: Tab) -> list[PayChoice]:
    """What the staff page offers to take: each open request to pay (its part and
    tip), then the whole tab unless a phone asked for exactly that."""
    if not tab.is_live or not tab.owed:
        return []
    choices = []
    for asked in open_requests(tab):
        try:
            part = part_for(tab, asked.share, asked.phone_id)
        except (Refused, Conflict):
            continue
        if part.gross:
            name = phone_name(tab, asked.phone_id)
            tip = request_tip(asked, part)
            choices.append(PayChoice(str(asked.id), name, asked.share, part.due, tip, asked))
    if not any(choice.share == SHARE_ALL for choice in choices):
        whole = part_for(tab, SHARE_ALL, None)
        tip = tip_asked(tab, SHARE_ALL, None) or 0
        choices.append(PayChoice(WHOLE_TAB, tab.display_name, SHARE_ALL, whole.due, tip))
    return choices


def change_for(given: int | None, to_take: int, currency: str, locale: str) -> int | None:
    """The change to hand back from the cash given (None when not said)."""
    if given is None:
        return None
    if given < to_take:
        raise Refused(
            gettext(
                "The cash given (%(given)s) is less than the %(due)s to take.",
                given=format_money(given, currency, locale),
                due=format_money(to_take, currency, locale),
            )
        )
    return given - to_take


def ask_to_pay(
    tab: Tab,
    phone_id: str,
    share: str = SHARE_ALL,
    tip_percent: int | None = None,
    tip_amount: int | None = None,
) -> PayRequest:
    """The phone chose its part and tip and tapped "Pay at the counter"."""
    if tab.status not in LIVE_TAB_STATUSES:
        raise Conflict(closed_message(tab))
    if not tab.billable_lines:
        raise Refused("There is nothing on this tab to pay for yet.")
    values = {"status": SETTLING, "pay_requested_at": tab.pay_requested_at or utcnow()}
    _lock(tab, **values)
    part = part_for(tab, share, phone_id)
    if part.gross == 0:
        raise Refused("There is nothing of yours left to pay on this tab.")
    shop = tab.shop
    if tip_percent is not None:
        check_tip(tip_for_percent(part.gross, tip_percent), part.gross, tab.currency, shop.locale)
    if tip_amount is not None:
        check_tip(tip_amount, part.gross, tab.currency, shop.locale)
    request = db.session.execute(
        select(PayRequest).where(PayRequest.tab_id == tab.id, PayRequest.phone_id == phone_id)
    ).scalar_one_or_none()
    if request is None:
        request = PayRequest(shop_id=tab.shop_id, tab_id=tab.id, phone_id=phone_id)
        db.session.add(request)
    request.share = share
    request.tip_percent = tip_percent
    request.tip_amount = tip_amount
    request.created_at = utcnow()
    request.paid_at = None
    db.session.flush()
    return request


def open_requests(tab: Tab) -> list[PayRequest]:
    return list(
        db.session.execute(
            select(PayRequest)
            .where(PayRequest.tab_id == tab.id, PayRequest.paid_at.is_(None))
            .order_by(PayRequest.created_at, PayRequest.id)
        ).scalars()
    )


def phone_name(tab: Tab, phone_id: str | None) -> str:
    if phone_id is None or phone_id == tab.phone_id:
        return tab.customer_name or "The tab's owner"
    for n, member in enumerate(tab.members, start=2):
        if member.phone_id == phone_id:
            return member.name or f"Friend {n - 1}"
    return "A phone"


# -- the deposit -------------------------------------------------------------------


def confirm_deposit(
    tab: Tab, staff: StaffMember | None, method: str, provider: str = COUNTER
) -> Tab:
    """The deposit was received: at the counter by `staff`, or online by `provider`.
    From now on the tab's orders reach the queue."""
    if method not in PAYMENT_METHODS:
        raise Refused("Choose cash or card.")
    if staff is None and provider == COUNTER:
        raise Refused("A deposit at the counter is confirmed by staff.")
    result = db.session.execute(
        update(Tab)
        .where(
            Tab.id == tab.id,
            Tab.status.in_(LIVE_TAB_STATUSES),
            Tab.deposit_status == DEPOSIT_PENDING,
        )
        .values(
            deposit_status=DEPOSIT_HELD,
            deposit_method=method if provider == COUNTER else provider,
            deposit_taken_at=utcnow(),
            deposit_taken_by_id=staff.id if staff else None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(tab)
    if result.rowcount != 1:
        if not tab.is_live:
            raise Conflict(closed_message(tab))
        raise Conflict("There is no deposit waiting on this tab.")
    audit.record(
        "deposit_confirmed",
        shop_id=tab.shop_id,
        staff=staff,
        tab=tab,
        amount=tab.deposit_amount,
        method=method,
        provider=provider,
    )
    return tab


# -- sharing -----------------------------------------------------------------------


def _owner_only(tab: Tab, phone_id: str | None) -> None:
    if not phone_id or phone_id != tab.phone_id:
        raise Refused("Only the phone that opened the tab can invite friends.")


def invite(tab: Tab, phone_id: str | None) -> Tab:
    """A fresh "join my tab" link; any earlier one stops working."""
    _owner_only(tab, phone_id)
    _lock(
        tab, allowed=(OPEN,), invite_token=new_code(), invite_expires_at=utcnow() + INVITE_LIFETIME
    )
    return tab


def stop_inviting(tab: Tab, phone_id: str | None) -> Tab:
    _owner_only(tab, phone_id)
    touch_tab(tab, invite_token=None, invite_expires_at=None)
    return tab


def invitation_is_live(tab: Tab) -> bool:
    return bool(
        tab.invite_token
        and tab.is_live
        and tab.invite_expires_at is not None
        and tab.invite_expires_at > utcnow()
    )


def bad_invitation() -> str:
    return gettext(
        "This invitation doesn't work: the link is wrong, has expired or was withdrawn. "
        "Ask your friend to show you a new one."
    )


def tab_for_invitation(token: str) -> Tab:
    tab = db.session.execute(select(Tab).where(Tab.invite_token == token)).scalar_one_or_none()
    if tab is None or not invitation_is_live(tab):
        raise NotFound(bad_invitation())
    return tab


def on_tab(tab: Tab, phone_id: str | None) -> bool:
    return bool(phone_id) and phone_id in tab.phone_ids


def join(token: str, phone_id: str, name: str = "") -> Tab:
    """A friend's phone opened the owner's link and tapped "Join". A phone with a live
    tab of its own at this shop is refused: it pays or closes that one first (moving
    lines between tabs would change a bill someone may be about to pay)."""
    name = one_line_within(name, MAX_NAME, "Your name")
    tab = tab_for_invitation(token)
    if on_tab(tab, phone_id):
        return tab
    if live_tab_for_phone(tab.shop_id, phone_id) is not None:
        raise Conflict(
            "You already have a tab open here. Pay or close it before joining a friend's."
        )
    _lock(tab, allowed=(OPEN,))
    if not invitation_is_live(tab) or tab.invite_token != token:
        raise NotFound(bad_invitation())
    if tab.split_ways:
        raise Conflict("This tab is already being split; ask at the counter.")
    try:
        with db.session.begin_nested():
            db.session.add(
                TabMember(
                    shop_id=tab.shop_id,
                    tab_id=tab.id,
                    phone_id=phone_id,
                    live_phone_id=phone_id,
                    name=name,
                )
            )
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            "You already have a tab open here. Pay or close it before joining a friend's."
        ) from None
    db.session.refresh(tab, ["members"])
    return tab
