"""The arithmetic of tax on a tab's lines: plain integers of minor units, no database.

It lives beside the tab because `Tab.total` (what the tab costs, tax included) is
built from it; `services.tax` holds the rest (rates on the menu, parsing them) and
documents the rules.
"""

from dataclasses import dataclass, field

from models.menu import RATE_SCALE

HUNDRED_PERCENT = 100 * RATE_SCALE


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for amounts that are not negative."""
    return (2 * numerator + denominator) // (2 * denominator)


def tax_in(gross: int, rate: int) -> int:
    """The tax inside a price that includes it: 1.09 → 0.09 of it at 9 %."""
    return half_up(gross * rate, HUNDRED_PERCENT + rate)


def tax_on(net: int, rate: int) -> int:
    """The tax added to a price that excludes it."""
    return half_up(net * rate, HUNDRED_PERCENT)


def format_rate(rate: int | None) -> str:
    """9000 → '9', 8875 → '8.875' (the owner's form shows it back as typed)."""
    if rate is None:
        return ""
    whole, part = divmod(rate, RATE_SCALE)
    return f"{whole}.{part:03d}".rstrip("0") if part else str(whole)


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
    """What a bill (or a day, or one payment) sold, per rate, with net, tax and gross."""

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

    @property
    def added(self) -> int:
        """The tax the bill adds on top of the menu's prices (none when they include it)."""
        return 0 if self.included else self.tax

    @property
    def shown(self) -> bool:
        """Whether a bill shows the block: some line carries a rate above 0."""
        return any(r.rate for r in self.rates)


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
        if not amount:
            continue  # only comped lines at this rate: nothing sold, no tax
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


def line_taxes(lines) -> dict[int, int]:
    """The bill's tax per rate shared out over its lines, by line id: in proportion to
    each line's amount, rounded down on the running sum, so a rate's lines add up to
    its tax exactly (the lines CSV). Voided lines carry none."""
    summary = lines_tax(lines)
    by_rate = {r.rate: r for r in summary.rates}
    shares: dict[int, int] = {}
    running: dict[int, int] = {}
    for line in lines:
        rate = by_rate.get(line.tax_rate or 0)
        if line.status == "void" or rate is None:
            shares[line.id] = 0
            continue
        base = rate.gross if summary.included else rate.net
        before = running.get(rate.rate, 0)
        running[rate.rate] = upto = before + line.line_total
        shares[line.id] = rate.tax * upto // base - rate.tax * before // base
    return shares


def part_tax(summary: TaxSummary, before: int, upto: int) -> TaxSummary:
    """The bill's tax carried by a part of it: the money paid from `before` to `upto`
    (minor units counted from the first payment). Each rate's net, tax and gross are
    shared in proportion, rounded down on the running sum, so the parts of a bill that
    is paid in full add up to its figures exactly; the rate with the most gross takes
    what rounding leaves, so each part's gross is exactly `upto - before`."""
    whole = summary.gross
    part = TaxSummary(included=summary.included)
    if whole <= 0:
        return part
    for r in summary.rates:
        tax = r.tax * upto // whole - r.tax * before // whole
        gross = r.gross * upto // whole - r.gross * before // whole
        part.rates.append(RateTotal(r.rate, net=gross - tax, tax=tax, gross=gross))
    largest = max(range(len(part.rates)), key=lambda i: summary.rates[i].gross)
    biggest = part.rates[largest]
    biggest.gross += (upto - before) - part.gross
    biggest.net = biggest.gross - biggest.tax
    return part


def add_up(summaries) -> TaxSummary:
    """Several summaries (a day's payments) added rate by rate; read as including tax
    unless one of them excludes it."""
    by_rate: dict[int, RateTotal] = {}
    included = True
    for summary in summaries:
        included = included and summary.included
        for r in summary.rates:
            total = by_rate.setdefault(r.rate, RateTotal(r.rate))
            total.net += r.net
            total.tax += r.tax
            total.gross += r.gross
    return TaxSummary(included=included, rates=[by_rate[rate] for rate in sorted(by_rate)])
