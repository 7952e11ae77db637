"""Error pages: a refusal from the rules, a stale form, too many tries, the database
gone, and every HTTP error, each as a page in the customer's language or as JSON for
the pages' own fetches."""

import time

from flask import Flask
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from blueprints import error_response
from extensions import db, limiter
from services import Refused


def register(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(Refused)
    def refused(error: Refused):
        return error_response(error.message, error.status_code)

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        return error_response(
            _(
                "This page was open too long or came from somewhere else. "
                "Go back, reload the page and try again."
            ),
            400,
            _("Please reload"),
        )

    @app.errorhandler(RateLimitExceeded)
    def slow_down(error: RateLimitExceeded):
        limit = limiter.current_limit
        wait = max(1, int(limit.reset_at - time.time())) if limit else 60
        response = app.make_response(
            error_response(
                f"That was a lot of tries in a short time. Wait {wait} seconds, then try again.",
                429,
                "Please wait a moment",
            )
        )
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(error: DBAPIError):
        # The transaction is gone with the connection: nothing of it was kept (the
        # one exception, a connection lost during COMMIT itself, is why the message
        # asks people to look before repeating an order).
        app.logger.error("database unavailable: %s", error)
        try:
            db.session.rollback()
        except DBAPIError:
            db.session.close()
        detail = str(getattr(error, "orig", error)).lower()
        if "full" in detail or "readonly" in detail or "read-only" in detail:
            # SQLite: the disk filled up or the file became read-only. Reading still
            # works, saving does not, until someone frees space or fixes the file.
            message = _(
                "We can't save anything right now, so nothing was changed. "
                "Please tell the staff; you can keep reading your tab meanwhile."
            )
        else:
            message = _(
                "We can't reach our records right now. Wait a moment and try again; "
                "if you were ordering, check your tab first to see if it went through."
            )
        try:
            response = app.make_response(error_response(message, 503, _("Please try again")))
        except DBAPIError:
            # The page itself needed the database (to know who is logged in).
            response = app.make_response((message, 503, {"Content-Type": "text/plain"}))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            404: _("There is nothing here. Check the link or scan the code again."),
            405: _("That action isn't possible here."),
            413: _("That was more than we accept in one go."),
        }
        titles = {404: _("Not found"), 405: _("Not allowed"), 413: _("Too much at once")}
        message = messages.get(error.code, error.description)
        title = titles.get(error.code, error.name)
        response = app.make_response(error_response(message, error.code or 500, title))
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
