"""The WSGI layer in front of Flask (behind ProxyFix, so it sees the real scheme and
host): unchanged tab polls and unchanged tab pages answered 304 from one read; so
are the counter's poll, a station board's poll and the ready board's poll.

- `GET /tab/<id>/live` and `GET /tab/<id>`, with If-None-Match, from the phone that
  opened the tab (signed cookie): 304 when the ETag the view would give now is
  among those asked about.
- Anything else, anything unusual (no cookie, a friend's phone, a changed tab, a
  query string, a database error) goes on to Flask, which builds the same ETags
  (live/etags.py) and gives the full answer; so this layer can only ever be
  skipped, never be wrong in a way Flask would not be.

- The counter's and a station's polls, with If-None-Match, from a browser whose
  staff session Flask-Login would accept (the signed session cookie, the same
  "strong" session protection, the member active with the same session epoch and
  the browser's StaffSession alive): 304 when the ETag is current. A permanent
  session or anything else unusual is left to Flask.
- The ready board's poll, with If-None-Match: 304 when the board key is a shop's
  and its ETag is current (no login: the key is the secret).

A tab page answer that sets a cookie (a new session, a message shown once) carries
no ETag: the browser must not bring that one page back.
"""

import hashlib
import re
import secrets

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie, parse_etags

from live.boards import BoardReader
from live.etags import counter_etag, ready_board_etag, station_etag, tab_page_etag, tab_poll_etag
from live.phone import PHONE_COOKIE, phone_signer, read_phone
from live.versions import version_reader
from models.base import utcnow
from models.shop import closed_since
from web.headers import PRIVATE, security_headers
from web.i18n import LANGUAGE_COOKIE, pick_language

_TAB_PATH = re.compile(r"^/tab/([A-Za-z0-9_-]{1,64})(/live)?$")
# The counter's poll and a station's (a canonical id only: what the `id` converter
# takes, and nothing it would turn away).
_STAFF_POLL = re.compile(r"^/staff(?:/stations/([1-9][0-9]{0,17}))?/live$")
_BOARD_POLL = re.compile(r"^/board/([A-Za-z0-9_-]{1,43})/live$")
NOT_MODIFIED = "304 NOT MODIFIED"


def language_of(environ, cookies) -> str:
    """The language Flask would draw the page in (web/i18n.py's rule); no query
    string reaches here."""
    accept = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
    return pick_language(None, cookies.get(LANGUAGE_COOKIE), accept)


def login_identifier(environ) -> str:
    """Flask-Login's session identifier for this request (its "strong" session
    protection drops a session whose identifier differs): the first forwarded
    address, else the remote one, and the user agent, written as it writes them."""
    agent = environ.get("HTTP_USER_AGENT")
    if agent is not None:
        agent = agent.encode("utf-8")
    address = environ.get("HTTP_X_FORWARDED_FOR", environ.get("REMOTE_ADDR"))
    if address is not None:
        address = address.encode("utf-8").split(b",")[0].strip()
    return hashlib.sha512(f"{address}|{agent}".encode()).hexdigest()


def without_etag_if_cookie_set(start_response):
    def respond(status, headers, exc_info=None):
        if any(name.lower() == "set-cookie" for name, _ in headers):
            headers = [(name, value) for name, value in headers if name.lower() != "etag"]
        return start_response(status, headers, exc_info)

    return respond


