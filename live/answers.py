"""The WSGI layer in front of Flask (behind ProxyFix, so it sees the real scheme and
host): unchanged tab polls and unchanged tab pages answered 304 from one read.

- `GET /tab/<id>/live` and `GET /tab/<id>`, with If-None-Match, from the phone that
  opened the tab (signed cookie): 304 when the ETag the view would give now is
  among those asked about.
- Anything else, anything unusual (no cookie, a friend's phone, a changed tab, a
  query string, a database error) goes on to Flask, which builds the same ETags
  (live/etags.py) and gives the full answer; so this layer can only ever be
  skipped, never be wrong in a way Flask would not be.

A tab page answer that sets a cookie (a new session, a message shown once) carries
no ETag: the browser must not bring that one page back.
"""

import re
import secrets

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie, parse_etags

from live.etags import tab_page_etag, tab_poll_etag
from live.phone import PHONE_COOKIE, phone_signer, read_phone
from live.versions import version_reader
from web.headers import PRIVATE, security_headers
from web.i18n import LANGUAGE_COOKIE, pick_language

_TAB_PATH = re.compile(r"^/tab/([A-Za-z0-9_-]{1,64})(/live)?$")
NOT_MODIFIED = "304 NOT MODIFIED"


def language_of(environ, cookies) -> str:
    """The language Flask would draw the page in (web/i18n.py's rule); no query
    string reaches here."""
    accept = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
    return pick_language(None, cookies.get(LANGUAGE_COOKIE), accept)


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
        self.versions = None
        if self.early:
            with app.app_context():
                from extensions import db

                main_engine = db.engine
            self.versions = version_reader(main_engine, config)
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
        return self.wsgi_app(environ, start_response)

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
