import secrets
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def new_code() -> str:
    """128 random bits, URL-safe: card codes and tab ids are bearer secrets."""
    return secrets.token_urlsafe(16)
