"""Settings, read from the environment once at start-up.

Every setting is documented in README.md; keep the two in step.
"""

import os
import secrets
from pathlib import Path


def database_url_from_env(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{Path(instance_path, 'tabby.db')}"
    return normalise_database_url(url)


def normalise_database_url(url: str) -> str:
    # Hosting providers hand out postgres:// and postgresql:// URLs; SQLAlchemy would
    # pick psycopg2 for those, and we ship psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key_from_instance(instance_path: str) -> str:
    """Read the instance's secret key, creating it once if there is none.

    Several gunicorn workers may start at the same moment; each writes its own
    candidate to a temporary file and links it into place, and the link only
    succeeds for the first, so every worker ends up reading the same key.
    """
    path = Path(instance_path, "secret_key")
    if not path.exists():
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults plus whatever the environment says; `create_app(config=...)` overrides last."""

    def __init__(self, instance_path: str):
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled from instance/ if unset
        self.SQLALCHEMY_DATABASE_URI = database_url_from_env(instance_path)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

        https = self.BASE_URL.startswith("https://")
        self.PREFERRED_URL_SCHEME = "https" if https else "http"
        self.SESSION_COOKIE_NAME = "tabby_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", https)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE

        # A staff tablet keeps the queue open all day; a CSRF token that expired after
        # an hour would make every tap fail. The token still dies with the session.
        self.WTF_CSRF_TIME_LIMIT = None
        self.MAX_CONTENT_LENGTH = 64 * 1024

        # How many proxies in front of us set X-Forwarded-*; 0 trusts none.
        self.PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0") or 0)
        self.POLL_INTERVAL_MS = int(os.environ.get("POLL_INTERVAL_MS", "3000") or 3000)
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

        # Rate limits (Flask-Limiter). Counters are kept in RATELIMIT_STORAGE_URI: this
        # process's memory by default, which is per worker; with several workers or
        # hosts point it at Redis so they all count together.
        self.RATELIMIT_ENABLED = env_flag("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "").strip() or (
            "memory://"
        )
        # A slow or missing Redis must cost a request half a second at most, never hang it.
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        # If the counter store is down, serve without limits (and log) rather than fail.
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_HEADERS_ENABLED = True  # X-RateLimit-* and Retry-After
        self.RATELIMIT_KEY_PREFIX = "tabby"
        # Per client address. A café's guest Wi-Fi puts many phones behind one address,
        # so these leave room for a lunchtime queue while stopping a script.
        self.RATELIMIT_CARD_SCAN = os.environ.get("RATELIMIT_CARD_SCAN", "60 per minute")
        self.RATELIMIT_TAB_OPEN = os.environ.get("RATELIMIT_TAB_OPEN", "20 per minute")
        # Failed staff logins only: per email address, and per client address.
        self.RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "5 per minute")
        self.RATELIMIT_LOGIN_ADDRESS = os.environ.get("RATELIMIT_LOGIN_ADDRESS", "20 per minute")
        # Customer orders, per tab.
        self.RATELIMIT_ORDER = os.environ.get("RATELIMIT_ORDER", "20 per minute")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
