"""The owner's staff page: logins added, passwords reset and people deactivated,
with sessions ended at once, and never the last active owner."""

import pytest
from sqlalchemy import select

from extensions import db
from models import StaffMember
from tests.helpers import PASSWORD


def member(in_app, member_id):
    return in_app(lambda: db.session.get(StaffMember, member_id))


def team_rows(in_app):
    return in_app(
        lambda: sorted(
            map(tuple, db.session.execute(select(StaffMember.__table__)).all()), key=repr
        )
    )


def logged_in(client) -> bool:
    response = client.get("/staff")
    return response.status_code == 200


@pytest.fixture
def owner(cafe, login):
    client = login(cafe.owner)
    client.get("/admin/staff")
    return client


def test_owner_adds_a_staff_member_who_can_log_in(owner, new_client):
    response = owner.post_form(
        "/admin/staff",
        {"email": "Sam@Example.com", "name": "Sam", "role": "staff", "password": "sam-password-1"},
    )
    assert response.status_code == 303
    assert "sam@example.com" in owner.get("/admin/staff").get_data(as_text=True)

    sam = new_client()
    login = sam.post_form(
        "/staff/login", {"email": "sam@example.com", "password": "sam-password-1"}
    )
    assert login.status_code == 303
    assert sam.get("/admin").status_code == 403  # staff, not owner


def test_a_password_reset_ends_the_members_sessions_at_once(cafe, owner, staff_client, new_client):
    assert logged_in(staff_client)

    response = owner.post_form(
        f"/admin/staff/{cafe.staff.id}/password", {"password": "a-brand-new-secret"}
    )

    assert response.status_code == 303
    assert not logged_in(staff_client)
    again = new_client()
    old = again.post_form("/staff/login", {"email": cafe.staff.email, "password": PASSWORD})
    assert old.status_code == 400
    new = again.post_form(
        "/staff/login", {"email": cafe.staff.email, "password": "a-brand-new-secret"}
    )
    assert new.status_code == 303


def test_owner_resetting_their_own_password_stays_logged_in_here_only(cafe, owner, login):
    elsewhere = login(cafe.owner)

    response = owner.post_form(
        f"/admin/staff/{cafe.owner.id}/password", {"password": "my-new-owner-secret"}
    )

    assert response.status_code == 303
    assert owner.get("/admin/staff").status_code == 200
    assert not logged_in(elsewhere)


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(
    cafe, owner, staff_client, login, in_app
):
    assert logged_in(staff_client)

    off = owner.post_form(f"/admin/staff/{cafe.staff.id}/active", {"value": "0"})
    assert off.status_code == 303
    assert not logged_in(staff_client)
    assert member(in_app, cafe.staff.id).active is False

    on = owner.post_form(f"/admin/staff/{cafe.staff.id}/active", {"value": "1"})
    assert on.status_code == 303
    assert member(in_app, cafe.staff.id).active is True
    assert not logged_in(staff_client)  # the old session stays ended
    assert logged_in(login(cafe.staff))  # a fresh login works


def test_a_session_id_without_the_current_epoch_is_refused(cafe, staff_client):
    """Sessions made before epochs existed (a bare "<id>") do not load a member."""
    with staff_client.session_transaction() as session:
        session["_user_id"] = str(cafe.staff.id)
    assert not logged_in(staff_client)


def test_the_last_active_owner_cannot_be_deactivated_or_demoted(cafe, owner, in_app):
    before = team_rows(in_app)

    deactivate = owner.post_form(f"/admin/staff/{cafe.owner.id}/active", {"value": "0"})
    demote = owner.post_form(f"/admin/staff/{cafe.owner.id}/role", {"role": "staff"})

    for response in (deactivate, demote):
        assert response.status_code == 409
        assert "last active owner" in response.get_data(as_text=True)
    assert team_rows(in_app) == before
    assert logged_in(owner)


def test_with_a_second_owner_the_first_can_step_down(cafe, owner, create_staff, in_app):
    create_staff(cafe.shop, "owner")
    create_staff(cafe.shop, "owner", active=False)  # an inactive owner does not count

    response = owner.post_form(f"/admin/staff/{cafe.owner.id}/role", {"role": "staff"})

    assert response.status_code == 303
    assert member(in_app, cafe.owner.id).role == "staff"
    assert owner.get("/admin").status_code == 403


def test_an_inactive_second_owner_does_not_count(cafe, owner, create_staff):
    create_staff(cafe.shop, "owner", active=False)

    response = owner.post_form(f"/admin/staff/{cafe.owner.id}/active", {"value": "0"})

    assert response.status_code == 409


def test_promoting_staff_to_owner_opens_the_back_office_to_them(cafe, owner, staff_client):
    assert staff_client.get("/admin").status_code == 403

    assert (
        owner.post_form(f"/admin/staff/{cafe.staff.id}/role", {"role": "owner"}).status_code == 303
    )

    assert staff_client.get("/admin").status_code == 200


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "short"}, "at least 10 characters"),
        ({"email": "not-an-email"}, "not valid"),
        ({"email": ""}, "not valid"),
        ({"role": "king"}, "owner or staff"),
    ],
)
def test_bad_new_logins_are_refused_and_nothing_is_saved(owner, in_app, fields, message):
    before = team_rows(in_app)
    data = {"email": "new@example.com", "name": "New", "role": "staff", "password": "long-password"}

    response = owner.post_form("/admin/staff", {**data, **fields})

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert team_rows(in_app) == before


def test_an_email_already_used_is_refused(cafe, other_cafe, owner, in_app):
    before = team_rows(in_app)
    data = {"email": other_cafe.staff.email, "role": "staff", "password": "long-password"}

    response = owner.post_form("/admin/staff", data)

    assert response.status_code == 409
    assert "already has a login" in response.get_data(as_text=True)
    assert team_rows(in_app) == before


def test_a_short_reset_password_is_refused(cafe, owner, staff_client, in_app):
    before = team_rows(in_app)

    response = owner.post_form(f"/admin/staff/{cafe.staff.id}/password", {"password": "short"})

    assert response.status_code == 400
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert team_rows(in_app) == before
    assert logged_in(staff_client)
