"""Item photos, served by their content hash: the address changes when the photo
does, so browsers and proxies may keep each one for a year."""

from flask import Blueprint, abort, send_file

from services import photos

bp = Blueprint("photos", __name__)

YEAR = 365 * 24 * 3600


@bp.get("/photos/<key>.<extension>")
def photo(key: str, extension: str):
    path = photos.path_for(key, extension)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=photos.FORMATS[extension][1], max_age=YEAR, etag=True)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
