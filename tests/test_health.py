"""/healthz for the load balancer, and the security headers and script policy of pages."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from extensions import db
from models import Tab
from tests.helpers import open_tab, order

# -- /healthz ------------------------------------------------------------------------


def test_healthz_reports_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "db": "ok"}


@pytest.mark.parametrize(
    "config",
    [
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite:////nonexistent-dir/x.db",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        },
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/x",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        },
    ],
    ids=["sqlite-missing-directory", "postgresql-closed-port"],
)
def test_healthz_reports_an_unreachable_database(make_app, config):
    app = make_app(**config)

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json == {"status": "error", "db": "unreachable"}


def test_healthz_needs_no_login_and_sets_no_session(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert not [c for c in response.headers.getlist("Set-Cookie") if "tabby_session" in c]


# -- the pages -----------------------------------------------------------------------


@pytest.fixture
def pages(cafe, phone, new_client, login, in_app):
    """{name: response} for the main customer and staff pages, walked as people do."""
    walked = {}
    stranger = new_client()
    walked["staff login"] = stranger.get("/staff/login")
    walked["unknown card"] = stranger.get("/t/no-such-card")
    walked["card"] = phone.get(f"/t/{cafe.table.code}")
    public_id = open_tab(phone, cafe.table, "Ana")
    walked["empty tab"] = phone.get(f"/tab/{public_id}")
    walked["menu"] = phone.get(f"/tab/{public_id}/menu")
    order(phone, public_id, cafe.flat_white)
    walked["tab"] = phone.get(f"/tab/{public_id}")
    walked["bill"] = phone.get(f"/tab/{public_id}/bill")
    walked["not your tab"] = stranger.get(f"/tab/{public_id}")
    staff = login(cafe.staff)
    tab_id = in_app(
        lambda: db.session.execute(select(Tab.id).where(Tab.public_id == public_id)).scalar_one()
    )
    walked["counter"] = staff.get("/staff")
    walked["staff tab"] = staff.get(f"/staff/tabs/{tab_id}")
    walked["new tab"] = staff.get("/staff/tabs/new")
    walked["cards"] = staff.get("/staff/cards")
    walked["not found"] = staff.get("/staff/tabs/999999")
    phone.post_form(f"/tab/{public_id}/pay")
    paid = staff.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "3.80", "tip": "0"}
    )
    assert paid.status_code == 303
    walked["paid staff tab"] = staff.get(f"/staff/tabs/{tab_id}")
    walked["receipt"] = phone.get(f"/tab/{public_id}/receipt")
    staff.get("/staff/tabs/new")
    staff.post_form("/staff/tabs/new", {"card_id": cafe.personal.id})
    open_tab(new_client(), cafe.personal, "Cleo")
    walked["card in use"] = new_client().get(f"/t/{cafe.personal.code}")
    # Every page was reached as intended (not redirected past).
    expected_status = {"unknown card": 404, "not your tab": 403, "not found": 404}
    expected_status["card in use"] = 409
    for name, response in walked.items():
        assert response.status_code == expected_status.get(name, 200), name
        assert response.mimetype == "text/html", name
    return walked


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


def test_every_page_carries_the_security_headers(pages):
    for name, response in pages.items():
        policy = directives(response.headers.get("Content-Security-Policy", ""))
        script_src = policy.get("script-src", policy.get("default-src"))
        assert script_src, name
        assert "'unsafe-inline'" not in script_src, name
        assert "'unsafe-eval'" not in script_src, name
        assert "*" not in script_src, name
        assert policy.get("frame-ancestors") == ["'none'"], name
        assert policy.get("object-src") == ["'none'"], name
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name


def test_json_and_svg_answers_carry_nosniff(cafe, staff_client):
    for url in ("/healthz", "/staff/live", f"/staff/cards/{cafe.table.id}/qr.svg"):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)


def test_no_page_has_inline_script(pages):
    external = set()
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert "<html" in html, name
        for attributes, body in SCRIPT_TAG.findall(html):
            if 'type="application/json"' in attributes:
                continue  # a data block (the page's words for its script): never run
            src = re.search(r'\ssrc="([^"]+)"', attributes)
            assert src, f"inline <script> on the {name} page: {body[:80]!r}"
            assert not body.strip(), name
            assert not urlsplit(src.group(1)).netloc, f"off-site script on the {name} page"
            external.add(src.group(1))
        assert html.lower().count("<script") == len(SCRIPT_TAG.findall(html)), name
        assert not EVENT_HANDLER.search(html), f"inline event handler on the {name} page"
        assert "javascript:" not in html.lower(), name
    # The pages that do run code load it from files, so the check above saw them.
    paths = {urlsplit(src).path for src in external}  # without the ?v=<content hash>
    assert any(path.endswith("/staff.js") for path in paths)
    assert any(path.endswith("/tab.js") for path in paths)
