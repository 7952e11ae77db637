"""A tab page shown again, unchanged, comes from the page kept for exactly that request
(fast_answers.py); any change to the tab, its lines or the shop's settings, and
anything particular to one answer (a new cookie, a message shown once), draws it
again."""

import pytest
from sqlalchemy import update

from extensions import db
from models import Shop, Tab
from tests.helpers import open_tab, order
from tests.pay_helpers import invite, join
from tests.test_fast_answers import counted


def view(phone, public_id: str, **headers):
    return phone.get(f"/tab/{public_id}", headers=headers)


@pytest.fixture
def seen_twice(cafe, phone):
    """A tab page the phone has looked at since its session began: kept."""
    public_id = open_tab(phone, cafe.table, "Ana")
    order(phone, public_id, cafe.flat_white)
    view(phone, public_id)  # shows the "Added" message once
    first = view(phone, public_id)
    assert first.status_code == 200
    return public_id, first


def test_an_unchanged_tab_page_is_served_as_kept(app, phone, seen_twice):
    public_id, first = seen_twice

    with counted(app) as seen:
        again = view(phone, public_id)

    assert seen == {"flask": 0, "reads": 1}
    assert again.status_code == 200
    assert again.data == first.data
    assert dict(again.headers) == dict(first.headers)
    assert "Set-Cookie" not in again.headers


def test_the_kept_page_carries_a_csrf_token_that_still_works(cafe, phone, seen_twice, in_app):
    public_id, _first = seen_twice
    view(phone, public_id)  # the client takes the token from the kept page

    assert order(phone, public_id, cafe.croissant).status_code == 303
    assert "Butter croissant" in view(phone, public_id).get_data(as_text=True)


def test_a_new_order_draws_the_page_again(app, cafe, phone, seen_twice):
    """Ordered from the page's own fetch(): no message to show, so the phone's cookies
    are as they were and only the tab's version tells the kept page is old."""
    public_id, _first = seen_twice
    added = phone.post_json(
        f"/tab/{public_id}/order", {"item_id": cafe.croissant.id, "quantity": 1}
    )
    assert added.status_code == 200 and "Set-Cookie" not in added.headers

    with counted(app) as seen:
        page = view(phone, public_id).get_data(as_text=True)

    assert seen["flask"] == 1
    assert "Butter croissant" in page


def test_a_message_shown_once_is_not_kept(cafe, phone, seen_twice):
    public_id, _first = seen_twice
    order(phone, public_id, cafe.croissant)

    assert "Added 1 × Butter croissant" in view(phone, public_id).get_data(as_text=True)
    assert "Added 1 × Butter croissant" not in view(phone, public_id).get_data(as_text=True)


def test_staff_marking_a_line_ready_draws_the_page_again(cafe, phone, staff_client, seen_twice):
    public_id, first = seen_twice
    line_id = staff_client.get("/staff/live", headers={"Accept": "application/json"}).json[
        "queue_ids"
    ][0]

    staff_client.post_json(f"/staff/lines/{line_id}/status", {"status": "ready"})

    assert "status-ready" not in first.get_data(as_text=True)
    assert "status-ready" in view(phone, public_id).get_data(as_text=True)


def test_the_owner_renaming_the_shop_draws_the_page_again(cafe, phone, seen_twice, in_app):
    public_id, _first = seen_twice

    def rename():
        db.session.get(Shop, cafe.shop.id).name = "The Blue Door"

    in_app(rename)

    assert "The Blue Door" in view(phone, public_id).get_data(as_text=True)


def test_a_change_the_version_does_not_show_is_not_served_from_memory(
    app, phone, seen_twice, in_app
):
    """Every check reads the database: a version moved by another process or host is
    seen at once."""
    public_id, _first = seen_twice

    def elsewhere():
        db.session.execute(
            update(Tab).where(Tab.public_id == public_id).values(version=Tab.version + 1)
        )

    in_app(elsewhere)

    with counted(app) as seen:
        view(phone, public_id)
    assert seen["flask"] == 1


def test_each_phone_and_each_language_has_its_own_page(cafe, new_client, seen_twice, phone):
    public_id, first = seen_twice
    ben = new_client()
    join(ben, invite(phone, public_id), "Ben")

    korean = view(phone, public_id, **{"Accept-Language": "ko"}).get_data(as_text=True)
    bens = view(ben, public_id).get_data(as_text=True)

    assert '<html lang="ko">' in korean
    assert "Invite friends to this tab" not in bens  # only the owner invites
    assert "Invite friends to this tab" in view(phone, public_id).get_data(as_text=True)


def test_a_stranger_is_never_served_someone_elses_page(new_client, seen_twice):
    public_id, _first = seen_twice
    stranger = new_client()

    response = view(stranger, public_id)

    assert response.status_code == 403
    assert "Flat white" not in response.get_data(as_text=True)


def test_a_paid_tab_goes_to_the_receipt_not_the_kept_page(cafe, phone, staff_client, seen_twice):
    public_id, _first = seen_twice
    phone.get(f"/tab/{public_id}/bill")
    phone.post_form(f"/tab/{public_id}/pay", {"share": "all", "tip": "none"})
    tab_page = staff_client.get("/staff/live", headers={"Accept": "application/json"})
    tab_id = tab_page.json["waiting_ids"][0]
    staff_client.get(f"/staff/tabs/{tab_id}")
    paid = staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "3.80", "tip": ""}
    )
    assert paid.status_code == 303, paid.get_data(as_text=True)

    response = view(phone, public_id)

    assert response.status_code == 302
    assert response.location.endswith(f"/tab/{public_id}/receipt")


def test_answers_that_set_a_cookie_are_not_kept(app, cafe, phone):
    public_id = open_tab(phone, cafe.table)
    phone.delete_cookie("tabby_session")  # as after a browser restart
    fast = app.extensions["fast_answers"]
    kept_before = len(fast.pages)

    response = view(phone, public_id)  # a new session, and with it a new cookie

    assert "Set-Cookie" in response.headers
    assert len(fast.pages) == kept_before


@pytest.mark.parametrize("settings", [{"PAGE_CACHE_SIZE": 0}, {"PAGE_CACHE_SECONDS": 0.0}])
def test_no_page_is_kept_when_switched_off_or_expired(make_app, cafe, settings):
    app = make_app(**settings)
    phone = app.test_client()
    public_id = open_tab(phone, cafe.table)
    view(phone, public_id)
    view(phone, public_id)

    with counted(app) as seen:
        assert view(phone, public_id).status_code == 200
    assert seen["flask"] == 1


def test_the_store_keeps_at_most_its_size(make_app, cafe):
    app = make_app(PAGE_CACHE_SIZE=2)
    for _ in range(3):
        phone = app.test_client()
        public_id = open_tab(phone, cafe.table)
        view(phone, public_id)
        view(phone, public_id)
    assert len(app.extensions["fast_answers"].pages) == 2
