"""Tabby: pay-after tabs. `create_app` builds the web app; nothing here touches the
schema (that is `flask db upgrade`) or seeds data (that is `flask demo`)."""

import gzip
import hashlib
import logging
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time
from flask import Flask, g, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_limiter.errors import RateLimitExceeded
from flask_login import current_user
from jinja2 import pass_context
from limits import parse_many
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter, IntegerConverter

from blueprints import error_response
from config import (
    Config,
    ConfigError,
    check_vapid_subject,
    secret_key_from_instance,
    vapid_key_from_instance,
)
from extensions import babel, csrf, db, limiter, login_manager, migrate
from fast_answers import FastAnswers
from headers import PRIVATE, security_headers
from money import format_money, format_plain
from services import MAX_ID, Refused

RATE_LIMITS = (
    "RATELIMIT_CARD_SCAN",
    "RATELIMIT_TAB_OPEN",
    "RATELIMIT_LOGIN_ACCOUNT",
    "RATELIMIT_LOGIN_ADDRESS",
    "RATELIMIT_ORDER",
)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config)
    register_extensions(app)
    register_i18n(app)
    register_database(app)
    register_url_converters(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_static_versions(app)
    register_compression(app)
    register_commands(app)
    register_push(app)
    register_wsgi_layers(app)
    return app


def register_config(app: Flask, overrides: dict | None) -> None:
    app.config.from_mapping(Config(app.instance_path).as_dict())
    if overrides:
        app.config.update(overrides)
    for name in RATE_LIMITS:
        try:
            parse_many(app.config[name])
        except ValueError as error:
            # Caught at start-up: a typo here must not surface as failing requests.
            raise ValueError(f"{name}={app.config[name]!r} is not a rate limit: {error}") from None
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key_from_instance(app.instance_path)
    logging.basicConfig(level=app.config["LOG_LEVEL"])


def register_wsgi_layers(app: Flask) -> None:
    """What sits in front of Flask. ProxyFix is outermost, so the fast answers see the
    scheme and host the phone used."""
    if app.config["FAST_ANSWERS"]:
        app.wsgi_app = FastAnswers(app, app.wsgi_app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    # Not Flask-Login's own context processor: it loads the user for every template,
    # and on a customer's page that runs session protection, which rewrites the
    # session cookie on every view. Handing templates the lazy proxy loads the user
    # only where a template asks (staff and owner pages).
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    limiter.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = lazy_gettext("Please log in to see the counter.")
    login_manager.session_protection = "strong"


def register_database(app: Flask) -> None:
    @app.teardown_appcontext
    def release_connection(_error):
        # Runs before Flask-SQLAlchemy's own teardown. If the database went away
        # after the view finished (a restart), the closing ROLLBACK fails; the answer
        # is already made and nothing was left to save, so drop the dead connection
        # instead of turning a good page into a 500.
        try:
            db.session.remove()
        except DBAPIError as error:
            app.logger.warning("database connection lost at the end of a request: %s", error)
            with suppress(DBAPIError):
                db.session().invalidate()
            db.session.registry.clear()

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Take transaction control away from pysqlite (whose SAVEPOINT handling
        # would commit early) and make the file safe for several gunicorn workers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):
        # A write transaction takes the write lock up front, so it waits its turn
        # (busy_timeout) instead of failing when its read snapshot goes stale.
        # Page views and polls read without blocking anyone.
        reading = has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
        conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


class IdConverter(IntegerConverter):
    """`<id:…>`: a row id. Anything outside the column's range is a 404 before any
    query runs."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


class TokenConverter(BaseConverter):
    """`<token:…>`: a card code or tab id, URL-safe base64 only."""

    regex = r"[A-Za-z0-9_-]{1,64}"


def register_url_converters(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["token"] = TokenConverter


def register_blueprints(app: Flask) -> None:
    from blueprints import admin, customer, health, payments, push, pwa, staff

    app.register_blueprint(health.bp)
    app.register_blueprint(pwa.bp)
    app.register_blueprint(customer.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(payments.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(push.bp)


def register_error_handlers(app: Flask) -> None:
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


@pass_context
def local_time(context, value: datetime | None, tz: str, fmt: str = "time") -> str:
    """A moment in the shop's timezone, written the way the shop's locale writes it
    ("14:05", "2:05 PM", "오후 2:05"): `fmt` is "time", "datetime" or a strftime layout."""
    if value is None:
        return ""
    shop = context.get("shop")
    locale = (getattr(shop, "locale", None) or "en").replace("-", "_")
    moment = value.astimezone(ZoneInfo(tz))
    if fmt.startswith("%"):
        # A fixed layout asked for by a page not yet following the locale (the day report).
        return moment.strftime(fmt)
    if fmt == "datetime":
        return format_datetime(moment, "short", tzinfo=moment.tzinfo, locale=locale)
    return format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale)


def age(value: datetime | None) -> str:
    if value is None:
        return ""
    minutes = int((datetime.now(UTC) - value).total_seconds() // 60)
    if minutes < 1:
        return _("just now")
    if minutes < 60:
        return _("%(minutes)d min", minutes=minutes)
    return _("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)


# The languages Tabby's own words are shipped in; the first is the fallback.
LANGUAGES = {"en": "English", "ko": "한국어"}
LANGUAGE_COOKIE = "lang"


def chosen_language() -> str:
    """The customer's explicit choice (the switch on the page, kept in a cookie), else
    the best match for the browser's Accept-Language, else English (also outside a
    request: the push dispatcher, CLI commands)."""
    if not has_request_context():
        return "en"
    for asked in (request.args.get(LANGUAGE_COOKIE), request.cookies.get(LANGUAGE_COOKIE)):
        if asked in LANGUAGES:
            return asked
    return request.accept_languages.best_match(LANGUAGES) or "en"


def register_i18n(app: Flask) -> None:
    """Tabby's words follow the customer's language; money, numbers and times follow
    the shop's locale (money.py, `local_time`), whatever language the words are in."""
    from flask_babel import get_locale

    babel.init_app(app, locale_selector=chosen_language)

    def language_url(code: str) -> str:
        if g.get("language_home"):
            return f"/?{LANGUAGE_COOKIE}={code}"
        args = request.args.to_dict(flat=False)
        args[LANGUAGE_COOKIE] = [code]
        return request.path + "?" + urlencode(args, doseq=True)

    @app.context_processor
    def languages():
        return {
            "current_language": str(get_locale() or "en"),
            "languages": LANGUAGES,
            "language_url": language_url,
        }

    @app.after_request
    def remember_language(response):
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
        asked = request.args.get(LANGUAGE_COOKIE)
        if asked in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != asked:
            response.set_cookie(
                LANGUAGE_COOKIE,
                asked,
                max_age=365 * 24 * 3600,
                secure=request.is_secure,
                httponly=True,
                samesite="Lax",
            )
        return response


def register_template_helpers(app: Flask) -> None:
    from models.payment import METHOD_LABELS
    from models.tab import DEPOSIT_LABELS, LINE_LABELS, TAB_LABELS

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["age"] = age
    app.jinja_env.globals.update(
        format_money=format_money,
        format_plain=format_plain,
        line_label=LINE_LABELS.get,
        tab_label=TAB_LABELS.get,
        deposit_label=DEPOSIT_LABELS.get,
        method_label=lambda method: METHOD_LABELS.get(method, method),
    )

    @app.context_processor
    def poll_interval():
        return {"poll_interval_ms": app.config["POLL_INTERVAL_MS"]}


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def harden(response):
        # Behind a proxy that terminates TLS the request itself may look like plain
        # HTTP; an https BASE_URL says the public site is HTTPS all the same.
        https = request.is_secure or app.config["BASE_URL"].startswith("https://")
        for name, value in security_headers(https):
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" or response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", PRIVATE)
        return response


STATIC_MAX_AGE = 365 * 24 * 3600


def register_static_versions(app: Flask) -> None:
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


def register_commands(app: Flask) -> None:
    from cli import demo_command, menu_cli, push_cli, seed_history_command, shop_cli, staff_cli

    app.cli.add_command(demo_command)
    app.cli.add_command(push_cli)
    app.cli.add_command(seed_history_command)
    app.cli.add_command(menu_cli)
    app.cli.add_command(shop_cli)
    app.cli.add_command(staff_cli)


def register_push(app: Flask) -> None:
    """Web Push keys and sender. A bad subject or key stops start-up with a message
    saying what to fix, rather than every notification failing later."""
    from services.push import KIND_LABELS
    from services.push_dispatch import load_vapid, public_key, start_thread

    app.jinja_env.globals["push_kind_label"] = KIND_LABELS.get
    app.config["VAPID_SUBJECT"] = check_vapid_subject(app.config["VAPID_SUBJECT"])
    if not app.config.get("VAPID_PRIVATE_KEY"):
        app.config["VAPID_PRIVATE_KEY"] = vapid_key_from_instance(app.instance_path)
    app.config["VAPID_PUBLIC_KEY"] = public_key(load_vapid(app.config["VAPID_PRIVATE_KEY"]))

    mode = app.config["PUSH_DISPATCHER"]
    if mode not in ("thread", "off"):
        raise ConfigError(f"PUSH_DISPATCHER must be 'thread' or 'off', not {mode!r}")
    if mode == "off":
        return

    # Started by the first request a process serves, so CLI commands (`flask db
    # upgrade`, `flask push worker`) and the reloader's watching parent never run
    # one, and each gunicorn worker starts its own after forking.
    started = False

    @app.before_request
    def start_push_dispatcher():
        nonlocal started
        if not started:
            start_thread(app)
            started = True
