"""Tax per rate, in minor units, rounded once per rate so net + tax = gross and the
rates add up to the bill (services.tax)."""

from types import SimpleNamespace

import pytest

from models.tax import add_up, line_taxes, part_tax
from services import Refused
from services.tax import format_rate, lines_tax, parse_rate, summarise, tax_in, tax_on


def line(rate, unit_price, quantity=1, discount=0, status="ordered", included=True):
    return SimpleNamespace(
        tax_rate=rate,
        tax_included=included,
        status=status,
        line_total=unit_price * quantity - discount,
    )


def test_an_eu_bill_at_9_and_21_percent_shows_net_tax_and_gross_per_rate():
    # A Dutch café: food at 9 %, drinks at 21 %, prices include tax.
    bill = lines_tax([line(9000, 350, 2), line(21000, 450), line(21000, 380), line(9000, 280)])
    assert [(r.percent, r.net, r.tax, r.gross) for r in bill.rates] == [
        ("9", 899, 81, 980),
        ("21", 686, 144, 830),
    ]
    assert (bill.net, bill.tax, bill.gross) == (1585, 225, 1810)
    assert bill.gross == 980 + 830  # the bill's total, to the cent


def test_korea_10_percent_included_in_won():
    bill = lines_tax([line(10000, 4500), line(10000, 5000, 2)])
    [rate] = bill.rates
    assert (rate.net, rate.tax, rate.gross) == (13182, 1318, 14500)


def test_a_us_bill_adds_tax_on_top_of_the_prices():
    # New York City: 8.875 % on the net.
    bill = lines_tax([line(8875, 450, included=False), line(8875, 325, 2, included=False)])
    [rate] = bill.rates
    assert (rate.net, rate.tax, rate.gross) == (1100, 98, 1198)
    assert not bill.included


def test_rounding_is_once_per_rate_so_many_small_lines_do_not_drift():
    # Line by line, each 0.10 at 21 % would round its 1.7 cent of tax to 2: 20 cents
    # for ten lines. Once on the total it is 17, and net + tax is still the gross.
    bill = lines_tax([line(21000, 10) for _ in range(10)])
    [rate] = bill.rates
    assert (rate.net, rate.tax, rate.gross) == (83, 17, 100)


def test_a_comped_line_carries_no_tax_and_a_discount_lowers_it():
    bill = lines_tax(
        [
            line(21000, 400, discount=400),
            line(21000, 400, discount=100),
            line(21000, 500, status="void"),
        ]
    )
    [rate] = bill.rates
    assert (rate.gross, rate.tax) == (300, 52)


def test_half_a_cent_rounds_up():
    assert tax_on(50, 1000) == 1  # 0.5 → 1
    assert tax_on(49, 1000) == 0
    assert tax_in(0, 21000) == 0


@pytest.mark.parametrize("amounts", [[(9000, 1), (9000, 2)], [(21000, 999_999)], [(0, 5)]])
def test_net_and_tax_always_add_up_to_the_gross(amounts):
    for included in (True, False):
        for r in summarise(amounts, included).rates:
            assert r.net + r.tax == r.gross


def test_rates_read_as_the_owner_types_them():
    assert parse_rate("9") == 9000
    assert parse_rate("8.875 %") == 8875
    assert parse_rate("10,5") == 10500
    assert parse_rate("", allow_blank=True) is None
    assert [format_rate(r) for r in (9000, 8875, 10000, 0, None)] == ["9", "8.875", "10", "0", ""]
    for bad in ("-1", "101", "9.0001", "nine", "nan", "inf", ""):
        with pytest.raises(Refused):
            parse_rate(bad)


@pytest.mark.parametrize("cuts", [[436], [1, 2, 3], [300, 301], [870]])
@pytest.mark.parametrize("included", [True, False])
def test_the_parts_of_a_bill_paid_in_full_carry_its_tax_per_rate_exactly(cuts, included):
    bill = summarise([(9000, 280), (21000, 591)], included)
    points = [0, *cuts, bill.gross]
    parts = [part_tax(bill, a, b) for a, b in zip(points, points[1:], strict=False)]
    for part, a, b in zip(parts, points, points[1:], strict=False):
        assert part.gross == b - a  # each part is exactly the money it covered
    together = add_up(parts)
    assert [(r.rate, r.net, r.tax, r.gross) for r in together.rates] == [
        (r.rate, r.net, r.tax, r.gross) for r in bill.rates
    ]


@pytest.mark.parametrize("included", [True, False])
def test_the_lines_share_their_rates_tax_exactly(included):
    lines = [line(21000, 10, included=included) for _ in range(10)]
    lines += [line(9000, 350, 2, included=included), line(9000, 500, status="void")]
    for number, each in enumerate(lines):
        each.id = number
    shares = line_taxes(lines)
    bill = lines_tax(lines)
    assert sum(shares[i] for i in range(10)) == bill.rates[1].tax  # 21 %
    assert shares[10] == bill.rates[0].tax and shares[11] == 0  # 9 %, and the void
