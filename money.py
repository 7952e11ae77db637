"""Money is an int of minor units plus an ISO 4217 code; this is the only place that
turns it into text or back."""

import re
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    format_compact_currency,
    format_currency,
    get_currency_precision,
    list_currencies,
)

# The largest amount a single field may carry: far above any café bill, far below
# what any database integer column holds.
MAX_AMOUNT = 10_000_000_00

_AMOUNT = re.compile(r"^\s*(\d{1,12})(?:[.,](\d*))?\s*$")


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


def parse_amount(text: str | None, currency: str, *, allow_blank: bool = False) -> int:
    """'3.50' in EUR -> 350; '1200' in KRW -> 1200. Refuses anything it cannot read exactly."""
    if text is None or not str(text).strip():
        if allow_blank:
            return 0
        raise AmountError("Enter an amount.")
    if str(text).strip().startswith("-"):
        raise AmountError("An amount cannot be negative.")
    match = _AMOUNT.match(str(text))
    if not match:
        raise AmountError("Enter an amount like 3.50, without a currency sign.")
    whole, fraction = match.group(1), match.group(2) or ""
    digits = minor_digits(currency)
    if len(fraction) > digits:
        if digits == 0:
            raise AmountError(f"{currency} amounts have no decimal places.")
        raise AmountError(f"{currency} amounts have at most {digits} decimal places.")
    minor = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or 0)
    if minor > MAX_AMOUNT:
        raise AmountError("That amount is too large.")
    return minor


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


@lru_cache(maxsize=8192)
def format_money(minor: int, currency: str, locale: str = "en") -> str:
    # Cached: Babel rebuilds the locale's pattern on every call, and a busy counter
    # shows the same few hundred amounts again and again.
    return format_currency(to_decimal(minor, currency), currency, locale=locale.replace("-", "_"))


def format_plain(minor: int, currency: str) -> str:
    """The amount as a form field shows it: '3.50', no symbol, no grouping."""
    return f"{to_decimal(minor, currency):f}"


def format_short(minor: int, currency: str, locale: str = "en") -> str:
    """A chart axis's amount: '€1.5K', '₩15만' (whole amounts; at most one decimal)."""
    return format_compact_currency(
        to_decimal(minor, currency), currency, locale=locale.replace("-", "_"), fraction_digits=1
    )
