"""Answers given before Flask, for the two requests a busy café repeats most.

An open tab page asks every few seconds whether anything changed, and almost always
nothing has; a phone coming back to its tab page mostly finds it as it left it. Both
are answered here from one indexed read of the tab's row, without Flask's request
machinery, the session, the ORM or a template:

- `GET /tab/<id>/live` with the current version in If-None-Match, from the phone
  that opened the tab (signed cookie): 304, as the view would answer.
- `GET /tab/<id>`: the page as Flask last rendered it for exactly this request
  (same path, cookies, language and encoding), while the tab's version and its
  shop's settings version are still the ones it was rendered at.

Anything else, anything unusual (no cookie, another phone, a changed tab, a
database error) goes on to Flask, which gives the full answer; so this layer can
only ever be skipped, never be wrong in a way Flask would not be.

The page store is this process's memory: a cache, not state. Another worker that
lacks an entry renders the page itself, and every entry is checked against the tab's
current versions before it is served: read from the database, or on PostgreSQL from
the versions this process keeps until the database announces a change (tab_watch.py).
"""

import logging
import re
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from sqlalchemy import Engine, bindparam, create_engine, event, select
from werkzeug.http import parse_cookie, parse_etags

from caching import MemoryCache
from tab_watch import watch_for
from web.headers import PRIVATE, security_headers

log = logging.getLogger(__name__)

_TAB_PATH = re.compile(r"^/tab/([A-Za-z0-9_-]{1,64})(/live)?$")
# Set by the tab page's view: the (tab version, settings version) the page shows.
PAGE_VERSIONS = "tabby.page_versions"

PHONE_COOKIE = "tabby_phone"
PHONE_SALT = "tabby-phone"


def phone_signer(secret_key) -> Signer:
    """Signs the phone's cookie (blueprints/customer.py) and checks it here."""
    return Signer(secret_key, salt=PHONE_SALT)


def keep_page(environ: dict, tab_version: int, settings_version: int) -> None:
    """Called by the tab page's view: this answer may be served again while the tab
    and its shop's settings are at these versions."""
    environ[PAGE_VERSIONS] = (tab_version, settings_version)


@dataclass(frozen=True)
class KeptPage:
    versions: tuple[int, int]
    status: str
    headers: list[tuple[str, str]]
    body: bytes


class TabVersions:
    """The one read: a tab's id, version and owner phone, and its shop's settings
    version, by the tab's public id (a unique index)."""

    def __init__(self, engine: Engine):
        from models import Shop, Tab

        self.engine = engine
        statement = (
            select(Tab.id, Tab.version, Tab.phone_id, Shop.settings_version)
            .join(Shop, Shop.id == Tab.shop_id)
            .where(Tab.public_id == bindparam("public_id"))
        )
        # Compiled once; each read is then the driver's own execute, which costs a
        # fraction of a Core or ORM round trip.
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self.positional = bool(compiled.positiontup)
        self.driver_error = engine.dialect.loaded_dbapi.Error

    def read(self, public_id: str) -> tuple | None:
        """The row, or None when there is none or the database could not be asked
        (then Flask asks again and answers properly, 503 included)."""
        try:
            connection = self.engine.raw_connection()
        except Exception as error:  # no connection: Flask's pool may do better
            log.debug("fast answers: no connection: %s", error)
            return None
        try:
            cursor = connection.cursor()
            cursor.execute(self.sql, (public_id,) if self.positional else {"public_id": public_id})
            row = cursor.fetchone()
            cursor.close()
        except Exception as error:
            # A connection the database dropped (a restart): never hand it out again.
            connection.invalidate()
            level = logging.DEBUG if isinstance(error, self.driver_error) else logging.WARNING
            log.log(level, "fast answers: read failed: %s", error)
            return None
        finally:
            connection.close()
        return row


def fast_engine(url, options: dict) -> Engine:
    """A small pool of its own: autocommit, so a read is one statement with no
    BEGIN/ROLLBACK around it, and no ping before each use, since a dead connection
    only sends the request on to Flask (whose pool does ping)."""
    options = {key: value for key, value in options.items() if key != "pool_pre_ping"}
    return create_engine(url, **options, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)


