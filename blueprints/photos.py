"""Item photos, served by their content hash: the address changes when the photo
does, so browsers and proxies may keep each one for a year. Served from our own
address whatever the store (a folder or a private bucket)."""

from flask import Blueprint, Response, abort, request

from services import photos
from services.photo_store import StoreUnavailable

bp = Blueprint("photos", __name__)

YEAR = 365 * 24 * 3600
CACHE = f"public, max-age={YEAR}, immutable"


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
