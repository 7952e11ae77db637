"""Back office: the audit trail, every money-affecting action with who, when and why."""

from flask import render_template, request, url_for
from flask_login import current_user

from blueprints.admin import bp
from models.audit import ACTION_LABELS, ACTIONS
from services import audit as audit_service
from services import report


@bp.get("/audit")
def audit():
    shop = current_user.shop
    period = report.parse_period(request.args.get("from"), request.args.get("to"), shop)
    action = audit_service.parse_action(request.args.get("action"))
    page = audit_service.parse_page(request.args.get("page"))
    found = audit_service.entries(shop.id, period, action, page)

    def page_url(number: int) -> str:
        return url_for(
            ".audit",
            **{"from": period.first.isoformat(), "to": period.last.isoformat()},
            action=action or "",
            page=number,
        )

    return render_template(
        "admin/audit.html",
        shop=shop,
        period=period,
        action=action,
        actions=[(a, ACTION_LABELS[a]) for a in ACTIONS],
        labels=ACTION_LABELS,
        found=found,
        detail_text=audit_service.detail_text,
        page_url=page_url,
    )
