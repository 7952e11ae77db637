"""Money: text in, minor units out, and back to text; never a float in between."""

import pytest

from models.tab import Tab, TabLine
from money import MAX_AMOUNT, AmountError, format_money, format_plain, parse_amount

# -- reading what staff type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("3.50", "EUR", 350),
        ("3.5", "EUR", 350),
        ("3", "EUR", 300),
        ("0.10", "EUR", 10),
        ("0.01", "EUR", 1),
        ("3,50", "EUR", 350),
        ("  12.00 ", "EUR", 1200),
        ("19.99", "USD", 1999),
        ("1200", "KRW", 1200),
        ("1200.", "KRW", 1200),
        ("500", "JPY", 500),
        ("1.234", "BHD", 1234),
        ("0.5", "BHD", 500),
        ("2", "BHD", 2000),
    ],
)
def test_an_amount_becomes_minor_units_of_its_currency(text, currency, minor):
    amount = parse_amount(text, currency)
    assert amount == minor
    assert type(amount) is int


@pytest.mark.parametrize(
    ("text", "currency", "message"),
    [
        ("-1", "EUR", "cannot be negative"),
        ("-0.50", "EUR", "cannot be negative"),
        (" -3", "KRW", "cannot be negative"),
        ("abc", "EUR", "like 3.50"),
        ("€3.50", "EUR", "without a currency sign"),
        ("3.50 EUR", "EUR", "like 3.50"),
        ("1e3", "EUR", "like 3.50"),
        ("3.5.0", "EUR", "like 3.50"),
        ("NaN", "EUR", "like 3.50"),
        ("1.234", "EUR", "EUR amounts have at most 2 decimal places"),
        ("0.001", "USD", "USD amounts have at most 2 decimal places"),
        ("1.5", "KRW", "KRW amounts have no decimal places"),
        ("100.0", "JPY", "JPY amounts have no decimal places"),
        ("1.2345", "BHD", "BHD amounts have at most 3 decimal places"),
        ("", "EUR", "Enter an amount"),
        ("   ", "EUR", "Enter an amount"),
        (None, "EUR", "Enter an amount"),
        ("10000000.01", "EUR", "too large"),
        ("1000000001", "KRW", "too large"),
        ("1000000.001", "BHD", "too large"),
        ("999999999999", "EUR", "too large"),
    ],
)
def test_an_unreadable_amount_is_refused_with_a_clear_message(text, currency, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(text, currency)


def test_the_largest_amount_is_accepted_and_one_more_is_not():
    assert parse_amount("10000000.00", "EUR") == MAX_AMOUNT
    assert parse_amount(str(MAX_AMOUNT), "KRW") == MAX_AMOUNT
    with pytest.raises(AmountError, match="too large"):
        parse_amount(str(MAX_AMOUNT + 1), "KRW")


def test_a_blank_tip_is_zero_but_a_blank_amount_is_refused():
    assert parse_amount("", "EUR", allow_blank=True) == 0
    assert parse_amount(None, "EUR", allow_blank=True) == 0
    with pytest.raises(AmountError, match="Enter an amount"):
        parse_amount("", "EUR")
    # allow_blank only forgives blank: a bad tip is still refused.
    with pytest.raises(AmountError, match="cannot be negative"):
        parse_amount("-1", "EUR", allow_blank=True)


# -- writing it out -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "text"),
    [
        (350, "EUR", "en_IE", "€3.50"),
        (5, "EUR", "en_IE", "€0.05"),
        (350, "EUR", "de_DE", "3,50\xa0€"),
        (1200, "KRW", "ko_KR", "₩1,200"),
        (1200, "KRW", "en", "₩1,200"),
        (1234567, "USD", "en_US", "$12,345.67"),
        (0, "USD", "en_US", "$0.00"),
    ],
)
def test_format_money_shows_the_currency_and_its_decimals(minor, currency, locale, text):
    assert format_money(minor, currency, locale) == text


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(350, "EUR", "3.50"), (1200, "KRW", "1200"), (1234, "BHD", "1.234"), (5, "USD", "0.05")],
)
def test_the_plain_form_value_reads_back_to_the_same_amount(minor, currency, text):
    assert format_plain(minor, currency) == text
    assert parse_amount(format_plain(minor, currency), currency) == minor


