"""Business operations. They change the session and flush; they never commit.

Views wrap one operation in `unit_of_work()`, which is the single commit point and
rolls everything back if the operation refuses or fails.
"""

from contextlib import contextmanager

from extensions import db

# The largest id an INTEGER column holds; PostgreSQL refuses to even compare a bigger one.
MAX_ID = 2**31 - 1


def parse_id(value) -> int | None:
    """A row id sent by a form, or None when the value could not be one."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


class Refused(Exception):
    """An action the rules do not allow; carries the message the person sees."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(Refused):
    status_code = 404


class Conflict(Refused):
    """The request was fine but the tab has moved on (paid, closed, taken)."""

    status_code = 409


@contextmanager
def unit_of_work():
    """Commit once at the end; then run what the operation asked to follow the commit
    (waking the push dispatcher), which must never happen for a rolled-back change."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.info.pop("after_commit", None)
        db.session.rollback()
        raise
    for hook in db.session.info.pop("after_commit", ()):
        hook()
