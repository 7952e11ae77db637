"""Static files: content-hashed URLs cached for a year, and gzip for text answers."""

import gzip
import hashlib
from pathlib import Path

from flask import Flask, request

STATIC_MAX_AGE = 365 * 24 * 3600


def register_versions(app: Flask) -> None:
    """`url_for('static', ...)` adds `?v=<content hash>`; a request carrying the current
    hash may be cached for a year, because a changed file gets a new URL."""
    hashes: dict[str, tuple[float, str]] = {}

    def content_hash(filename: str) -> str | None:
        path = Path(app.static_folder, filename)
        try:
            mtime = path.stat().st_mtime
        except (OSError, ValueError):
            return None
        known = hashes.get(filename)
        if known is None or known[0] != mtime:
            known = (mtime, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
            hashes[filename] = known
        return known[1]

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values and "filename" in values:
            version = content_hash(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def cache_versioned(response):
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        version = request.args.get("v")
        if version and version == content_hash(request.view_args.get("filename", "")):
            response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
        return response


COMPRESSIBLE = {
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
}
COMPRESS_MIN_BYTES = 500


def register_compression(app: Flask) -> None:
    """gzip text answers for clients that accept it: a tab page's HTML, CSS and JS
    shrink to about a quarter on slow café Wi-Fi. Versioned static files are
    compressed once and kept."""
    compressed_static: dict[tuple[str, str], bytes] = {}

    @app.after_request
    def compress(response):
        if (
            response.mimetype not in COMPRESSIBLE
            or response.status_code in (204, 206, 304)
            or request.method == "HEAD"
            or "Content-Encoding" in response.headers
            or (response.is_streamed and not response.direct_passthrough)
        ):
            return response
        response.vary.add("Accept-Encoding")
        if "gzip" not in request.accept_encodings:
            return response
        version = request.args.get("v") if request.endpoint == "static" else None
        key = (request.path, version or "")
        body = compressed_static.get(key) if version else None
        if body is not None:
            getattr(response.response, "close", lambda: None)()
        else:
            response.direct_passthrough = False
            data = response.get_data()
            if len(data) < COMPRESS_MIN_BYTES:
                return response
            body = gzip.compress(data, compresslevel=6, mtime=0)
            if version:
                compressed_static[key] = body
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        etag, weak = response.get_etag()
        if etag and not weak:
            # The compressed bytes differ from the file the strong ETag names.
            response.set_etag(etag, weak=True)
        return response