class LiveAnswers:
    def __init__(self, app, wsgi_app):
        config = app.config
        self.wsgi_app = wsgi_app
        self.early = config["FAST_ANSWERS"]
        self.signer = phone_signer(app.secret_key)
        self.session_cookie = config["SESSION_COOKIE_NAME"]
        self.base_https = config["BASE_URL"].startswith("https://")
        # What Flask's 304 from the views carries (tests/test_live_answers.py holds
        # the two side by side).
        self._not_modified = {
            https: [
                ("Cache-Control", PRIVATE),
                *security_headers(https),
                ("Vary", "Accept-Language, Cookie"),
            ]
            for https in (False, True)
        }
        self._staff_not_modified = self._not_modified
        self._board_not_modified = {
            https: [
                ("Cache-Control", "no-cache"),
                *security_headers(https),
                ("Vary", "Accept-Language, Cookie"),
            ]
            for https in (False, True)
        }
        self.sessions = app.session_interface.get_signing_serializer(app)
        self.session_age = int(app.permanent_session_lifetime.total_seconds())
        self.versions = None
        self.boards = None
        if self.early:
            with app.app_context():
                from extensions import db

                main_engine = db.engine
            self.versions = version_reader(main_engine, config)
            self.boards = BoardReader(self.versions.engine)
        app.extensions["live"] = self

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING"):
            match = _TAB_PATH.match(environ.get("PATH_INFO", ""))
            if match:
                public_id, poll = match.groups()
                if self.early and environ.get("HTTP_IF_NONE_MATCH"):
                    headers = self.unchanged(environ, public_id, bool(poll))
                    if headers is not None:
                        start_response(NOT_MODIFIED, headers)
                        return [b""]
                if not poll:
                    start_response = without_etag_if_cookie_set(start_response)
            elif self.early and environ.get("HTTP_IF_NONE_MATCH"):
                headers = self.unchanged_board(environ, environ.get("PATH_INFO", ""))
                if headers is not None:
                    start_response(NOT_MODIFIED, headers)
                    return [b""]
        return self.wsgi_app(environ, start_response)

    def unchanged_board(self, environ, path: str) -> list | None:
        """The 304's headers for an unchanged counter, station or ready board poll;
        None for Flask."""
        match = _STAFF_POLL.match(path)
        if match:
            return self.unchanged_staff_poll(environ, match[1])
        match = _BOARD_POLL.match(path)
        if match:
            row = self.boards.read_board(match[1])
            if row is None:
                return None
            language = language_of(environ, parse_cookie(environ))
            etag = ready_board_etag(row.shop_id, row.live_version, row.settings_version, language)
            return self.not_modified(environ, etag, self._board_not_modified)
        return None

    def unchanged_staff_poll(self, environ, station: str | None) -> list | None:
        cookies = parse_cookie(environ)
        signed = cookies.get(self.session_cookie)
        if not signed or self.sessions is None:
            return None
        try:
            session = self.sessions.loads(signed, max_age=self.session_age)
        except Exception:  # a bad or old signature: Flask starts a fresh session
            return None
        if not isinstance(session, dict) or session.get("_permanent"):
            return None
        if session.get("_id") != login_identifier(environ):
            return None  # Flask-Login's session protection decides
        user, browser = session.get("_user_id"), session.get("staff_session")
        if not isinstance(user, str) or not isinstance(browser, str):
            return None
        member, _, epoch = user.partition(":")
        if not (member.isascii() and member.isdigit() and member[0] != "0" and len(member) < 19):
            return None
        station_id = int(station) if station else 0
        row = self.boards.read_staff(int(member), browser, station_id)
        if row is None or not row.active or str(row.session_epoch) != epoch:
            return None
        language = language_of(environ, cookies)
        if station:
            if row.station_id is None:
                return None  # another shop's station, or none: Flask's 404
            etag = station_etag(
                row.shop_id,
                row.station_id,
                row.live_version,
                row.settings_version,
                row.staff_id,
                language,
            )
        else:
            past_closing = closed_since(row.timezone, row.closing_time, utcnow())
            etag = counter_etag(
                row.shop_id,
                row.live_version,
                row.settings_version,
                row.staff_id,
                past_closing,
                language,
            )
        return self.not_modified(environ, etag, self._staff_not_modified)

    def not_modified(self, environ, etag: str, headers: dict) -> list | None:
        if not parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(etag):
            return None
        https = self.base_https or environ.get("wsgi.url_scheme") == "https"
        return [("ETag", f'W/"{etag}"'), *headers[https]]

    def unchanged(self, environ, public_id: str, poll: bool) -> list | None:
        """The 304's headers when the phone's copy is current; None for Flask."""
        cookies = parse_cookie(environ)
        phone = read_phone(self.signer, cookies.get(PHONE_COOKIE))
        if phone is None:
            return None
        row = self.versions.read(public_id)
        if row is None or not secrets.compare_digest(row.phone_id or "", phone):
            return None  # a friend's phone, a stranger or no such tab: Flask decides
        language = language_of(environ, cookies)
        if poll:
            etag = tab_poll_etag(row.id, row.version, row.settings_version, language)
        else:
            session = cookies.get(self.session_cookie)
            etag = tab_page_etag(row.id, row.version, row.settings_version, language, session)
        if not parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains_weak(etag):
            return None
        https = self.base_https or environ.get("wsgi.url_scheme") == "https"
        return [("ETag", f'W/"{etag}"'), *self._not_modified[https]]
