"""Extensions are created once here and bound to an app in `app.create_app`."""

from datetime import UTC, datetime

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations can alter and drop them by name on
# both SQLite (batch mode) and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC, returned timezone-aware.

    SQLite keeps no zone at all; doing the same on PostgreSQL keeps both backends
    returning identical values and comparisons.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use models.base.utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()

# Rate limits are declared on the views (`@limiter.limit(...)`) with their numbers in
# config; counters live in RATELIMIT_STORAGE_URI (memory unless Redis is configured).
limiter = Limiter(get_remote_address)


@limiter.request_filter
def _limits_off() -> bool:
    # The one Limiter object serves every app made in this process (the test suite
    # makes several); asking the current app keeps an app with limits off unlimited
    # even after another app switched them on.
    return not current_app.config.get("RATELIMIT_ENABLED", True)


babel = Babel()
