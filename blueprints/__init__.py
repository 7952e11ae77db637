"""One blueprint per audience. Helpers shared by their views live here."""

from flask import request


def wants_json() -> bool:
    """The page's own fetch() asks for JSON explicitly; polls always get it."""
    return request.accept_mimetypes.best == "application/json" or request.path.endswith("/live")
