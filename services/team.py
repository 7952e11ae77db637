"""The shop's people, from the owner's side: adding logins, resetting passwords,
deactivating and changing roles, without ever leaving the shop with no active owner.

Deactivating a member or resetting their password ends their sessions at once (see
StaffMember.session_epoch); reactivating does not bring the old sessions back.
Logging out ends only that browser's session (its StaffSession row).
"""

from flask_babel import gettext
from sqlalchemy import delete, select

from extensions import db
from models import StaffMember, StaffSession
from models.staff import ROLES
from services import Conflict, Refused
from services.shops import MIN_PASSWORD

# Sessions a member may hold at once (tablets, phones, browsers that were never
# logged out); signing in once more ends the oldest.
MAX_SESSIONS = 20


def sign_in(member: StaffMember) -> StaffSession:
    browser = StaffSession(staff_member_id=member.id)
    db.session.add(browser)
    db.session.flush()
    kept = (
        select(StaffSession.id)
        .where(StaffSession.staff_member_id == member.id)
        .order_by(StaffSession.created_at.desc(), StaffSession.id)
        .limit(MAX_SESSIONS)
    )
    db.session.execute(
        delete(StaffSession).where(
            StaffSession.staff_member_id == member.id,
            StaffSession.id.not_in(kept.scalar_subquery()),
        )
    )
    return browser


def sign_out(session_id) -> None:
    """End one browser's session; the member's other devices stay signed in."""
    if isinstance(session_id, str):
        db.session.execute(delete(StaffSession).where(StaffSession.id == session_id))


def members(shop_id: int) -> list[StaffMember]:
    return list(
        db.session.execute(
            select(StaffMember)
            .where(StaffMember.shop_id == shop_id)
            .order_by(StaffMember.active.desc(), StaffMember.role, StaffMember.email)
        ).scalars()
    )


def _keeps_an_owner(member: StaffMember) -> None:
    """Refuse when `member` is the only active owner. The owners' rows are locked
    (on PostgreSQL) so two owners cannot demote each other at the same moment."""
    if not (member.is_owner and member.active):
        return
    owners = db.session.execute(
        select(StaffMember.id)
        .where(
            StaffMember.shop_id == member.shop_id,
            StaffMember.role == "owner",
            StaffMember.active.is_(True),
        )
        .with_for_update()
    ).scalars()
    if set(owners) <= {member.id}:
        raise Conflict(
            gettext(
                "%(name)s is the shop's last active owner. Make someone else an owner first, "
                "so the shop is never left without one.",
                name=member.display_name,
            )
        )


def reset_password(member: StaffMember, password: str) -> StaffMember:
    if len(password or "") < MIN_PASSWORD:
        raise Refused(
            gettext("The password must be at least %(least)s characters.", least=MIN_PASSWORD)
        )
    if len(password) > 200:
        raise Refused(gettext("The password must be at most 200 characters."))
    member.set_password(password)
    member.end_sessions()
    db.session.flush()
    return member


def set_active(member: StaffMember, active: bool) -> StaffMember:
    if active == member.active:
        return member
    if not active:
        _keeps_an_owner(member)
        member.end_sessions()
    member.active = active
    db.session.flush()
    return member


def set_role(member: StaffMember, role: str) -> StaffMember:
    if role not in ROLES:
        raise Refused(gettext("The role must be owner or staff."))
    if role != "owner":
        _keeps_an_owner(member)
    member.role = role
    db.session.flush()
    return member
