"""Tax on what a shop sells, worked out on the server from the rates snapshotted on
each line.

A shop's prices either include tax (EU, UK, Korea, Japan, Australia: the price on
the menu is what is paid) or exclude it (US, Canada: tax is added on the bill).
Rates are whole thousandths of a percent (`models.menu.RATE_SCALE`): 9 % is 9000.

The rounding rule: tax is rounded once per rate, half up to the currency's minor
unit, on the total sold at that rate (not line by line). So for every rate
net + tax = gross exactly, and the rates add up to the bill: no cent appears or
disappears however many lines there are. A comped line is 0 and carries no tax; a
discount lowers the amount the tax is worked on.

What the tab costs is `Tab.total`, the one figure every page, payment, split, card
checkout, deposit and "still owed" reads: the lines' prices, plus the tax when the
shop's prices exclude it (`TaxSummary.gross`). With prices that include tax it is the
lines' sum, as it always was.

Splitting a bill keeps its tax whole:
- An equal share is a share of the gross (`Tab.total`), remainders to the first
  shares, so the shares add up to the gross exactly.
- Paying for one's own lines pays what the bill's gross grows by when those lines
  join the lines already paid for: G(paid + mine) - G(paid), G being the gross
  of a set of lines worked out as above. The parts then add up to G(all lines), the
  bill, exactly, however the rounding per rate falls.
- The tax a payment carries (shown on the receipt) is the bill's tax per rate in
  proportion to the money it covered, rounded down on the running sum of payments
  (`part_tax`): the payments of a paid bill carry its tax per rate to the cent.

Tips and deposits are not sales: they never enter this arithmetic. A tip is the
staff's, reported beside the sales and never taxed here. A deposit is money held
against the bill: the part the bill used is counted with the payment it went to
(and so carries that payment's tax); a deposit handed back or kept for a no-show is
not a sale either, and the owner's day shows it on its own line.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext
from sqlalchemy import select

from extensions import db
from models.menu import MAX_TAX_RATE, RATE_SCALE, MenuCategory, MenuItem
from models.shop import Shop
from models.tax import (
    RateTotal,
    TaxSummary,
    format_rate,
    lines_tax,
    part_tax,
    summarise,
    tax_in,
    tax_on,
)
from services import Refused

__all__ = [
    "RateTotal",
    "TaxSummary",
    "format_rate",
    "item_rate",
    "lines_tax",
    "parse_rate",
    "part_tax",
    "payment_taxes",
    "rate_for",
    "summarise",
    "tax_in",
    "tax_on",
]


def payment_taxes(tab) -> dict[int, TaxSummary]:
    """The tax each of the tab's payments carries, by payment id: the bill's tax in
    proportion to what each covered, in the order they were taken (`part_tax`)."""
    summary = tab.tax
    taxes, before = {}, 0
    for payment in sorted(tab.payments, key=lambda p: p.id):
        upto = min(before + payment.covers, summary.gross)
        taxes[payment.id] = part_tax(summary, before, upto)
        before = upto
    return taxes


# -- rates on the menu ---------------------------------------------------------------------


def rate_for(item: MenuItem, category: MenuCategory | None, shop: Shop) -> int:
    """The item's own rate, else its category's, else the shop's."""
    if item.tax_rate is not None:
        return item.tax_rate
    if category is not None and category.tax_rate is not None:
        return category.tax_rate
    return shop.tax_rate or 0


def item_rate(item: MenuItem, shop: Shop | None = None) -> int:
    """The rate a line of `item` is taxed at if ordered now (`shop`: the item's, when
    the caller has it loaded already)."""
    category = None
    if item.tax_rate is None and item.category:
        category = db.session.execute(
            select(MenuCategory).where(
                MenuCategory.shop_id == item.shop_id, MenuCategory.name == item.category
            )
        ).scalar_one_or_none()
    return rate_for(item, category, shop or db.session.get(Shop, item.shop_id))


def parse_rate(text: str | None, *, allow_blank: bool = False) -> int | None:
    """'9' → 9000, '8.875' → 8875, '10 %' → 10000; blank → None when allowed."""
    body = str(text or "").strip().removesuffix("%").strip().replace(",", ".")
    if not body:
        if allow_blank:
            return None
        raise Refused(gettext("Enter a tax rate in percent, like 9 or 8.875."))
    try:
        value = Decimal(body)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value.as_tuple().exponent < -3:
        raise Refused(gettext("Enter a tax rate in percent, like 9 or 8.875."))
    rate = int((value * RATE_SCALE).to_integral_value(ROUND_HALF_UP))
    if not 0 <= rate <= MAX_TAX_RATE:
        raise Refused(gettext("A tax rate is between 0 and 100 percent."))
    return rate
