"""The phone's identity: a random id (models.base.new_code) in a long-lived cookie,
signed with the app's secret so a made-up or copied-by-hand id names no phone."""

import re

from itsdangerous import BadSignature, Signer

PHONE_COOKIE = "tabby_phone"
PHONE_SALT = "tabby-phone"
PHONE_COOKIE_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
_PHONE_ID = re.compile(r"^[A-Za-z0-9_-]{22,43}$")


def phone_signer(secret_key) -> Signer:
    return Signer(secret_key, salt=PHONE_SALT)


def read_phone(signer: Signer, cookie: str | None) -> str | None:
    """The phone id a cookie names, or None: only the signature makes a cookie name
    a phone (a bare id seen on a receipt's URL, a shoulder, a log opens nothing)."""
    if not cookie:
        return None
    try:
        found = signer.unsign(cookie).decode()
    except (BadSignature, UnicodeDecodeError):
        return None
    return found if _PHONE_ID.match(found) else None
