"""Back office: the shop's staff and owners."""

from flask import render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_user

from blueprints.admin import bp, done, owned
from blueprints.forms import AddStaffForm, EmptyForm, PasswordForm, RoleForm, SwitchForm, submitted
from models import StaffMember
from services import Refused, team, unit_of_work
from services import shops as shop_service

TEMPLATE = "admin/staff.html"


def staff_page(status: int = 200, *, error: str | None = None, add_form=None):
    shop = current_user.shop
    return (
        render_template(
            TEMPLATE,
            shop=shop,
            members=team.members(shop.id),
            add_form=add_form or AddStaffForm(formdata=None),
            form=EmptyForm(),
            error=error,
        ),
        status,
    )


@bp.get("/staff")
def staff():
    return staff_page()


@bp.post("/staff")
def add_member():
    form = AddStaffForm()
    try:
        submitted(form)
        with unit_of_work():
            member = shop_service.add_staff(
                current_user.shop,
                form.email.data,
                form.password.data,
                form.role.data,
                form.name.data,
            )
    except Refused as problem:
        return staff_page(problem.status_code, error=problem.message, add_form=form)
    return done(
        gettext(
            "%(email)s can now log in as %(role)s.", email=member.email, role=role_name(member)
        ),
        url_for(".staff"),
    )


@bp.post("/staff/<id:member_id>/password")
def reset_password(member_id: int):
    member = owned(StaffMember, member_id)
    form = PasswordForm()
    try:
        submitted(form)
        with unit_of_work():
            team.reset_password(member, form.password.data)
    except Refused as problem:
        return staff_page(problem.status_code, error=problem.message)
    if member.id == current_user.id:
        login_user(member)  # this browser stays in; every other session of theirs ends
        return done(
            gettext("Your password is changed; other sessions were logged out."),
            url_for(".staff"),
        )
    return done(
        gettext(
            "New password set for %(name)s; they were logged out everywhere.",
            name=member.display_name,
        ),
        url_for(".staff"),
    )


@bp.post("/staff/<id:member_id>/active")
def set_active(member_id: int):
    member = owned(StaffMember, member_id)
    form = SwitchForm()
    try:
        submitted(form)
        with unit_of_work():
            team.set_active(member, form.value.data == "1")
    except Refused as problem:
        return staff_page(problem.status_code, error=problem.message)
    if member.active:
        return done(
            gettext("%(name)s can log in again.", name=member.display_name), url_for(".staff")
        )
    return done(
        gettext("%(name)s is deactivated and was logged out everywhere.", name=member.display_name),
        url_for(".staff") if member.id != current_user.id else url_for("staff.login"),
    )


@bp.post("/staff/<id:member_id>/role")
def set_role(member_id: int):
    member = owned(StaffMember, member_id)
    form = RoleForm()
    try:
        submitted(form)
        with unit_of_work():
            team.set_role(member, form.role.data)
    except Refused as problem:
        return staff_page(problem.status_code, error=problem.message)
    return done(
        gettext("%(name)s is now %(role)s.", name=member.display_name, role=role_name(member)),
        url_for(".staff"),
    )


def role_name(member: StaffMember) -> str:
    return gettext("owner") if member.role == "owner" else gettext("staff")