class FastAnswers:
    """WSGI layer in front of the Flask app (behind ProxyFix, so it sees the real
    scheme and host)."""

    def __init__(self, app, wsgi_app):
        config = app.config
        self.wsgi_app = wsgi_app
        self.signer = phone_signer(app.secret_key)
        self.base_https = config["BASE_URL"].startswith("https://")
        self.pages = (
            MemoryCache(config["PAGE_CACHE_SIZE"], config["PAGE_CACHE_SECONDS"])
            if config["PAGE_CACHE_SIZE"] > 0
            else None
        )
        # What Flask's 304 from the poll view carries (tests/test_fast_answers.py
        # holds the two side by side).
        self._not_modified = {
            https: [
                ("Cache-Control", PRIVATE),
                *security_headers(https),
                ("Vary", "Accept-Language, Cookie"),
            ]
            for https in (False, True)
        }
        with app.app_context():
            from extensions import db

            main_engine = db.engine
        # The URL as Flask-SQLAlchemy resolved it (a relative SQLite path is the
        # instance folder's), so both pools open the same database.
        self.engine = fast_engine(main_engine.url, config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        self.versions = TabVersions(self.engine)
        # On PostgreSQL, versions are kept in memory and dropped as changes are
        # announced (tab_watch.py); elsewhere every check reads the database.
        self.watch = watch_for(self.engine, self.read_database) if config["TAB_WATCH"] else None
        app.extensions["fast_answers"] = self
        # The suite and the CLI dispose of the app's engine when done; this pool and
        # the watch go with it, so no connection outlives the app.
        event.listen(main_engine, "engine_disposed", lambda _engine: self.close())

    def read(self, public_id: str) -> tuple | None:
        if self.watch is not None:
            return self.watch.read(public_id)
        return self.versions.read(public_id)

    def read_database(self, public_id: str) -> tuple | None:
        return self.versions.read(public_id)

    def close(self) -> None:
        if self.watch is not None:
            self.watch.stop()
        self.engine.dispose()

    def __call__(self, environ, start_response):
        if self.watch is not None and not self.watch.started:
            self.watch.start()
        if environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING"):
            match = _TAB_PATH.match(environ.get("PATH_INFO", ""))
            if match:
                public_id, live = match.groups()
                if live:
                    answer = self.unchanged_poll(environ, public_id)
                elif self.pages is not None:
                    return self.tab_page(environ, start_response, public_id)
                else:
                    answer = None
                if answer is not None:
                    status, headers = answer
                    start_response(status, headers)
                    return [b""]
        return self.wsgi_app(environ, start_response)

    # -- the poll ----------------------------------------------------------------------

    def unchanged_poll(self, environ, public_id: str) -> tuple[str, list] | None:
        asked = environ.get("HTTP_IF_NONE_MATCH")
        if not asked:
            return None
        phone = self.phone_id(environ)
        if phone is None:
            return None
        row = self.read(public_id)
        if row is None or not secrets.compare_digest(row[2] or "", phone):
            return None  # a friend's phone, a stranger or no such tab: Flask decides
        etag = f"tab-{row[0]}-{row[1]}"
        if not parse_etags(asked).contains_weak(etag):
            return None
        headers = [("ETag", f'W/"{etag}"'), *self._not_modified[self.https(environ)]]
        return "304 NOT MODIFIED", headers

    def phone_id(self, environ) -> str | None:
        cookie = parse_cookie(environ).get(PHONE_COOKIE)
        if not cookie:
            return None
        try:
            return self.signer.unsign(cookie).decode()
        except BadSignature:
            return None

    def https(self, environ) -> bool:
        return self.base_https or environ.get("wsgi.url_scheme") == "https"

    # -- the tab page ------------------------------------------------------------------

    def tab_page(self, environ, start_response, public_id: str):
        key = self.page_key(environ)
        kept = self.pages.get(key)
        if kept is not None:
            row = self.read(public_id)
            if row is not None and (row[1], row[3]) == kept.versions:
                start_response(kept.status, list(kept.headers))
                return [kept.body]
            self.pages.discard(key)
        return self.render_and_keep(environ, start_response, key)

    def page_key(self, environ) -> tuple:
        """Everything in the request a tab page's answer can depend on. The whole
        Cookie header: the phone, the session (its CSRF token is in the page), the
        language; any other cookie only makes the key more particular."""
        return (
            environ.get("PATH_INFO"),
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
            environ.get("HTTP_COOKIE"),
            environ.get("HTTP_ACCEPT_LANGUAGE"),
            environ.get("HTTP_ACCEPT_ENCODING"),
        )

    def render_and_keep(self, environ, start_response, key: tuple):
        answer = {}

        def remember(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, remember)
        versions = environ.get(PAGE_VERSIONS)
        status = answer.get("status", "")
        headers = answer.get("headers", [])
        # Only a plain page: one that set a cookie (a new phone, a new session, a
        # language chosen, a message shown once) belongs to that one answer.
        if (
            versions is None
            or not status.startswith("200")
            or any(name.lower() == "set-cookie" for name, _ in headers)
        ):
            return body
        try:
            data = b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        self.pages.put(
            key,
            KeptPage(
                versions=versions,
                status=status,
                headers=list(headers),
                body=data,
            ),
        )
        return [data]
