"""Extensions are created once here and bound to an app in `app.create_app`."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# The database is made with the models' Base (models/base.py), so models import
# nothing from here; everything else takes it from here with the other extensions.
from models.base import db

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate"]


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
