"""Sharing a tab: the owner's "join my tab" link, friends joining and ordering onto
it, and nobody joining without a valid invitation."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from extensions import db
from models import Tab, TabLine
from models.base import utcnow
from tests.helpers import load_tab, open_tab, order, phone_id_of, tab_snapshot
from tests.pay_helpers import invite, join, members, tab_id_of


@pytest.fixture
def shared(cafe, new_client):
    """Ana's tab with a join link out: (Ana's phone, Ben's phone, public id, token)."""
    ana, ben = new_client(), new_client()
    public_id = open_tab(ana, cafe.table, "Ana")
    token = invite(ana, public_id)
    return ana, ben, public_id, token


def test_the_owner_shows_a_join_code_as_an_inline_svg(cafe, phone, in_app):
    public_id = open_tab(phone, cafe.table, "Ana")
    tab_page = phone.get(f"/tab/{public_id}").get_data(as_text=True)
    assert "Invite friends to this tab" in tab_page
    # Looking at the page makes nothing; the owner asks for a link.
    first = phone.get(f"/tab/{public_id}/invite").get_data(as_text=True)
    assert "Show a join code" in first
    assert load_tab(in_app, public_id).invite_token is None

    token = invite(phone, public_id)
    page = phone.get(f"/tab/{public_id}/invite").get_data(as_text=True)
    assert '<svg class="qr" role="img" aria-label="Join my tab"' in page
    assert f"http://localhost/join/{token}" in page
    tab = load_tab(in_app, public_id)
    lifetime = tab.invite_expires_at - utcnow()
    assert timedelta(hours=1, minutes=59) < lifetime <= timedelta(hours=2)


def test_a_friend_joins_and_orders_onto_the_same_tab(cafe, shared, in_app):
    ana, ben, public_id, token = shared
    page = ben.get(f"/join/{token}").get_data(as_text=True)
    assert "Join Ana&#39;s tab" in page or "Join Ana's tab" in page
    response = join(ben, token, "Ben")
    assert response.status_code == 303
    assert response.location == f"/tab/{public_id}"
    tab_id = tab_id_of(in_app, public_id)
    assert members(in_app, tab_id) == [("Ben", True)]

    assert order(ben, public_id, cafe.croissant).status_code == 303
    assert order(ana, public_id, cafe.flat_white).status_code == 303
    lines = in_app(
        lambda: db.session.execute(
            select(TabLine.name, TabLine.phone_id).where(TabLine.tab_id == tab_id)
        ).all()
    )
    ben_phone = phone_id_of(ben)
    ana_phone = phone_id_of(ana)
    assert sorted(lines) == sorted([("Butter croissant", ben_phone), ("Flat white", ana_phone)])
    # Both phones see the one tab and its running total.
    assert "€6.60" in ben.get(f"/tab/{public_id}").get_data(as_text=True)
    assert "Shared with Ben" in ana.get(f"/tab/{public_id}").get_data(as_text=True)


def test_joining_twice_is_one_membership(shared, in_app):
    _, ben, public_id, token = shared
    join(ben, token, "Ben")
    assert ben.get(f"/join/{token}").status_code == 302
    assert join(ben, token, "Ben").status_code == 303
    assert members(in_app, tab_id_of(in_app, public_id)) == [("Ben", True)]


def test_the_owner_joining_their_own_link_changes_nothing(shared, in_app):
    ana, _, public_id, token = shared
    assert join(ana, token).status_code == 303
    assert members(in_app, tab_id_of(in_app, public_id)) == []


def test_a_wrong_invitation_is_refused_and_nothing_changes(shared, in_app):
    _, ben, public_id, token = shared
    before = tab_snapshot(in_app, public_id)
    for response in (ben.get(f"/join/{token}x"), join(ben, "not-a-real-token-at-all")):
        assert response.status_code == 404
        assert "the link is wrong, has expired or was withdrawn" in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before
    assert members(in_app, tab_id_of(in_app, public_id)) == []
    assert ben.get(f"/tab/{public_id}").status_code == 403


def test_an_expired_invitation_is_refused_and_nothing_changes(shared, in_app):
    _, ben, public_id, token = shared
    in_app(
        lambda: db.session.execute(
            update(Tab)
            .where(Tab.public_id == public_id)
            .values(invite_expires_at=utcnow() - timedelta(seconds=1))
        )
    )
    before = tab_snapshot(in_app, public_id)
    response = join(ben, token, "Ben")
    assert response.status_code == 404
    assert "has expired" in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before
    assert members(in_app, tab_id_of(in_app, public_id)) == []


def test_a_withdrawn_or_replaced_link_stops_working(shared, in_app):
    ana, ben, public_id, token = shared
    newer = invite(ana, public_id)
    assert newer != token
    assert join(ben, token).status_code == 404
    assert ana.post_form(f"/tab/{public_id}/invite/stop").status_code == 303
    assert join(ben, newer).status_code == 404
    assert members(in_app, tab_id_of(in_app, public_id)) == []


def test_only_the_owner_can_invite(cafe, shared, new_client, in_app):
    _, ben, public_id, token = shared
    join(ben, token, "Ben")
    assert ben.get(f"/tab/{public_id}/invite").status_code == 400
    before = tab_snapshot(in_app, public_id)
    response = ben.post_form(f"/tab/{public_id}/invite")
    assert response.status_code == 400
    assert "Only the phone that opened the tab" in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before
    stranger = new_client()
    assert stranger.post_form(f"/tab/{public_id}/invite").status_code == 403


def test_a_phone_with_its_own_live_tab_cannot_join_another(cafe, shared, in_app):
    _, ben, public_id, token = shared
    own = open_tab(ben, cafe.table, "Ben")
    order(ben, own, cafe.croissant)
    before = tab_snapshot(in_app, public_id)
    response = join(ben, token, "Ben")
    assert response.status_code == 409
    assert "You already have a tab open here" in response.get_data(as_text=True)
    assert tab_snapshot(in_app, public_id) == before
    assert members(in_app, tab_id_of(in_app, public_id)) == []


def test_a_joined_phone_scanning_a_table_card_goes_back_to_the_shared_tab(cafe, shared):
    _, ben, public_id, token = shared
    join(ben, token, "Ben")
    assert open_tab(ben, cafe.table) == public_id


def test_when_the_tab_closes_friends_are_free_to_open_their_own(cafe, shared, staff_client, in_app):
    ana, ben, public_id, token = shared
    join(ben, token, "Ben")
    order(ben, public_id, cafe.croissant)
    tab_id = tab_id_of(in_app, public_id)
    staff_client.post_form(
        f"/staff/tabs/{tab_id}/payment", {"method": "cash", "amount": "2.80", "tip": "0"}
    )
    assert members(in_app, tab_id) == [("Ben", False)]
    assert ben.get(f"/tab/{public_id}/receipt").status_code == 200
    assert open_tab(ben, cafe.table) != public_id
    assert join(ben, token).status_code == 404  # the link died with the tab


def test_a_tab_at_another_shop_does_not_stop_a_phone_joining(shared, other_cafe, new_client):
    _, _, _, token = shared
    # One live tab per phone *per shop*, as for opening a tab.
    stranger = new_client()
    open_tab(stranger, other_cafe.table)
    assert join(stranger, token).status_code == 303
