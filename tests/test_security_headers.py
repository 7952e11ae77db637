"""Security headers on every kind of answer (customer and staff pages, JSON polls,
static files, error pages), HSTS only when the site is HTTPS, and the flags on the
staff session cookie and the phone cookie."""

import pytest

from live import PHONE_COOKIE
from tests.helpers import open_tab

SAME_EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
REFUSED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb"]
HTTPS = {"base_url": "https://localhost"}


def directives(policy: str) -> dict[str, list[str]]:
    return {words[0]: words[1:] for part in policy.split(";") if (words := part.split())}


def assert_hardened(response, name: str):
    for header, value in SAME_EVERYWHERE.items():
        assert response.headers.get(header) == value, (name, header)
    policy = directives(response.headers.get("Content-Security-Policy", ""))
    assert policy.get("default-src") == ["'self'"], name
    assert policy.get("script-src") == ["'self'"], name
    assert policy.get("style-src") == ["'self'"], name
    assert policy.get("frame-ancestors") == ["'none'"], name
    assert policy.get("object-src") == ["'none'"], name
    assert policy.get("base-uri") == ["'none'"], name
    assert "unsafe" not in response.headers["Content-Security-Policy"], name
    features = {
        part.strip().split("=")[0]: part.strip().split("=")[1]
        for part in response.headers.get("Permissions-Policy", "").split(",")
        if "=" in part
    }
    for feature in REFUSED_FEATURES:
        assert features.get(feature) == "()", (name, feature)


@pytest.fixture
def answers(cafe, phone, new_client, login, make_app):
    """One answer of every kind, by name, with its expected status."""
    public_id = open_tab(phone, cafe.table)
    staff = login(cafe.staff)
    stranger = new_client()
    live = phone.get(f"/tab/{public_id}/live")
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_CARD_SCAN="1 per minute").test_client()
    limited.get(f"/t/{cafe.table.code}")
    return {
        "card": (phone.get(f"/t/{cafe.table.code}"), 200),
        "tab": (phone.get(f"/tab/{public_id}"), 200),
        "tab poll": (live, 200),
        "unchanged tab poll": (
            phone.get(f"/tab/{public_id}/live", headers={"If-None-Match": live.headers["ETag"]}),
            304,
        ),
        "staff login": (stranger.get("/staff/login"), 200),
        "counter": (staff.get("/staff"), 200),
        "counter poll": (staff.get("/staff/live"), 200),
        "card QR": (staff.get(f"/staff/cards/{cafe.table.id}/qr.svg"), 200),
        "health": (stranger.get("/healthz"), 200),
        "stylesheet": (stranger.get("/static/css/app.css"), 200),
        "script": (stranger.get("/static/js/live.js"), 200),
        "icon": (stranger.get("/static/icon.svg"), 200),
        "not found": (stranger.get("/t/no-such-card"), 404),
        "not your tab": (stranger.get(f"/tab/{public_id}"), 403),
        "wrong method": (stranger.get(f"/tab/{public_id}/order"), 405),
        "no CSRF token": (stranger.post(f"/t/{cafe.table.code}"), 400),
        "JSON error": (staff.post_json("/staff/tabs/999999/close"), 404),
        "too many": (limited.get(f"/t/{cafe.table.code}"), 429),
        "not logged in": (stranger.get("/staff"), 302),
    }


def test_every_answer_carries_the_security_headers(answers):
    for name, (response, status) in answers.items():
        assert response.status_code == status, name
        assert_hardened(response, name)
        # Plain HTTP (the test client's default): no HSTS, which browsers would ignore.
        assert "Strict-Transport-Security" not in response.headers, name


# -- HSTS -------------------------------------------------------------------------------


def assert_hsts(response):
    value = response.headers.get("Strict-Transport-Security", "")
    max_age = int(value.split(";")[0].split("=")[1])
    assert max_age >= 365 * 24 * 3600
    assert "includesubdomains" in value.lower().replace(" ", "")


def test_hsts_is_sent_on_https(cafe, client):
    for url in (f"/t/{cafe.table.code}", "/staff/login", "/static/css/app.css", "/nowhere"):
        assert_hsts(client.get(url, **HTTPS))


def test_hsts_is_sent_when_the_public_site_is_https_even_if_tls_ends_before_the_app(cafe, make_app):
    client = make_app(BASE_URL="https://tabs.example.com").test_client()

    assert_hsts(client.get(f"/t/{cafe.table.code}"))
    assert_hsts(client.get("/healthz"))


def test_behind_a_proxy_hsts_follows_the_forwarded_scheme(cafe, make_app):
    client = make_app(PROXY_COUNT=1).test_client()

    assert_hsts(client.get("/staff/login", headers={"X-Forwarded-Proto": "https"}))
    plain = client.get("/staff/login", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers


# -- cookies ----------------------------------------------------------------------------


def set_cookie(response, name: str) -> set[str]:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert headers, response.headers
    return {part.strip().lower() for part in headers[-1].split(";")[1:]}


def test_the_phone_cookie_is_httponly_lax_and_not_secure_on_plain_http(cafe, phone):
    phone.get(f"/t/{cafe.table.code}")
    response = phone.post_form(f"/t/{cafe.table.code}", {"customer_name": ""})

    flags = set_cookie(response, PHONE_COOKIE)
    assert {"httponly", "samesite=lax"} <= flags
    assert "secure" not in flags


def open_over_https(phone, card):
    url = f"/t/{card.code}"
    phone.get(url, **HTTPS)
    # Over HTTPS, CSRF protection also wants a same-site Referer, as browsers send.
    referer = {"Referer": f"https://localhost{url}"}
    return phone.post_form(url, {"customer_name": ""}, headers=referer, **HTTPS)


def test_the_phone_cookie_is_secure_on_https(cafe, phone):
    response = open_over_https(phone, cafe.table)

    assert response.status_code == 303
    assert {"httponly", "samesite=lax", "secure"} <= set_cookie(response, PHONE_COOKIE)


def https_site(monkeypatch, make_app, base_url="https://tabs.example.com", **config):
    # BASE_URL comes from the environment in production, and the cookie settings
    # are derived from it there.
    monkeypatch.setenv("BASE_URL", base_url)
    return make_app(BASE_URL=base_url, **config)


def test_the_phone_cookie_is_secure_when_the_public_site_is_https(cafe, make_app, monkeypatch):
    # TLS ends at a proxy that does not say so: the request itself looks like plain HTTP.
    # (CSRF off: the test client would not send the Secure session cookie over HTTP.)
    phone = https_site(monkeypatch, make_app, WTF_CSRF_ENABLED=False).test_client()
    response = phone.post(f"/t/{cafe.table.code}", base_url="http://localhost")

    assert response.status_code == 303

    assert {"httponly", "samesite=lax", "secure"} <= set_cookie(response, PHONE_COOKIE)


@pytest.mark.parametrize(
    "base_url, secure",
    [("http://127.0.0.1:5000", False), ("https://tabs.example.com", True)],
    ids=["http", "https"],
)
def test_the_session_cookie_follows_the_public_site(make_app, monkeypatch, base_url, secure):
    # The login page puts its CSRF token in the session, so it sets the cookie.
    response = https_site(monkeypatch, make_app, base_url).test_client().get("/staff/login")

    flags = set_cookie(response, "tabby_session")
    assert {"httponly", "samesite=lax"} <= flags
    assert ("secure" in flags) is secure
