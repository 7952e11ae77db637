"""The satisfaction check on the bill: a rating of the visit, and "something wasn't
right" on a line, which the counter sees at once and resolves (services.adjustments)."""

from flask_babel import gettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Tab, TabLine, TabRating
from models.base import utcnow
from models.feedback import MAX_COMMENT, MAX_RATING, MIN_RATING
from models.tab import LINE_VOID
from services import NotFound, Refused, parse_id
from services.tab_state import touch_tab
from services.text import one_line_within

MAX_FLAG_NOTE = 200


def parse_rating(raw) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or not MIN_RATING <= int(text) <= MAX_RATING:
        raise Refused(
            gettext("Choose a rating from %(low)d to %(high)d.", low=MIN_RATING, high=MAX_RATING)
        )
    return int(text)


def _clean_comment(comment: str | None) -> str:
    # Line breaks are kept: a comment is a short letter to the owner.
    text = "\n".join(" ".join(part.split()) for part in (comment or "").splitlines()).strip()
    text = "".join(ch for ch in text if ch == "\n" or ch.isprintable())
    if len(text) > MAX_COMMENT:
        raise Refused(gettext("A comment can be at most %(limit)d characters.", limit=MAX_COMMENT))
    return text


def rate(tab: Tab, phone_id: str, rating, comment: str | None = "") -> TabRating:
    """The phone rated its visit; rating again replaces its earlier rating."""
    rating = parse_rating(rating)
    comment = _clean_comment(comment)
    if not phone_id:
        raise Refused(gettext("Open the tab on your phone to rate it."))
    for _attempt in range(2):
        row = db.session.execute(
            select(TabRating).where(TabRating.tab_id == tab.id, TabRating.phone_id == phone_id)
        ).scalar_one_or_none()
        if row is not None:
            row.rating, row.comment, row.created_at = rating, comment, utcnow()
            db.session.flush()
            return row
        try:
            with db.session.begin_nested():
                row = TabRating(
                    shop_id=tab.shop_id,
                    tab_id=tab.id,
                    phone_id=phone_id,
                    rating=rating,
                    comment=comment,
                )
                db.session.add(row)
                db.session.flush()
            return row
        except IntegrityError:
            continue  # the same phone's other tap won: replace that one
    raise Refused(gettext("Your rating was just saved; look again."))


def rating_for(tab: Tab, phone_id: str | None) -> TabRating | None:
    if not phone_id:
        return None
    return db.session.execute(
        select(TabRating).where(TabRating.tab_id == tab.id, TabRating.phone_id == phone_id)
    ).scalar_one_or_none()


def tab_line(tab: Tab, line_id) -> TabLine:
    line_id = parse_id(line_id)
    line = next((line for line in tab.lines if line.id == line_id), None) if line_id else None
    if line is None:
        raise NotFound(gettext("That line is not on this tab."))
    return line


def flag_line(tab: Tab, line: TabLine, phone_id: str, note: str | None = "") -> TabLine:
    """ "Something wasn't right" with this line: staff see it on the counter at once."""
    note = one_line_within(note, MAX_FLAG_NOTE, gettext("The note"))
    if line.tab_id != tab.id or line.status == LINE_VOID:
        raise NotFound(gettext("That line is not on this tab."))
    touch_tab(tab)
    values = {"flag_note": note, "flag_phone_id": phone_id}
    if not line.needs_attention:
        # A new flag (or a second one after a resolution) starts a new issue.
        values.update(
            flagged_at=utcnow(),
            resolved_at=None,
            resolution=None,
            resolution_reason="",
            resolved_by_id=None,
        )
    db.session.execute(
        update(TabLine)
        .where(TabLine.id == line.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(line)
    return line
