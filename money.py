"""Money is an int of minor units plus an ISO 4217 code; this is the only place that
turns it into text or back."""

import re
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    format_compact_currency,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
)
from flask_babel import gettext

# The largest amount a single field may carry: far above any café bill, far below
# what any database integer column holds.
MAX_AMOUNT = 10_000_000_00

# What an amount may be written with: digits, the two signs locales use for decimals
# and thousands, and the marks some use for thousands only (spaces, apostrophes).
_AMOUNT_TEXT = re.compile(r"^[0-9.,' \u00a0\u202f\u2019]{1,40}$")
_DIGITS = re.compile(r"^[0-9]*$")
_THOUSANDS_ONLY = " \u00a0\u202f'\u2019"


class AmountError(ValueError):
    pass


def is_currency(code: str) -> bool:
    return code in list_currencies()


def is_locale(code: str) -> bool:
    try:
        Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return False
    return True


def minor_digits(currency: str) -> int:
    return get_currency_precision(currency)


@lru_cache(maxsize=256)
def number_signs(locale: str) -> tuple[str, str, tuple[int, int]]:
    """The locale's decimal sign, its thousands sign and its grouping ((3, 3) for
    1,234,567; (3, 2) for India's 12,34,567), from Babel."""
    try:
        parsed = Locale.parse((locale or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        parsed = Locale.parse("en")
    grouping = parsed.decimal_formats[None].grouping
    return get_decimal_symbol(parsed), get_group_symbol(parsed), grouping


def example_amount(currency: str, locale: str = "en") -> str:
    """How an amount is typed in this shop: '3.50', '3,50' or '4500'."""
    digits = minor_digits(currency)
    if not digits:
        return "4500"
    return format_decimal(Decimal("3.5"), format="0." + "0" * digits, locale=_babel(locale))


def parse_amount(
    text: str | None, currency: str, locale: str = "en", *, allow_blank: bool = False
) -> int:
    """'3.50' in EUR -> 350; '5,000' in KRW -> 5000; '3,80' in de_DE -> 380.

    Read by the shop's locale (Babel's decimal and thousands signs). A sign that can
    only be one of the two is read as that one: '3,80' and '3.80' are 3.80 in any
    locale (two digits are no group of thousands), and '5,000' won is 5000 (a won has
    no decimals). Otherwise the locale says which it is: '1,200' is 1200 dollars in
    en_US. Where it says what cannot be ('1,200' euros in de_DE: 1.200, a decimal too
    many, or a slip?) or cannot tell ('1.234' dinars in fr_FR), the amount is refused
    with how to write it. Refuses anything it cannot read exactly."""
    body = "" if text is None else str(text).strip()
    if not body:
        if allow_blank:
            return 0
        raise AmountError(gettext("Enter an amount."))
    if body.startswith("-"):
        raise AmountError(gettext("An amount cannot be negative."))
    example = example_amount(currency, locale)
    if not _AMOUNT_TEXT.match(body):
        raise AmountError(
            gettext("Enter an amount like %(example)s, without a currency sign.", example=example)
        )
    digits = minor_digits(currency)
    whole, fraction = _split_amount(body, currency, locale)
    if whole is None or not _DIGITS.match(fraction) or not (whole or fraction):
        raise AmountError(
            gettext("Enter an amount like %(example)s, without a currency sign.", example=example)
        )
    if len(fraction) > digits:
        if digits == 0:
            raise AmountError(
                gettext("%(currency)s amounts have no decimal places.", currency=currency)
            )
        raise AmountError(
            gettext(
                "%(currency)s amounts have at most %(digits)d decimal places.",
                currency=currency,
                digits=digits,
            )
        )
    if len(whole) > 15:
        raise AmountError(gettext("That amount is too large."))
    minor = int(whole or 0) * 10**digits + int(fraction.ljust(digits, "0") or 0)
    if minor > MAX_AMOUNT:
        raise AmountError(gettext("That amount is too large."))
    return minor


def _split_amount(body: str, currency: str, locale: str) -> tuple[str | None, str]:
    """(whole digits, decimal digits), or (None, '') when the text is not an amount."""
    digits = minor_digits(currency)
    decimal_sign, thousands_sign, grouping = number_signs(locale)
    signs = [c for c in body if c in ".,"]
    if len(set(signs)) == 2:
        # Both signs: the last is the decimal sign, as in 1,234.50 or 1.234,50.
        point = signs[-1]
        whole, fraction = body.rsplit(point, 1)
        if point in whole:
            return None, ""
        return _grouped(whole, grouping), fraction
    if len(signs) > 1:
        return _grouped(body, grouping), ""  # 1,234,567: only thousands repeat
    if not signs:
        return _grouped(body, grouping), ""
    sign = signs[0]
    before, after = body.split(sign)
    as_whole = _grouped(body, grouping) if len(after) == 3 else None
    as_decimal = len(after) <= digits
    if as_whole is not None and as_decimal:
        # Only currencies with three decimals get here: 1.234 dinar or 1234 dinars.
        if sign == thousands_sign:
            return as_whole, ""
        if sign == decimal_sign:
            return _grouped(before, grouping), after
        raise AmountError(_two_readings(body, currency, locale, too_many=False))
    if as_whole is not None:
        if sign == decimal_sign and digits:
            # 1.234 in en_IE: a thousands sign the shop does not use, or a slip?
            raise AmountError(_two_readings(body, currency, locale, too_many=True))
        return as_whole, ""
    return _grouped(before, grouping), after


def _grouped(whole: str, grouping: tuple[int, int]) -> str | None:
    """The digits of a whole number written with or without thousands signs (one kind
    of sign, in groups of three or as the locale groups), or None."""
    marks = {c for c in whole if not c.isdigit()}
    if not marks:
        return whole if _DIGITS.match(whole) else None
    if len(marks) > 1 or not marks <= set(".," + _THOUSANDS_ONLY):
        return None
    first, *groups = whole.split(marks.pop())
    if not first or first.startswith("0") or not _DIGITS.match(first):
        return None
    for primary, secondary in {(3, 3), grouping}:
        sizes = [secondary] * (len(groups) - 1) + [primary]
        if len(first) <= sizes[0] and all(
            len(g) == size and _DIGITS.match(g) for g, size in zip(groups, sizes, strict=True)
        ):
            return first + "".join(groups)
    return None


def _two_readings(text: str, currency: str, locale: str, *, too_many: bool) -> str:
    decimal_sign = number_signs(locale)[0]
    digits = minor_digits(currency)
    example = format_decimal(Decimal("1234.5"), format="0." + "0" * digits, locale=_babel(locale))
    if too_many:
        return gettext(
            "“%(text)s” could be read two ways: %(currency)s amounts have at most "
            "%(digits)d decimal places. Write it without thousands signs and with "
            "“%(sign)s” before the decimals, like %(example)s.",
            text=text,
            currency=currency,
            digits=digits,
            sign=decimal_sign,
            example=example,
        )
    return gettext(
        "“%(text)s” could be read two ways. Write it without thousands signs and with "
        "“%(sign)s” before the decimals, like %(example)s.",
        text=text,
        sign=decimal_sign,
        example=example,
    )


def _babel(locale: str) -> str:
    return (locale or "en").replace("-", "_")


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


@lru_cache(maxsize=8192)
def format_money(minor: int, currency: str, locale: str = "en") -> str:
    # Cached: Babel rebuilds the locale's pattern on every call, and a busy counter
    # shows the same few hundred amounts again and again.
    return format_currency(to_decimal(minor, currency), currency, locale=locale.replace("-", "_"))


def format_plain(minor: int, currency: str, locale: str | None = None) -> str:
    """The amount as a form field shows it: '3.50', no symbol, no grouping; with a
    locale, its decimal sign ('3,50' in de_DE), so parse_amount reads it back."""
    text = f"{to_decimal(minor, currency):f}"
    return text.replace(".", number_signs(locale)[0]) if locale else text


def format_short(minor: int, currency: str, locale: str = "en") -> str:
    """A chart axis's amount: '€1.5K', '₩15만' (whole amounts; at most one decimal)."""
    return format_compact_currency(
        to_decimal(minor, currency), currency, locale=locale.replace("-", "_"), fraction_digits=1
    )
