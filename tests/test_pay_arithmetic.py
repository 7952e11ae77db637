"""Tip, deposit and split arithmetic in minor units: pure functions, no database."""

import pytest

from money import MAX_AMOUNT, minor_digits, parse_amount
from services import Refused
from services.payments import (
    apply_deposit,
    check_tip,
    equal_shares,
    parse_tip_choice,
    parse_tip_presets,
    tip_for_percent,
)

# -- tips --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, percent, tip",
    [
        (1000, 10, 100),
        (1040, 15, 156),
        (1040, 10, 104),
        (333, 10, 33),  # 33.3 -> 33
        (335, 10, 34),  # 33.5 -> 34: half rounds up
        (345, 10, 35),  # 34.5 -> 35 (not to even)
        (1, 50, 1),  # 0.5 -> 1
        (1, 49, 0),
        (999, 15, 150),  # 149.85 -> 150
        (0, 20, 0),
        (1234, 0, 0),
        (1234, 100, 1234),
        (MAX_AMOUNT, 100, MAX_AMOUNT),
        (10000, 18, 1800),  # KRW: 10,000 won at 18%
        (9999, 15, 1500),  # KRW: 1,499.85 won -> 1,500
    ],
)
def test_a_percent_tip_rounds_half_up_to_the_minor_unit(amount, percent, tip):
    assert tip_for_percent(amount, percent) == tip


@pytest.mark.parametrize("amount, percent", [(-1, 10), (100, -1), (100, 101)])
def test_a_percent_tip_refuses_what_cannot_be_a_tip(amount, percent):
    with pytest.raises(ValueError):
        tip_for_percent(amount, percent)


@pytest.mark.parametrize("tip", [0, 1, 520, 1040])
def test_a_tip_up_to_the_bill_is_fine(tip):
    assert check_tip(tip, 1040, "EUR") == tip


@pytest.mark.parametrize(
    "tip, message",
    [
        (-1, "cannot be negative"),
        (1041, "at most the bill itself (€10.40)"),
        (MAX_AMOUNT + 1, "too large"),
    ],
)
def test_a_negative_or_enormous_tip_is_refused_with_a_reason(tip, message):
    with pytest.raises(Refused, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_tip(tip, 1040, "EUR")


@pytest.mark.parametrize(
    "text, stored",
    [
        ("10,15,20", "10,15,20"),
        (" 10, 15 ,20 ", "10,15,20"),
        ("5%,10%", "5,10"),
        ("", ""),
        ("0,100", "0,100"),
        ("10,10,15", "10,15"),
        ("10;12;15;18", "10,12,15,18"),
    ],
)
def test_tip_presets_are_tidied(text, stored):
    assert parse_tip_presets(text) == stored


@pytest.mark.parametrize("text", ["10,15,20,25,30", "101", "-5", "ten", "12.5", "10,abc"])
def test_bad_tip_presets_are_refused(text):
    with pytest.raises(Refused):
        parse_tip_presets(text)


@pytest.mark.parametrize(
    "choice, custom, expected",
    [
        ("none", None, (None, None)),
        (None, None, (None, None)),
        ("15", None, (15, None)),
        ("custom", 250, (None, 250)),
        ("custom", 0, (None, 0)),
    ],
)
def test_the_bills_tip_choice_is_read(choice, custom, expected):
    assert parse_tip_choice(choice, custom) == expected


@pytest.mark.parametrize("choice, custom", [("custom", None), ("101", None), ("lots", None)])
def test_a_bad_tip_choice_is_refused(choice, custom):
    with pytest.raises(Refused):
        parse_tip_choice(choice, custom)


# -- equal shares ------------------------------------------------------------------


def test_ten_euros_three_ways_gives_the_extra_cent_to_the_first():
    assert equal_shares(parse_amount("10.00", "EUR"), 3) == [334, 333, 333]


def test_ten_thousand_won_three_ways_has_no_minor_digits_to_split():
    assert minor_digits("KRW") == 0
    total = parse_amount("10000", "KRW")
    assert total == 10000
    assert equal_shares(total, 3) == [3334, 3333, 3333]


@pytest.mark.parametrize(
    "total, ways, shares",
    [
        (1000, 2, [500, 500]),
        (1001, 2, [501, 500]),
        (1000, 4, [250, 250, 250, 250]),
        (1003, 4, [251, 251, 251, 250]),
        (2, 3, [1, 1, 0]),
        (0, 3, [0, 0, 0]),
        (1, 1, [1]),
        (999, 7, [143, 143, 143, 143, 143, 142, 142]),
    ],
)
def test_equal_shares(total, ways, shares):
    assert equal_shares(total, ways) == shares


@pytest.mark.parametrize("total", [0, 1, 7, 99, 100, 1000, 1040, 33333, 10**9 + 7, MAX_AMOUNT])
@pytest.mark.parametrize("ways", range(1, 13))
def test_equal_shares_always_add_up_and_differ_by_at_most_one(total, ways):
    shares = equal_shares(total, ways)
    assert len(shares) == ways
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)  # the remainder goes to the first


@pytest.mark.parametrize("total, ways", [(100, 0), (100, -1), (-1, 2)])
def test_equal_shares_refuse_nonsense(total, ways):
    with pytest.raises(ValueError):
        equal_shares(total, ways)


# -- the deposit -------------------------------------------------------------------


@pytest.mark.parametrize(
    "part, credit, expected",
    [
        (1040, 500, (540, 500)),  # the deposit comes off the bill
        (300, 500, (0, 300)),  # a deposit bigger than the bill covers it; the rest goes back
        (500, 500, (0, 500)),
        (1040, 0, (1040, 0)),
        (0, 500, (0, 0)),
    ],
)
def test_the_deposit_comes_off_a_part(part, credit, expected):
    due, used = apply_deposit(part, credit)
    assert (due, used) == expected
    assert due + used == part
