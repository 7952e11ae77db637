"""One blueprint per audience. Helpers shared by their views live here."""

from flask import g, jsonify, render_template, request


def wants_json() -> bool:
    """The page's own fetch() asks for JSON explicitly; polls always get it."""
    return request.accept_mimetypes.best == "application/json" or request.path.endswith("/live")


def error_response(message: str, status: int, title: str | None = None):
    if wants_json():
        return jsonify(error=message), status
    # The language switch on an error page leads to the start page: the address asked
    # for may be a POST-only route, or a tab that is not this phone's to see.
    g.language_home = True
    return render_template("error.html", message=message, title=title, status=status), status
