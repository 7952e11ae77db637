"""A tab page shown again, unchanged, is a 304 to the phone's own conditional
request (the browser keeps the page, not the server: live/__init__.py), answered
before Flask for the tab's owner. Any change to the tab, its lines or the shop's
settings, another language, another session or another release draws it again; an
answer particular to one request (a new cookie, a message shown once) carries no
ETag, so the browser never brings it back."""

import pytest
from sqlalchemy import update

import live.etags
from extensions import db
from models import Shop, Tab, TabLine
from tests.helpers import open_tab, order
from tests.pay_helpers import invite, join
from tests.test_live_answers import counted


def view(phone, public_id: str, etag: str | None = None, **headers):
    if etag:
        headers["If-None-Match"] = etag
    return phone.get(f"/tab/{public_id}", headers=headers)


@pytest.fixture
def seen_twice(cafe, phone):
    """A tab page the phone has looked at since its session began: it has an ETag."""
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    view(phone, public_id)  # shows the "Added" message once
    first = view(phone, public_id)
    assert first.status_code == 200
    assert first.headers["ETag"].startswith('W/"tabpage-')
    return public_id, first


def test_an_unchanged_tab_page_is_a_304_before_flask(app, phone, seen_twice):
    public_id, first = seen_twice

    with counted(app) as seen:
        again = view(phone, public_id, first.headers["ETag"])

    assert seen == {"flask": 0, "reads": 1}
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "Set-Cookie" not in again.headers


def test_no_copy_of_the_page_is_kept_on_the_server(app, phone, seen_twice):
    """Without the browser's ETag the page is drawn again: nothing kept in memory."""
    public_id, first = seen_twice

    with counted(app) as seen:
        again = view(phone, public_id)

    assert seen["flask"] == 1
    assert again.status_code == 200 and again.data == first.data


def test_the_kept_page_carries_a_csrf_token_that_still_works(cafe, phone, seen_twice):
    public_id, first = seen_twice
    assert view(phone, public_id, first.headers["ETag"]).status_code == 304

    assert order(phone, public_id, cafe.croissant).status_code == 303
    assert "Butter croissant" in view(phone, public_id).get_data(as_text=True)


def test_a_new_order_draws_the_page_again(app, cafe, phone, seen_twice):
    """Ordered from the page's own fetch(): no message to show, so the phone's cookies
    are as they were and only the tab's version tells the browser's page is old."""
    public_id, first = seen_twice
    added = phone.post_json(
        f"/tab/{public_id}/order", {"item_id": cafe.croissant.id, "quantity": 1}
    )
    assert added.status_code == 200 and "Set-Cookie" not in added.headers

    with counted(app) as seen:
        page = view(phone, public_id, first.headers["ETag"])

    assert seen["flask"] == 1
    assert page.status_code == 200
    assert "Butter croissant" in page.get_data(as_text=True)


def test_a_message_shown_once_carries_no_etag(cafe, phone, seen_twice):
    public_id, _first = seen_twice
    order(phone, public_id, cafe.croissant)

    with_message = view(phone, public_id)
    assert "Added 1 × Butter croissant" in with_message.get_data(as_text=True)
    assert "ETag" not in with_message.headers
    after = view(phone, public_id)
    assert "Added 1 × Butter croissant" not in after.get_data(as_text=True)
    assert "ETag" in after.headers


def test_the_first_page_of_a_session_carries_no_etag(cafe, phone):
    public_id = open_tab(phone, cafe.table)
    phone.delete_cookie("tabby_session")  # as after a browser restart

    response = view(phone, public_id)  # a new session, and with it a new cookie

    assert "Set-Cookie" in response.headers
    assert "ETag" not in response.headers


def test_another_session_does_not_get_the_old_page(cafe, phone, seen_twice):
    """The page's forms carry the session's CSRF token: a page from before the
    session changed must not come back."""
    public_id, first = seen_twice
    phone.delete_cookie("tabby_session")

    assert view(phone, public_id, first.headers["ETag"]).status_code == 200


