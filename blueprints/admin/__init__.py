"""The owner's back office: shop settings, menu, staff, token cards and the day's money.

Only owners get in, and only to their own shop: every lookup is by id *and* the
logged-in owner's shop. The routes live in one module per page group, all on `bp`.
"""

from babel.dates import format_date
from flask import Blueprint, abort, flash, redirect, render_template
from flask_babel import get_locale, lazy_gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from extensions import db
from services import Refused, report

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def owners_only():
    if not current_user.is_owner:
        abort(403, lazy_gettext("Only the shop's owners can open the back office."))


@bp.get("")
def home():
    """The overview: today's money at a glance (the day page's own figures)."""
    shop = current_user.shop
    today = report.parse_period(None, None, shop)
    return render_template(
        "admin/home.html", shop=shop, today=today, headline=report.headline(shop, today)
    )


def owned(model, row_id: int):
    """The shop's own row with this id; another shop's row is simply not found."""
    row = db.session.execute(
        select(model).where(model.id == row_id, model.shop_id == current_user.shop_id)
    ).scalar_one_or_none()
    if row is None:
        abort(404)
    return row


def done(message: str, location: str, category: str = "success"):
    flash(message, category)
    return redirect(location, code=303)


def page_with_error(template: str, problem: Refused, **context):
    """The page again, with what was typed and why it was refused; nothing was saved."""
    return render_template(template, error=problem.message, **context), problem.status_code


# The back office's words for values stored in English (card kinds, what staff did to a
# line, the CSV files), in the owner's language.
KIND_LABELS = {"table": lazy_gettext("table card"), "personal": lazy_gettext("personal card")}
ADJUSTMENT_LABELS = {
    "void": lazy_gettext("void"),
    "comp": lazy_gettext("comp"),
    "discount": lazy_gettext("discount"),
    "remake": lazy_gettext("remake"),
}
EXPORT_LABELS = {
    "money": lazy_gettext("Money movements"),
    "tabs": lazy_gettext("Tabs"),
    "lines": lazy_gettext("Lines"),
    "payments": lazy_gettext("Payments"),
    "tax": lazy_gettext("Tax per rate"),
}


@bp.app_template_global()
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@bp.app_template_global()
def adjustment_label(kind: str) -> str:
    return ADJUSTMENT_LABELS.get(kind, kind)


@bp.app_template_global()
def export_label(what: str) -> str:
    return EXPORT_LABELS.get(what, what)


@bp.app_template_global()
def day_title(when) -> str:
    """The day as the owner's language writes a date in full ("Monday 3 June 2024")."""
    language = str(get_locale() or "en")
    if language == "en":
        return f"{when.strftime('%A')} {when.day} {when.strftime('%B %Y')}"
    return format_date(when, format="full", locale=language)


# The page groups register their routes on `bp` when imported.
from blueprints.admin import (  # noqa: E402,F401
    audit,
    cards,
    cash_up,
    counter,
    day,
    menu,
    options,
    settings,
    staff,
    trust,
)