# -- arithmetic ----------------------------------------------------------------------


def test_three_times_ten_cents_is_exactly_thirty_cents():
    # The float version of this sum is the bug minor units exist to prevent.
    assert 3 * 0.10 != 0.30

    line = TabLine(name="Sugar", unit_price=parse_amount("0.10", "EUR"), quantity=3)
    assert line.line_total == 30
    assert type(line.line_total) is int
    assert format_money(line.line_total, "EUR", "en_IE") == "€0.30"


def test_a_tab_total_of_many_small_lines_does_not_drift():
    tab = Tab(
        currency="EUR",
        lines=[
            TabLine(name="Sugar", unit_price=10, quantity=3, status="ordered") for _ in range(10)
        ]
        + [
            TabLine(name="Tea", unit_price=parse_amount("0.70", "EUR"), quantity=1, status="served")
        ],
    )
    assert tab.total == 370
    assert type(tab.total) is int
    assert format_money(tab.total, "EUR", "en_IE") == "€3.70"


# -- read by the shop's locale ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        ("5,000", "KRW", "ko_KR", 5000),
        ("5.000", "KRW", "ko_KR", 5000),
        ("1,234,500", "KRW", "ko_KR", 1234500),
        ("1,200", "USD", "en_US", 120000),
        ("1,200.50", "USD", "en_US", 120050),
        ("3.80", "USD", "en_US", 380),
        ("3,80", "EUR", "fr_FR", 380),
        ("3,80", "EUR", "de_DE", 380),
        ("3.80", "EUR", "de_DE", 380),  # as the forms fill it in
        ("1.200", "EUR", "de_DE", 120000),
        ("1.200,50", "EUR", "de_DE", 120050),
        ("1\u202f200,50", "EUR", "fr_FR", 120050),
        ("1 200,50", "EUR", "fr_FR", 120050),
        ("1'200.50", "CHF", "de_CH", 120050),
        ("1,00,000", "INR", "en_IN", 10000000),
        ("1,000,000", "INR", "en_IN", 100000000),
        ("1.234", "BHD", "en", 1234),  # a dinar has three decimals; '.' is en's
        ("1,234", "BHD", "en", 1234000),
        ("1,234", "BHD", "de_DE", 1234),
        (",50", "EUR", "fr_FR", 50),
        ("3,80", "EUR", "en_IE", 380),  # two digits: no group of thousands
    ],
)
def test_an_amount_is_read_by_the_shops_locale(text, currency, locale, minor):
    assert parse_amount(text, currency, locale) == minor


@pytest.mark.parametrize(
    ("text", "currency", "locale", "message"),
    [
        ("1,200", "EUR", "de_DE", "could be read two ways: EUR amounts have at most 2"),
        ("1,200", "EUR", "fr_FR", "like 1234,50"),
        ("1.200", "USD", "en_US", "like 1234.50"),
        ("1.234", "BHD", "fr_FR", "could be read two ways"),
        ("5,00", "KRW", "ko_KR", "KRW amounts have no decimal places"),
        ("1,2,3", "EUR", "en_IE", "like 3.50"),
        ("1,23,4", "USD", "en_US", "like 3.50"),
        ("0,500", "EUR", "en_IE", "at most 2 decimal places"),
        ("1.234.5", "EUR", "de_DE", "like 3,50"),
        ("1,234,5", "EUR", "de_DE", "like 3,50"),
        ("abc", "KRW", "ko_KR", "like 4500"),
    ],
)
def test_an_amount_the_locale_cannot_settle_is_refused_with_how_to_write_it(
    text, currency, locale, message
):
    with pytest.raises(AmountError, match=message):
        parse_amount(text, currency, locale)


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "shown"),
    [
        (123456, "EUR", "de_DE", "1234,56"),
        (380, "EUR", "fr_FR", "3,80"),
        (1234, "BHD", "de_DE", "1,234"),
        (1234567, "BHD", "en", "1234.567"),
        (5000, "KRW", "ko_KR", "5000"),
        (10000000, "INR", "en_IN", "100000.00"),
    ],
)
def test_what_the_forms_fill_in_reads_back_in_every_locale(minor, currency, locale, shown):
    assert format_plain(minor, currency, locale) == shown
    assert parse_amount(shown, currency, locale) == minor
