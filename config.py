"""Settings, read from the environment once at start-up.

Every setting is documented in README.md; keep the two in step.
"""

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """A setting that would make the app misbehave; raised by create_app at start-up."""


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
    """Read the instance's secret key, creating it once if there is none."""
    path = Path(instance_path, "secret_key")
    _create_once(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


def _create_once(path: Path, content: str) -> None:
    """Write `path` once, even when several processes race to create it.

    Several gunicorn workers may start at the same moment; each writes its own
    candidate to a temporary file and links it into place, and the link only succeeds
    for the first, so every worker ends up reading the same file.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(content)
    try:
        os.link(candidate, path)
    except FileExistsError:
        pass
    finally:
        candidate.unlink()


def vapid_key_from_instance(instance_path: str) -> str:
    """The instance's VAPID private key (PEM), generated on first run.

    Every subscription is bound to the public half, so the file must outlive
    deployments: losing it silently orphans every phone's subscription.
    """
    path = Path(instance_path, "vapid_private_key.pem")
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _create_once(path, pem.decode())
    return path.read_text().strip()


# Apple's push service refuses these (and they reach nobody anyway).
_UNREACHABLE_HOST = re.compile(r"(^localhost$|\.localhost$|\.local$|\.invalid$|^[^.]*$)", re.I)
DEFAULT_VAPID_SUBJECT = "mailto:owner@example.com"
# The push services browsers use (Chrome and most others, Firefox, Safari, Edge on
# Windows): domain suffixes whose sends get the main send threads.
KNOWN_PUSH_SERVICES = (
    "fcm.googleapis.com,android.googleapis.com,push.services.mozilla.com,"
    "push.apple.com,notify.windows.com"
)


def check_vapid_subject(subject: str) -> str:
    """A push service may contact this address about our traffic: a real `mailto:`
    or `https:` one. Returns it, or raises ConfigError saying what is wrong."""
    subject = (subject or "").strip()
    if subject.startswith("mailto:"):
        local, _, host = subject[len("mailto:") :].rpartition("@")
        if not local or not host:
            raise ConfigError(f"VAPID_SUBJECT {subject!r} needs an address: mailto:you@your-domain")
    elif subject.startswith("https://"):
        host = urlsplit(subject).hostname or ""
    else:
        raise ConfigError(
            f"VAPID_SUBJECT {subject!r} must be a mailto: or https: address "
            "(e.g. mailto:owner@your-cafe.com)"
        )
    if _UNREACHABLE_HOST.search(host):
        raise ConfigError(
            f"VAPID_SUBJECT {subject!r} uses {host!r}: push services (Apple's among them) "
            "refuse localhost, .local and .invalid addresses. Set it to a real contact."
        )
    return subject


def default_vapid_subject(base_url: str) -> str:
    """The site itself when it is public over https, else a placeholder that passes."""
    try:
        return check_vapid_subject(base_url)
    except ConfigError:
        return DEFAULT_VAPID_SUBJECT


def default_base_url() -> str:
    """Where this process is served when BASE_URL is unset: the HOST and PORT that
    `make run` serves on (and passes on), so printed card links reach this server.
    A wildcard address is no place a phone can go; the loopback one is used instead."""
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    port = os.environ.get("PORT", "").strip() or "5000"
    if host in ("0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults plus whatever the environment says; `create_app(config=...)` overrides last."""

    def __init__(self, instance_path: str):
        self.BASE_URL = (os.environ.get("BASE_URL", "").strip() or default_base_url()).rstrip("/")
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
        # Item photos (services.photo_store): PHOTO_STORE is `instance` (the default:
        # instance/photos), `path:<folder>` (a folder several hosts share) or `s3` (an
        # S3-compatible bucket, needs boto3). PHOTO_DIR is the older way to say a path.
        store = os.environ.get("PHOTO_STORE", "").strip() or "instance"
        folder = os.environ.get("PHOTO_DIR", "").strip() or str(Path(instance_path, "photos"))
        if store.startswith("path:") and store[5:].strip():
            store, folder = "path", store[5:].strip()
        if store not in ("instance", "path", "s3"):
            raise ValueError(f"PHOTO_STORE is instance, path:<folder> or s3, not {store!r}")
        self.PHOTO_STORE = store
        self.PHOTO_DIR = folder
        self.PHOTO_S3_BUCKET = os.environ.get("PHOTO_S3_BUCKET", "").strip() or None
        if store == "s3" and not self.PHOTO_S3_BUCKET:
            raise ValueError("PHOTO_STORE=s3 needs PHOTO_S3_BUCKET")
        # Blank: AWS itself; else e.g. https://minio.example.com.
        self.PHOTO_S3_ENDPOINT = os.environ.get("PHOTO_S3_ENDPOINT", "").strip() or None
        self.PHOTO_S3_REGION = os.environ.get("PHOTO_S3_REGION", "").strip() or None
        self.PHOTO_S3_PREFIX = os.environ.get("PHOTO_S3_PREFIX", "photos/").strip()
        # Blank: boto3's own chain (AWS_ACCESS_KEY_ID..., an instance role).
        self.PHOTO_S3_ACCESS_KEY_ID = os.environ.get("PHOTO_S3_ACCESS_KEY_ID") or None
        self.PHOTO_S3_SECRET_ACCESS_KEY = os.environ.get("PHOTO_S3_SECRET_ACCESS_KEY") or None

        # How many proxies in front of us set X-Forwarded-*; 0 trusts none.
        self.PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0") or 0)
        self.POLL_INTERVAL_MS = int(os.environ.get("POLL_INTERVAL_MS", "3000") or 3000)
        self.LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
        # Unchanged tab polls and tab pages answered 304 before Flask (live/answers.py);
        # off sends everything through Flask, which gives the same answers.
        self.FAST_ANSWERS = env_flag("FAST_ANSWERS", True)
        # On PostgreSQL, each process caches the tab versions it read and drops them as
        # the database announces changes (live/version_cache.py). Off behind PgBouncer
        # in transaction mode, where LISTEN does not work.
        self.LIVE_VERSION_CACHE = env_flag("LIVE_VERSION_CACHE", True)

        # Card payment online through Stripe Checkout: on only when both secrets are set.
        self.STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "").strip() or None
        self.STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "").strip() or None
        # Where the library sends API calls; unset means Stripe itself.
        self.STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "").strip() or None
        self.STRIPE_TIMEOUT = float(os.environ.get("STRIPE_TIMEOUT", "10") or 10)
        # Retries are safe: every request that creates something carries an idempotency key.
        self.STRIPE_MAX_RETRIES = int(os.environ.get("STRIPE_MAX_RETRIES", "2") or 0)
        # Web Push. The private key is filled from instance/ when unset.
        self.VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY") or None
        self.VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT") or default_vapid_subject(self.BASE_URL)
        # "thread": a sender inside each web process; "off": only `flask push worker`.
        self.PUSH_DISPATCHER = os.environ.get("PUSH_DISPATCHER", "thread").strip().lower()
        self.PUSH_POLL_SECONDS = float(os.environ.get("PUSH_POLL_SECONDS", "2") or 2)
        self.PUSH_TIMEOUT_SECONDS = float(os.environ.get("PUSH_TIMEOUT_SECONDS", "10") or 10)
        # A push service that does not even accept the connection this fast is down.
        self.PUSH_CONNECT_TIMEOUT_SECONDS = float(
            os.environ.get("PUSH_CONNECT_TIMEOUT_SECONDS", "3") or 3
        )
        self.PUSH_MAX_ATTEMPTS = int(os.environ.get("PUSH_MAX_ATTEMPTS", "6") or 6)
        self.PUSH_BACKOFF_SECONDS = float(os.environ.get("PUSH_BACKOFF_SECONDS", "5") or 5)
        self.PUSH_MAX_RETRY_AFTER_SECONDS = 3600
        # A claimed message not recorded within this long (its sender died) is sent again.
        self.PUSH_LEASE_SECONDS = 300
        # Sends at once to the well-known push services (PUSH_KNOWN_SERVICES), and to
        # any other: a slow or dead unknown service can only fill the second, and one
        # service (one origin) only ever PUSH_SENDS_PER_HOST of either.
        self.PUSH_SEND_THREADS = int(os.environ.get("PUSH_SEND_THREADS", "8") or 8)
        self.PUSH_OTHER_SEND_THREADS = int(os.environ.get("PUSH_OTHER_SEND_THREADS", "4") or 4)
        self.PUSH_SENDS_PER_HOST = int(os.environ.get("PUSH_SENDS_PER_HOST", "2") or 2)
        self.PUSH_KNOWN_SERVICES = [
            name.strip().lower()
            for name in os.environ.get("PUSH_KNOWN_SERVICES", KNOWN_PUSH_SERVICES).split(",")
            if name.strip()
        ]
        # One phone, one tab: how many push subscriptions they may hold (live tabs).
        self.PUSH_MAX_SUBSCRIPTIONS_PER_PHONE = int(
            os.environ.get("PUSH_MAX_SUBSCRIPTIONS_PER_PHONE", "3") or 3
        )
        self.PUSH_MAX_SUBSCRIPTIONS_PER_TAB = int(
            os.environ.get("PUSH_MAX_SUBSCRIPTIONS_PER_TAB", "10") or 10
        )
        # Push services are https on public addresses; plain http endpoints and private
        # addresses (127.0.0.1, 10/8, ...) only for a local test service.
        self.PUSH_ALLOW_HTTP_ENDPOINTS = env_flag("PUSH_ALLOW_HTTP_ENDPOINTS")
        self.PUSH_ALLOW_PRIVATE_ADDRESSES = env_flag("PUSH_ALLOW_PRIVATE_ADDRESSES")
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
        # Push subscriptions posted, per tab.
        self.RATELIMIT_PUSH_SUBSCRIBE = os.environ.get("RATELIMIT_PUSH_SUBSCRIBE", "10 per minute")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
