"""Item photos, served by their content hash: the address changes when the photo
does, so browsers and proxies may keep each one for a year. Served from our own
address whatever the store (a folder or a private bucket)."""

from flask import Blueprint, Response, abort, g, request

from services import photos
from services.photo_store import StoreUnavailable

bp = Blueprint("photos", __name__)

YEAR = 365 * 24 * 3600
CACHE = f"public, max-age={YEAR}, immutable"
# A page's first photo, when one of its first items has it, sits in a phone's first
# screen (measured with Lighthouse: docs/PERFORMANCE.md), where it is usually the
# largest thing painted; below that a photo waits until the customer scrolls near it.
FIRST_SCREEN_ITEMS = 2


@bp.app_template_global()
def photo_loading(has_photo) -> str:
    """How the photo of the next item a page shows loads: "eager" (at once, first) for
    the first screen's photo, "lazy" for the others, "" for an item without one. Asked
    once for every item shown, in order, photo or not."""
    shown = g.setdefault("photo_loading", {"items": 0, "photos": 0})
    place, shown["items"] = shown["items"], shown["items"] + 1
    if not has_photo:
        return ""
    first, shown["photos"] = shown["photos"] == 0, shown["photos"] + 1
    return "eager" if first and place < FIRST_SCREEN_ITEMS else "lazy"


@bp.get("/photos/<key>.<extension>")
def photo(key: str, extension: str):
    name = photos.file_name(key, extension)
    if name is None:
        abort(404)
    # The content never changes under a name: a browser holding it needs no copy.
    if name in request.if_none_match:
        response = Response(status=304)
    else:
        try:
            data = photos.read(key, extension)
        except StoreUnavailable:
            abort(503)
        if data is None:
            abort(404)
        response = Response(data, mimetype=photos.FORMATS[extension][1])
    response.set_etag(name)
    response.headers["Cache-Control"] = CACHE
    return response
