"""Request bodies, checked once before any view runs.

A JSON body must be one object, nested at most MAX_DEPTH deep, and hold no NUL or
lone surrogate in any key or string; anything else is a 400 with a plain message.
Python's own parser would recurse itself to death on 50,000 `[` (a 500), and a
string or a list where an object belongs would break whichever view read it first.
Size is capped before this by MAX_CONTENT_LENGTH (413).
"""

import json

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext

from services import Refused
from services.text import has_unsafe_characters

MAX_DEPTH = 32
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class BadJSON(ValueError):
    """What Werkzeug's get_json() turns into None (silent) or a 400."""


def nesting_depth_over(text: str, limit: int) -> bool:
    """True when arrays/objects nest deeper than `limit` (strings skipped), without
    recursing; cheap when there are few brackets at all."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _check_strings(value, depth: int = 0) -> None:
    if isinstance(value, str):
        if has_unsafe_characters(value):
            raise BadJSON("text with NUL or a lone surrogate")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, depth + 1)
            _check_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, depth + 1)


def loads_checked(data: str | bytes):
    """json.loads that refuses (BadJSON) too-deep nesting, unsafe text and numbers
    Python will not convert, instead of crashing on them."""
    if isinstance(data, bytes | bytearray):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadJSON("not UTF-8") from None
    if nesting_depth_over(data, MAX_DEPTH):
        raise BadJSON(f"nested deeper than {MAX_DEPTH}")
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as error:  # ValueError: bad syntax, 5000-digit ints
        raise BadJSON(str(error)[:100]) from None
    _check_strings(value)
    return value


def json_object(data: str | bytes) -> dict:
    """The body as a JSON object, or Refused (400) saying what to send."""
    try:
        value = loads_checked(data)
    except BadJSON:
        value = None
    if not isinstance(value, dict):
        raise Refused(gettext("Send the request as one JSON object of plain text and numbers."))
    return value


class CheckedJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        return loads_checked(s)


def register(app: Flask) -> None:
    app.json = CheckedJSONProvider(app)

    @app.before_request
    def json_bodies_are_objects():
        if (
            request.method in BODY_METHODS
            and request.is_json
            and not isinstance(request.get_json(silent=True), dict)
        ):
            raise Refused(gettext("Send the request as one JSON object of plain text and numbers."))
