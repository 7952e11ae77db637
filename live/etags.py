"""One function per page kind that answers "nothing changed": each ETag format is
written here and nowhere else (views, templates and the answers before Flask call
these)."""

import hashlib
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a page is drawn with besides the database: a new release draws it anew.
_RELEASE_FILES = ("templates", "static", "translations")


@lru_cache(maxsize=1)
def release() -> str:
    """A short digest of the templates, static files and compiled translations this
    process serves, read once: pages drawn by an older release never match."""
    digest = hashlib.blake2b(digest_size=5)
    for folder in _RELEASE_FILES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix not in (".po", ".pot"):
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def session_tag(session_cookie: str | None) -> str:
    """The tab page carries a CSRF token tied to the session: a page kept by the
    browser from another session must not come back."""
    if not session_cookie:
        return "none"
    return hashlib.blake2b(session_cookie.encode(), digest_size=6).hexdigest()


def tab_poll_etag(tab_id: int, version: int, settings_version: int, language: str) -> str:
    """The tab's poll (`/tab/<id>/live`), and the tab page's first poll."""
    return f"tab-{tab_id}-{version}-{settings_version}-{language}-{release()}"


def tab_page_etag(
    tab_id: int, version: int, settings_version: int, language: str, session_cookie: str | None
) -> str:
    """The tab page itself (`/tab/<id>`)."""
    return (
        f"tabpage-{tab_id}-{version}-{settings_version}-{language}-{release()}"
        f"-{session_tag(session_cookie)}"
    )


def bill_etag(tab_id: int, version: int, settings_version: int, language: str) -> str:
    """The bill's poll (`/tab/<id>/bill/live`)."""
    return f"bill-{tab_id}-{version}-{settings_version}-{language}-{release()}"


def counter_etag(
    shop_id: int,
    live_version: int,
    settings_version: int,
    staff_id: int,
    past_closing: bool,
    language: str,
) -> str:
    """The counter and its poll: the shop's versions, who is looking, and whether
    today's closing time has passed (that flips "open past closing" on with no change
    in the shop)."""
    return (
        f"counter-{shop_id}-{live_version}-{settings_version}-{staff_id}-{int(past_closing)}"
        f"-{language}-{release()}"
    )


def station_etag(
    shop_id: int,
    station_id: int,
    live_version: int,
    settings_version: int,
    staff_id: int,
    language: str,
) -> str:
    """A station's board and its poll: the shop's versions (stations and their routes
    move the live version), the station, and who is looking (its forms carry their
    CSRF token)."""
    return (
        f"station-{shop_id}-{station_id}-{live_version}-{settings_version}-{staff_id}"
        f"-{language}-{release()}"
    )


def ready_board_etag(shop_id: int, live_version: int, settings_version: int, language: str) -> str:
    """The public ready board's poll: the shop's versions (its key is a setting, so a
    rotated key is another board)."""
    return f"ready-{shop_id}-{live_version}-{settings_version}-{language}-{release()}"
