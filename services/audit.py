"""The audit trail: written in the same unit of work as the action it records, so an
action rolled back leaves no entry and an entry never describes something undone."""

import json
import re
from dataclasses import dataclass

from flask_babel import gettext, lazy_gettext
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, Shop, StaffMember, Tab, TabLine
from models.audit import ACTIONS
from models.payment import METHOD_LABELS
from money import format_money
from services import Refused
from services.report import Period

PAGE_SIZE = 50


def record(
    action: str,
    *,
    shop_id: int,
    staff: StaffMember | None = None,
    tab: Tab | None = None,
    line: TabLine | None = None,
    amount: int = 0,
    currency: str | None = None,
    reason: str = "",
    **detail,
) -> AuditEntry:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        shop_id=shop_id,
        staff_id=staff.id if staff is not None else None,
        action=action,
        tab_id=tab.id if tab is not None else (line.tab_id if line is not None else None),
        line_id=line.id if line is not None else None,
        amount=amount,
        currency=currency or (tab.currency if tab is not None else ""),
        reason=reason or "",
        detail=json.dumps(detail, sort_keys=True, default=str),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    page: int
    pages: int
    total: int
    names: dict[int, str]
    tabs: dict[int, Tab]


def parse_action(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value not in ACTIONS:
        raise Refused("Choose one of the actions listed.")
    return value


def parse_page(value: str | None) -> int:
    value = (value or "").strip() or "1"
    if not value.isdigit() or not 1 <= int(value) <= 100_000:
        raise Refused("The page must be a whole number from 1.")
    return int(value)


def entries(shop_id: int, period: Period, action: str | None, page: int) -> AuditPage:
    """The shop's entries in the period, newest first, one page at a time."""
    where = [AuditEntry.shop_id == shop_id, period.contains(AuditEntry.created_at)]
    if action:
        where.append(AuditEntry.action == action)
    total = db.session.scalar(select(func.count(AuditEntry.id)).where(*where))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    rows = list(
        db.session.execute(
            select(AuditEntry)
            .where(*where)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).scalars()
    )
    staff_ids = {row.staff_id for row in rows if row.staff_id}
    names = (
        {
            member.id: member.display_name
            for member in db.session.execute(
                select(StaffMember).where(
                    StaffMember.shop_id == shop_id, StaffMember.id.in_(staff_ids)
                )
            ).scalars()
        }
        if staff_ids
        else {}
    )
    tab_ids = {row.tab_id for row in rows if row.tab_id}
    tabs = (
        {
            tab.id: tab
            for tab in db.session.execute(
                select(Tab).where(Tab.shop_id == shop_id, Tab.id.in_(tab_ids))
            ).scalars()
        }
        if tab_ids
        else {}
    )
    return AuditPage(rows, page, pages, total, names, tabs)


# What each detail recorded with an entry is called on the audit page. Entries keep
# the keys and values as recorded; they are put into the owner's language when shown.
DETAIL_LABELS = {
    "item": lazy_gettext("item"),
    "line_price": lazy_gettext("line price"),
    "discount_before": lazy_gettext("discount before"),
    "method": lazy_gettext("paid by"),
    "provider": lazy_gettext("provider"),
    "share": lazy_gettext("share"),
    "tip": lazy_gettext("tip"),
    "tip_asked": lazy_gettext("changed by staff; the customer chose"),
    "deposit_applied": lazy_gettext("deposit deducted"),
    "deposit_kept": lazy_gettext("deposit kept"),
    "payment_id": lazy_gettext("payment no."),
    "percent": lazy_gettext("percent"),
    "opening_float": lazy_gettext("float"),
    "expected": lazy_gettext("expected"),
    "counted": lazy_gettext("counted"),
    "since": lazy_gettext("since"),
    "recount_of": lazy_gettext("recount of cash-up no."),
    "stamps": lazy_gettext("stamps"),
}
_MONEY_DETAILS = (
    "line_price",
    "discount_before",
    "tip",
    "tip_asked",
    "deposit_applied",
    "deposit_kept",
    "opening_float",
    "expected",
    "counted",
)
_SHARE_LABELS = {"Own lines": lazy_gettext("Own lines"), "Whole tab": lazy_gettext("Whole tab")}


def _detail_value(entry: AuditEntry, key: str, value) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key in _MONEY_DETAILS and isinstance(value, int) and entry.currency:
        return format_money(value, entry.currency, db.session.get(Shop, entry.shop_id).locale)
    if key == "method":
        return str(METHOD_LABELS.get(value, value))
    if key == "share":
        if value in _SHARE_LABELS:
            return str(_SHARE_LABELS[value])
        if match := re.fullmatch(r"Share (\d+) of (\d+)", str(value)):
            return gettext("Share %(part)s of %(ways)s", part=match[1], ways=match[2])
    return str(value)


def detail_text(entry: AuditEntry) -> str:
    try:
        detail = json.loads(entry.detail or "{}")
    except ValueError:
        return ""
    return ", ".join(
        f"{DETAIL_LABELS.get(key, key)}: {_detail_value(entry, key, value)}"
        for key, value in detail.items()
        if value not in (None, "")
    )
