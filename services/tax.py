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

Tips and deposits are not sales: they never enter this arithmetic (a tip is the
staff's, a deposit is money held against the bill and is counted when the bill it
pays is counted).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext
from sqlalchemy import select

from extensions import db
from models.menu import MAX_TAX_RATE, RATE_SCALE, MenuCategory, MenuItem
from models.shop import Shop
from services import Refused

HUNDRED_PERCENT = 100 * RATE_SCALE


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for amounts that are not negative."""
    return (2 * numerator + denominator) // (2 * denominator)


def tax_in(gross: int, rate: int) -> int:
    """The tax inside a price that includes it: 1.09 → 0.09 of it at 9 %."""
    return _half_up(gross * rate, HUNDRED_PERCENT + rate)


def tax_on(net: int, rate: int) -> int:
    """The tax added to a price that excludes it."""
    return _half_up(net * rate, HUNDRED_PERCENT)


@dataclass
class RateTotal:
    rate: int
    net: int = 0
    tax: int = 0
    gross: int = 0

    @property
    def percent(self) -> str:
        return format_rate(self.rate)


@dataclass
class TaxSummary:
    """What a bill (or a day) sold, per rate, with net, tax and gross."""

    included: bool
    rates: list[RateTotal] = field(default_factory=list)

    @property
    def net(self) -> int:
        return sum(r.net for r in self.rates)

    @property
    def tax(self) -> int:
        return sum(r.tax for r in self.rates)

    @property
    def gross(self) -> int:
        return sum(r.gross for r in self.rates)


def summarise(amounts, included: bool) -> TaxSummary:
    """`amounts`: (rate, amount) pairs, each amount what was charged for a line at the
    menu's prices (after comps and discounts). With prices that include tax the amounts
    are gross; otherwise they are net and the tax comes on top."""
    by_rate: dict[int, int] = {}
    for rate, amount in amounts:
        by_rate[rate] = by_rate.get(rate, 0) + amount
    summary = TaxSummary(included=included)
    for rate in sorted(by_rate):
        amount = by_rate[rate]
        if included:
            tax = tax_in(amount, rate)
            summary.rates.append(RateTotal(rate, net=amount - tax, tax=tax, gross=amount))
        else:
            tax = tax_on(amount, rate)
            summary.rates.append(RateTotal(rate, net=amount, tax=tax, gross=amount + tax))
    return summary


def lines_tax(lines) -> TaxSummary:
    """The tax on tab lines (voided ones left out), from their own snapshots. A bill's
    lines share one setting; if a shop switched between its lines, the first decides
    how the others are read (an owner changes this once, when setting up)."""
    lines = [line for line in lines if line.status != "void"]
    included = lines[0].tax_included if lines else True
    return summarise(((line.tax_rate or 0, line.line_total) for line in lines), included)


def tab_tax(tab) -> TaxSummary:
    return lines_tax(tab.lines)


# -- rates on the menu ---------------------------------------------------------------------


def rate_for(item: MenuItem, category: MenuCategory | None, shop: Shop) -> int:
    """The item's own rate, else its category's, else the shop's."""
    if item.tax_rate is not None:
        return item.tax_rate
    if category is not None and category.tax_rate is not None:
        return category.tax_rate
    return shop.tax_rate or 0


def item_rate(item: MenuItem) -> int:
    """The rate a line of `item` is taxed at if ordered now."""
    category = None
    if item.tax_rate is None and item.category:
        category = db.session.execute(
            select(MenuCategory).where(
                MenuCategory.shop_id == item.shop_id, MenuCategory.name == item.category
            )
        ).scalar_one_or_none()
    return rate_for(item, category, db.session.get(Shop, item.shop_id))


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


def format_rate(rate: int | None) -> str:
    """9000 → '9', 8875 → '8.875' (the owner's form shows it back as typed)."""
    if rate is None:
        return ""
    text = format(Decimal(rate) / RATE_SCALE, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