def test_staff_marking_a_line_ready_draws_the_page_again(cafe, phone, staff_client, seen_twice):
    public_id, first = seen_twice
    line_id = staff_client.get("/staff/live", headers={"Accept": "application/json"}).json[
        "queue_ids"
    ][0]

    staff_client.post_json(f"/staff/lines/{line_id}/status", {"status": "ready"})

    again = view(phone, public_id, first.headers["ETag"])
    assert again.status_code == 200
    assert "status-ready" in again.get_data(as_text=True)


def test_the_owner_renaming_the_shop_draws_the_page_again(cafe, phone, seen_twice, in_app):
    public_id, first = seen_twice

    def rename():
        db.session.get(Shop, cafe.shop.id).name = "The Blue Door"

    in_app(rename)

    again = view(phone, public_id, first.headers["ETag"])
    assert "The Blue Door" in again.get_data(as_text=True)


@pytest.mark.parametrize("table", ["tabs", "tab_lines", "shops"])
def test_a_bulk_update_elsewhere_draws_the_page_again(app, phone, seen_twice, in_app, table):
    """Another process, a script, a bulk UPDATE that names no version: the database
    moves it, and the next request reads it."""
    public_id, first = seen_twice
    tab_id = int(first.headers["ETag"].split("-")[1])

    def elsewhere():
        statement = {
            "tabs": update(Tab).where(Tab.id == tab_id).values(customer_name="Ana B"),
            "tab_lines": update(TabLine).where(TabLine.tab_id == tab_id).values(note="oat"),
            "shops": update(Shop).values(service_note="Back at 3"),
        }[table]
        db.session.execute(statement)

    in_app(elsewhere)

    with counted(app) as seen:
        assert view(phone, public_id, first.headers["ETag"]).status_code == 200
    assert seen["flask"] == 1


def test_another_language_is_another_page(phone, seen_twice):
    public_id, first = seen_twice

    korean = view(phone, public_id, first.headers["ETag"], **{"Accept-Language": "ko"})

    assert korean.status_code == 200
    assert '<html lang="ko">' in korean.get_data(as_text=True)


def test_a_new_release_draws_the_page_again(phone, seen_twice, monkeypatch):
    public_id, first = seen_twice
    monkeypatch.setattr(live.etags, "release", lambda: "next-release")

    assert view(phone, public_id, first.headers["ETag"]).status_code == 200


def test_a_friend_gets_its_304_from_flask(app, cafe, new_client, seen_twice, phone):
    public_id, _first = seen_twice
    ben = new_client()
    join(ben, invite(phone, public_id), "Ben")
    view(ben, public_id)
    bens = view(ben, public_id)
    assert "Invite friends to this tab" not in bens.get_data(as_text=True)  # owner only

    with counted(app) as seen:
        assert view(ben, public_id, bens.headers["ETag"]).status_code == 304
    assert seen["flask"] == 1


def test_a_stranger_with_the_etag_is_refused(new_client, seen_twice):
    public_id, first = seen_twice
    stranger = new_client()

    response = view(stranger, public_id, first.headers["ETag"])

    assert response.status_code == 403
    assert "Flat white" not in response.get_data(as_text=True)


def test_a_paid_tab_goes_to_the_receipt(cafe, phone, staff_client, seen_twice):
    public_id, first = seen_twice
    phone.get(f"/tab/{public_id}/bill")
    phone.post_form(f"/tab/{public_id}/pay", {"share": "all", "tip": "none"})
    tab_page = staff_client.get("/staff/live", headers={"Accept": "application/json"})
    tab_id = tab_page.json["waiting_ids"][0]
    staff_client.get(f"/staff/tabs/{tab_id}")
    paid = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "3.80", "tip": ""}
    )
    assert paid.status_code == 303, paid.get_data(as_text=True)

    response = view(phone, public_id, first.headers["ETag"])

    assert response.status_code == 302
    assert response.location.endswith(f"/tab/{public_id}/receipt")
