"""Text people type, made safe to store and show: one cleaner for every field.

Control characters (NUL among them, which PostgreSQL refuses to store) and lone
surrogates (which no database or page can encode) never belong in a name, note or
description, whoever typed it: a customer, staff or the owner.
"""

import re

from flask_babel import gettext

from services import Refused

# C0 and C1 controls and DEL; a paragraph keeps its line breaks (handled apart).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029]")


def safe_characters(value: str) -> str:
    """Controls become spaces and lone surrogates the replacement character."""
    return SURROGATE.sub("\ufffd", CONTROL.sub(" ", value))


def without_controls(value: str) -> str:
    """For keys and codes a page sends back: controls dropped, not turned to spaces."""
    return SURROGATE.sub("\ufffd", CONTROL.sub("", value))


def one_line(value) -> str:
    """A name or a short note: controls as spaces, runs of spaces as one, trimmed."""
    return " ".join(safe_characters(str(value or "")).split())


def paragraph(value) -> str:
    """A description or a note for customers: line breaks kept (at most one blank
    line in a row), everything else as in `one_line`."""
    lines = [one_line(line) for line in LINE_BREAKS.sub("\n", str(value or "")).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def has_unsafe_characters(value: str) -> bool:
    """NUL and lone surrogates: what no field of ours may carry, even an id or a key."""
    return "\x00" in value or SURROGATE.search(value) is not None


def one_line_within(value, limit: int, what: str) -> str:
    """`one_line`, refused (naming the field: `what`) when longer than `limit`."""
    value = one_line(value)
    if len(value) > limit:
        raise Refused(
            gettext("%(what)s can be at most %(limit)d characters.", what=what, limit=limit)
        )
    return value
