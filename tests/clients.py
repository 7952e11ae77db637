"""The suite's browser: a Flask test client that, like a browser, carries the CSRF
token of the last page it saw. Shared by the suite's fixtures and the fuzz world
(which bench/fuzz.py uses outside pytest)."""

import re

from flask.testing import FlaskClient

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# Logging in or out starts a new session, with a new CSRF token: like a browser
# following the redirect, the client takes the next page's token.
NEW_SESSION_PATHS = ("/staff/login", "/staff/logout")


class TabbyClient(FlaskClient):
    csrf: str | None = None

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        if response.status_code == 303 and response.request.path in NEW_SESSION_PATHS:
            self.csrf = None
        if response.mimetype == "text/html" and not response.content_encoding:
            match = CSRF_META.search(response.get_data(as_text=True))
            if match:
                self.csrf = match.group(1)
        return response

    def csrf_token(self) -> str:
        if self.csrf is None:
            self.get("/t/no-such-card")  # every page carries the token
        return self.csrf

    def post_form(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kwargs)

    def post_json(self, url, data=None, **kwargs):
        """A form POST as the pages' own fetch() sends it, asking for JSON back."""
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        return self.post_form(url, data, headers=headers, **kwargs)
